"""Issue 9, scenario 2: the matcher scaled from one worker to two and back to one while
complaints flow. Partitions move twice (a rebalance each way, the second by a clean shutdown);
every owed alert still arrives once, at its districts only.

Per-key order is part of the same figures: an alert's id names the complaint that came later
in its token's partition (`stable_id(kind, token, trigger)`), so a worker that processed a
token's sightings out of order would raise alerts under other ids, counted as lost and
misrouted."""

from __future__ import annotations

from pathlib import Path

from harness.localbroker import LocalBroker
from harness.processes import ServiceProcess, metric_value
from tests.chaos.conftest import (
    CHAOS_MARKS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import held_partitions, second_worker, wait_for

pytestmark = CHAOS_MARKS
SEED = 9002
COMPLAINTS = scaled(600, 3_000)
SCENARIO = Scenario(2, "matcher scaled 1 → 2 → 1 workers mid-stream", __name__, SEED, COMPLAINTS)


def test_scaling_the_matcher_from_one_to_two_workers_and_back_loses_and_doubles_nothing(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    fast_rebalance = {"CROSSLINK_MATCHER_SESSION_TIMEOUT_S": "6"}

    with chaos_pipeline(broker, tmp_path, **fast_rebalance) as pipeline:
        second = second_worker(pipeline.matcher, tmp_path)
        # A short stream can end before a second worker has recovered its tables: the last
        # third waits until it holds partitions, so that it is seen to process some.
        last_third = COMPLAINTS - 2 * (COMPLAINTS // 3)
        with Poster(
            pipeline.intake.base_url,
            workload.complaints,
            allowed=COMPLAINTS - last_third,
        ) as poster:
            poster.wait_posted(COMPLAINTS // 3)
            second.start().wait_healthy()  # joins the group while complaints flow
            wait_for(lambda: bool(held_partitions(second)), timeout_s=120)
            poster.allow()
            wait_for(lambda: _events(second) > 0, timeout_s=120)
            taken_over = _events(second)
            second.stop()  # scaled back down: SIGTERM, its partitions return to the first
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)

    SCENARIO.conclude(figures, {"events processed by the second worker": int(taken_over)})


def _events(matcher: ServiceProcess) -> float:
    return metric_value(matcher.base_url, "crosslink_matcher_events_total")
