"""An officer's day in the district console, in Debian's headless Chromium, against the whole
pipeline (intake, matcher, notifier as processes, on a broker of its own): a wrong code is
refused and counted; sign in with password and code, watch an alert arrive without reloading,
open it, acknowledge it, see the group it belongs to, sign out; another district's officer
cannot open that alert; the district's supervisor sees the alert nobody acknowledged escalated
to them; a state nodal officer sees the state's districts but not another state's alert.

The screenshots in docs/console/ come from this test (conftest.SCREENSHOTS_ENV).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from crosslink.i18n import translator
from harness.processes import metric_value
from services.notifier.accounts.account import Officer as Account
from services.notifier.accounts.credentials import code_at
from services.notifier.accounts.roles import Role
from tests.browser.conftest import ON_THE_WHOLE_PIPELINE, WINDOW
from tests.builders import OFFICER_PASSWORD, complaint_body, unique_mobile, unique_upi
from tests.conftest import contact_address, enrol, own_broker
from tests.e2e.conftest import PIPELINE_TIMEOUT_S, Pipeline, running_pipeline

pytestmark = ON_THE_WHOLE_PIPELINE
DISTRICTS = {
    "MH-MUM": ("Mumbai", "Maharashtra"),
    "MP-BPL": ("Bhopal", "Madhya Pradesh"),
    "WB-KOL": ("Kolkata", "West Bengal"),
}
LANGUAGES = {"MP-BPL": "hi"}  # the others speak the default, English
SIGN_INS = "crosslink_console_sign_ins_total"
SHARED_TITLE = "Identifier shared with other complaints"
CLUSTER_TITLE = "Complaints linked into one group"
PAGE_CHANGING = (NoSuchElementException, StaleElementReferenceException)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The three services on a broker of their own, polling the inbox twice a second."""
    workdir = tmp_path_factory.mktemp("console")
    with own_broker(workdir) as broker, running_pipeline(
        broker, workdir, list(DISTRICTS),
        settings={"CROSSLINK_CONSOLE_POLL_INTERVAL_S": "0.5", "CROSSLINK_ESCALATE_AFTER_S": "1"},
    ) as running:  # fmt: skip
        name_districts(workdir / "districts.yaml")
        yield running


# The phonenumbers library's own example of an Indian number: valid, and nobody's.
EXAMPLE_PHONE = "+91 74104 10123"


def name_districts(path: Path, names: Mapping[str, tuple[str, str]] = DISTRICTS) -> None:
    """Real names, contact addresses, a duty phone and a language (the notifier reloads the
    file within a second)."""
    directory = yaml.safe_load(path.read_text())
    for district in directory["districts"]:
        district["name"], district["state"] = names[district["code"]]
        district["email"] = [contact_address(district["code"])]
        district["phone"] = [EXAMPLE_PHONE]
        district["language"] = LANGUAGES.get(district["code"], "en")
    path.write_text(yaml.safe_dump(directory))


