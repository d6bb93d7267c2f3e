"""The district console against a real notifier: officers' sign-in (password and code) and
sessions, CSRF on every action, each role reaching only its own pages, and a district only
ever reaching its own alerts (another district's pages answer 404)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from crosslink.i18n import translator
from harness.processes import metric_value
from schemas.events import AlertRaised, ClusterSummary, LinkWithdrawn
from schemas.topics import COMPLAINTS_FILED, LINK_WITHDRAWN
from services.notifier.accounts.credentials import code_at
from services.notifier.accounts.roles import Role
from services.notifier.config import DEV_CONSOLE_SESSION_KEY
from services.notifier.console import sessions
from services.notifier.console.guard import SESSION_COOKIE
from tests.builders import OFFICER_PASSWORD, alert_raised
from tests.conftest import api_key, read_topic, wait_for
from tests.integration.notifier.conftest import MARATHI_DISTRICT, Notifier, Officer

pytestmark = pytest.mark.integration
OURS, THEIRS = "KA-BLR", "GJ-AMD"
FONT = Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf")


@pytest.fixture
def stranger(notifier: Notifier) -> Iterator[Officer]:
    never_signed_in = Officer(notifier)
    yield never_signed_in
    never_signed_in.close()


@pytest.fixture(scope="module")
def alerts(notifier: Notifier) -> dict[str, AlertRaised]:
    """An alert in our district only, and one in another district only."""
    published = {district: alert_raised(district) for district in (OURS, THEIRS)}
    notifier.publish(*published.values())
    for district, alert in published.items():
        notifier.wait_for_inbox(district, alert.alert_id)
    return published


def status_of(notifier: Notifier, district: str, alert_id: str) -> str:
    status: str = notifier.inbox_item(district, alert_id).json()["status"]
    return status


def sign_ins(notifier: Notifier, result: str) -> float:
    return metric_value(
        notifier.process.metrics_url, "crosslink_console_sign_ins_total", result=result
    )


def test_signing_in_sets_an_http_only_same_site_cookie_and_opens_the_inbox(
    notifier: Notifier, stranger: Officer
) -> None:
    response = stranger.sign_in(notifier.enrol(OURS))

    assert response.status_code == 303
    assert response.headers["location"] == "/console/inbox"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here; over https it is Secure


def test_a_wrong_code_after_the_right_password_is_refused_and_counted(
    notifier: Notifier, stranger: Officer
) -> None:
    account = notifier.enrol(OURS)
    wrong = f"{(int(code_at(account.totp_secret, time.time())) + 1) % 1_000_000:06d}"
    before = sign_ins(notifier, "wrong_code")

    response = stranger.sign_in(account, code=wrong)

    assert response.status_code == 401
    assert "The code is not right" in response.text
    assert SESSION_COOKIE not in stranger.http.cookies
    assert sign_ins(notifier, "wrong_code") == before + 1
    assert stranger.http.get("/console/inbox").headers["location"] == "/console/sign-in"
    entries, _ = notifier.audit_trail()
    refused = [e.event for e in entries if e.event.actor == f"officer:{account.username}"]
    assert [(e.action, e.detail) for e in refused] == [
        ("officer.sign_in_refused", '{"result":"wrong_code","role":"investigating_officer"}')
    ]


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(
    notifier: Notifier, stranger: Officer
) -> None:
    account = notifier.enrol(OURS)
    unknown = replace(account, username="nobody-by-this-name")

    wrong_password = stranger.sign_in(account, password="not the password at all")
    unknown_name = stranger.sign_in(unknown)

    assert wrong_password.status_code == unknown_name.status_code == 401
    assert "username or password is not right" in wrong_password.text
    assert "username or password is not right" in unknown_name.text
    assert SESSION_COOKIE not in stranger.http.cookies


def test_a_district_api_key_does_not_sign_in_to_the_console(stranger: Officer) -> None:
    """Keys are for machines; people sign in with their own accounts."""
    token = stranger.csrf("/console/sign-in")

    response = stranger.http.post(
        "/console/sign-in",
        data={"api_key": api_key(OURS), "username": OURS, "password": api_key(OURS),
              "csrf_token": token},
    )  # fmt: skip

    assert response.status_code == 401
    assert SESSION_COOKIE not in stranger.http.cookies


def test_disabling_an_account_ends_its_open_session(notifier: Notifier) -> None:
    account, officer = notifier.enrol(OURS), Officer(notifier)
    officer.sign_in(account)
    assert officer.http.get("/console/inbox").status_code == 200

    notifier.set_status(account.username, "disabled")

    assert officer.http.get("/console/inbox").headers["location"] == "/console/sign-in"
    assert "account is disabled" in officer.sign_in(account).text
    officer.close()


def test_sign_in_without_the_forms_csrf_token_is_refused(
    notifier: Notifier, stranger: Officer
) -> None:
    account = notifier.enrol(OURS)
    stranger.csrf("/console/sign-in")

    response = stranger.http.post(
        "/console/sign-in",
        data={"username": account.username, "password": OFFICER_PASSWORD,
              "code": code_at(account.totp_secret, time.time())},
    )  # fmt: skip

    assert response.status_code == 403
    assert SESSION_COOKIE not in stranger.http.cookies


def test_the_inbox_lists_the_districts_alert_and_counts_it_unacknowledged(
    officer: Officer, alerts: dict[str, AlertRaised]
) -> None:
    page = officer.http.get("/console/inbox")
    updates = officer.http.get("/console/inbox/updates").json()

    assert page.status_code == 200
    assert f"/console/alerts/{alerts[OURS].alert_id}" in page.text
    assert alerts[THEIRS].alert_id not in page.text
    assert alerts[OURS].alert_id in updates["rows"]
    assert updates["unacknowledged"] >= 1


def test_acknowledging_moves_the_alert_on_and_the_page_shows_it(
    notifier: Notifier, officer: Officer
) -> None:
    alert = alert_raised(OURS)
    notifier.publish(alert)
    notifier.wait_for_inbox(OURS, alert.alert_id)

    response = officer.act(alert.alert_id, "acknowledged")

    assert response.status_code == 303
    page = officer.http.get(response.headers["location"])
    assert 'id="alert-status">Acknowledged<' in page.text
    assert status_of(notifier, OURS, alert.alert_id) == "acknowledged"


def test_an_action_without_a_csrf_token_is_refused_and_changes_nothing(
    notifier: Notifier, officer: Officer, alerts: dict[str, AlertRaised]
) -> None:
    alert_id = alerts[OURS].alert_id
    before = status_of(notifier, OURS, alert_id)

    response = officer.http.post(
        f"/console/alerts/{alert_id}/status", data={"status": "closed", "note": "forged"}
    )

    assert response.status_code == 403
    assert status_of(notifier, OURS, alert_id) == before


def test_a_csrf_token_from_another_session_is_refused_and_changes_nothing(
    notifier: Notifier, officer: Officer, alerts: dict[str, AlertRaised]
) -> None:
    alert_id = alerts[OURS].alert_id
    other = Officer(notifier)
    other.sign_in(notifier.enrol(OURS))
    others_token = other.csrf(f"/console/alerts/{alert_id}")
    before = status_of(notifier, OURS, alert_id)

    response = officer.act(alert_id, "closed", "forged", csrf=others_token)

    assert response.status_code == 403
    assert status_of(notifier, OURS, alert_id) == before
    other.close()


def test_closing_without_a_note_is_refused_and_changes_nothing(
    notifier: Notifier, officer: Officer, alerts: dict[str, AlertRaised]
) -> None:
    alert_id = alerts[OURS].alert_id
    before = status_of(notifier, OURS, alert_id)

    response = officer.act(alert_id, "closed", note="")

    assert response.status_code == 422
    assert "Write a note" in response.text
    assert status_of(notifier, OURS, alert_id) == before


def test_an_alert_links_to_the_group_its_complaints_now_belong_to(
    notifier: Notifier, officer: Officer
) -> None:
    pair = alert_raised(OURS, THEIRS)
    third = alert_raised("KL-TVM").cases[0]
    group = alert_raised(OURS, kind="cluster_linked").model_copy(
        update={
            "cases": (*pair.cases, third),
            "cluster": ClusterSummary(
                cluster_id=f"cl-{uuid.uuid4().hex}",
                size=3,
                districts=(OURS, THEIRS, "KL-TVM"),
                path=(),
            ),
        }
    )
    notifier.publish(pair, group)
    notifier.wait_for_inbox(OURS, pair.alert_id)
    notifier.wait_for_inbox(OURS, group.alert_id)

    page = officer.http.get(f"/console/alerts/{pair.alert_id}").text

    assert f'href="/console/alerts/{group.alert_id}/cluster" id="group-link"' in page


@pytest.mark.parametrize("path", ["/console/alerts/{}", "/console/alerts/{}/cluster"])
def test_another_districts_alert_and_cluster_answer_404(
    officer: Officer, alerts: dict[str, AlertRaised], path: str
) -> None:
    response = officer.http.get(path.format(alerts[THEIRS].alert_id))

    assert response.status_code == 404
    assert alerts[THEIRS].cases[0].complaint_id not in response.text


def test_acting_on_another_districts_alert_answers_404_and_changes_nothing(
    notifier: Notifier, officer: Officer, alerts: dict[str, AlertRaised]
) -> None:
    alert_id = alerts[THEIRS].alert_id
    token = officer.csrf("/console/inbox")

    response = officer.act(alert_id, "closed", "not ours", csrf=token)

    assert response.status_code == 404
    assert status_of(notifier, THEIRS, alert_id) == "new"


def test_an_expired_session_is_sent_to_sign_in(notifier: Notifier, stranger: Officer) -> None:
    account = notifier.enrol(OURS)
    expired = sessions.new_session(
        username=account.username, district=OURS, stamp=account.stamp,
        now=time.time() - 3600, lifetime_s=60,
    )  # fmt: skip
    stranger.http.cookies.set(
        SESSION_COOKIE, sessions.seal(expired, DEV_CONSOLE_SESSION_KEY.encode())
    )

    response = stranger.http.get("/console/inbox")

    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?expired=true"
    assert "ended" in stranger.http.get(response.headers["location"]).text


def test_a_cookie_not_signed_by_the_console_is_sent_to_sign_in(
    notifier: Notifier, stranger: Officer
) -> None:
    account = notifier.enrol(OURS)
    forged = sessions.new_session(
        username=account.username, district=OURS, stamp=account.stamp,
        now=time.time(), lifetime_s=3600,
    )  # fmt: skip
    stranger.http.cookies.set(SESSION_COOKIE, sessions.seal(forged, b"not the console's key"))

    response = stranger.http.get("/console/inbox")

    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in"


def test_after_signing_out_the_old_cookie_no_longer_opens_anything(
    notifier: Notifier, officer: Officer
) -> None:
    cookie = officer.http.cookies[SESSION_COOKIE]
    token = officer.csrf("/console/inbox")

    signed_out = officer.http.post("/console/sign-out", data={"csrf_token": token})
    replayed = httpx.get(
        f"{notifier.process.base_url}/console/inbox", cookies={SESSION_COOKIE: cookie}
    )

    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/console/sign-in?signed_out=true"
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/console/sign-in"


def test_signing_out_needs_the_csrf_token(officer: Officer) -> None:
    response = officer.http.post("/console/sign-out", data={})

    assert response.status_code == 403
    assert officer.http.get("/console/inbox").status_code == 200


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.REGISTRY_ADMINISTRATOR])
def test_the_operations_roles_see_the_operations_page_and_no_district_inbox(
    notifier: Notifier, stranger: Officer, role: Role
) -> None:
    signed_in = stranger.sign_in(notifier.enrol(role=role))

    assert signed_in.headers["location"] == "/console/operator"
    assert stranger.http.get("/console/operator").status_code == 200
    assert stranger.http.get("/console/inbox").status_code == 404


def test_the_operations_page_lists_a_hub_identifier_among_the_hubs(
    notifier: Notifier, stranger: Officer
) -> None:
    hub = alert_raised(OURS, kind="hub_identifier").model_copy(
        update={"audience": "operators", "reason": f"Hub {uuid.uuid4().hex}: named by 30"}
    )
    notifier.publish(hub)
    wait_for(lambda: notifier.operator_alerts(hub.alert_id))
    stranger.sign_in(notifier.enrol(role=Role.OPERATOR))

    page = stranger.http.get("/console/operator").text

    hubs = page[page.index('id="hubs"') : page.index('id="dead_letters"')]
    assert hub.reason in hubs


def test_a_district_does_not_see_the_operations_page(officer: Officer) -> None:
    assert officer.http.get("/console/operator").status_code == 404
    assert officer.http.get("/console/state").status_code == 404


def test_a_state_nodal_officer_sees_the_states_districts_and_no_district_alert(
    notifier: Notifier, stranger: Officer, alerts: dict[str, AlertRaised]
) -> None:
    state = OURS[:2]  # the test directory's states are the codes' first letters
    signed_in = stranger.sign_in(notifier.enrol(role=Role.STATE_NODAL_OFFICER, state=state))

    assert signed_in.headers["location"] == "/console/state"
    page = stranger.http.get("/console/state").text
    assert f"<td>{OURS}</td>" in page
    assert f"<td>{THEIRS}</td>" not in page
    assert stranger.http.get(f"/console/alerts/{alerts[THEIRS].alert_id}").status_code == 404
    assert stranger.http.get("/console/operator").status_code == 404


def test_console_pages_forbid_framing_and_caching(officer: Officer) -> None:
    response = officer.http.get("/console/inbox")

    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_the_console_opens_in_the_district_s_language_and_an_officer_s_choice_is_remembered(
    notifier: Notifier,
) -> None:
    marathi, english = translator("mr"), translator("en")
    officer = Officer(notifier)
    try:
        # Before sign-in, the browser's language; after, the district's own (Marathi).
        page = officer.http.get("/console/sign-in", headers={"Accept-Language": "hi"})
        assert '<html lang="hi">' in page.text
        assert page.headers["content-security-policy"].count("font-src 'self'") == 1
        assert officer.sign_in(notifier.enrol(MARATHI_DISTRICT)).status_code == 303
        inbox = officer.http.get("/console/inbox", headers={"Accept-Language": "en"})
        assert '<html lang="mr">' in inbox.text
        assert marathi.gettext("Alerts for your district") in inbox.text

        # The officer switches to English, and is taken back to the page they were on.
        back = f"{notifier.process.base_url}/console/inbox?status=new"
        switched = officer.http.get("/console/language/en", headers={"Referer": back})
        assert switched.status_code == 303
        assert switched.headers["location"] == "/console/inbox?status=new"
        again = officer.http.get("/console/inbox")
        assert '<html lang="en">' in again.text
        assert english.gettext("Alerts for your district") in again.text

        # Only ever back to a page of this console; after a refused form, to the form's page.
        for referer, location in (
            ("https://evil.example/elsewhere", "/console"),
            ("https://evil.example//console/x", "/console"),
            (f"{notifier.process.base_url}/console/alerts/a-1/status", "/console/alerts/a-1"),
        ):
            switched = officer.http.get("/console/language/hi", headers={"Referer": referer})
            assert switched.headers["location"] == location
        assert "Max-Age=31536000" in switched.headers["set-cookie"]
        assert "HttpOnly" in switched.headers["set-cookie"]
        assert officer.http.get("/console/language/ta").status_code == 404

        # A district without a language in the directory: each officer's browser decides.
        other = Officer(notifier)
        assert other.sign_in(notifier.enrol(OURS)).status_code == 303
        page = other.http.get("/console/inbox", headers={"Accept-Language": "hi-IN,hi"})
        other.close()
        assert '<html lang="hi">' in page.text
    finally:
        officer.close()


@pytest.mark.skipif(not FONT.is_file(), reason="Debian's fonts-noto-core is not installed")
def test_the_console_serves_its_devanagari_font_and_nothing_else_from_the_fonts_folder(
    stranger: Officer,
) -> None:
    font = stranger.http.get("/console/fonts/devanagari-regular.ttf")

    assert font.status_code == 200
    assert font.headers["content-type"] == "font/ttf"
    assert font.content == FONT.read_bytes()
    assert stranger.http.get("/console/fonts/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert stranger.http.get("/console/fonts/NotoSans-Regular.ttf").status_code == 404


def test_the_console_port_serves_no_metrics_and_the_monitoring_port_does(
    notifier: Notifier, stranger: Officer
) -> None:
    """The metrics count each district's alerts: only the monitoring system may read them."""
    assert stranger.http.get("/metrics").status_code == 404
    assert stranger.http.get("/metrics/").status_code == 404

    monitoring = httpx.get(f"{notifier.process.metrics_url}/metrics", timeout=10)

    assert monitoring.status_code == 200
    assert "crosslink_notifier_alerts_total" in monitoring.text


