"""Matcher cost per event and resident memory as its table grows, 10^4 to 10^6 tokens.

Pushing 10^6 sightings through the matcher would take far longer than the benchmark's budget,
and so would faust's own recovery of a 10^6-row changelog (about 1,500-5,000 rows/s here). So
for each size the table's RocksDB files are written before the matcher starts, with faust's
own options, paths, key and value bytes (bench/growth_rows.py), as a worker restarting on its
own disk finds them. One size is also grown the honest slow way, by writing its rows to the
changelog topic and letting a fresh matcher recover them, to time the recovery and to check
that both ways give the same matcher. Then a fixed batch of sightings, half naming tokens that
have a row (each must raise one alert, or the run fails), is timed as in bench/matcher.py.
Run with `make bench`; results in docs/bench/growth.md.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.brokers import child_environment
from bench.growth_rows import (
    Batch,
    Record,
    Sighting,
    StateStore,
    batches,
    filler,
    warm_up,
)
from bench.matcher import cpu_seconds
from bench.report import Figure, Result, line_chart, publish
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import ServiceProcess, metric_samples, metric_value
from schemas.topics import (
    CLUSTERS_CHANGELOG,
    CLUSTERS_TABLE,
    IDENTIFIER_SIGHTED,
    STATE_CHANGELOG,
    STATE_TABLE,
    TopicSpec,
)

SIZES = tuple(
    int(n) for n in os.environ.get("BENCH_GROWTH_SIZES", "10000,100000,300000,1000000").split(",")
)
BATCH = int(os.environ.get("BENCH_GROWTH_BATCH", "5000"))


@dataclass(frozen=True)
class Measured:
    size: int
    events: int  # the timed sightings
    start_s: float  # from the process's start to its first event processed
    skipped: int  # warm-up sightings it never processed (see _warm_up)
    seconds: float
    cpu_seconds: float
    rss_mib: float
    peak_mib: float

    @property
    def cpu_us_per_event(self) -> float:
        return self.cpu_seconds / self.events * 1e6

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


@dataclass(frozen=True)
class Held:
    """A bare process holding the table as a dict: how long it took to fill, and its memory."""

    seconds: float
    rss_mib: float


class Broker:
    """The broker's address and the end offset of each sightings partition produced so far."""

    def __init__(self, kafka: KafkaAccess) -> None:
        self.access = kafka
        self.ends: dict[int, int] = {}

    def sightings(self, sightings: Sequence[Sighting]) -> None:
        records = ((s.partition, s.token.encode(), s.value) for s in sightings)
        for partition, end in asyncio.run(_produce(self.access, IDENTIFIER_SIGHTED.name,
                                                   records)).items():  # fmt: skip
            self.ends[partition] = max(self.ends.get(partition, 0), end)

    def changelog(self, records: Iterable[Record]) -> None:
        asyncio.run(_produce(self.access, STATE_CHANGELOG.name, records))


async def _produce(kafka: KafkaAccess, topic: str, records: Iterable[Record]) -> dict[int, int]:
    """Send as fast as the broker takes them; the end offset reached on each partition."""
    producer = AIOKafkaProducer(**kafka.options(), acks="all", enable_idempotence=True,
                                linger_ms=5)  # fmt: skip
    await producer.start()
    try:
        sent = [await producer.send(topic, key=key, value=value, partition=partition)
                for partition, key, value in records]  # fmt: skip
        ends: dict[int, int] = {}
        for metadata in await asyncio.gather(*sent):
            ends[metadata.partition] = max(ends.get(metadata.partition, 0), metadata.offset + 1)
        return ends
    finally:
        await producer.stop()


def memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process: resident now, and the peak so far."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def matcher(
    broker: Broker,
    data_dir: Path,
    size: int,
    batch: Batch,
    warm: Sequence[Sighting],
    *,
    at_least: bool = False,
) -> Measured:
    """Start a matcher on `data_dir`, wait for its first events, then time `batch`. Each of the
    batch's known tokens must raise one alert (`at_least`: one or more)."""
    env = {
        **broker.access.environment(),
        "CROSSLINK_MATCHER_DATA_DIR": str(data_dir),
        "CROSSLINK_LOG_LEVEL": os.environ.get("BENCH_GROWTH_LOG_LEVEL", "WARNING"),
    }
    service = ServiceProcess("matcher", free_port(), env, log_path=data_dir / "matcher.log")
    began = time.perf_counter()
    service.start()
    try:
        service.wait_healthy()
        skipped = _warm_up(service, broker, warm)
        start_s, pid = time.perf_counter() - began, service.process.pid
        alerts, cpu, began = _alerts(service), cpu_seconds(pid), time.perf_counter()
        broker.sightings(batch.sightings)
        _wait_positions(service, broker.ends)
        seconds, cpu = time.perf_counter() - began, cpu_seconds(pid) - cpu
        raised = _alerts(service) - alerts
        expected = len(batch.rows)
        assert raised >= expected if at_least else raised == expected, (
            f"{raised} alerts for {expected} known tokens"
        )
        events = len(batch.sightings)
        return Measured(size, events, start_s, skipped, seconds, cpu, *memory_mib(pid))
    finally:
        service.stop()


def _warm_up(service: ServiceProcess, broker: Broker, warm: Sequence[Sighting]) -> int:
    """Send `warm` every second until the matcher processes sightings; how many it skipped.

    A matcher whose group had no committed offset yet used to skip sightings that arrived
    while it recovered its table (fixed in services/matcher/faust_fixes.py, tested by
    tests/e2e/test_matcher_recovery.py). The count stays as a check: it must be 0.
    """
    deadline, rounds = time.monotonic() + 600, 0
    while True:
        broker.sightings(warm)
        rounds += 1
        if _wait_positions(service, broker.ends, within_s=1.0):
            processed = metric_value(service.base_url, "crosslink_matcher_events_total")
            return max(rounds * len(warm) - int(processed), 0)
        assert time.monotonic() < deadline, "the matcher processed no sighting in 10 minutes"


def _alerts(service: ServiceProcess) -> float:
    return metric_value(service.base_url, "crosslink_matcher_alerts_raised_total")


def _wait_positions(
    service: ServiceProcess,
    ends: Mapping[int, int],
    topic: TopicSpec = IDENTIFIER_SIGHTED,
    within_s: float | None = None,
) -> bool:
    """Until the matcher has processed every record of `topic` up to `ends`, on every partition;
    False if that takes more than `within_s`, an AssertionError after 10 minutes."""
    began = time.monotonic()
    while True:
        try:
            samples = metric_samples(service.base_url, "crosslink_matcher_position",
                                     topic=topic.name)  # fmt: skip
        except httpx.HTTPError:
            samples = []
        done = {int(sample.labels["partition"]): sample.value for sample in samples}
        if all(done.get(partition, 0) >= end for partition, end in ends.items()):
            return True
        assert service.process.poll() is None, "the matcher exited"
        if within_s is not None and time.monotonic() - began > within_s:
            return False
        assert time.monotonic() - began < 600, f"matcher stuck at {done}, produced {ends}"
        time.sleep(0.05)


def held(records: Iterable[Record] = (), kafka: KafkaAccess | None = None, expect: int = 0) -> Held:
    """A bare dict of the rows, fed through a pipe or read from the changelog by aiokafka."""
    command = [sys.executable, "-m", "bench.growth_dict"]
    env = None
    if kafka:
        command += ["--changelog", "--expect", str(expect)]
        env = child_environment(kafka)
    began = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        if not kafka:
            process.stdin.writelines(b"%s\t%s\n" % (key, value) for _, key, value in records)
            process.stdin.write(b"\n")
            process.stdin.flush()
        assert process.stdout.readline().startswith(b"held")
        seconds = time.perf_counter() - began
        return Held(seconds, memory_mib(process.pid)[0])
    finally:
        process.stdin.close()
        process.wait()


