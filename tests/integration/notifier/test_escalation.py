"""An alert nobody acknowledged in time is re-notified once and escalated to the district's
supervisor, later to the state nodal officer; an acknowledged one is not."""

from __future__ import annotations

import pytest

from harness.processes import metric_value
from schemas.events import AlertRaised
from services.notifier.accounts.roles import Role
from services.notifier.routing import delivery_id
from tests.builders import alert_raised
from tests.conftest import api_key, wait_for
from tests.integration.notifier.conftest import Notifier, NotifierFactory, Officer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def notifier(notifiers: NotifierFactory) -> Notifier:
    return notifiers.start(CROSSLINK_ESCALATE_AFTER_S="2", CROSSLINK_ESCALATE_TO_STATE_AFTER_S="4")


def one_ignored_one_acknowledged(notifier: Notifier) -> tuple[AlertRaised, AlertRaised]:
    """Two alerts for KA-BLR; the integrator acknowledges the second at once."""
    ignored, acknowledged = alert_raised("KA-BLR"), alert_raised("KA-BLR")
    notifier.publish(ignored, acknowledged)
    notifier.wait_for_inbox("KA-BLR", acknowledged.alert_id)
    notifier.post(
        f"/v1/inbox/alerts/{acknowledged.alert_id}/status", api_key("KA-BLR"),
        {"status": "acknowledged"},
    )  # fmt: skip
    return ignored, acknowledged


def test_an_unacknowledged_alert_is_re_notified_once(notifier: Notifier) -> None:
    ignored, acknowledged = one_ignored_one_acknowledged(notifier)

    reminder = delivery_id("webhook", ignored.alert_id, "KA-BLR", "reminder")
    wait_for(lambda: notifier.receiver.processed_once(reminder))
    runs = metric_value(notifier.process.metrics_url, "crosslink_notifier_housekeeping_runs_total")
    wait_for(
        lambda: (
            metric_value(notifier.process.metrics_url, "crosslink_notifier_housekeeping_runs_total")
            >= runs + 3
        )
    )

    [sent] = notifier.receiver.requests_for(reminder)
    assert sent.payload is not None
    assert sent.payload["type"] == "alert.unacknowledged"
    assert notifier.inbox_item("KA-BLR", ignored.alert_id).json()["reminders"] == 1
    not_reminded = delivery_id("webhook", acknowledged.alert_id, "KA-BLR", "reminder")
    assert notifier.receiver.requests_for(not_reminded) == []
    assert notifier.inbox_item("KA-BLR", acknowledged.alert_id).json()["reminders"] == 0
    assert metric_value(notifier.process.metrics_url, "crosslink_notifier_escalations_total") >= 1


def test_an_unacknowledged_alert_reaches_the_supervisor_then_the_state(
    notifier: Notifier,
) -> None:
    ignored, acknowledged = one_ignored_one_acknowledged(notifier)
    supervisor, officer, state = Officer(notifier), Officer(notifier), Officer(notifier)
    supervisor.sign_in(notifier.enrol("KA-BLR", role=Role.DISTRICT_SUPERVISOR))
    officer.sign_in(notifier.enrol("KA-BLR"))
    state.sign_in(notifier.enrol(role=Role.STATE_NODAL_OFFICER, state="KA"))

    wait_for(lambda: ignored.alert_id in supervisor.http.get("/console/overdue").text)
    overdue = supervisor.http.get("/console/overdue").text
    wait_for(lambda: ignored.alert_id in escalated_to_state(state))

    assert acknowledged.alert_id not in overdue
    assert "Escalated to you" in overdue
    assert officer.http.get("/console/overdue").status_code == 404
    assert acknowledged.alert_id not in escalated_to_state(state)
    for session in (supervisor, officer, state):
        session.close()


def escalated_to_state(state: Officer) -> str:
    """The state page's list of alerts escalated to the state (by id, without a link: the
    state nodal officer does not open a district's alert, but can name it to the district)."""
    page = state.http.get("/console/state").text
    return page[page.index('id="escalated"') :]
