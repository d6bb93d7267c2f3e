"""Webhooks are retried on the schedule, honour Retry-After, stop at a 410, and end in a dead
letter with an operator alert when the receiver stays down: nothing fails silently."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.app import app
from harness.processes import metric_value
from harness.receiver import Reply, WebhookReceiver
from services.notifier.routing import delivery_id
from tests.builders import alert_raised
from tests.conftest import OPERATOR_KEY, wait_for, webhook_secret
from tests.integration.notifier.conftest import DOWN_DISTRICT, Notifier

pytestmark = pytest.mark.integration


def webhook_id(alert_id: str, district: str) -> str:
    return delivery_id("webhook", alert_id, district, "alert")


def test_a_500_then_200_is_delivered_once_after_a_retry(notifier: Notifier) -> None:
    alert = alert_raised("KA-BLR", "GJ-AMD")
    sent = webhook_id(alert.alert_id, "KA-BLR")
    notifier.receiver.script(sent, Reply(500))

    notifier.publish(alert)

    wait_for(lambda: len(notifier.receiver.requests_for(sent)) == 2)
    statuses = [r.status for r in notifier.receiver.requests_for(sent)]
    assert statuses == [500, 204]
    webhook = notifier.wait_for_delivery("KA-BLR", alert.alert_id, "delivered")
    assert webhook["attempts"] == 2


def test_a_receiver_that_times_out_is_retried(notifier: Notifier) -> None:
    alert = alert_raised("KA-BLR")
    sent = webhook_id(alert.alert_id, "KA-BLR")
    notifier.receiver.script(sent, Reply(503, delay_s=2.5))  # the notifier waits 1 s

    notifier.publish(alert)

    wait_for(lambda: notifier.receiver.processed_once(sent))
    webhook = notifier.wait_for_delivery("KA-BLR", alert.alert_id, "delivered")
    assert webhook["attempts"] == 2


def test_retry_after_is_honoured(notifier: Notifier) -> None:
    alert = alert_raised("GJ-AMD")
    sent = webhook_id(alert.alert_id, "GJ-AMD")
    notifier.receiver.script(sent, Reply(503, headers={"Retry-After": "2"}))

    notifier.publish(alert)

    wait_for(lambda: len(notifier.receiver.requests_for(sent)) == 2)
    first, second = notifier.receiver.requests_for(sent)
    # The schedule alone would retry after about 0.3 s.
    assert second.at - first.at >= 2.0
    assert second.processed


def test_a_410_disables_the_endpoint_holds_its_webhooks_and_alerts_operators(
    notifier: Notifier,
) -> None:
    gone, held = alert_raised("RJ-JAI"), alert_raised("RJ-JAI")
    notifier.receiver.script(webhook_id(gone.alert_id, "RJ-JAI"), Reply(410))

    notifier.publish(gone)
    wait_for(lambda: notifier.operator_alerts(gone.alert_id))
    notifier.publish(held)
    item = notifier.wait_for_inbox("RJ-JAI", held.alert_id)

    [operator_alert] = notifier.operator_alerts(gone.alert_id)
    assert operator_alert["kind"] == "webhook_endpoint_gone"
    assert operator_alert["district"] == "RJ-JAI"
    assert item["deliveries"][0]["status"] == "held"
    assert notifier.receiver.requests_for(webhook_id(held.alert_id, "RJ-JAI")) == []
    outbox = notifier.get("/v1/operator/outbox", OPERATOR_KEY).json()
    assert "RJ-JAI" in outbox["disabled_endpoints"]

    enabled = notifier.post("/v1/operator/endpoints/RJ-JAI/enable", OPERATOR_KEY)

    assert enabled.status_code == 200
    assert enabled.json()["resumed"] >= 2
    sent = [webhook_id(alert.alert_id, "RJ-JAI") for alert in (gone, held)]
    wait_for(lambda: all(notifier.receiver.processed_once(webhook) for webhook in sent))


def test_a_receiver_down_past_the_last_retry_is_dead_lettered_with_an_operator_alert(
    notifier: Notifier,
) -> None:
    alert = alert_raised(DOWN_DISTRICT)

    notifier.publish(alert)

    wait_for(lambda: notifier.operator_alerts(alert.alert_id))
    [operator_alert] = notifier.operator_alerts(alert.alert_id)
    assert operator_alert["kind"] == "delivery_dead_lettered"
    assert "4 time(s)" in operator_alert["reason"]
    item = notifier.wait_for_inbox(DOWN_DISTRICT, alert.alert_id)
    assert item["deliveries"][0]["status"] == "dead"
    assert item["deliveries"][0]["attempts"] == 4
    dead = metric_value(
        notifier.process.metrics_url, "crosslink_notifier_deliveries_total", result="dead"
    )
    assert dead >= 1


def test_deliveries_latency_and_unacknowledged_age_are_measured(notifier: Notifier) -> None:
    alert = alert_raised("KL-TVM")
    notifier.publish(alert)
    sent = webhook_id(alert.alert_id, "KL-TVM")
    wait_for(lambda: notifier.receiver.processed_once(sent))
    url = notifier.process.metrics_url

    def measured(name: str, **labels: str) -> float:
        return metric_value(url, name, **labels)

    wait_for(lambda: measured("crosslink_notifier_oldest_unacknowledged_alert_age_seconds") > 0)
    assert measured("crosslink_notifier_deliveries_total", channel="webhook", result="delivered")
    assert measured("crosslink_notifier_end_to_end_latency_seconds_count", channel="webhook")
    assert measured("crosslink_notifier_delivery_latency_seconds_count", channel="webhook")
    assert measured(
        "crosslink_notifier_delivery_attempts_total", channel="webhook", outcome="delivered"
    )


def test_an_alert_for_a_district_missing_from_the_directory_alerts_operators(
    notifier: Notifier,
) -> None:
    alert = alert_raised("AP-VJA")  # no such district in the directory

    notifier.publish(alert)

    def kinds() -> set[str]:
        return {a["kind"] for a in notifier.operator_alerts(alert.alert_id)}

    wait_for(lambda: kinds() == {"unknown_district", "delivery_dead_lettered"})
    [unknown] = [
        a for a in notifier.operator_alerts(alert.alert_id) if a["kind"] == "unknown_district"
    ]
    assert unknown["district"] == "AP-VJA"


def test_a_dead_letter_is_delivered_once_an_operator_replays_it_after_the_receiver_is_back(
    notifier: Notifier,
) -> None:
    alert = alert_raised(DOWN_DISTRICT)
    notifier.publish(alert)
    wait_for(lambda: notifier.operator_alerts(alert.alert_id))
    directory = yaml.safe_load(Path(notifier.process.env["CROSSLINK_DISTRICTS_FILE"]).read_text())
    [down] = [d for d in directory["districts"] if d["code"] == DOWN_DISTRICT]
    port = int(str(down["webhook"]["url"]).split(":")[2].split("/")[0])
    back = WebhookReceiver({DOWN_DISTRICT: webhook_secret(DOWN_DISTRICT)}, port=port).start()
    try:
        replayed = CliRunner().invoke(
            app,
            ["deliveries", "replay", "--notifier", notifier.process.base_url,
             "--district", DOWN_DISTRICT],
            env={"CROSSLINK_OPERATOR_KEY": OPERATOR_KEY},
        )  # fmt: skip

        assert replayed.exit_code == 0, replayed.output
        sent = webhook_id(alert.alert_id, DOWN_DISTRICT)
        wait_for(lambda: back.processed_once(sent))
    finally:
        back.stop()
    notifier.wait_for_delivery(DOWN_DISTRICT, alert.alert_id, "delivered")
