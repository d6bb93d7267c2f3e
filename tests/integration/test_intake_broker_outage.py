"""Intake while the broker is down: 503 with Retry-After, nothing accepted, then recovery."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from crosslink.provisioning import provision
from harness.localbroker import LocalBroker
from harness.ports import free_port
from schemas.events import IdentifierSighted
from schemas.topics import IDENTIFIER_SIGHTED
from tests.builders import complaint_body, unique_mobile
from tests.conftest import api_key, read_topic
from tests.integration.conftest import start_intake

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="stops its own local broker"),
]


def post_until(url: str, body: object, status: int, timeout_s: float = 90) -> httpx.Response:
    """POST until the answer has `status` (the broker takes a moment to go or come back)."""
    headers = {"Authorization": f"Bearer {api_key('MH-MUM')}"}
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.post(url, json=body, headers=headers, timeout=30)
        if response.status_code == status or time.monotonic() > deadline:
            return response


def test_answers_503_while_the_broker_is_down_and_accepts_the_same_post_once_it_is_back(
    tmp_path: Path,
) -> None:
    broker = LocalBroker(tmp_path / "kafka", free_port(), free_port())
    broker.start()
    provision(broker.access)
    intake = start_intake(broker, tmp_path)
    url = f"{intake.base_url}/v1/complaints"
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))
    try:
        broker.stop()

        refused = post_until(url, body, 503)

        assert refused.status_code == 503
        assert refused.headers["retry-after"].isdigit()
        assert refused.json()["type"].endswith("/broker-unavailable")
        broker.start()
        accepted = post_until(url, body, 202)
        assert accepted.status_code == 202
        # A send cut off by the outage may still land later: retrying is safe because the
        # event id is deterministic, so every copy is the same event.
        events = [
            IdentifierSighted.model_validate_json(record.value)
            for record in read_topic(broker.access, IDENTIFIER_SIGHTED.name)
        ]
        mine = {e.event_id for e in events if e.case.complaint_id == body["complaint_id"]}
        assert len(mine) == 1
    finally:
        intake.stop()
        broker.stop()
