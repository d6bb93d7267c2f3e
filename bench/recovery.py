"""Table recovery: the rows of the matcher's tokens' table rebuilt from its changelog per
second, against a bare read of the same changelog into RocksDB in the same run.

On a fresh local broker the changelog of the tokens' table is filled with the records the
matcher itself writes for a synthetic stream of sightings (each token's row after every change,
and the offset that counted each complaint), each on its token's partition. The matcher starts
with no local store (it always rebuilds the table from its changelog,
`faust_fixes.rebuild_from_changelog`) and answers /readyz once recovery is over; the baseline
(bench/recovery_bare.py) reads the same partitions from their first offset to their end into
RocksDB, and times itself. The matcher is started without a local store (a new or lost disk),
then again with the store it left, which holds the whole changelog: the difference between the
two times from start to ready is its recovery time, the start itself (interpreter, connections,
group join) being the same in both. A first start, not counted, creates the consumer group.
Run with `make bench`; results in docs/bench/recovery.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from bench.brokers import child_environment
from bench.matcher import sightings
from bench.report import Figure, Result, publish
from bench.sighting_rule import SightingRule
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import ServiceProcess
from schemas.topics import STATE_CHANGELOG

ROWS = int(os.environ.get("BENCH_RECOVERY_ROWS", "100000"))
PARTITIONS = list(range(STATE_CHANGELOG.partitions))


def changelog_records(rows: int) -> Iterator[tuple[int, bytes, bytes]]:
    """(partition, key, value) of the first `rows` records the matcher's rule writes for the
    benchmark's sightings (a low match rate: most records are new tokens' rows)."""
    rule, partition_of = SightingRule(), DefaultPartitioner()
    stored: dict[str, str] = {}
    written = 0
    for offset, (token, value) in enumerate(sightings(0.05, events=rows)):
        partition = partition_of(token, PARTITIONS, PARTITIONS)
        applied = rule.apply(value, offset, stored.get)
        for key, row in applied.writes:
            stored[key] = row
            yield partition, json.dumps(key).encode(), row.encode()  # faust's keys are JSON
            written += 1
            if written == rows:
                return


async def fill(kafka: KafkaAccess, records: list[tuple[int, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**kafka.options(), acks="all", enable_idempotence=True,
                                linger_ms=5)  # fmt: skip
    await producer.start()
    try:
        sent = [
            await producer.send(STATE_CHANGELOG.name, key=key, value=value, partition=partition)
            for partition, key, value in records
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def matcher_ready(kafka: KafkaAccess, workdir: Path) -> float:
    """Seconds from the matcher's start to its /readyz answering 200 (recovery over), with
    its data (the tables' stores) in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**kafka.environment(), "CROSSLINK_MATCHER_DATA_DIR": str(workdir),
           "CROSSLINK_LOG_LEVEL": "WARNING"}  # fmt: skip
    service = ServiceProcess("matcher", free_port(), env, log_path=workdir / "matcher.log")
    start = time.perf_counter()
    service.start()
    try:
        service.wait_healthy("/readyz", timeout_s=600)
        return time.perf_counter() - start
    finally:
        service.stop()


def bare_done(kafka: KafkaAccess) -> float:
    """Seconds the bare reader took to read the changelog (it times itself: it has no start
    of the matcher's kind to leave out)."""
    command = [sys.executable, "-m", "bench.recovery_bare", "--topic", STATE_CHANGELOG.name,
               "--partitions", str(len(PARTITIONS))]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                               env=child_environment(kafka))  # fmt: skip
    assert process.stdout is not None
    try:
        done, _, seconds = process.stdout.readline().strip().partition(" ")
        assert done == "done", "the bare reader did not finish"
        return float(seconds)
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    records = list(changelog_records(ROWS))
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as broker,
    ):
        provision_topics(broker.access)
        asyncio.run(fill(broker.access, records))
        matcher_ready(broker.access, Path(tmp) / "warm-up")  # the group's first start
        lost = matcher_ready(broker.access, Path(tmp) / "store")
        kept = matcher_ready(broker.access, Path(tmp) / "store")
        bare_s = bare_done(broker.access)
    matcher_s = lost - kept
    rows = len(records)
    figure = Figure(f"{rows:,} changelog records", "records recovered/s", rows / matcher_s,
                    BASELINE, rows / bare_s, target=0.5)  # fmt: skip
    notes = [
        f"The matcher took {lost:.1f} s from start to ready without a local store and "
        f"{kept:.1f} s with the store it left; the bare reader read the changelog in "
        f"{bare_s:.1f} s."
    ]
    publish(Result(name="recovery", title=TITLE, method=METHOD, figures=[figure], notes=notes,
                   parameters={"rows": len(records)}))  # fmt: skip


BASELINE = "bare changelog read into RocksDB"
TITLE = "Table recovery against a bare read of the changelog into RocksDB"
METHOD = (
    f"{ROWS:,} records on the changelog of the matcher's tokens' table (6 partitions), the "
    "records the matcher's own rule writes for the matcher benchmark's low-match sightings, each "
    "on its token's partition, on a fresh local broker. The matcher starts with no local store "
    "and rebuilds the table from the changelog before /readyz answers 200; the bare reader "
    "(bench/recovery_bare.py) reads the same partitions from the first offset to the end, "
    "without a consumer group, and writes each fetch to RocksDB (one store per partition, one "
    "write batch per fetch), timing itself from its seek to the first offsets to its last "
    "record. The matcher is started without a local store, then again with the store it left "
    "(which holds the whole changelog); its recovery time is the difference, so its start "
    "(interpreter, connections, group join) is left out. A first start, not counted, creates "
    "the consumer group."
)

if __name__ == "__main__":
    main()
