"""Matcher cost per event as one identifier grows from 10 to 10,000 complaints.

The growth benchmark's other half (bench/growth.py grows the number of tokens): here the table
holds `BATCH` tokens, each already named by N complaints from 40 districts of 10 states (its row
built by the matcher's own rules, N sightings applied one by one), written to the matcher's
RocksDB files before it starts, as in bench/growth.py. Then one more complaint naming each token
is timed. Past the hub threshold (25) each such complaint is a prolific identifier's: its district
is told at once and operators get the live count, so each raises two alerts where a small one
raises one. The baseline is the same run at 10 complaints. Run with `make bench`; results in
docs/bench/prolific.md.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.growth import Broker, Measured, on_disk
from bench.growth_rows import DISTRICTS, Batch, StateStore, batches, row, warm_up
from bench.report import Figure, Result, line_chart, publish
from crosslink.localbroker import LocalBroker, free_port
from crosslink.provisioning import provision_topics
from schemas.events import CaseRef, IdentifierRef, IdentifierSighted
from schemas.identifiers import IdentifierType
from services.matcher.matching import MatchingRules, TokenState, on_sighting

COUNTS = tuple(
    int(n) for n in os.environ.get("BENCH_PROLIFIC_COUNTS", "10,100,1000,10000").split(",")
)
BATCH = int(os.environ.get("BENCH_PROLIFIC_BATCH", "3000"))
TARGET = 1.2
_START = datetime(2026, 1, 1, tzinfo=UTC)


def grown(count: int) -> TokenState:
    """The row of an identifier named by `count` complaints, spread over the districts in turn,
    as the matcher's own rules leave it (a row does not name its token)."""
    identifier = IdentifierRef(type=IdentifierType.PHONE, token="0" * 64, key_id="bench",
                               masked="+91 94•••••000")  # fmt: skip
    state, rules = TokenState(), MatchingRules()
    for n in range(count):
        district = DISTRICTS[n % len(DISTRICTS)]
        case = CaseRef(complaint_id=f"{district}-grown-{n:06d}", district=district,
                       police_station=f"Cyber Police Station {district}",
                       registered_at=_START + timedelta(minutes=n))  # fmt: skip
        sighting = IdentifierSighted(event_id=f"grown-{n}", case=case, identifier=identifier,
                                     received_at=_START)  # fmt: skip
        outcome = on_sighting(state, sighting, rules=rules, now=_START)
        assert outcome is not None
        state = outcome.state
    return state


def measure() -> list[Measured]:
    """Each count in turn: a fresh matcher on a disk whose rows have that count, one batch."""
    plan = batches(len(COUNTS), BATCH, seed=31)
    warm = warm_up(seed=32)
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as kafka,
    ):
        provision_topics(kafka.bootstrap)
        broker, measured = Broker(kafka.bootstrap), []
        for count, batch in zip(COUNTS, plan, strict=True):
            value = row(grown(count))
            known = Batch(batch.sightings, [(s.token, value) for s in batch.sightings])
            data_dir = Path(tmp) / f"count-{count}"
            records = StateStore(data_dir).records(known.rows)
            run = on_disk(broker, data_dir, BATCH, known, records, warm, at_least=True)
            measured.append(replace(run, size=count))
            print(f"[bench.prolific] {count:,} complaints per identifier: {run}", flush=True)
    return measured


def figures(measured: list[Measured]) -> list[Figure]:
    first = measured[0]
    baseline = f"the same identifiers at {first.size:,} complaints"
    return [
        figure
        for run in measured
        for figure in (
            Figure(f"{run.size:,} complaints on one identifier", "CPU-µs per event",
                   run.cpu_us_per_event, baseline, first.cpu_us_per_event,
                   higher_is_better=False, target=None if run is first else TARGET),
            Figure(f"{run.size:,} complaints on one identifier", "events/s", run.per_second,
                   baseline, first.per_second),
        )
    ]  # fmt: skip


def plot(measured: list[Measured]) -> str:
    counts, target = [run.size for run in measured], measured[0].cpu_us_per_event * TARGET
    return line_chart(
        "prolific.png", title="Matcher cost per event as one identifier grows",
        xlabel="complaints already naming the identifier", ylabel="CPU-µs per event",
        x=counts, logx=True, ymin=0,
        series={"matcher": [run.cpu_us_per_event for run in measured],
                f"target: {TARGET:g}x the cost at {counts[0]:,}": [target] * len(counts)},
    )  # fmt: skip


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    measured = measure()
    publish(Result(name="prolific", title="Matcher cost as one identifier grows",
                   method=METHOD, figures=figures(measured), plots=[plot(measured)],
                   notes=[f"The whole run took {time.monotonic() - began:.0f} s."],
                   parameters={"counts": list(COUNTS), "batch": BATCH}))  # fmt: skip


METHOD = (
    f"A local broker; for each count N, a fresh matcher process whose `state_by_token` holds "
    f"{BATCH:,} rows, each the row of an identifier already named by N complaints from the 40 "
    "districts of 10 states in turn, built by applying the matcher's own `on_sighting` N times "
    "and written to its RocksDB files before it starts (as bench/growth.py does). Then one "
    f"sighting of a new complaint for each of the {BATCH:,} tokens is produced as fast as the "
    "broker takes it and timed from the first produced to the last processed, the links sent "
    "to clustering included; each must raise at least one alert "
    "(`crosslink_matcher_alerts_raised_total`), the proof that the matcher read the grown row. "
    "CPU is the matcher process's user and system time from /proc. Below the hub threshold "
    "(25) a complaint raises one shared alert listing every earlier complaint; past it, the "
    "prolific identifier's alert to its district and the operators' alert with the live count. "
    "Baseline: the same run at the smallest count."
)

if __name__ == "__main__":
    main()