def test_what_officers_and_keys_open_and_change_is_on_the_audit_trail_unbroken(
    notifier: Notifier, stranger: Officer
) -> None:
    alert = alert_raised(OURS)
    notifier.publish(alert)
    notifier.wait_for_inbox(OURS, alert.alert_id)  # the integrator's key reads it (audited)
    account = notifier.enrol(OURS)
    stranger.sign_in(account)

    stranger.http.get(f"/console/alerts/{alert.alert_id}/cluster")
    stranger.act(alert.alert_id, "acknowledged")

    wait_for(lambda: notifier.audit_trail(against_kafka=True)[1] is None)  # copied, unchanged
    entries, broken = notifier.audit_trail()
    assert broken is None
    done = [(e.event.actor, e.event.action, e.event.district, e.event.target) for e in entries]
    by_officer, by_key = f"officer:{account.username}", f"key:{OURS}"
    assert (by_officer, "officer.signed_in", OURS, None) in done
    for action in ("cluster.viewed", "alert.viewed", "alert.status_changed"):
        assert (by_officer, action, OURS, alert.alert_id) in done
    assert (by_key, "alert.viewed", OURS, alert.alert_id) in done
    changed = next(e for e in entries if e.event.action == "alert.status_changed"
                   and e.event.target == alert.alert_id)  # fmt: skip
    assert '"status":"acknowledged"' in changed.event.detail


