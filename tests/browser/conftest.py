"""Debian's Chromium, headless, driven through Debian's chromedriver (Selenium 4).

Both paths are given explicitly, so Selenium Manager never runs and nothing is downloaded.
The tests skip only where Chromium is not installed; `make test` installs it
(deploy/ensure-system-packages.sh).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
# Where the screenshots go: a temporary folder, or docs/console/ to refresh the committed ones
# (CROSSLINK_CONSOLE_SCREENSHOTS=docs/console .venv/bin/pytest tests/browser).
SCREENSHOTS_ENV = "CROSSLINK_CONSOLE_SCREENSHOTS"
WINDOW = (1280, 900)

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed (make system-packages)",
)

# A browser test's marks: it drives Chromium against intake, matcher and notifier as processes
# on a local broker of its own.
ON_THE_WHOLE_PIPELINE = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.integration,
    needs_chromium,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]


def headless_chromium(workdir: Path) -> webdriver.Chrome:
    assert CHROMIUM is not None
    assert CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--lang=en-GB",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={workdir / 'profile'}",
    ):
        options.add_argument(argument)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(workdir / "chromedriver.log"))
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = headless_chromium(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
