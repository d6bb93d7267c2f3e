"""The whole path on real parts: intake -> Kafka -> matcher -> Kafka -> notifier -> webhooks.

Two real HTTP receivers stand in for the case-management systems of Mumbai and Bhopal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from kafka import KafkaAdminClient

from crosslink.localbroker import free_port
from crosslink.processes import ServiceProcess
from crosslink.receiver import ReceivedWebhook, WebhookReceiver
from schemas.topics import ALERT_RAISED, IDENTIFIER_SIGHTED, MATCHER_APP_ID
from services.notifier.consumer import GROUP_ID as NOTIFIER_GROUP
from tests.builders import complaint_body, unique_mobile
from tests.conftest import (
    api_key,
    read_topic,
    wait_until_consumed,
    webhook_secret,
    write_districts_file,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
MATCHER_GROUP = MATCHER_APP_ID  # faust uses the app id as its consumer group


@dataclass
class Pipeline:
    intake: ServiceProcess
    receivers: dict[str, WebhookReceiver]
    bootstrap: str

    def post(self, body: dict[str, Any]) -> None:
        response = httpx.post(
            f"{self.intake.base_url}/v1/complaints",
            json=body,
            headers={"Authorization": f"Bearer {api_key(body['district'])}"},
            timeout=30,
        )
        assert response.status_code == 202, response.text


@pytest.fixture(scope="module")
def pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    workdir = tmp_path_factory.mktemp("pipeline")
    receivers = {
        code: WebhookReceiver({code: webhook_secret(code)}).start() for code in ("MH-MUM", "MP-BPL")
    }
    districts = write_districts_file(
        workdir / "districts.yaml", {code: r.url_for(code) for code, r in receivers.items()}
    )
    env = {
        "CROSSLINK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CROSSLINK_DISTRICTS_FILE": str(districts),
        "CROSSLINK_MATCHER_DATA_DIR": str(workdir / "matcher"),
    }
    services = [
        ServiceProcess(name, free_port(), env, log_path=workdir / f"{name}.log").start()
        for name in ("intake", "matcher", "notifier")
    ]
    try:
        for service in services:
            service.wait_healthy()
        services[0].wait_healthy("/readyz")
        yield Pipeline(services[0], receivers, kafka_bootstrap)
    finally:
        for service in services:
            service.stop()
        for receiver in receivers.values():
            receiver.stop()


def wait_for(condition: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the pipeline"
        time.sleep(0.1)


def case_ids(webhook: ReceivedWebhook) -> set[str]:
    assert webhook.payload is not None
    data = webhook.payload["data"]
    return {case["complaint_id"] for case in data["your_cases"] + data["other_cases"]}


def test_complaints_in_two_districts_sharing_a_number_alert_both_districts_once(
    pipeline: Pipeline,
) -> None:
    mumbai = complaint_body(
        "MH-MUM", ("phone", "+91 98765 43210"), complaint_id=f"MUM-{time.time_ns()}"
    )
    bhopal = complaint_body(
        "MP-BPL", ("phone", "098765-43210"), complaint_id=f"BPL-{time.time_ns()}"
    )
    both = {mumbai["complaint_id"], bhopal["complaint_id"]}

    pipeline.post(mumbai)
    pipeline.post(bhopal)

    def alerts_naming_both(district: str) -> list[ReceivedWebhook]:
        return [w for w in pipeline.receivers[district].processed() if both <= case_ids(w)]

    wait_for(lambda: all(alerts_naming_both(d) for d in ("MH-MUM", "MP-BPL")))
    for district, own, other in (("MH-MUM", mumbai, bhopal), ("MP-BPL", bhopal, mumbai)):
        [webhook] = alerts_naming_both(district)
        data = webhook.payload["data"] if webhook.payload else {}
        assert webhook.verified
        assert data["district"] == district
        assert [c["complaint_id"] for c in data["your_cases"]] == [own["complaint_id"]]
        assert [c["complaint_id"] for c in data["other_cases"]] == [other["complaint_id"]]
        assert data["identifier"]["masked"] == "+91 98•••••210"
        assert not [w for w in pipeline.receivers[district].received if not w.verified]


def test_a_complaint_with_an_unrelated_number_raises_no_alert(pipeline: Pipeline) -> None:
    lone = complaint_body("MP-BPL", ("phone", unique_mobile()))

    pipeline.post(lone)
    wait_until_consumed(pipeline.bootstrap, MATCHER_GROUP, IDENTIFIER_SIGHTED.name)
    wait_until_consumed(pipeline.bootstrap, NOTIFIER_GROUP, ALERT_RAISED.name)

    everything = [w for r in pipeline.receivers.values() for w in r.received]
    assert not [w for w in everything if lone["complaint_id"] in case_ids(w)]


def test_no_topic_carries_a_raw_identifier(pipeline: Pipeline) -> None:
    raw_forms = ["9876543210", "98765 43210", "98765-43210", "fastloan", "quickcash"]
    body = complaint_body("MH-MUM", ("phone", "+91 98765 43210"), ("upi", "quickcash@ybl"))
    pipeline.post(body)
    pipeline.post(complaint_body("MP-BPL", ("upi", "QuickCash@ybl")))
    wait_for(
        lambda: any(
            body["complaint_id"] in case_ids(w) for w in pipeline.receivers["MH-MUM"].processed()
        )
    )

    admin = KafkaAdminClient(bootstrap_servers=pipeline.bootstrap)
    topics = [t for t in admin.list_topics() if not t.startswith("__")]
    admin.close()
    scanned = 0
    for topic in topics:
        for record in read_topic(pipeline.bootstrap, topic):
            blob = b"".join([record.key or b"", record.value or b""]).decode(errors="replace")
            blob += "".join(value.decode(errors="replace") for _, value in record.headers)
            assert not [raw for raw in raw_forms if raw in blob.lower()], (
                f"raw identifier on {topic}"
            )
            scanned += 1
    assert scanned > 0
