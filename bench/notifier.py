"""Notifier webhooks per second and per CPU-second against a like-for-like loop, on SQLite and on
PostgreSQL, in the same run.

The alerts are the matcher's own: its rule (`on_sighting`) raises each on the sixth complaint
naming one phone, each complaint in another district, and they are produced as the matcher
produces them (keyed by alert id, the alert's JSON). For each database, on a fresh local broker,
with every district's webhook pointing at one verifying receiver (harness.receiver) in this
process: the notifier runs as a process on a fresh database, then the like-for-like loop
(bench/notifier_loop.py) on a topic and a fresh database of its own. Each has delivered a
warm-up alert before the clock starts; its time is from the first of the other alerts produced
to the last of their webhooks received, and its CPU is read from /proc. Run with `make bench`;
results in docs/bench/notifier.md.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.brokers import child_environment
from bench.matcher import DISTRICTS, REPOSITORY, Run, cpu_seconds, produce
from bench.report import Figure, Result, bar_chart, publish
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.postgres import LocalPostgres, postgres_bin
from harness.processes import ServiceProcess
from harness.receiver import WebhookReceiver
from harness.testbed import OPERATOR_KEY, webhook_secret, write_districts_file
from schemas.api import ComplaintSubmission
from schemas.events import AlertRaised
from schemas.topics import ALERT_RAISED, TopicSpec
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.matcher.matching import MatchingRules, TokenState, on_sighting

ALERTS = int(os.environ.get("BENCH_NOTIFIER_ALERTS", "1000"))
DISTRICTS_PER_ALERT = 6
WEBHOOKS = ALERTS * DISTRICTS_PER_ALERT  # timed: the warm-up alert's are not
LOOP_TOPIC = TopicSpec("bench.notifier-loop-alerts", partitions=ALERT_RAISED.partitions)
BASELINE = "like-for-like loop"
TARGET = 0.7  # issue 20: webhooks/s at least 0.7x the like-for-like loop's, on each database
TIMEOUT_S = 600.0
Records = list[tuple[bytes, bytes]]


def alerts(count: int) -> list[AlertRaised]:
    """`count` alerts as the matcher raises them, each about another phone."""
    key, now, rules = IntakeSettings().pseudonym(), datetime.now(UTC), MatchingRules()
    rng = random.Random(13)  # the same districts every run
    raised = []
    for n in range(count):
        state, latest = TokenState(), None
        for i, district in enumerate(rng.sample(DISTRICTS, DISTRICTS_PER_ALERT)):
            complaint = ComplaintSubmission.model_validate({
                "complaint_id": f"C-{n}-{i}", "district": district,
                "police_station": f"Cyber PS {district}",
                "registered_at": (now - timedelta(hours=DISTRICTS_PER_ALERT - i)).isoformat(),
                "identifiers": [{"type": "phone", "value": f"98{n:08d}"}],
            })  # fmt: skip
            (sighting,) = sightings_for(complaint, caller_district=district, key=key,
                                        received_at=now)  # fmt: skip
            latest = on_sighting(state, sighting, rules=rules, now=now)
            assert latest is not None, "every complaint is counted"
            state = latest.state
        assert latest is not None
        (alert,) = latest.alerts  # the sixth complaint's: about all six districts
        raised.append(alert)
    return raised


@contextmanager
def receiving(workdir: Path) -> Iterator[tuple[WebhookReceiver, Path]]:
    """A receiver verifying every district's webhooks, and a districts file pointing at it."""
    workdir.mkdir(parents=True)
    receiver = WebhookReceiver({code: webhook_secret(code) for code in DISTRICTS}).start()
    try:
        urls = {code: receiver.url_for(code) for code in DISTRICTS}
        yield receiver, write_districts_file(workdir / "districts.yaml", urls)
    finally:
        receiver.stop()


def configuration(kafka: KafkaAccess, districts: Path, database_url: str) -> dict[str, str]:
    """The variables the notifier and the loop are both configured by."""
    return {**kafka.environment(), "CROSSLINK_DISTRICTS_FILE": str(districts),
            "CROSSLINK_DATABASE_URL": database_url, "CROSSLINK_LOG_LEVEL": "WARNING"}  # fmt: skip


