"""Matcher cost per event as one identifier grows from 10 to 10,000 complaints.

The growth benchmark's other half (bench/growth.py grows the number of tokens): here the table
holds `BATCH` tokens, each already named by N complaints from 40 districts of 10 states (its row
built by the matcher's own rules, N sightings applied one by one), written to the matcher's
RocksDB files before it starts, as in bench/growth.py. Then one more complaint naming each token
is timed. Past the hub threshold (25) each such complaint is a prolific identifier's: its district
is told at once, and the other districts by digest at most once per digest period (a day), so
the rows are built as complaints received within the hour before; a run where a digest is due
at every event is measured beside, as the most a digest can cost. The baseline is the same run
at 10 complaints. The runs take turns, `ROUNDS` times over (3: the median of three, and the
whole `make bench` within its 15 minutes), each round starting one later, so that a slow spell
of the machine, or the place in the round, does not fall on one shape only; each figure is its
median round. Run with `make bench`; results in docs/bench/prolific.md.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.growth import Broker, Measured, on_disk
from bench.growth_rows import DISTRICTS, Batch, StateStore, batches, row, warm_up
from bench.report import Figure, Result, line_chart, publish
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from schemas.events import CaseRef, IdentifierRef, IdentifierSighted
from schemas.identifiers import IdentifierType
from services.matcher.matching import MatchingRules, TokenState, on_sighting

COUNTS = tuple(
    int(n) for n in os.environ.get("BENCH_PROLIFIC_COUNTS", "10,100,1000,10000").split(",")
)
BATCH = int(os.environ.get("BENCH_PROLIFIC_BATCH", "3000"))
ROUNDS = int(os.environ.get("BENCH_PROLIFIC_ROUNDS", "3"))
TARGET = 1.2
_START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    """The rows of one run: how many complaints name each token, and whether the timed event
    is due a digest (its complaints received more than a digest period before) or not (within
    the hour before, as most of a prolific identifier's complaints are)."""

    count: int
    digest_due: bool = False

    @property
    def label(self) -> str:
        due = ", a digest due at every event" if self.digest_due else ""
        return f"{self.count:,} complaints on one identifier{due}"

    def grown(self, now: datetime) -> TokenState:
        return grown(
            self.count, now - (timedelta(days=2) if self.digest_due else timedelta(hours=1))
        )


SHAPES = (*(Shape(count) for count in COUNTS), Shape(COUNTS[-1], digest_due=True))


def grown(count: int, received_at: datetime) -> TokenState:
    """The row of an identifier named by `count` complaints, spread over the districts in turn,
    each received at `received_at`, as the matcher's own rules leave it (a row does not name
    its token)."""
    identifier = IdentifierRef(type=IdentifierType.PHONE, token="0" * 64, key_id="bench",
                               masked="+91 94•••••000")  # fmt: skip
    state, rules = TokenState(), MatchingRules()
    for n in range(count):
        district = DISTRICTS[n % len(DISTRICTS)]
        case = CaseRef(complaint_id=f"{district}-grown-{n:06d}", district=district,
                       police_station=f"Cyber Police Station {district}",
                       registered_at=_START + timedelta(minutes=n))  # fmt: skip
        sighting = IdentifierSighted(event_id=f"grown-{n}", case=case, identifier=identifier,
                                     received_at=received_at)  # fmt: skip
        outcome = on_sighting(state, sighting, rules=rules, now=received_at)
        assert outcome is not None
        state = outcome.state
    return state


def measure() -> list[tuple[Shape, Measured]]:
    """Each shape in turn, `ROUNDS` times: a fresh matcher on a disk whose rows have that
    shape, one batch of new tokens each time; the median round of each shape."""
    plan = iter(batches(len(SHAPES) * ROUNDS, BATCH, seed=31))
    warm = warm_up(seed=32)
    now = datetime.now(UTC)  # the timed sightings' received_at (bench/growth_rows.py)
    values = {shape: row(shape.grown(now)) for shape in SHAPES}
    rounds: dict[Shape, list[Measured]] = {shape: [] for shape in SHAPES}
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as kafka,
    ):
        provision_topics(kafka.access)
        broker = Broker(kafka.access)
        for round_ in range(ROUNDS):
            for shape in _turns(round_):
                batch = next(plan)
                known = Batch(batch.sightings, [(s.token, values[shape]) for s in batch.sightings])
                data_dir = Path(tmp) / f"round-{round_}-{shape.count}-{shape.digest_due}"
                records = StateStore(data_dir).records(known.rows)
                run = on_disk(broker, data_dir, BATCH, known, records, warm, at_least=True)
                rounds[shape].append(replace(run, size=shape.count))
                print(f"[bench.prolific] round {round_ + 1}, {shape.label}: {run}", flush=True)
    return [(shape, _median(rounds[shape])) for shape in SHAPES]


