"""SIGKILL the matcher while complaints stream in: after a restart no alert is missing or new."""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from crosslink.kafka_access import KafkaAccess
from harness import oracle
from harness.ports import free_port
from harness.processes import ServiceProcess
from harness.synthetic import DISTRICTS, complaint_stream
from schemas.topics import ALERT_RAISED, IDENTIFIER_SIGHTED
from services.intake.config import IntakeSettings
from tests.conftest import (
    UNLIMITED,
    api_key,
    own_broker,
    read_topic,
    wait_for,
    wait_until_processed,
    write_districts_file,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
COMPLAINTS = 2000
HUB_THRESHOLD = 25
KILL_AFTER = 600


def synthetic_complaints(seed: int) -> list[dict[str, Any]]:
    """Forty gangs, most complaints naming one: many shared identifiers, a few hubs."""
    return list(itertools.islice(complaint_stream(seed=seed, gangs=40, overlap=0.8), COMPLAINTS))


# Cluster alerts are left out: which clusters merge first depends on how partitions
# interleave, so their ids are not a function of the complaints alone (their membership is).
ORACLE_KINDS = {"shared_identifier", "hub_identifier"}


def raised_ids(kafka: KafkaAccess) -> set[str]:
    alerts = [json.loads(r.value) for r in read_topic(kafka, ALERT_RAISED.name)]
    return {alert["alert_id"] for alert in alerts if alert["kind"] in ORACLE_KINDS}


def post_all(url: str, complaints: list[dict[str, Any]], posted: threading.Semaphore) -> None:
    with httpx.Client(timeout=30) as client:
        for body in complaints:
            headers = {"Authorization": f"Bearer {api_key(body['district'])}"}
            response = client.post(url, json=body, headers=headers)
            assert response.status_code == 202, response.text
            posted.release()


def test_a_matcher_killed_mid_stream_raises_exactly_the_oracles_alerts(tmp_path: Path) -> None:
    complaints = synthetic_complaints(seed=7)
    owed = oracle.expected(
        complaints, key=IntakeSettings().pseudonym(), hub_threshold=HUB_THRESHOLD
    )
    expected = owed.ids(*ORACLE_KINDS)
    with own_broker(tmp_path) as broker:
        urls = {code: "http://127.0.0.1:9/unused" for code in DISTRICTS}
        env = {
            "CROSSLINK_DISTRICTS_FILE": str(write_districts_file(tmp_path / "d.yaml", urls)),
            "CROSSLINK_MATCHER_DATA_DIR": str(tmp_path / "matcher"),
            "CROSSLINK_MATCHER_SESSION_TIMEOUT_S": "6",
            "CROSSLINK_HUB_THRESHOLD": str(HUB_THRESHOLD),
            **UNLIMITED,
        }
        intake = ServiceProcess("intake", free_port(), env, tmp_path / "intake.log", broker)
        matcher_port = free_port()
        matcher = ServiceProcess("matcher", matcher_port, env, tmp_path / "matcher.log", broker)
        restarted = ServiceProcess("matcher", matcher_port, env, tmp_path / "matcher2.log", broker)
        try:
            intake.start().wait_healthy("/readyz")
            matcher.start().wait_healthy()
            posted = threading.Semaphore(0)
            poster = threading.Thread(
                target=post_all, args=(f"{intake.base_url}/v1/complaints", complaints, posted)
            )
            poster.start()
            for _ in range(KILL_AFTER):
                assert posted.acquire(timeout=60), "intake stopped accepting complaints"

            matcher.process.kill()  # SIGKILL: no shutdown, no final commit
            matcher.process.wait()
            restarted.start().wait_healthy()
            poster.join(timeout=300)
            assert not poster.is_alive()
            wait_for(lambda: expected <= raised_ids(broker.access), timeout_s=180)
            wait_until_processed(broker.access, restarted.base_url, IDENTIFIER_SIGHTED.name)

            raised = raised_ids(broker.access)
            assert len(expected) > 500  # the stream is rich in matches and hubs
            assert raised - expected == set(), "alerts the oracle does not expect"
            assert expected - raised == set(), "alerts missing after the crash"
        finally:
            for service in (intake, matcher, restarted):
                service.stop()