def test_a_state_nodal_officer_reads_the_states_audit_trail_and_no_other(
    notifier: Notifier, stranger: Officer, alerts: dict[str, AlertRaised]
) -> None:
    ours, theirs = Officer(notifier), Officer(notifier)
    ours.sign_in(account := notifier.enrol(OURS))
    theirs.sign_in(other := notifier.enrol(THEIRS))
    ours.http.get(f"/console/alerts/{alerts[OURS].alert_id}")
    theirs.http.get(f"/console/alerts/{alerts[THEIRS].alert_id}")
    stranger.sign_in(notifier.enrol(role=Role.STATE_NODAL_OFFICER, state=OURS[:2]))

    page = stranger.http.get("/console/audit")

    assert page.status_code == 200
    assert f"officer:{account.username}" in page.text
    assert alerts[OURS].alert_id in page.text
    assert f"officer:{other.username}" not in page.text
    assert alerts[THEIRS].alert_id not in page.text
    assert ours.http.get("/console/audit").status_code == 404
    ours.close()
    theirs.close()


def test_an_operator_creates_and_disables_an_account_on_the_accounts_page(
    notifier: Notifier, stranger: Officer
) -> None:
    operator = notifier.enrol(role=Role.OPERATOR)
    stranger.sign_in(operator)
    username = f"blr-{uuid.uuid4().hex[:8]}"
    form = {"username": username, "name": "SI K. Rao", "role": "investigating_officer",
            "district": OURS, "state": "", "password": OFFICER_PASSWORD}  # fmt: skip

    created = stranger.http.post(
        "/console/officers", data={**form, "csrf_token": stranger.csrf("/console/officers")}
    )
    secret = re.search(r'id="created-secret">([A-Z2-7]+)<', created.text)
    assert created.status_code == 200
    assert secret is not None
    newcomer = Officer(notifier)
    account = replace(operator, username=username, totp_secret=secret.group(1))
    assert newcomer.sign_in(account).headers["location"] == "/console/inbox"
    disabled = stranger.http.post(
        f"/console/officers/{username}/status",
        data={"status": "disabled", "csrf_token": stranger.csrf("/console/officers")},
    )

    assert disabled.status_code == 303
    assert newcomer.http.get("/console/inbox").headers["location"] == "/console/sign-in"
    taken = stranger.http.post(
        "/console/officers", data={**form, "csrf_token": stranger.csrf("/console/officers")}
    )
    assert taken.status_code == 422
    assert f"already an account named {username}" in taken.text
    entries, broken = notifier.audit_trail()
    assert broken is None
    done = {(e.event.actor, e.event.action, e.event.target) for e in entries}
    assert {(f"officer:{operator.username}", "officer.created", username),
            (f"officer:{operator.username}", "officer.disabled", username)} <= done  # fmt: skip
    newcomer.close()