def _turns(round_: int) -> tuple[Shape, ...]:
    """The shapes in the order of this round: each round starts one later, so that no shape
    always runs in one place (the first matcher after the broker started, or the one after the
    costliest, runs differently); over as many rounds as shapes, each runs once in each."""
    start = round_ % len(SHAPES)
    return SHAPES[start:] + SHAPES[:start]


def _median(runs: list[Measured]) -> Measured:
    return sorted(runs, key=lambda run: run.cpu_us_per_event)[len(runs) // 2]


def figures(measured: list[tuple[Shape, Measured]]) -> list[Figure]:
    (first_shape, first), *_ = measured
    baseline = f"the same identifiers at {first_shape.count:,} complaints"
    return [
        figure
        for shape, run in measured
        for figure in (
            Figure(shape.label, "CPU-µs per event", run.cpu_us_per_event, baseline,
                   first.cpu_us_per_event, higher_is_better=False,
                   target=None if run is first or shape.digest_due else TARGET),
            Figure(shape.label, "events/s", run.per_second, baseline, first.per_second),
        )
    ]  # fmt: skip


def plot(measured: list[tuple[Shape, Measured]]) -> str:
    steady = [(shape, run) for shape, run in measured if not shape.digest_due]
    counts = [shape.count for shape, _ in steady]
    target = steady[0][1].cpu_us_per_event * TARGET
    return line_chart(
        "prolific.png", title="Matcher cost per event as one identifier grows",
        xlabel="complaints already naming the identifier", ylabel="CPU-µs per event",
        x=counts, logx=True, ymin=0,
        series={"matcher": [run.cpu_us_per_event for _, run in steady],
                f"target: {TARGET:g}x the cost at {counts[0]:,}": [target] * len(counts)},
    )  # fmt: skip


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    measured = measure()
    publish(Result(name="prolific", title="Matcher cost as one identifier grows",
                   method=METHOD, figures=figures(measured), plots=[plot(measured)],
                   notes=[f"The whole run took {time.monotonic() - began:.0f} s."],
                   parameters={"counts": list(COUNTS), "batch": BATCH,
                               "rounds": ROUNDS}))  # fmt: skip


METHOD = (
    f"A local broker; for each count N, a fresh matcher process whose `state_by_token` holds "
    f"{BATCH:,} rows, each the row of an identifier already named by N complaints from the 40 "
    "districts of 10 states in turn, built by applying the matcher's own `on_sighting` N times "
    "and written to its RocksDB files before it starts (as bench/growth.py does). Then one "
    f"sighting of a new complaint for each of the {BATCH:,} tokens is produced as fast as the "
    "broker takes it and timed from the first produced to the last processed; each must raise "
    "at least one alert (`crosslink_matcher_alerts_raised_total`), the proof that the matcher "
    "read the grown row. CPU is the matcher process's user and system time from /proc. Below "
    "the hub threshold (25) a complaint raises one shared alert listing every earlier "
    "complaint; past it, the prolific identifier's alert to its district, and the digest to "
    "the other districts when one is due: the rows' complaints were received within the hour "
    "before (no digest due, as for most of a prolific identifier's complaints: a digest goes "
    "out at most once a day, or at a new state), and in one more run two days before (a digest "
    f"due at every event, the most it can cost). The runs take turns, {ROUNDS} rounds, each "
    "starting one run later, so that no shape always runs in the same place; each figure is its "
    "median round. Baseline: the same run at the smallest count."
)

if __name__ == "__main__":
    main()