class Officer:
    """What an officer does in the console, in words a test can read."""

    def __init__(self, browser: webdriver.Chrome, pipeline: Pipeline, screenshots: Path) -> None:
        self.browser, self.screenshots = browser, screenshots
        self.base_url = pipeline.notifier.base_url
        self.database_url = pipeline.notifier.env["CROSSLINK_DATABASE_URL"]

    def until(self, condition: object, timeout_s: float = PIPELINE_TIMEOUT_S) -> object:
        """Wait for `condition`, through pages being replaced while it is asked."""
        return WebDriverWait(
            self.browser, timeout_s, poll_frequency=0.1, ignored_exceptions=PAGE_CHANGING
        ).until(condition)  # type: ignore[arg-type]

    def open(self, path: str) -> None:
        self.browser.get(self.base_url + path)

    def enrolled(self, district: str | None = None, **account: object) -> Account:
        return enrol(self.database_url, district, **account)  # type: ignore[arg-type]

    def type_sign_in(self, account: Account, code: str | None = None) -> None:
        """With the keyboard only: name, Tab, password, Tab, the app's code, Enter."""
        self.open("/console/sign-in")
        assert self.unlabelled_fields() == []
        code = code_at(account.totp_secret, time.time()) if code is None else code
        self.browser.find_element(By.ID, "username").send_keys(
            account.username, Keys.TAB, OFFICER_PASSWORD, Keys.TAB, code, Keys.ENTER
        )

    def sign_in(self, district: str, name: str) -> None:
        """An officer of `district` signs in, with a new account."""
        self.type_sign_in(self.enrolled(district))
        self.until(lambda _: self.heading() == "Alerts for your district")
        # The directory's real names arrive with its reload: read the header until they show.
        self.until(lambda _: self.refreshed_header_names(name))

    def refreshed_header_names(self, name: str) -> bool:
        if name in self.browser.find_element(By.CSS_SELECTOR, ".who").text:
            return True
        self.browser.refresh()
        return False

    def refreshed_rows_list(self, title: str) -> bool:
        if self.row_link(title) is not None:
            return True
        self.browser.refresh()
        return False

    def unlabelled_fields(self) -> list[str]:
        """The form fields on this page that no label names."""
        fields: list[str] = self.browser.execute_script(
            "return [...document.querySelectorAll('input, select, textarea')]"
            ".filter(f => f.type !== 'hidden' && f.labels.length === 0).map(f => f.name);"
        )
        return fields

    def press_tab(self) -> WebElement:
        """Move the keyboard focus on; the element that has it."""
        ActionChains(self.browser).send_keys(Keys.TAB).perform()
        return self.browser.switch_to.active_element

    def heading(self) -> str:
        return self.browser.find_element(By.TAG_NAME, "h1").text

    def row_link(self, title: str) -> WebElement | None:
        links = self.browser.find_elements(By.CSS_SELECTOR, "#alert-rows a")
        return next((link for link in links if link.text == title), None)

    def open_row(self, title: str) -> None:
        """Follow the inbox row's link, even if the live update replaces the rows meanwhile."""

        def clicked(_: object) -> bool:
            link = self.row_link(title)
            if link is not None:
                link.click()
            return link is not None

        self.until(clicked)
        self.until(lambda _: self.heading() == title)

    def mark_page(self) -> None:
        """A marker that a reload would wipe out."""
        self.browser.execute_script("window.crosslinkNotReloaded = true;")

    def page_was_not_reloaded(self) -> bool:
        return self.browser.execute_script("return window.crosslinkNotReloaded === true;") is True

    def text(self, css: str) -> str:
        return self.browser.find_element(By.CSS_SELECTOR, css).text

    def click(self, css: str) -> None:
        self.browser.find_element(By.CSS_SELECTOR, css).click()

    def screenshot(self, name: str, width: int = WINDOW[0]) -> None:
        """The whole page, however long, at `width` pixels."""
        metrics = {"width": width, "deviceScaleFactor": 1, "mobile": width < 600}
        self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": 0})
        height = self.browser.execute_script("return document.documentElement.scrollHeight;")
        self.browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {**metrics, "height": int(height)}
        )
        self.browser.save_screenshot(str(self.screenshots / f"{name}.png"))
        self.browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture
def officer(pipeline: Pipeline, browser: webdriver.Chrome, screenshots: Path) -> Officer:
    return Officer(browser, pipeline, screenshots)


