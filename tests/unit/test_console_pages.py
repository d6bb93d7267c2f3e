"""The console's pages render in the reader's language, and show masked identifiers only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from crosslink.directory import District
from crosslink.i18n import translator
from crosslink.reasons import WITHDRAWAL_REASONS, reason_of
from schemas.api import DeliveryState, InboxAlert, InboxMove, InboxStatus, OperatorAlert
from schemas.events import AlertKind
from services.notifier.accounts.roles import Role
from services.notifier.console.guard import SignedIn
from services.notifier.console.pages import render_text
from services.notifier.console.picture import draw
from services.notifier.console.routes import OPERATOR_SECTIONS, _to_call
from services.notifier.console.sessions import new_session
from services.notifier.console.texts import LABELS
from services.notifier.routing import district_view
from services.notifier.store.feedback import AlertFeedback
from tests.builders import alert_raised, officer_account
from tests.unit.test_arrests import arrest, record
from tests.unit.test_clustering import MUM1, PHONE, Clustering

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ENGLISH, HINDI = translator("en"), translator("hi")
NO_FEEDBACK = {
    "feedback": AlertFeedback(),
    "linked": [],
    "may_withdraw": False,
    "reasons": WITHDRAWAL_REASONS,
}
MUMBAI = District(code="MH-MUM", name="Mumbai", state="Maharashtra")
OFFICER = officer_account()
SIGNED_IN = SignedIn(
    new_session(username="mum.io", district="MH-MUM", stamp=OFFICER.stamp, now=0, lifetime_s=1),
    "csrf-token-value",
    OFFICER,
    [MUMBAI],
)


def inbox_alert(status: InboxStatus = "new") -> InboxAlert:
    alert = alert_raised("MH-MUM", "MP-BPL")
    return InboxAlert(
        alert_id=alert.alert_id, kind=alert.kind, status=status, note=None, created_at=NOW,
        updated_at=NOW, acknowledged_at=None, reminders=0,
        alert=district_view(alert, "MH-MUM"), deliveries=[],
    )  # fmt: skip


def test_every_status_kind_and_action_has_words() -> None:
    assert set(LABELS["statuses"]) == set(get_args(InboxStatus))
    assert set(LABELS["kinds"]) == set(LABELS["kind_meanings"]) == set(get_args(AlertKind))
    assert set(LABELS["actions"]) == set(get_args(InboxMove))
    assert set(LABELS["operator_sections"]) == set(OPERATOR_SECTIONS)
    for group, field_ in (("channels", "channel"), ("purposes", "purpose"),
                          ("delivery_states", "status")):  # fmt: skip
        assert set(LABELS[group]) == set(get_args(DeliveryState.model_fields[field_].annotation))


@pytest.mark.parametrize("status", get_args(InboxStatus))
def test_an_alert_page_shows_the_masked_identifier_and_never_the_token(status: str) -> None:
    item = inbox_alert(status)  # type: ignore[arg-type]
    contacts = [("MP-BPL", None)]

    page = render_text(
        "alert.html", ENGLISH, signed_in=SIGNED_IN, item=item, contacts=contacts,
        saved=False, error=None, actions=["acknowledged"], **NO_FEEDBACK,
    )  # fmt: skip

    assert '<html lang="en">' in page
    assert "+91 98•••••210" in page
    assert item.alert.identifier is not None
    assert item.alert.identifier.token not in page
    assert 'name="csrf_token" value="csrf-token-value"' in page


def test_the_cluster_page_draws_an_svg_with_a_text_legend() -> None:
    item = inbox_alert()

    page = render_text(
        "cluster.html", ENGLISH, signed_in=SIGNED_IN, item=item, picture=draw(item.alert, ENGLISH)
    )

    assert "<svg" in page
    assert "MP-BPL" in page
    assert "MH-MUM (your district)" in page
    assert item.alert.identifier is not None
    assert item.alert.identifier.token not in page


def test_text_from_an_alert_is_escaped() -> None:
    item = inbox_alert()
    hostile = item.model_copy(update={"note": "<script>alert(1)</script>"})

    page = render_text(
        "alert.html", ENGLISH, signed_in=SIGNED_IN, item=hostile, contacts=[],
        saved=False, error=None, actions=[], **NO_FEEDBACK,
    )  # fmt: skip

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_the_operations_page_lists_each_kind_of_trouble_in_its_own_table() -> None:
    account = officer_account("ops.desk", role=Role.OPERATOR, district=None)
    operator = SignedIn(
        new_session(username="ops.desk", district=None, stamp=account.stamp, now=0, lifetime_s=1),
        "csrf-token-value",
        account,
        [],
    )
    dead = OperatorAlert(
        operator_alert_id="op-1", kind="delivery_dead_lettered", reason="gave up after 8 tries",
        district="MH-MUM", alert_id="a-1", delivery_id="d-1", raised_at=NOW,
    )  # fmt: skip

    page = render_text(
        "operator.html", ENGLISH, signed_in=operator,
        sections={"hubs": [], "dead_letters": [dead], "delivery_failures": []},
        counts=[(("webhook", "dead"), 2)], disabled=[("MH-MUM", "https://cms.example/hook")],
    )  # fmt: skip

    dead_letters = page[page.index('id="dead_letters"') : page.index('id="delivery_failures"')]
    assert "gave up after 8 tries" in dead_letters
    assert "https://cms.example/hook" in page
    assert page.count(">None.<") == 2  # no hubs, no delivery failures


def test_an_alert_page_gives_the_other_districts_email_and_duty_phone_to_call() -> None:
    bhopal = District(
        code="MP-BPL", name="Bhopal", state="Madhya Pradesh",
        email=("cybercell.bhopal@police.example",), phone=("074104 10123",),
    )  # fmt: skip

    page = render_text(
        "alert.html", ENGLISH, signed_in=SIGNED_IN, item=inbox_alert(),
        contacts=[("MP-BPL", bhopal)], saved=False, error=None, actions=["acknowledged"],
        **NO_FEEDBACK,
    )  # fmt: skip

    assert 'href="mailto:cybercell.bhopal@police.example"' in page
    assert '<a href="tel:+917410410123">+91 74104 10123</a>' in page


def test_an_alert_page_in_hindi_words_the_reason_from_the_facts_and_dates_in_ist() -> None:
    item = inbox_alert()

    page = render_text(
        "alert.html", HINDI, signed_in=SIGNED_IN, item=item, contacts=[],
        saved=False, error=None, actions=["acknowledged"], **NO_FEEDBACK,
    )  # fmt: skip

    assert '<html lang="hi">' in page
    assert item.alert.reason not in page  # the English sentence
    assert reason_of(item.alert, HINDI) in page
    assert HINDI.gettext("Why you are seeing this") in page
    assert "+91 98•••••210" in page
    assert "IST" in page


def test_every_page_offers_each_language_by_its_own_name() -> None:
    page = render_text("sign_in.html", HINDI, csrf="token", message=None, sso=False)

    for code, name in (("en", "English"), ("hi", "हिन्दी"), ("mr", "मराठी")):
        assert f'href="/console/language/{code}" lang="{code}" hreflang="{code}"' in page
        assert f">{name}</a>" in page
    assert 'aria-current="true">हिन्दी' in page


def test_an_arrest_alert_page_says_whom_to_call_in_the_arresting_district() -> None:
    jamtara = District(code="JH-JAM", name="Jamtara", state="Jharkhand", phone=("9431100001",))
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    (raised,) = record(clustering, arrest(PHONE))
    alert = district_view(raised, "MH-MUM")
    item = inbox_alert().model_copy(
        update={"alert_id": raised.alert_id, "kind": "arrest", "alert": alert}
    )

    to_call = _to_call(alert, "MH-MUM")
    page = render_text(
        "alert.html", ENGLISH, signed_in=SIGNED_IN, item=item,
        contacts=[(code, jamtara) for code in to_call], saved=False, error=None,
        actions=["acknowledged"], **NO_FEEDBACK,
    )  # fmt: skip

    assert to_call == ["JH-JAM"]
    assert "Call Insp. R. Murmu on +91 94311 00000." in page
    assert '<a href="tel:+919431100001">+91 94311 00001</a>' in page
    assert MUM1.complaint_id in page