def timed(kafka: KafkaAccess, topic: str, records: Records, receiver: WebhookReceiver,
          pid: int) -> Run:  # fmt: skip
    """Produce the warm-up alert and wait for its webhooks; then time the others from the first
    produced to the last of their webhooks received."""
    asyncio.run(produce(kafka, topic, records[:1]))
    _received(receiver, DISTRICTS_PER_ALERT)
    cpu, start = cpu_seconds(pid), time.monotonic()
    asyncio.run(produce(kafka, topic, records[1:]))
    last = _received(receiver, DISTRICTS_PER_ALERT * len(records))
    return Run(last - start, cpu_seconds(pid) - cpu)


def _received(receiver: WebhookReceiver, expected: int) -> float:
    """Wait until `expected` webhooks have verified, each once; when the last one arrived."""
    deadline = time.monotonic() + TIMEOUT_S
    while len(webhooks := receiver.processed()) < expected:
        assert time.monotonic() < deadline, f"{len(webhooks)} of {expected} webhooks received"
        time.sleep(0.05)
    assert len(receiver.received) == expected, "a webhook failed to verify or came twice"
    return max(webhook.at for webhook in webhooks)


def notifier(kafka: KafkaAccess, records: Records, database_url: str, workdir: Path) -> Run:
    with receiving(workdir) as (receiver, districts):
        env = configuration(kafka, districts, database_url)
        service = ServiceProcess("notifier", free_port(), env, log_path=workdir / "notifier.log")
        service.start().wait_healthy()
        try:
            run = timed(kafka, ALERT_RAISED.name, records, receiver, service.process.pid)
            _wait_recorded(service, DISTRICTS_PER_ALERT * len(records))
            return run
        finally:
            service.stop()


