"""Issue 17, scenario 10: a three-node Kafka cluster, every topic on all three (a write counts
once two have it). The node leading the sightings partitions is SIGKILLed while complaints flow
and comes back; later another node is. Nothing is lost, misrouted or doubled, every accepted
complaint's event is on the topic, and the services ride through without a restart."""

from __future__ import annotations

import time
from pathlib import Path

from harness.localbroker import LocalCluster
from schemas.topics import COMPLAINTS_FILED, IDENTIFIER_SIGHTED
from tests.chaos.conftest import (
    CHAOS_MARKS,
    ON_THREE_NODES,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import read_topic, wait_for

pytestmark = CHAOS_MARKS
SEED = 9010
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(
    10, "a broker of three SIGKILLed mid-stream, then another", __name__, SEED, COMPLAINTS
)
FAILOVER_TIMEOUT_S = 120


def fail_over(cluster: LocalCluster, node: int, poster: Poster, complaints: int) -> float:
    """SIGKILL `node`; once another leads its partitions and `complaints` more are accepted,
    start it again and wait until it has caught up. Returns how long leadership took to move."""
    led = [p for p in range(IDENTIFIER_SIGHTED.partitions)
           if cluster.leader_of(IDENTIFIER_SIGHTED.name, p) == node]  # fmt: skip
    killed_at = time.monotonic()
    cluster.node(node).kill()
    wait_for(
        lambda: all(cluster.leader_of(IDENTIFIER_SIGHTED.name, p) not in (node, None) for p in led),
        timeout_s=FAILOVER_TIMEOUT_S,
    )
    moved_s = time.monotonic() - killed_at
    poster.wait_posted(complaints)
    cluster.node(node).start()
    wait_for(lambda: cluster.in_sync(IDENTIFIER_SIGHTED.name), timeout_s=FAILOVER_TIMEOUT_S)
    return moved_s


def test_a_killed_broker_of_three_loses_nothing_and_stops_nothing(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    step = COMPLAINTS // 4

    with chaos_pipeline(cluster, tmp_path, **ON_THREE_NODES) as pipeline:
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            poster.wait_posted(step)
            first = cluster.leader_of(IDENTIFIER_SIGHTED.name, 0)
            assert first is not None
            first_moved_s = fail_over(cluster, first, poster, step)
            # Later, another node: the one leading the complaints topic, unless it is the same.
            poster.wait_posted(step // 2)
            leader = cluster.leader_of(COMPLAINTS_FILED.name, 0)
            second = leader if leader not in (first, None) else next(
                n for n in (1, 2, 3) if n != first
            )  # fmt: skip
            second_moved_s = fail_over(cluster, second, poster, step // 2)
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)
        filed = {
            record.key.decode() for record in read_topic(cluster.access, COMPLAINTS_FILED.name)
        }
        still_running = [
            service.name
            for service in (pipeline.intake, pipeline.matcher, pipeline.notifier)
            if service.process.poll() is None
        ]

    accepted = {f"{c['district']}/{c['complaint_id']}" for c in workload.complaints}
    SCENARIO.conclude(
        figures,
        {
            "nodes killed": f"{first} then {second}",
            "leadership moved in": f"{first_moved_s:.1f} s and {second_moved_s:.1f} s",
            "503 answers": poster.answers["503"],
            "accepted complaints missing their event": len(accepted - filed),
        },
    )
    assert accepted - filed == set()
    assert still_running == ["intake", "matcher", "notifier"]
