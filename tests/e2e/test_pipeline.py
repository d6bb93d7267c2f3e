"""The whole path on real parts: intake -> Kafka -> matcher -> Kafka -> notifier -> webhooks.

Real HTTP receivers stand in for the case-management systems of Mumbai, Bhopal and Kolkata.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, cast

import httpx
import pytest
from kafka import KafkaAdminClient

from crosslink.settings import REPO_ROOT
from harness.contracts import asyncapi_document
from harness.receiver import ReceivedWebhook
from schemas.topics import LEADER
from tests.builders import complaint_body, unique_mobile
from tests.conftest import api_key, read_topic, wait_for
from tests.e2e.conftest import PIPELINE_TIMEOUT_S, Pipeline, case_ids

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


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

    wait_for(lambda: all(alerts_naming_both(d) for d in ("MH-MUM", "MP-BPL")), PIPELINE_TIMEOUT_S)
    for district, own, other in (("MH-MUM", mumbai, bhopal), ("MP-BPL", bhopal, mumbai)):
        [webhook] = alerts_naming_both(district)
        data = webhook.payload["data"] if webhook.payload else {}
        assert webhook.verified
        assert data["district"] == district
        assert [c["complaint_id"] for c in data["your_cases"]] == [own["complaint_id"]]
        assert [c["complaint_id"] for c in data["other_cases"]] == [other["complaint_id"]]
        assert data["identifier"]["masked"] == "+91 98•••••210"
        assert data["rule"] == "shared_identifier"
        assert "MH-MUM, MP-BPL" in data["reason"]
        assert not [w for w in pipeline.receivers[district].received if not w.verified]


def test_a_real_webhook_has_the_shape_docs_webhooks_md_shows(pipeline: Pipeline) -> None:
    """The documented body, held to real traffic: the same fields at every level, the id's
    form, and the times as the complaint was posted."""
    mumbai = complaint_body("MH-MUM", ("phone", unique_mobile()))
    bhopal = complaint_body("MP-BPL", ("phone", mumbai["identifiers"][0]["value"]))
    pipeline.post(mumbai)
    pipeline.post(bhopal)

    alert = pipeline.wait_for_alert("MH-MUM", bhopal["complaint_id"], "shared_identifier")

    [real] = [w.payload for w in pipeline.receivers["MH-MUM"].processed()
              if w.payload and w.payload["data"]["alert_id"] == alert["alert_id"]]  # fmt: skip
    documented = documented_webhook_body()
    assert set(real) == set(documented)
    for part in ("data", "identifier", "your_cases", "footprint"):
        assert set(_part(real, part)) == set(_part(documented, part)), part
    for body in (real, documented):
        assert re.fullmatch(r"shared_identifier_[0-9a-f]{32}", body["data"]["alert_id"])
    assert real["data"]["your_cases"][0]["registered_at"] == mumbai["registered_at"]
    assert documented["data"]["your_cases"][0]["registered_at"].endswith("+05:30")


def documented_webhook_body() -> dict[str, Any]:
    text = (REPO_ROOT / "docs" / "webhooks.md").read_text()
    block = text.split("## Body", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return cast(dict[str, Any], json.loads(block))


def _part(body: dict[str, Any], part: str) -> dict[str, Any]:
    data = body["data"]
    value = body["data"] if part == "data" else data[part]
    return cast(dict[str, Any], value[0] if isinstance(value, list) else value)


def test_a_complaint_with_an_unrelated_number_raises_no_alert(pipeline: Pipeline) -> None:
    lone = complaint_body("MP-BPL", ("phone", unique_mobile()))

    pipeline.post(lone)
    pipeline.wait_until_idle()

    everything = [w for r in pipeline.receivers.values() for w in r.received]
    assert not [w for w in everything if lone["complaint_id"] in case_ids(w)]


def test_no_topic_log_metric_or_webhook_carries_a_raw_identifier(pipeline: Pipeline) -> None:
    raw_forms = ["9876543210", "98765 43210", "98765-43210", "fastloan", "quickcash"]
    body = complaint_body("MH-MUM", ("phone", "+91 98765 43210"), ("upi", "quickcash@ybl"))
    pipeline.post(body)
    pipeline.post(complaint_body("MP-BPL", ("upi", "QuickCash@ybl")))
    pipeline.add_to_registry(
        {"type": "upi", "value": "fastloan@ybl", "source": "NCRP", "reference": "R-1"}
    )
    pipeline.wait_for_alert("MH-MUM", body["complaint_id"], "shared_identifier")
    # An officer's look-up and watch carry the typed value as far as intake, and no further.
    for path, district, identifier in (
        ("/v1/lookups", "MH-MUM", {"type": "phone", "value": "+91 98765 43210"}),
        ("/v1/watches", "MP-BPL", {"type": "upi", "value": "quickcash@ybl"}),
    ):
        relayed = pipeline.http.post(
            f"{pipeline.notifier.base_url}{path}",
            json={"identifier": identifier},
            headers={"Authorization": f"Bearer {api_key(district)}"},
        )
        assert relayed.status_code in (200, 202), relayed.text

    admin = KafkaAdminClient(**pipeline.access.options())
    topics = [t for t in admin.list_topics() if not t.startswith("__")]
    admin.close()
    scanned = 0
    for topic in topics:
        for record in read_topic(pipeline.access, topic, markers=True):
            blob = b"".join([record.key or b"", record.value or b""]).decode(errors="replace")
            blob += "".join(value.decode(errors="replace") for _, value in record.headers)
            assert not [raw for raw in raw_forms if raw in blob.lower()], (
                f"raw identifier on {topic}"
            )
            scanned += 1
    assert scanned > 0
    elsewhere = {
        f"{name} metrics": httpx.get(f"{url}/metrics", timeout=10, follow_redirects=True).text
        for name, url in (("intake", pipeline.intake.metrics_url),
                          ("matcher", pipeline.matcher.metrics_url),
                          ("notifier", pipeline.notifier.metrics_url))
    }  # fmt: skip
    for service in ("intake", "matcher", "notifier"):
        elsewhere[f"{service} log"] = json.dumps(pipeline.log_lines(service))
    elsewhere["webhooks"] = "".join(
        w.body.decode() for receiver in pipeline.receivers.values() for w in receiver.received
    )
    assert all(len(text) > 100 for text in elsewhere.values())  # each place has content
    for where, text in elsewhere.items():
        assert not [raw for raw in raw_forms if raw in text.lower()], f"raw identifier in {where}"


def test_logs_follow_a_complaint_to_its_alert_and_never_hold_a_raw_identifier(
    pipeline: Pipeline,
) -> None:
    number = unique_mobile()
    digits = number.replace(" ", "").removeprefix("+91")
    first = complaint_body("MH-MUM", ("phone", number))
    second = complaint_body("MP-BPL", ("phone", f"0{digits}"))
    pipeline.post(first)
    pipeline.post(second)
    alert = pipeline.wait_for_alert("MP-BPL", second["complaint_id"], "shared_identifier")
    pipeline.wait_until_idle()

    logs = {name: pipeline.log_lines(name) for name in ("intake", "matcher", "notifier")}

    accepted = [e for e in logs["intake"] if e.get("complaint_id") == second["complaint_id"]]
    raised = [e for e in logs["matcher"] if e.get("alert_id") == alert["alert_id"]]
    delivered = [e for e in logs["notifier"] if e.get("alert_id") == alert["alert_id"]]
    assert [e["event"] for e in accepted] == ["complaint accepted"]
    assert raised[0]["complaint_id"] == second["complaint_id"]
    assert {e["event"] for e in delivered} == {"alert delivered"}
    for service, entries in logs.items():
        assert {e["service"] for e in entries} == {service}
        assert not [e for e in entries if digits in json.dumps(e)], f"raw number in {service} log"


def test_every_topic_the_running_services_use_is_in_the_asyncapi_document(
    pipeline: Pipeline,
) -> None:
    """The AsyncAPI document held to a real broker after the services ran: no topic of
    crosslink's (faust's own included) is missing from it."""
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))
    pipeline.post(body)
    pipeline.wait_until_idle()

    admin = KafkaAdminClient(**pipeline.access.options())
    present = {topic for topic in admin.list_topics() if topic.startswith("crosslink")}
    admin.close()
    documented = {channel["address"] for channel in asyncapi_document()["channels"].values()}

    assert present - documented == set()
    assert LEADER.name in present, "faust created its leader topic under the documented name"