def _wait_recorded(service: ServiceProcess, expected: int) -> None:
    """Wait until the outbox has recorded every webhook as delivered (after the clock)."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        response = httpx.get(f"{service.base_url}/v1/operator/outbox", timeout=10,
                             headers={"Authorization": f"Bearer {OPERATOR_KEY}"})  # fmt: skip
        response.raise_for_status()
        if response.json()["deliveries"].get("webhook", {}).get("delivered", 0) >= expected:
            return
        assert time.monotonic() < deadline, "the notifier did not record every delivery"
        time.sleep(0.1)


def loop(kafka: KafkaAccess, records: Records, database_url: str, workdir: Path) -> Run:
    with receiving(workdir) as (receiver, districts):
        env = {**child_environment(kafka), **configuration(kafka, districts, database_url),
               "PYTHONPATH": str(REPOSITORY)}  # fmt: skip
        command = [sys.executable, "-m", "bench.notifier_loop", "--topic", LOOP_TOPIC.name,
                   "--expect", str(len(records))]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        assert process.stdout is not None
        try:
            run = timed(kafka, LOOP_TOPIC.name, records, receiver, process.pid)
            assert process.stdout.readline().strip() == "done", "the loop did not record all"
            return run
        finally:
            process.terminate()
            process.wait()


def measured(records: Records, workdir: Path,
             database_url: Callable[[str], str]) -> tuple[Run, Run]:  # fmt: skip
    """(notifier, like-for-like loop), on a broker of their own: the notifier's topic starts
    empty. Each gets a database of its own from `database_url(name)`."""
    workdir.mkdir()
    with LocalBroker(workdir / "kafka", free_port(), free_port()) as broker:
        provision_topics(broker.access)
        provision_topics(broker.access, [LOOP_TOPIC])
        kafka = broker.access
        under_test = notifier(kafka, records, database_url("notifier"), workdir / "notifier")
        return under_test, loop(kafka, records, database_url("loop"), workdir / "loop")


def main() -> None:
    started = time.monotonic()
    bin_dir = postgres_bin()
    assert bin_dir is not None, "no PostgreSQL server: run `make system-packages`"
    records = [(a.alert_id.encode(), a.model_dump_json().encode()) for a in alerts(ALERTS + 1)]
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp,
        LocalPostgres(bin_dir) as postgres,
    ):
        sqlite, postgresql = Path(tmp) / "sqlite", Path(tmp) / "postgresql"
        runs = {
            "SQLite": measured(records, sqlite, lambda name: f"sqlite:///{sqlite / name}.db"),
            "PostgreSQL": measured(records, postgresql, lambda _: postgres.create_database()),
        }
    publish_results(runs, time.monotonic() - started)


def publish_results(runs: dict[str, tuple[Run, Run]], took_s: float) -> None:
    figures: list[Figure] = []
    for database, (under_test, bare) in runs.items():
        baseline = f"{BASELINE} ({database})"
        figures += [
            Figure(database, "webhooks/s", under_test.per_second(WEBHOOKS), baseline,
                   bare.per_second(WEBHOOKS), target=TARGET),
            Figure(database, "webhooks per CPU-second", under_test.per_cpu_second(WEBHOOKS),
                   baseline, bare.per_cpu_second(WEBHOOKS)),
        ]  # fmt: skip
    plot = bar_chart(
        "notifier.png", title="Notifier against a like-for-like loop", ylabel="webhooks/s",
        groups=list(runs),
        series={"notifier": [n.per_second(WEBHOOKS) for n, _ in runs.values()],
                BASELINE: [b.per_second(WEBHOOKS) for _, b in runs.values()]},
    )  # fmt: skip
    times = "; ".join(f"{database}: notifier {n.seconds:.1f} s, loop {b.seconds:.1f} s"
                      for database, (n, b) in runs.items())  # fmt: skip
    notes = [f"Timed: {times}. The whole benchmark took {took_s:.0f} s."]
    parameters = {"alerts": ALERTS, "webhooks": WEBHOOKS, "per_alert": DISTRICTS_PER_ALERT}
    publish(Result(name="notifier", title=TITLE, method=METHOD, figures=figures, plots=[plot],
                   notes=notes, parameters=parameters))  # fmt: skip


TITLE = "Notifier webhooks per second against a like-for-like loop, on SQLite and PostgreSQL"
METHOD = (
    f"{ALERTS:,} alerts ({WEBHOOKS:,} webhooks) per database, raised by the matcher's own rule "
    f"(`on_sighting`) on the sixth complaint naming a phone, each complaint in another of 40 "
    f"districts, so each alert goes to {DISTRICTS_PER_ALERT} districts; produced as the matcher "
    "produces them (keyed by alert id, acks=all, idempotent). Every district's webhook points at "
    "one receiver in the benchmark process (harness.receiver: it verifies each signature, "
    "answers 204, speaks HTTP/1.0, listen backlog 128). For each database, on a fresh local "
    "broker: the notifier (its defaults: 16 webhooks at once, 4 to one district; log level "
    "WARNING) on a fresh database, then the like-for-like loop on its own topic and a fresh "
    "database of its own; SQLite is a file in a temporary directory, PostgreSQL one local server "
    "(`harness.postgres`, fsync on). Each runs in its own process, has delivered a warm-up alert "
    "before the clock starts, and is timed from the first of the other alerts produced (as fast "
    "as the broker takes them) to the last of their webhooks received; the notifier must then "
    "have recorded every delivery. CPU is the process's user and system time, read from /proc "
    "(not the database server's, not the receiver's). The like-for-like loop "
    "(bench/notifier_loop.py) does the notifier's durable work without its machinery: "
    "configured by the notifier's own variables and limits, in batches of up to 500 alerts, it "
    "decodes each alert and plans its deliveries with crosslink's `deliveries_for`, inserts a "
    "row per delivery (delivery id, alert id, district, status) in one transaction, builds each "
    "body with crosslink's `webhook_body`, signs it with `signed_headers` and POSTs it with the "
    "notifier's httpx client (16 at once, 4 to one district), records every answer (status, "
    "attempted at) in one transaction, then commits the batch's offsets; the notifier's "
    "drivers, and its SQLite settings (WAL, synchronous=FULL). It keeps no alert rows, no "
    "inbox, no leases and no retry schedule, which the notifier does."
)

if __name__ == "__main__":
    main()
