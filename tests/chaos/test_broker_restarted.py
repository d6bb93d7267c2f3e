"""Issue 9, scenario 5: the broker stopped and started again while complaints flow. Intake
answers 503 with Retry-After while it is down, nothing it acknowledged is lost, and the matcher
and notifier resume by themselves, without a restart."""

from __future__ import annotations

from pathlib import Path

from crosslink.localbroker import LocalBroker
from crosslink.oracle import tally
from crosslink.synthetic import DISTRICTS
from tests.chaos.conftest import (
    DISTRICT_KINDS,
    HUB_THRESHOLD,
    Poster,
    Run,
    Workload,
    assert_all_delivered_once,
    report,
    scaled,
)
from tests.conftest import wait_for
from tests.e2e.conftest import running_pipeline

SEED = 9005
COMPLAINTS = scaled(400, 5_000)
OUTAGES = scaled(1, 3)


def test_a_broker_outage_is_answered_with_503_and_the_pipeline_resumes_losing_nothing(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    prompt_retries = {"CROSSLINK_RETRY_AFTER_S": "1"}

    with running_pipeline(
        broker.bootstrap, tmp_path, DISTRICTS, hub_threshold=HUB_THRESHOLD, settings=prompt_retries
    ) as pipeline:
        with Poster(lambda: pipeline.intake.base_url, workload.complaints) as poster:
            for _ in range(OUTAGES):
                poster.wait_posted(COMPLAINTS // (OUTAGES + 1))
                refused_before = poster.answers["503"]
                broker.stop()
                wait_for(lambda: poster.answers["503"] > refused_before, timeout_s=120)  # noqa: B023
                broker.start()
            poster.finish()
        pipeline.wait_until_idle()
        figures = tally(workload.owed, pipeline.deliveries(*DISTRICT_KINDS))
        still_running = [
            service.name
            for service in (pipeline.intake, pipeline.matcher, pipeline.notifier)
            if service.process.poll() is None
        ]

    report(
        Run(
            5,
            "broker stopped and restarted mid-stream",
            __name__,
            SEED,
            COMPLAINTS,
            figures,
            {"outages": OUTAGES, "503 answers": poster.answers["503"]},
        )
    )
    assert still_running == ["intake", "matcher", "notifier"]  # resumed, not restarted
    assert_all_delivered_once(figures)
