"""Issue 9, scenario 1: the matcher SIGKILLed several times while complaints flow. Every alert
the oracle owes reaches each district it concerns, none reaches another, none is processed
twice. Short here (600 complaints, 2 kills); `make chaos` runs 10,000 complaints, 5 kills."""

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

pytestmark = CHAOS_MARKS
SEED = 9001
COMPLAINTS = scaled(600, 10_000)
SCENARIO = Scenario(1, "matcher SIGKILLed while complaints flow", __name__, SEED, COMPLAINTS)
KILLS = scaled(2, 5)


def test_a_matcher_killed_again_and_again_loses_misroutes_and_doubles_nothing(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    fast_failover = {"CROSSLINK_MATCHER_SESSION_TIMEOUT_S": "6"}

    with chaos_pipeline(broker, tmp_path, **fast_failover) as pipeline:
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            for _ in range(KILLS):
                poster.wait_posted(COMPLAINTS // (KILLS + 1))
                pipeline.matcher.process.kill()  # SIGKILL: no shutdown, no final commit
                pipeline.matcher.process.wait()
                pipeline.matcher.start().wait_healthy()
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)

    SCENARIO.conclude(figures, {"kills": KILLS})
    assert figures.deliveries.expected > COMPLAINTS // 2
