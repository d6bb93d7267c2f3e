"""Issue 9, scenario 5: the broker stopped and started again while complaints flow. Intake
answers 503 with Retry-After while it is down, nothing it acknowledged is lost, and the matcher
and notifier resume by themselves, without a restart."""

from __future__ import annotations

from pathlib import Path

from harness.localbroker import LocalBroker
from tests.chaos.conftest import (
    CHAOS_MARKS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import wait_for

pytestmark = CHAOS_MARKS
SEED = 9005
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(5, "broker stopped and restarted mid-stream", __name__, SEED, COMPLAINTS)
OUTAGES = scaled(1, 3)


def test_a_broker_outage_is_answered_with_503_and_the_pipeline_resumes_losing_nothing(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    prompt_retries = {"CROSSLINK_RETRY_AFTER_S": "1"}

    with chaos_pipeline(broker, tmp_path, **prompt_retries) as pipeline:
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            for _ in range(OUTAGES):
                poster.wait_posted(COMPLAINTS // (OUTAGES + 1))
                refused_before = poster.answers["503"]
                broker.stop()
                wait_for(lambda: poster.answers["503"] > refused_before, timeout_s=120)  # noqa: B023
                broker.start()
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)
        still_running = [
            service.name
            for service in (pipeline.intake, pipeline.matcher, pipeline.notifier)
            if service.process.poll() is None
        ]

    SCENARIO.conclude(figures, {"outages": OUTAGES, "503 answers": poster.answers["503"]})
    assert still_running == ["intake", "matcher", "notifier"]  # resumed, not restarted
