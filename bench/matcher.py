"""Matcher events per second and per CPU-second, against three baselines in the same run.

- the bare aiokafka loop (bench/bare_loop.py): consume, decode, a dict, produce; no rule, no
  durable state: what Kafka and asyncio cost alone;
- the like-for-like loop (bench/stateful_loop.py): the matcher's own rule and rows, RocksDB
  and a compacted changelog, offsets committed after both: the matcher's work without faust;
- the Quix Streams peer (bench/quix_peer.py, in .venv-quix): the same rule on a maintained
  stream-processing library with RocksDB state and changelogs.

For each match rate, on a fresh local broker: the sightings of a synthetic complaint stream are
produced by this process (the load generator) as fast as the broker takes them, to the
matcher's input topic and to each baseline's own copy while that baseline runs. Each consumer
runs in its own process and has processed a warm-up record before the clock starts; its time
is from the first record produced to its last record processed, and its CPU is read from
/proc. Run with `make bench`; results in docs/bench/matcher.md.
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

from bench import bare_loop, stateful_loop
from bench.brokers import child_environment
from bench.report import Figure, Result, bar_chart, publish
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import ServiceProcess, metric_value
from harness.synthetic import complaint_stream
from schemas.api import ComplaintSubmission
from schemas.topics import ALERT_RAISED, IDENTIFIER_SIGHTED, TopicSpec
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings

EVENTS = int(os.environ.get("BENCH_EVENTS", "15000"))
REPOSITORY = Path(__file__).resolve().parent.parent
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


def sightings(overlap: float, events: int = EVENTS) -> list[tuple[bytes, bytes]]:
    """(token, event JSON) for `events` sightings of a seeded complaint stream."""
    key, now, records = IntakeSettings().pseudonym(), datetime.now(UTC), []
    for body in complaint_stream(DISTRICTS, seed=11, overlap=overlap):
        complaint = ComplaintSubmission.model_validate(body)
        for event in sightings_for(complaint, caller_district=complaint.district, key=key,
                                   received_at=now):  # fmt: skip
            records.append((event.identifier.token.encode(), event.model_dump_json().encode()))
        if len(records) >= events:
            return records[:events]
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


@dataclass(frozen=True)
class Baseline:
    """A baseline's process: its module, the interpreter that runs it and the topic it reads."""

    name: str
    module: str
    topic: TopicSpec
    python: str = sys.executable

    def run(self, kafka: KafkaAccess, records: list[tuple[bytes, bytes]]) -> Run:
        """Start it, hand it the warm-up record, then time it from the first of the rest
        produced to its `done` (every record processed and its effects held by the broker)."""
        command = [self.python, "-m", self.module, "--topic", self.topic.name,
                   "--expect", str(len(records))]  # fmt: skip
        env = {
            **child_environment(kafka),
            "PYTHONPATH": str(REPOSITORY),
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }  # libraries' own, on import
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        assert process.stdout is not None
        try:
            asyncio.run(produce(kafka, self.topic.name, records[:1]))
            assert process.stdout.readline().strip() == "ready", f"{self.name} did not start"
            cpu, start = cpu_seconds(process.pid), time.perf_counter()
            asyncio.run(produce(kafka, self.topic.name, records[1:]))
            assert process.stdout.readline().strip() == "done", f"{self.name} did not finish"
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


def _copy(name: str) -> TopicSpec:
    """A baseline's own copy of the sightings topic (it is produced while the baseline runs)."""
    return TopicSpec(f"bench.sightings.{name}", partitions=IDENTIFIER_SIGHTED.partitions)


BARE = Baseline("bare aiokafka loop", "bench.bare_loop", _copy("bare"))
LIKE_FOR_LIKE = Baseline("like-for-like loop", "bench.stateful_loop", _copy("like-for-like"))
QUIX = Baseline("Quix Streams peer", "bench.quix_peer", _copy("quix"),
                python=str(REPOSITORY / ".venv-quix" / "bin" / "python"))  # fmt: skip
