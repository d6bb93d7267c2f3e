"""A gang's page in Debian's headless Chromium, against the whole pipeline (issue 19): a gang of
200 complaints across five districts, one of its phones seized in an arrest. Mumbai's officer
opens the gang's page: its timeline and map are drawn, the path between two complaints is
explained, and the PDF export opens (its first page rendered to PNG) holding the complaints
and no raw identifier; each view and export is on the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pypdfium2
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from schemas.pseudonyms import stable_id
from tests.browser.conftest import ON_THE_WHOLE_PIPELINE
from tests.browser.test_console import DISTRICTS as NAMED
from tests.browser.test_console import Officer, name_districts
from tests.builders import complaint_body, unique_mobile, unique_upi
from tests.conftest import api_key, enrol, own_broker
from tests.console_client import ConsoleClient
from tests.e2e.conftest import Pipeline, running_pipeline

pytestmark = ON_THE_WHOLE_PIPELINE
GANG_DISTRICTS = {
    **NAMED,
    "JH-JAM": ("Jamtara", "Jharkhand"),
    "RJ-JAI": ("Jaipur", "Rajasthan"),
}
OUTSIDE = "KA-BLR"  # no complaint in the gang
DISTRICTS = {**GANG_DISTRICTS, OUTSIDE: ("Bengaluru", "Karnataka")}
GANG_SIZE = 200
PHONES = [unique_mobile() for _ in range(10)]
UPIS = [unique_upi() for _ in range(7)]


def gang() -> list[dict[str, object]]:
    """200 complaints, each naming one of the gang's ten phones and one of its seven UPI IDs:
    one gang, its complaints spread over the districts and over 2026."""
    codes = list(GANG_DISTRICTS)
    return [
        complaint_body(
            codes[n % len(codes)],
            ("phone", PHONES[n % len(PHONES)]),
            ("upi", UPIS[n % len(UPIS)]),
            complaint_id=f"G-{n:03d}",
            registered_at=f"2026-{1 + n % 10:02d}-{1 + n % 27:02d}T10:15:00+05:30",
        )
        for n in range(GANG_SIZE)
    ]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    workdir = tmp_path_factory.mktemp("gang")
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, list(DISTRICTS)) as running,
    ):
        name_districts(workdir / "districts.yaml", DISTRICTS)
        complaints = gang()
        for body in complaints:
            running.post(body)
        arrest = {
            "district": "JH-JAM", "police_station": "Cyber PS Jamtara",
            "arrested_at": "2026-11-02T06:30:00+05:30", "status": "police_custody",
            "accused": 2, "contact_name": "Insp. R. Murmu", "contact_phone": "9431100000",
            "seized": [{"type": "phone", "value": PHONES[0]}],
        }  # fmt: skip
        put = running.http.put(
            f"{running.intake.base_url}/v1/arrests/JH-0042",
            json=arrest,
            headers={"Authorization": f"Bearer {api_key('JH-JAM')}"},
        )
        assert put.status_code == 202, put.text
        running.wait_until_idle()
        yield running


@pytest.fixture
def officer(pipeline: Pipeline, browser: webdriver.Chrome, screenshots: Path) -> Officer:
    return Officer(browser, pipeline, screenshots)


def test_the_gang_page_draws_its_timeline_and_map_and_the_pdf_holds_no_raw_identifier(
    pipeline: Pipeline, officer: Officer, screenshots: Path
) -> None:
    officer.sign_in("MH-MUM", "Mumbai")

    officer.open(f"/console/gangs/{first_cluster_id()}")

    browser = officer.browser
    assert officer.heading().startswith("Gang")
    dots = browser.find_elements(By.CSS_SELECTOR, "#gang-timeline circle.complaint")
    assert len(dots) == GANG_SIZE
    assert browser.find_elements(By.CSS_SELECTOR, "#gang-timeline g.arrest")
    involved = browser.find_elements(By.CSS_SELECTOR, "#gang-map path.state.involved")
    assert len(involved) == len({code.split("-")[0] for code in GANG_DISTRICTS})
    assert (
        browser.execute_script(
            "return document.querySelector('#gang-timeline').getBoundingClientRect().width"
        )
        > 500
    )
    assert officer.unlabelled_fields() == []
    browser.save_screenshot(str(screenshots / "gang-page.png"))

    Select(browser.find_element(By.ID, "path-from")).select_by_index(0)
    Select(browser.find_element(By.ID, "path-to")).select_by_index(GANG_SIZE - 1)
    browser.find_element(By.CSS_SELECTOR, ".path-form button").click()
    officer.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "#path li"))
    assert "both name the" in browser.find_element(By.ID, "path").text

    pdf = exported(officer, browser.find_element(By.ID, "export-pdf").get_attribute("href"))
    document = pypdfium2.PdfDocument(pdf)
    page = document[0].render(scale=2).to_pil()
    page.save(screenshots / "gang-export-page-1.png")
    darkest, lightest = page.convert("L").getextrema()
    assert (darkest, lightest) == (0, 255)  # text on white, not a blank page
    text = "".join(document[n].get_textpage().get_text_range() for n in range(len(document)))
    assert all(f"G-{n:03d}" in text for n in range(GANG_SIZE))
    assert "JH-0042" in text
    digits = text.replace(" ", "")
    assert not [raw for raw in PHONES if raw[-10:] in digits]
    assert not [raw for raw in UPIS if raw in text or raw.split("@")[0] in text]

    actions = [entry.event.action for entry in pipeline.audit_entries()]
    assert "gang.viewed" in actions
    assert "gang.exported" in actions


def test_the_csv_export_lists_every_complaint_and_an_officer_outside_the_gang_gets_404(
    pipeline: Pipeline,
) -> None:
    path = f"/console/gangs/{first_cluster_id()}"
    database_url = pipeline.notifier.env["CROSSLINK_DATABASE_URL"]
    inside, outside = (ConsoleClient(pipeline.notifier.base_url) for _ in range(2))
    assert inside.sign_in(enrol(database_url, "WB-KOL")).status_code == 303
    assert outside.sign_in(enrol(database_url, OUTSIDE)).status_code == 303

    page = inside.http.get(path, follow_redirects=True)
    exported_csv = inside.http.get(f"{page.url.path}/export.csv")

    assert page.status_code == 200
    assert exported_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported_csv.text.removeprefix("\ufeff"))))
    assert sorted(row["complaint_id"] for row in rows) == [f"G-{n:03d}" for n in range(GANG_SIZE)]
    assert {row["your_district"] for row in rows if row["district"] == "WB-KOL"} == {"yes"}
    assert not [raw for raw in PHONES if raw[-10:] in exported_csv.text]
    for refused in (page.url.path, f"{page.url.path}/export.csv", f"{page.url.path}/export.pdf"):
        assert outside.http.get(refused).status_code == 404


def first_cluster_id() -> str:
    """The cluster of the gang's first complaint, which every later one joined."""
    first = gang()[0]
    return stable_id("cluster", str(first["district"]), str(first["complaint_id"]))


def exported(officer: Officer, href: str | None) -> bytes:
    """The export the link gives, fetched with the officer's session (a browser would save
    it as a file)."""
    assert href is not None
    cookies = {c["name"]: c["value"] for c in officer.browser.get_cookies()}
    response = httpx.get(href, cookies=cookies, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content
