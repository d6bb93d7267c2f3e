"""A notifier SIGKILLed after the receiver answered 2xx, before it could record the delivery or
commit the alert's offset: the restarted notifier re-consumes the alert, stores nothing twice,
and re-sends the same webhook-id, which a deduplicating receiver processes once."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from kafka import KafkaAdminClient

from crosslink.kafka_access import KafkaAccess
from harness.receiver import Reply
from schemas.topics import ALERT_RAISED
from services.notifier.routing import delivery_id
from tests.builders import alert_raised
from tests.conftest import wait_for, wait_until_consumed
from tests.integration.notifier.conftest import NotifierFactory

pytestmark = pytest.mark.integration


def committed_offsets(kafka: KafkaAccess, group: str) -> dict[object, int]:
    admin = KafkaAdminClient(**kafka.options())
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    finally:
        admin.close()


def test_a_notifier_killed_after_a_2xx_resends_the_same_webhook_id_and_stores_one_delivery(
    notifiers: NotifierFactory,
) -> None:
    group = f"crosslink-notifier-crash-{uuid.uuid4().hex[:8]}"
    first = notifiers.start(CROSSLINK_NOTIFIER_GROUP_ID=group, CROSSLINK_COMMIT_INTERVAL_S="3600")
    pid = first.process.process.pid
    alert = alert_raised("KA-BLR")
    sent = delivery_id("webhook", alert.alert_id, "KA-BLR", "alert")
    # Stopped before the answer exists, killed once it is sent: the notifier never reads it.
    first.receiver.script(
        sent,
        Reply(204, before=lambda: os.kill(pid, signal.SIGSTOP),
              after=lambda: os.kill(pid, signal.SIGKILL)),
    )  # fmt: skip

    first.publish(alert)
    first.process.process.wait(timeout=120)

    assert first.process.process.returncode == -signal.SIGKILL
    assert committed_offsets(first.kafka.access, group) == {}
    second = notifiers.start(CROSSLINK_NOTIFIER_GROUP_ID=group)
    wait_for(lambda: len(second.receiver.requests_for(sent)) == 2)
    wait_until_consumed(second.kafka.access, group, ALERT_RAISED.name)

    assert [r.processed for r in second.receiver.requests_for(sent)] == [True, False]
    assert second.receiver.requests_for(sent)[1].duplicate
    second.wait_for_delivery("KA-BLR", alert.alert_id, "delivered")
    item = second.inbox_item("KA-BLR", alert.alert_id).json()
    assert [(d["channel"], d["status"]) for d in item["deliveries"]] == [("webhook", "delivered")]