# Each baseline's ratio target (issue 8 for the bare loop, issue 20 for the other two).
BASELINES = [(BARE, 0.5), (LIKE_FOR_LIKE, 0.8), (QUIX, 1.0)]
OUTPUTS = [
    TopicSpec(bare_loop.OUTPUT_TOPIC, partitions=1),
    TopicSpec(stateful_loop.ALERTS_TOPIC, partitions=ALERT_RAISED.partitions),
    TopicSpec(stateful_loop.CHANGELOG_TOPIC, partitions=IDENTIFIER_SIGHTED.partitions,
              config={"cleanup.policy": "compact"}),
]  # fmt: skip


def scenario(overlap: float) -> tuple[Run, dict[str, Run], float]:
    """(matcher, each baseline, share of events that match an earlier one)."""
    records = sightings(overlap)
    keys = [key for key, _ in records]
    matching = 1 - len(set(keys)) / len(keys)
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as broker,
    ):
        provision_topics(broker.access)
        provision_topics(broker.access, [b.topic for b, _ in BASELINES] + OUTPUTS)
        measured = matcher(broker.access, records, Path(tmp))
        return measured, {b.name: b.run(broker.access, records) for b, _ in BASELINES}, matching


def main() -> None:
    figures: list[Figure] = []
    for name, overlap in (("high match rate", 0.9), ("low match rate", 0.05)):
        matched, baselines, matching = scenario(overlap)
        label = f"{name} ({matching:.0%} match)"
        for baseline, target in BASELINES:
            run = baselines[baseline.name]
            figures += [
                Figure(label, "events/s", matched.per_second(EVENTS), baseline.name,
                       run.per_second(EVENTS), target=target),
                Figure(label, "events per CPU-second", matched.per_cpu_second(EVENTS),
                       baseline.name, run.per_cpu_second(EVENTS)),
            ]  # fmt: skip
    throughput = [f for f in figures if f.metric == "events/s"]
    groups = list(dict.fromkeys(f.scenario for f in throughput))
    series = {"matcher": [next(f.value for f in throughput if f.scenario == g) for g in groups]}
    for baseline, _ in BASELINES:
        series[baseline.name] = [
            f.baseline_value for f in throughput if f.baseline == baseline.name
        ]
    plot = bar_chart("matcher.png", title=TITLE, ylabel="events/s", groups=groups, series=series)
    publish(Result(name="matcher", title=TITLE, method=METHOD, figures=figures, plots=[plot],
                   parameters={"events": EVENTS}))  # fmt: skip


TITLE = "Matcher throughput against a bare aiokafka loop, a like-for-like loop and Quix Streams"
METHOD = (
    f"{EVENTS} sightings per scenario from `harness.synthetic` (40 districts in 10 states, "
    "seed 11), on a fresh local broker per scenario. The load is produced by the benchmark "
    "process as fast as the broker takes it; each consumer runs in its own process, has "
    "processed a warm-up record before the load starts, and is timed from the first record "
    "produced to its last record processed. CPU is the consumer process's user and system "
    "time, read from /proc. Three baselines, each reading its own copy of the sightings. The "
    "bare loop (bench/bare_loop.py) consumes in batches of up to 500, decodes, looks the key "
    "up in a dict and, for a key seen before, sends one record (acks=all, idempotent), waiting "
    "until the broker holds a batch's outputs before the next, as the matcher does with its "
    "alerts; it keeps no durable state and runs no rule. The like-for-like loop "
    "(bench/stateful_loop.py) does the matcher's work on sightings without faust: in batches of "
    "up to 500, crosslink's own rule (`on_sighting` on `TokenState`, bench/sighting_rule.py) "
    "with the same alert ids and the same rows (the token's row and the offset that counted "
    "each complaint), alerts sent and held by the broker, then the rows written to RocksDB "
    "(one write batch per partition) and to a compacted changelog and held, then the offsets "
    "committed. The Quix Streams peer (bench/quix_peer.py, Quix Streams 3.28.1 in its own "
    "virtual environment) runs the same rule as a stateful `apply` with RocksDB state and a "
    "changelog topic, at its defaults (at-least-once, a checkpoint every 5 s). Clustering "
    "reads its own topic (one record per complaint, from intake) and is not part of this "
    "benchmark."
)

if __name__ == "__main__":
    main()
