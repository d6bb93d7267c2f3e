"""Issue 9, scenario 8: one district's webhook receiver answers slowly while complaints flow.
Its backlog waits in the outbox on disk, not in the notifier's memory: the deliveries still
owed grow and then drain, the notifier's memory stays flat, and nothing is lost or doubled.
It holds no more than its share of the notifier's delivery slots, so the others go on."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from harness.localbroker import LocalBroker
from harness.receiver import Reply
from tests.chaos.conftest import (
    CHAOS_MARKS,
    DISTRICT_KINDS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import wait_for
from tests.e2e.conftest import Pipeline

pytestmark = CHAOS_MARKS
SEED = 9008
COMPLAINTS = scaled(400, 1_000)
SCENARIO = Scenario(8, "a slow receiver (1 s per answer)", __name__, SEED, COMPLAINTS)
# Slow enough that its share of 4 slots cannot keep up (4 answers a second) while the others'
# 12 can: the others must all have theirs while it still works through its backlog.
SLOW_ANSWER_S = 1.0
SHARE = 4  # CROSSLINK_MAX_CONCURRENT_DELIVERIES_PER_DISTRICT's default, of 16 slots
SAMPLE_EVERY_S = 0.2  # how often the sampler looks: a measurement, not a synchronisation
MIB = 1024 * 1024


def test_a_slow_receiver_builds_a_backlog_on_disk_that_drains_with_memory_flat(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    slowest = Counter(district for _, district in workload.owed).most_common(1)[0][0]

    with chaos_pipeline(broker, tmp_path) as pipeline:
        slow = pipeline.receivers[slowest]
        slow.answer_unscripted(Reply(204, delay_s=SLOW_ANSWER_S))
        with _Sampler(pipeline) as sampler:
            with Poster(pipeline.intake.base_url, workload.complaints) as poster:
                poster.finish()
            # The other districts get all theirs while the slow one still works through its own.
            others = {(a, d) for a, d in workload.owed if d != slowest}
            wait_for(lambda: others <= set(pipeline.deliveries(*DISTRICT_KINDS)), timeout_s=120)
            still_owed_to_slow = len(workload.owed - set(pipeline.deliveries(*DISTRICT_KINDS)))
            pipeline.wait_until_idle()
        figures = workload.tally(pipeline)

    at_start, peak = sampler.rss[0] / MIB, max(sampler.rss) / MIB
    SCENARIO.conclude(
        figures,
        {
            "peak deliveries owed": max(sampler.pending),
            "notifier memory": f"{at_start:.0f} → peak {peak:.0f} MiB",
            "most requests the slow one answered at once": slow.most_concurrent,
            "still owed to it when the others had all theirs": still_owed_to_slow,
        },
    )
    assert max(sampler.pending) > 0  # a backlog grew
    assert sampler.pending[-1] == 0  # and drained
    assert peak < at_start + 64  # the backlog is rows in the outbox, not objects in memory
    assert slow.most_concurrent == SHARE  # its share, used and never exceeded
    assert still_owed_to_slow > 0  # the others were not held up behind it


@dataclass
class _Sampler:
    """Samples the notifier's resident memory and its deliveries still owed, in the
    background, until the block ends."""

    pipeline: Pipeline
    rss: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> _Sampler:
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self._sample()

    def _sample(self) -> None:
        status = Path(f"/proc/{self.pipeline.notifier.process.pid}/status").read_text()
        rss_kib = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
        )
        self.rss.append(rss_kib * 1024)
        self.pending.append(self.pipeline.pending_deliveries())