def _ends(kafka: KafkaAccess, topic: TopicSpec) -> dict[int, int]:
    """The end offset of each partition of `topic` now."""

    async def read() -> dict[int, int]:
        consumer = AIOKafkaConsumer(**kafka.options(), enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
            ends = await consumer.end_offsets(partitions)
            return {tp.partition: offset for tp, offset in ends.items()}
        finally:
            await consumer.stop()

    return asyncio.run(read())


CHANGELOGS = {STATE_TABLE: STATE_CHANGELOG, CLUSTERS_TABLE: CLUSTERS_CHANGELOG}


def table(known: Sequence[Record], bulk: Sequence[Record], size: int) -> Iterable[Record]:
    """The `size` rows of a table: those of the batch's known tokens, then filler."""
    return chain(known, islice(bulk, size - len(known)))


def on_disk(
    broker: Broker, data_dir: Path, size: int, batch: Batch, rows: Iterable[Record],
    warm: Sequence[Sighting], *, at_least: bool = False,
) -> Measured:  # fmt: skip
    """The matcher restarting on a disk that holds `rows`."""
    ends = {name: _ends(broker.access, topic) for name, topic in CHANGELOGS.items()}
    StateStore(data_dir).write(rows, ends)
    return matcher(broker, data_dir, size, batch, warm, at_least=at_least)


def recovered(
    broker: Broker, data_dir: Path, size: int, batch: Batch, rows: Iterable[Record],
    warm: Sequence[Sighting],
) -> tuple[Measured, Held]:  # fmt: skip
    """A fresh matcher rebuilding its table from `rows` on the changelog, and a bare aiokafka
    consumer reading the same changelog into a dict. Run first, on an empty broker."""
    broker.changelog(rows)
    bare = held(kafka=broker.access, expect=size)
    return matcher(broker, data_dir, size, batch, warm), bare


def measure() -> tuple[Measured, Held, list[Measured], list[Held]]:
    """(cold recovery at the smallest size, its bare read, each size on disk, each bare dict)."""
    plan = batches(len(SIZES) + 1, BATCH, seed=21)
    warm = warm_up(seed=22)
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as kafka,
    ):
        _progress("broker up")
        codec = StateStore(Path(tmp) / "cold")  # encoded once: the same bytes for every use
        bulk = list(codec.records(filler(max(SIZES))))
        known = [list(codec.records(batch.rows)) for batch in plan]
        _progress(f"{len(bulk):,} rows and {len(plan)} batches built")
        provision_topics(kafka.access)
        broker = Broker(kafka.access)
        cold, read = recovered(broker, Path(tmp) / "cold", SIZES[0], plan[0],
                               table(known[0], bulk, SIZES[0]), warm)  # fmt: skip
        _progress(f"{cold.size:,} tokens rebuilt from the changelog: {cold}")
        sized = []
        for size, batch, rows in zip(SIZES, plan[1:], known[1:], strict=True):
            sized.append(on_disk(broker, Path(tmp) / f"size-{size}", size, batch,
                                 table(rows, bulk, size), warm))  # fmt: skip
            _progress(f"{size:,} tokens on disk: {sized[-1]}")
    bare = [held(table(rows, bulk, size)) for size, rows in zip(SIZES, known[1:], strict=True)]
    _progress(f"bare dicts: {bare}")
    return cold, read, sized, bare


def _progress(message: str) -> None:
    print(f"[bench.growth {time.monotonic() - _STARTED:4.0f} s] {message}", flush=True)


_STARTED = time.monotonic()


def figures(cold: Measured, read: Held, sized: list[Measured], bare: list[Held]) -> list[Figure]:
    first = sized[0]
    smallest = f"matcher at {first.size:,} tokens"
    result: list[Figure] = []
    for run, dict_ in zip(sized, bare, strict=True):
        label = f"{run.size:,} tokens"
        result += [
            Figure(label, "CPU-µs per event", run.cpu_us_per_event, smallest,
                   first.cpu_us_per_event, higher_is_better=False,
                   target=None if run is first else 1.25),
            Figure(label, "events/s", run.per_second, smallest, first.per_second),
            Figure(label, "RSS after the batch (MiB)", run.rss_mib, "bare dict of the same rows",
                   dict_.rss_mib, higher_is_better=False),
            Figure(label, "start to first event (s)", run.start_s, smallest, first.start_s,
                   higher_is_better=False),
        ]  # fmt: skip
    label = f"{cold.size:,} tokens, rebuilt from the changelog"
    return [
        *result,
        Figure(label, "start to first event (s)", cold.start_s,
               "bare aiokafka read of the changelog into a dict", read.seconds,
               higher_is_better=False),
        Figure(label, "CPU-µs per event", cold.cpu_us_per_event, f"{smallest} (on disk)",
               first.cpu_us_per_event, higher_is_better=False),
    ]  # fmt: skip