def test_an_officer_sees_an_alert_arrive_acts_on_it_and_another_district_cannot_open_it(
    pipeline: Pipeline, officer: Officer
) -> None:
    metrics = pipeline.notifier.metrics_url
    number, upi = unique_mobile(), unique_upi()
    mumbai = complaint_body("MH-MUM", ("phone", number),
                            police_station="Cyber Police Station West")  # fmt: skip
    bhopal = complaint_body("MP-BPL", ("phone", number.replace(" ", "-")), ("upi", upi),
                            police_station="Cyber Crime Cell Bhopal",
                            registered_at="2026-11-21T16:40:00+05:30")  # fmt: skip
    kolkata = complaint_body("WB-KOL", ("upi", upi.upper()),
                             police_station="Lalbazar Cyber PS",
                             registered_at="2026-11-22T11:05:00+05:30")  # fmt: skip

    # A wrong code after the right password is refused, and counted for the operators.
    wrong_codes = metric_value(metrics, SIGN_INS, result="wrong_code")
    mistyped = officer.enrolled("MH-MUM")
    right = code_at(mistyped.totp_secret, time.time())
    officer.type_sign_in(mistyped, code=f"{(int(right) + 1) % 1_000_000:06d}")
    officer.until(lambda _: "The code is not right" in officer.text("#sign-in-error"))
    assert metric_value(metrics, SIGN_INS, result="wrong_code") == wrong_codes + 1

    # Mumbai signs in to an empty inbox; two matching complaints arrive while it is open.
    officer.sign_in("MH-MUM", "Mumbai")
    assert officer.text("#unacknowledged") == "0"
    assert officer.unlabelled_fields() == []
    assert officer.press_tab().text == "Skip to content"
    officer.mark_page()
    pipeline.post(mumbai)
    pipeline.post(bhopal)
    officer.until(lambda _: officer.row_link(SHARED_TITLE) is not None)
    officer.until(lambda _: officer.text("#unacknowledged") == "1")
    assert officer.page_was_not_reloaded()

    # The alert: masked identifier, both complaints, whom to call in Bhopal.
    officer.open_row(SHARED_TITLE)
    alert_url = officer.browser.current_url
    page = officer.browser.page_source
    assert "•" in officer.text(".identifier")
    assert number.replace(" ", "")[3:] not in page.replace(" ", "")  # never the raw number
    assert mumbai["complaint_id"] in page
    assert bhopal["complaint_id"] in page
    assert "Cyber Crime Cell Bhopal" in page
    assert contact_address("MP-BPL") in officer.text(".contacts")
    assert EXAMPLE_PHONE in officer.text(".contacts")
    assert officer.text("#alert-status") == "New"
    officer.screenshot("alert")

    # Acknowledge it, with the keyboard: from the note, Tab to the first action, Enter.
    assert officer.unlabelled_fields() == []
    officer.click("#note")
    acknowledge = officer.press_tab()
    assert acknowledge.text == "Acknowledge"
    acknowledge.send_keys(Keys.ENTER)
    officer.until(lambda _: officer.text("#alert-status") == "Acknowledged")
    assert "Saved" in officer.text(".notice")

    # The picture of what links the complaints.
    officer.click("#cluster-link")
    officer.until(lambda _: officer.heading() == "Linked complaints")
    legend = officer.text(".legend")
    assert "MH-MUM (your district)" in legend
    assert "MP-BPL" in legend
    assert len(officer.browser.find_elements(By.CSS_SELECTOR, "#cluster-picture .complaint")) == 2

    # Kolkata names Bhopal's UPI: the three complaints become one group, and Mumbai is told.
    officer.open("/console/inbox")
    officer.mark_page()
    pipeline.post(kolkata)
    officer.until(lambda _: officer.row_link(CLUSTER_TITLE) is not None)
    assert officer.page_was_not_reloaded()
    assert officer.text("#unacknowledged") == "1"
    officer.screenshot("inbox")
    officer.screenshot("inbox-phone", width=390)
    officer.open_row(CLUSTER_TITLE)
    officer.click("#cluster-link")
    officer.until(lambda _: officer.heading() == "Linked complaints")
    nodes = officer.browser.find_elements(By.CSS_SELECTOR, "#cluster-picture .complaint")
    assert len(nodes) == 3
    assert (
        len(officer.browser.find_elements(By.CSS_SELECTOR, "#cluster-picture .identifier-node"))
        == 2
    )
    officer.screenshot("cluster")

    # The first alert now says which group its complaints belong to.
    officer.browser.get(alert_url)
    officer.click("#group-link")
    officer.until(lambda _: officer.heading() == "Linked complaints")
    assert "WB-KOL" in officer.text(".legend")

    # Sign out: the console is closed to this browser.
    officer.click(".sign-out button")
    officer.until(lambda _: officer.heading() == "Sign in")
    assert "You have signed out." in officer.text(".notice")
    officer.open("/console/inbox")
    assert officer.heading() == "Sign in"

    # Kolkata signs in: Mumbai's alert with Bhopal is not Kolkata's, and does not open.
    officer.sign_in("WB-KOL", "Kolkata")
    officer.browser.get(alert_url)
    assert officer.heading() == "Not found"
    assert bhopal["complaint_id"] not in officer.browser.page_source
    officer.browser.delete_all_cookies()  # another officer at another PC

    # Mumbai's supervisor: the group alert nobody acknowledged in time is escalated to them.
    officer.type_sign_in(officer.enrolled("MH-MUM", role=Role.DISTRICT_SUPERVISOR))
    officer.until(lambda _: officer.heading() == "Alerts for your district")
    officer.click('nav a[href="/console/overdue"]')
    officer.until(lambda _: officer.heading() == "Escalated to you: not acknowledged in time")
    officer.until(lambda _: officer.refreshed_rows_list(CLUSTER_TITLE))
    assert officer.row_link(SHARED_TITLE) is None  # Mumbai acknowledged that one
    officer.screenshot("overdue")
    officer.browser.delete_all_cookies()

    # West Bengal's state nodal officer: the state's district, and not Maharashtra's alert.
    officer.type_sign_in(officer.enrolled(role=Role.STATE_NODAL_OFFICER, state="West Bengal"))
    officer.until(lambda _: officer.heading() == "Districts of West Bengal")
    assert "Kolkata" in officer.text("#districts")
    assert "Mumbai" not in officer.text("#districts")
    officer.browser.get(alert_url)
    assert officer.heading() == "Not found"


# What a Hindi page may show in Latin letters: the product's name, codes, and each language's
# own name in the language switch.
LATIN_ALLOWED = {"crosslink", "UPI", "IMEI", "IP", "ID", "IST", "English"}