@pytest.mark.parametrize("role", [Role.REGISTRY_ADMINISTRATOR, Role.DISTRICT_SUPERVISOR])
def test_only_an_operator_reaches_the_accounts_page(
    notifier: Notifier, stranger: Officer, role: Role
) -> None:
    district = OURS if role is Role.DISTRICT_SUPERVISOR else None
    stranger.sign_in(notifier.enrol(district, role=role))

    assert stranger.http.get("/console/officers").status_code == 404


def test_an_officer_changes_their_password_and_signs_in_again_with_it(
    notifier: Notifier, stranger: Officer
) -> None:
    account = notifier.enrol(OURS)
    stranger.sign_in(account)
    old_cookie = stranger.http.cookies[SESSION_COOKIE]
    new = "a much longer new passphrase"

    def change(current: str, new: str, repeat: str) -> httpx.Response:
        form = {"current": current, "new": new, "repeat": repeat}
        token = stranger.csrf("/console/password")
        return stranger.http.post("/console/password", data={**form, "csrf_token": token})

    wrong = change("not the password at all", new, new)
    mismatched = change(OFFICER_PASSWORD, new, new + "!")
    changed = change(OFFICER_PASSWORD, new, new)

    assert wrong.status_code == mismatched.status_code == 422
    assert "current password is not right" in wrong.text
    assert "not the same" in mismatched.text
    assert changed.headers["location"] == "/console/sign-in?password_changed=true"
    replayed = httpx.get(
        f"{notifier.process.base_url}/console/inbox", cookies={SESSION_COOKIE: old_cookie}
    )
    assert replayed.headers["location"] == "/console/sign-in"  # every session of it ended
    next_code = code_at(account.totp_secret, time.time() + 30)  # this step's code is used
    assert stranger.sign_in(account, code=next_code).status_code == 401  # the old password
    again = stranger.sign_in(account, password=new, code=next_code)
    assert again.headers["location"] == "/console/inbox"
    entries, _ = notifier.audit_trail()
    assert any(
        e.event.action == "officer.password_changed" and e.event.target == account.username
        for e in entries
    )


