"""An alert nobody acknowledged in time is re-notified once; an acknowledged one is not."""

from __future__ import annotations

import pytest

from harness.processes import metric_value
from services.notifier.routing import delivery_id
from tests.builders import alert_raised
from tests.conftest import api_key, wait_for
from tests.integration.notifier.conftest import Notifier, NotifierFactory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def notifier(notifiers: NotifierFactory) -> Notifier:
    return notifiers.start(CROSSLINK_ESCALATE_AFTER_S="2")


def test_an_unacknowledged_alert_is_re_notified_once(notifier: Notifier) -> None:
    ignored, acknowledged = alert_raised("KA-BLR"), alert_raised("KA-BLR")
    notifier.publish(ignored, acknowledged)
    notifier.wait_for_inbox("KA-BLR", acknowledged.alert_id)
    notifier.post(
        f"/v1/inbox/alerts/{acknowledged.alert_id}/status", api_key("KA-BLR"),
        {"status": "acknowledged"},
    )  # fmt: skip

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
