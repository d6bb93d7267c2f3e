"""Matcher events per second and per CPU-second, against a bare aiokafka loop in the same run.

For each match rate, on a fresh local broker: the sightings of a synthetic complaint stream are
produced by this process (the load generator) as fast as the broker takes them, once to the
matcher's input topic and once to a copy the bare loop (bench/bare_loop.py) reads. Each
consumer runs in its own process, started and assigned before the load begins; its time is from
the first record produced to its last record processed, and its CPU is read from /proc.
Run with `make bench`; results in docs/bench/matcher.md.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from bench.brokers import child_environment
from bench.report import Figure, Result, bar_chart, publish
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import ServiceProcess, metric_value
from harness.synthetic import complaint_stream
from schemas.api import ComplaintSubmission
from schemas.topics import IDENTIFIER_SIGHTED, TopicSpec
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings

EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
COPY = TopicSpec("bench.sightings", partitions=IDENTIFIER_SIGHTED.partitions)
OUTPUT = TopicSpec("bench.bare-out", partitions=1)
STATES = ["MH", "MP", "WB", "RJ", "JH", "UP", "KA", "TN", "GJ", "DL"]
DISTRICTS = [f"{s}-{c}" for s, c in itertools.product(STATES, ["AAA", "BBB", "CCC", "DDD"])]
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float

    def per_second(self, events: int) -> float:
        return events / self.seconds

    def per_cpu_second(self, events: int) -> float:
        return events / self.cpu_seconds


def sightings(overlap: float) -> list[tuple[bytes, bytes]]:
    """(token, event JSON) for about EVENTS sightings of a seeded complaint stream."""
    key, now, records = IntakeSettings().pseudonym(), datetime.now(UTC), []
    for body in complaint_stream(DISTRICTS, seed=11, overlap=overlap):
        complaint = ComplaintSubmission.model_validate(body)
        for event in sightings_for(complaint, caller_district=complaint.district, key=key,
                                   received_at=now):  # fmt: skip
            records.append((event.identifier.token.encode(), event.model_dump_json().encode()))
        if len(records) >= EVENTS:
            return records[:EVENTS]
    raise AssertionError("unreachable: the stream is endless")


async def produce(kafka: KafkaAccess, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**kafka.options(), acks="all", enable_idempotence=True,
                                linger_ms=5)  # fmt: skip
    await producer.start()
    try:
        sent = [await producer.send(topic, key=key, value=value) for key, value in records]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def bare(kafka: KafkaAccess, records: list[tuple[bytes, bytes]]) -> Run:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_loop", "--topic", COPY.name,
         "--expect", str(len(records))],
        stdout=subprocess.PIPE, text=True, env=child_environment(kafka),
    )  # fmt: skip
    assert process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "ready"
        cpu, start = cpu_seconds(process.pid), time.perf_counter()
        asyncio.run(produce(kafka, COPY.name, records))
        assert process.stdout.readline().strip() == "done"
        return Run(time.perf_counter() - start, cpu_seconds(process.pid) - cpu)
    finally:
        process.terminate()
        process.wait()


def matcher(kafka: KafkaAccess, records: list[tuple[bytes, bytes]], workdir: Path) -> Run:
    env = {**kafka.environment(), "CROSSLINK_MATCHER_DATA_DIR": str(workdir),
           "CROSSLINK_LOG_LEVEL": "WARNING"}  # fmt: skip
    service = ServiceProcess("matcher", free_port(), env, log_path=workdir / "matcher.log")
    service.start().wait_healthy()
    try:
        warm_up = records[:1]  # assigned and running before the clock starts
        asyncio.run(produce(kafka, IDENTIFIER_SIGHTED.name, warm_up))
        _wait_position(service, 1)
        cpu, start = cpu_seconds(service.process.pid), time.perf_counter()
        asyncio.run(produce(kafka, IDENTIFIER_SIGHTED.name, records[1:]))
        _wait_position(service, len(records))
        return Run(time.perf_counter() - start, cpu_seconds(service.process.pid) - cpu)
    finally:
        service.stop()


def _wait_position(service: ServiceProcess, total: int, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            done = metric_value(service.base_url, "crosslink_matcher_position",
                                topic=IDENTIFIER_SIGHTED.name)  # fmt: skip
        except httpx.HTTPError:
            done = 0
        if done >= total:
            return
        assert time.monotonic() < deadline, f"matcher stuck at {done} of {total}"
        time.sleep(0.05)


def scenario(overlap: float) -> tuple[Run, Run, float]:
    """(matcher, bare loop, share of events that match an earlier one)."""
    records = sightings(overlap)
    keys = [key for key, _ in records]
    matching = 1 - len(set(keys)) / len(keys)
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as broker,
    ):
        provision_topics(broker.access)
        provision_topics(broker.access, [COPY, OUTPUT])
        measured = matcher(broker.access, records, Path(tmp))
        return measured, bare(broker.access, records), matching


def main() -> None:
    figures: list[Figure] = []
    for name, overlap in (("high match rate", 0.9), ("low match rate", 0.05)):
        matched, baseline, matching = scenario(overlap)
        label = f"{name} ({matching:.0%} match)"
        figures += [
            Figure(label, "events/s", matched.per_second(EVENTS), "bare aiokafka loop",
                   baseline.per_second(EVENTS), target=0.5),
            Figure(label, "events per CPU-second", matched.per_cpu_second(EVENTS),
                   "bare aiokafka loop", baseline.per_cpu_second(EVENTS)),
        ]  # fmt: skip
    throughput = [f for f in figures if f.metric == "events/s"]
    plot = bar_chart(
        "matcher.png", title="Matcher throughput against a bare aiokafka loop",
        ylabel="events/s", groups=[f.scenario for f in throughput],
        series={"matcher": [f.value for f in throughput],
                "bare aiokafka loop": [f.baseline_value for f in throughput]},
    )  # fmt: skip
    title = "Matcher throughput against a bare aiokafka loop"
    publish(Result(name="matcher", title=title, method=METHOD, figures=figures, plots=[plot],
                   parameters={"events": EVENTS}))  # fmt: skip


METHOD = (
    f"{EVENTS} sightings per scenario from `harness.synthetic` (40 districts in 10 states, "
    "seed 11), on a fresh local broker per scenario. The load is produced by the benchmark "
    "process as fast as the broker takes it; each consumer runs in its own process, is assigned "
    "before the load starts, and is timed from the first record produced to its last record "
    "processed. CPU is the consumer process's user and system time, read from /proc. The bare "
    "loop (bench/bare_loop.py) consumes in batches of up to 500, decodes, looks the key up in "
    "a dict and, for a key seen before, sends one record (acks=all, idempotent), waiting until "
    "the broker holds a batch's outputs before the next, as the matcher does with its alerts. "
    "It keeps no durable state, where the matcher also writes each changed token's state to "
    "its changelog. Clustering reads its own topic (one record per complaint, from intake) and "
    "is not part of this benchmark."
)

if __name__ == "__main__":
    main()