def test_not_linked_goes_to_the_matcher_on_both_topics_then_on_the_trail(
    notifier: Notifier, officer: Officer
) -> None:
    alert = alert_raised(OURS, THEIRS)
    notifier.publish(alert)
    notifier.wait_for_inbox(OURS, alert.alert_id)
    ours = alert.cases[0]

    said = officer.not_linked(alert.alert_id, ours.complaint_id, "wrong_entry")

    assert said.status_code == 303
    page = officer.http.get(f"/console/alerts/{alert.alert_id}").text
    assert f"Complaint {ours.complaint_id}: not linked, because it was entered wrongly" in page
    for topic in (LINK_WITHDRAWN, COMPLAINTS_FILED):
        sent = [
            LinkWithdrawn.model_validate_json(r.value)
            for r in read_topic(notifier.kafka.access, topic.name)
            if b'"withdrawal_id"' in r.value
        ]
        assert [(w.case, w.reason, w.alert_id) for w in sent if w.case == ours] == [
            (ours, "wrong_entry", alert.alert_id)
        ]
    entries, broken = notifier.audit_trail()
    assert broken is None
    actions = [e.event.action for e in entries if e.event.target == alert.alert_id]
    assert actions.count("link.not_linked") == 1


def test_not_linked_for_another_districts_complaint_is_refused_and_changes_nothing(
    notifier: Notifier, officer: Officer
) -> None:
    alert = alert_raised(OURS, THEIRS)
    notifier.publish(alert)
    notifier.wait_for_inbox(OURS, alert.alert_id)

    said = officer.not_linked(alert.alert_id, alert.cases[1].complaint_id, "victims_own")

    assert said.status_code == 422
    assert "Choose one of your complaints in this alert" in said.text
    assert "not linked, because" not in said.text


