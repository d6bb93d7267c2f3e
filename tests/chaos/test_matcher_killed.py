"""Issue 9, scenario 1: the matcher SIGKILLed several times while complaints flow. Every alert
the oracle owes reaches each district it concerns, none reaches another, none is processed
twice. Short here (600 complaints, 2 kills); `make chaos` runs 10,000 complaints, 5 kills."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from crosslink.localbroker import LocalBroker, free_port
from crosslink.oracle import Tally, expected, tally
from crosslink.provisioning import provision_topics
from crosslink.synthetic import DISTRICTS, complaint_stream
from services.intake.config import IntakeSettings
from tests.conftest import api_key
from tests.e2e.conftest import Pipeline, running_pipeline

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
FULL = os.environ.get("CROSSLINK_CHAOS_SCALE") == "full"
COMPLAINTS, KILLS = (10_000, 5) if FULL else (600, 2)
SEED = 9001
HUB_THRESHOLD = 12
DISTRICT_KINDS = ("shared_identifier", "registry_hit")


def test_a_matcher_killed_again_and_again_loses_misroutes_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    complaints = list(
        itertools.islice(complaint_stream(seed=SEED, gangs=60, overlap=0.6), COMPLAINTS)
    )
    owed = expected(complaints, key=IntakeSettings().pseudonym(), hub_threshold=HUB_THRESHOLD)
    owed_to_districts = {
        (a, d) for a, d in owed.deliveries() if owed.alerts[a].kind in DISTRICT_KINDS
    }
    fast_failover = {"CROSSLINK_MATCHER_SESSION_TIMEOUT_S": "6"}

    with LocalBroker(tmp_path / "kafka", free_port(), free_port()) as broker:
        provision_topics(broker.bootstrap)
        with running_pipeline(
            broker.bootstrap,
            tmp_path,
            DISTRICTS,
            hub_threshold=HUB_THRESHOLD,
            settings=fast_failover,
        ) as pipeline:
            posted = threading.Semaphore(0)
            poster = threading.Thread(target=_post_all, args=(pipeline, complaints, posted))
            poster.start()
            for _ in range(KILLS):
                for _ in range(COMPLAINTS // (KILLS + 1)):
                    assert posted.acquire(timeout=120), "intake stopped accepting complaints"
                pipeline.matcher.process.kill()  # SIGKILL: no shutdown, no final commit
                pipeline.matcher.process.wait()
                pipeline.matcher.start().wait_healthy()
            poster.join(timeout=1800)
            assert not poster.is_alive()
            pipeline.wait_until_idle()
            figures = tally(owed_to_districts, pipeline.deliveries(*DISTRICT_KINDS))

    print(f"\nscenario 1, seed {SEED}, {COMPLAINTS} complaints, {KILLS} kills: {figures}")
    assert figures.expected > COMPLAINTS // 2
    assert figures == Tally(figures.expected, figures.expected, lost=0, misrouted=0, duplicated=0)


def _post_all(
    pipeline: Pipeline, complaints: list[dict[str, Any]], posted: threading.Semaphore
) -> None:
    with httpx.Client(base_url=pipeline.intake.base_url, timeout=30) as client:
        for body in complaints:
            headers = {"Authorization": f"Bearer {api_key(body['district'])}"}
            response = client.post("/v1/complaints", json=body, headers=headers)
            assert response.status_code == 202, response.text
            posted.release()