def plots(sized: list[Measured], bare: list[Held]) -> list[str]:
    sizes, target = [run.size for run in sized], sized[0].cpu_us_per_event * 1.25
    cost = line_chart(
        "growth.png", title="Matcher cost per event as its table grows",
        xlabel="tokens in the table", ylabel="CPU-µs per event", x=sizes, logx=True, ymin=0,
        series={"matcher": [run.cpu_us_per_event for run in sized],
                "target: 1.25x the smallest table": [target] * len(sized)},
    )  # fmt: skip
    memory = line_chart(
        "growth-memory.png", title="Resident memory as the table grows",
        xlabel="tokens in the table", ylabel="MiB", x=sizes, logx=True, logy=True,
        series={"matcher RSS": [run.rss_mib for run in sized],
                "matcher peak (VmHWM)": [run.peak_mib for run in sized],
                "bare dict of the same rows": [held.rss_mib for held in bare]},
    )  # fmt: skip
    return [cost, memory]


def main() -> None:
    # `timeout` and Ctrl-C alike: leave through the finally blocks that stop the processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    cold, read, sized, bare = measure()
    notes = [*_notes(cold, read, sized), f"The whole run took {time.monotonic() - began:.0f} s."]
    publish(Result(name="growth", title="Matcher cost and memory as its table grows",
                   method=METHOD, figures=figures(cold, read, sized, bare),
                   plots=plots(sized, bare), notes=notes,
                   parameters={"sizes": list(SIZES), "batch": BATCH}))  # fmt: skip


def _notes(cold: Measured, read: Held, sized: list[Measured]) -> list[str]:
    same = next(run for run in sized if run.size == cold.size)
    recovery_s = max(cold.start_s - same.start_s, 0.1)  # the start-up both have, taken out
    rate, largest = cold.size / recovery_s, sized[-1]
    notes = [
        f"Recovery: rebuilding {cold.size:,} rows from the changelog added {recovery_s:.1f} s "
        f"to the matcher's start ({cold.start_s:.1f} s against {same.start_s:.1f} s with the "
        f"same table on disk), about {rate:,.0f} rows/s; a bare aiokafka consumer read the same "
        f"changelog into a dict in {read.seconds:.1f} s, process start included. At that rate a "
        f"worker without its disk would need about {largest.size / rate / 60:.0f} min to come "
        f"back with {largest.size:,} tokens.",
        "Peak memory (VmHWM) of the matcher: "
        + ", ".join(f"{run.peak_mib:,.0f} MiB at {run.size:,} tokens" for run in sized)
        + ".",
    ]
    if cold.skipped:
        notes.append(
            f"The matcher rebuilding its table skipped {cold.skipped} of the warm-up sightings "
            "sent while it recovered (its consumer group had no committed offset yet): they "
            "were never processed, and the benchmark sent more until some were."
        )
    return notes


METHOD = (
    f"A local broker; for each table size, a fresh matcher process whose `state_by_token` "
    "RocksDB files were written before it started by the benchmark (bench/growth_rows.py: "
    "faust's own store paths and RocksDB options, the key and value bytes faust writes, each "
    "row a real `TokenState` with one earlier complaint, on the partition of its token), as a "
    "worker restarting on its own disk finds them; the changelogs' offsets are marked as "
    "applied, so the worker reads nothing from them. Its start is timed from process start to "
    f"its first events processed. Then {BATCH:,} sightings of one-off phone numbers from "
    "`harness.synthetic` are produced by the benchmark process as fast as the broker takes "
    "them, every other one naming a token that has a row (each must raise one alert, checked "
    "on `crosslink_matcher_alerts_raised_total`, or the run fails), and timed from the first "
    "produced to the last processed. CPU is the "
    "matcher process's user and system time from /proc, memory its VmRSS after the batch. "
    "Baselines from the same run: cost and speed against the smallest table; memory against a "
    "bare Python process holding a dict of the same rows (key bytes -> row JSON). The smallest "
    "size is also run the slow honest way: its rows written to the changelog topic with "
    "aiokafka and recovered by a matcher with an empty disk, against a bare aiokafka consumer "
    "reading the same changelog into a dict."
)

if __name__ == "__main__":
    main()