def test_a_confirmed_link_and_a_not_linked_word_reach_the_state_view(
    notifier: Notifier, officer: Officer, stranger: Officer
) -> None:
    confirmed, withdrawn = alert_raised(OURS, THEIRS), alert_raised(OURS, THEIRS)
    notifier.publish(confirmed, withdrawn)
    for alert in (confirmed, withdrawn):
        notifier.wait_for_inbox(OURS, alert.alert_id)

    bad = officer.confirm(confirmed.alert_id, fir_number="12/2026", arrests="-1")
    assert bad.status_code == 422
    assert "Check “Arrests”" in bad.text
    good = officer.confirm(confirmed.alert_id, fir_number="12/2026", arrests="3",
                           amount_frozen="250000", amount_recovered="40000")  # fmt: skip
    assert good.status_code == 303
    said = officer.not_linked(withdrawn.alert_id, withdrawn.cases[0].complaint_id, "victims_own")
    assert said.status_code == 303

    stranger.sign_in(notifier.enrol(role=Role.STATE_NODAL_OFFICER, state=OURS[:2]))
    page = stranger.http.get("/console/state").text
    row = re.search(rf'<tr data-district="{OURS}">(.*?)</tr>', page)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
    alerts, _, confirmations, not_linked, firs, arrests, frozen, recovered = cells[1:]
    assert int(alerts) >= 2
    assert (confirmations, firs, arrests) == ("1", "1", "3")
    assert (frozen, recovered) == ("2,50,000", "40,000")
    assert int(not_linked) >= 1
