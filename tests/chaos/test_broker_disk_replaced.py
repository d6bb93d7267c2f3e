"""Issue 17, scenario 13: a broker's disk lost. The node leading the sightings partitions is
SIGKILLed while complaints flow, its data directory deleted, and it starts again on an empty one
(the runbook's replacement, docs/operations.md); once it has copied every partition back,
another node is SIGKILLed, so that what the replaced node copied is what the cluster serves.
Nothing is lost, misrouted or doubled, and every accepted complaint's event is on the topic."""

from __future__ import annotations

import time
from pathlib import Path

from harness.localbroker import LocalCluster
from schemas.topics import ALL_TOPICS, COMPLAINTS_FILED, IDENTIFIER_SIGHTED
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
SEED = 9013
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(
    13, "a broker's disk lost: the node replaced on an empty disk, then another killed",
    __name__, SEED, COMPLAINTS,
)  # fmt: skip
CATCH_UP_TIMEOUT_S = 300


def every_topic_in_sync(cluster: LocalCluster) -> bool:
    return all(cluster.in_sync(topic.name) for topic in ALL_TOPICS)


def test_a_broker_replaced_on_an_empty_disk_copies_everything_back(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    step = COMPLAINTS // 4

    with chaos_pipeline(cluster, tmp_path, **ON_THREE_NODES) as pipeline:
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            poster.wait_posted(step)
            replaced = cluster.leader_of(IDENTIFIER_SIGHTED.name, 0)
            assert replaced is not None
            began = time.monotonic()
            cluster.replace_disk(replaced)
            wait_for(lambda: every_topic_in_sync(cluster), timeout_s=CATCH_UP_TIMEOUT_S)
            caught_up_s = time.monotonic() - began
            poster.wait_posted(step)
            other = next(n for n in (1, 2, 3) if n != replaced)
            cluster.node(other).kill()
            poster.wait_posted(step)
            cluster.node(other).start()
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)
        filed = {
            record.key.decode() for record in read_topic(cluster.access, COMPLAINTS_FILED.name)
        }

    accepted = {f"{c['district']}/{c['complaint_id']}" for c in workload.complaints}
    SCENARIO.conclude(
        figures,
        {
            "replaced node": replaced,
            "then killed": other,
            "replaced node back in sync on every topic in": f"{caught_up_s:.1f} s",
            "503 answers": poster.answers["503"],
            "accepted complaints missing their event": len(accepted - filed),
        },
    )
    assert accepted - filed == set()
