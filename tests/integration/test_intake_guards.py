"""Intake's guards on the running service: a revoked key is refused within seconds without a
restart, an oversized body gets 413, and a key over its rate gets 429 while others go on."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from harness.localbroker import Brokers
from harness.processes import ServiceProcess
from schemas.topics import IDENTIFIER_SIGHTED
from tests.builders import complaint_body, unique_mobile, unique_upi
from tests.conftest import api_key, read_topic
from tests.integration.conftest import start_intake

pytestmark = pytest.mark.integration
BURST = 5


@pytest.fixture(scope="module")
def guarded(kafka: Brokers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    process = start_intake(
        kafka, tmp_path_factory.mktemp("guarded"),
        CROSSLINK_RATE_LIMIT_BURST=str(BURST), CROSSLINK_RATE_LIMIT_PER_MINUTE="6",
        CROSSLINK_MAX_BODY_BYTES="4096",
    )  # fmt: skip
    yield process
    process.stop()


def post(
    intake: ServiceProcess, district: str, body: dict[str, object] | None = None
) -> httpx.Response:
    return httpx.post(
        f"{intake.base_url}/v1/complaints",
        json=body or complaint_body(district, ("phone", unique_mobile())),
        headers={"Authorization": f"Bearer {api_key(district)}"},
        timeout=30,
    )


def test_an_oversized_body_is_refused_with_413_and_nothing_published(
    guarded: ServiceProcess,
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))
    body["police_station"] = "x" * 5000

    response = post(guarded, "MH-MUM", body)

    assert response.status_code == 413
    assert response.json()["type"].endswith("/body-too-large")


def test_a_key_over_its_rate_gets_429_and_other_keys_are_unaffected(
    guarded: ServiceProcess,
) -> None:
    answers = [post(guarded, "MP-BPL").status_code for _ in range(BURST + 2)]

    assert 429 in answers
    limited = post(guarded, "MP-BPL")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["type"].endswith("/rate-limited")
    assert post(guarded, "MH-MUM").status_code == 202


def test_a_replayed_idempotency_key_publishes_one_set_of_events(
    guarded: ServiceProcess, kafka: Brokers
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), ("upi", unique_upi()))
    headers = {"Authorization": f"Bearer {api_key('MH-MUM')}", "Idempotency-Key": uuid.uuid4().hex}
    url = f"{guarded.base_url}/v1/complaints"

    first = httpx.post(url, json=body, headers=headers, timeout=30)
    again = httpx.post(url, json=body, headers=headers, timeout=30)
    other = httpx.post(url, json={**body, "police_station": "another"}, headers=headers, timeout=30)

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422
    events = [
        record for record in read_topic(kafka.access, IDENTIFIER_SIGHTED.name)
        if json.loads(record.value)["case"]["complaint_id"] == body["complaint_id"]
    ]  # fmt: skip
    assert len(events) == 2


def test_a_revoked_key_is_refused_within_seconds_without_a_restart(guarded: ServiceProcess) -> None:
    districts = Path(guarded.env["CROSSLINK_DISTRICTS_FILE"])
    content = yaml.safe_load(districts.read_text())
    [mumbai] = [d for d in content["districts"] if d["code"] == "MH-MUM"]
    mumbai["api_key_sha256"] = []
    districts.write_text(yaml.safe_dump(content))

    deadline = time.monotonic() + 10
    while (status := post(guarded, "MH-MUM").status_code) != 401:
        assert status in (202, 429)
        assert time.monotonic() < deadline, "the revoked key was still accepted after 10 s"
        time.sleep(0.2)

    assert guarded.process.poll() is None  # the same process, not restarted