def english_words(officer: Officer, data: list[str]) -> set[str]:
    """Latin words on the page (text, titles, labels), once data and codes are taken out."""
    text: str = officer.browser.execute_script(
        "const named = [...document.querySelectorAll('[aria-label], [title], [alt], "
        "[placeholder], [data-label]')].flatMap(e => ['aria-label', 'title', 'alt', "
        "'placeholder', 'data-label'].map(a => e.getAttribute(a) || ''));"
        "const texts = [], walker = document.createTreeWalker(document.body, "
        "NodeFilter.SHOW_TEXT);"  # each text on its own: table cells do not run together
        "while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);"
        "return [document.title, ...texts, ...named].join(' ');"
    )
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"\S*[•@]\S*", " ", text)  # masked identifiers, contact addresses
    text = re.sub(r"\bC-[0-9a-f]{12}\b", " ", text)  # complaint ids (tests.builders), any test's
    text = re.sub(r"\b[A-Z]{2}(-[A-Z]{3})?\b", " ", text)  # district and state codes
    return set(re.findall(r"[A-Za-z][A-Za-z-]*", text)) - LATIN_ALLOWED


def devanagari_font_loaded(officer: Officer) -> bool:
    """Whether the page drew its Devanagari with the font the console serves."""
    loaded: bool = officer.browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.fonts.ready.then(() => done([...document.fonts].some("
        "f => f.family.includes('crosslink Devanagari') && f.status === 'loaded')));"
    )
    return loaded


def test_an_officer_reads_the_console_in_hindi_with_no_english_outside_identifiers_and_codes(
    pipeline: Pipeline, officer: Officer
) -> None:
    hindi = translator("hi")
    number, upi = unique_mobile(), unique_upi()
    bhopal = complaint_body("MP-BPL", ("phone", number), ("upi", upi),
                            police_station="Cyber Crime Cell Bhopal")  # fmt: skip
    mumbai = complaint_body("MH-MUM", ("phone", number), police_station="Cyber Police Station West")
    kolkata = complaint_body("WB-KOL", ("upi", upi), police_station="Lalbazar Cyber PS")
    data = [
        *(c[key] for c in (bhopal, mumbai, kolkata) for key in ("complaint_id", "police_station")),
        *(name for pair in DISTRICTS.values() for name in pair), EXAMPLE_PHONE,
    ]  # fmt: skip

    # The sign-in page in the browser's English; the officer picks Hindi, mistypes the password.
    account = officer.enrolled("MP-BPL")
    data.append(account.name)  # the officer's own name, as the account has it
    officer.open("/console/sign-in")
    officer.click('.languages a[lang="hi"]')
    officer.until(lambda _: officer.heading() == hindi.gettext("Sign in"))
    officer.browser.find_element(By.ID, "username").send_keys(
        account.username, Keys.TAB, "not the password", Keys.TAB, "123456", Keys.ENTER
    )
    wrong = hindi.gettext("The username or password is not right. Check them and try again.")
    officer.until(lambda _: officer.text("#sign-in-error") == wrong)
    assert officer.browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "hi"
    assert english_words(officer, data) == set()
    assert devanagari_font_loaded(officer)
    officer.screenshot("hi-sign-in")

    # Bhopal's officer: its inbox, live, in Hindi.
    code = code_at(account.totp_secret, time.time())
    officer.browser.find_element(By.ID, "username").send_keys(
        account.username, Keys.TAB, OFFICER_PASSWORD, Keys.TAB, code, Keys.ENTER
    )
    officer.until(lambda _: officer.heading() == hindi.gettext("Alerts for your district"))
    for complaint in (bhopal, mumbai, kolkata):
        pipeline.post(complaint)
    shared = hindi.gettext("Identifier shared with other complaints")
    group = hindi.gettext("Complaints linked into one group")
    officer.until(lambda _: officer.row_link(group) is not None)
    officer.until(lambda _: officer.row_link(shared) is not None)
    assert english_words(officer, data) == set()
    officer.screenshot("hi-inbox")

    # The alert: the reason worded in Hindi from the alert's facts.
    officer.open_row(shared)
    assert hindi.gettext("Why you are seeing this") in officer.browser.page_source
    assert english_words(officer, data) == set()
    officer.screenshot("hi-alert")

    # The group's picture.
    officer.open("/console/inbox")
    officer.open_row(group)
    officer.click("#cluster-link")
    officer.until(lambda _: officer.heading() == hindi.gettext("Linked complaints"))
    assert len(officer.browser.find_elements(By.CSS_SELECTOR, "#cluster-picture .complaint")) == 3
    assert english_words(officer, data) == set()
    assert devanagari_font_loaded(officer)
    officer.screenshot("hi-cluster")
