"""Intake complaints per second, one at a time against a FastAPI no-op and a raw ASGI no-op,
and in batches against a FastAPI endpoint that validates the same batch and publishes the same
number of records with acks=all, all in the same run.

On a fresh local broker, each server (intake, then the baselines of bench/intake_noop.py) runs
alone in its own process, pinned to core 0, and is loaded in turn by bench/load.py, its own
process, pinned to core 1 with the broker: the same pre-built requests over the same number
of keep-alive connections, a warm-up, then a timed window. Server CPU is read from /proc at the
window's edges. Run with `make bench`; results in docs/bench/intake.md.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from bench.brokers import child_environment
from bench.load import waited_seconds
from bench.matcher import DISTRICTS, cpu_seconds
from bench.report import Figure, Result, bar_chart, publish
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import ServiceProcess, wait_until_answering
from harness.synthetic import complaint_stream
from harness.testbed import UNLIMITED, api_key, write_districts_file
from schemas.api import MAX_BATCH
from services.intake.api import BATCH_PATH, COMPLAINTS_PATH

CONCURRENCY = int(os.environ.get("BENCH_INTAKE_CONCURRENCY", "32"))
# A back-fill posts batches of MAX_BATCH one after another (crosslink import-complaints): a few
# such clients at once.
BATCH_CONCURRENCY = int(os.environ.get("BENCH_INTAKE_BATCH_CONCURRENCY", "4"))
WARM_UP_S = float(os.environ.get("BENCH_INTAKE_WARM_UP_S", "3"))
SECONDS = float(os.environ.get("BENCH_INTAKE_SECONDS", "10"))
BODIES = 20_000  # enough that intake never sees the same complaint twice in one run
SERVER_CPU, LOAD_CPU = 0, 1
TITLE = "Intake throughput against no-op servers"
NAMES = {"intake": "intake", "fastapi": "FastAPI no-op", "asgi": "raw ASGI no-op",
         "intake-batch": "intake, batches", "batch": "FastAPI batch baseline"}  # fmt: skip
SINGLE, BATCHED = "POST /v1/complaints", f"POST {BATCH_PATH} ({MAX_BATCH} a request)"


@dataclass(frozen=True)
class Measured:
    """One server under load: what bench/load.py counted and the server's CPU in the window."""

    answers: int
    seconds: float
    server_cpu_s: float
    server_waited_s: float  # runnable but not running: another process held its core
    load_cpu_s: float
    load_waited_s: float
    p50_ms: float
    p99_ms: float
    complaints_per_answer: int = 1

    @property
    def complaints(self) -> int:
        return self.answers * self.complaints_per_answer

    @property
    def per_second(self) -> float:
        return self.complaints / self.seconds

    @property
    def cpu_ms_per_complaint(self) -> float:
        return self.server_cpu_s / self.complaints * 1000

    def busy(self) -> str:
        shares = (self.server_cpu_s, self.server_waited_s, self.load_cpu_s, self.load_waited_s)
        server, waited, load, load_waited = (f"{s / self.seconds:.0%}" for s in shares)
        return (f"server {server} (waited for its core {waited}), "
                f"load generator {load} (waited {load_waited})")  # fmt: skip


def write_bodies(path: Path) -> Path:
    """BODIES complaints of a seeded stream, each beside its district's key, for bench/load.py."""
    stream = itertools.islice(complaint_stream(DISTRICTS, seed=11), BODIES)
    lines = (json.dumps({"api_key": api_key(b["district"]), "body": b}) for b in stream)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_batches(path: Path) -> Path:
    """The same BODIES complaints as batches of MAX_BATCH, one district each (a district's
    key posts its own complaints), for bench/load.py."""
    by_district: dict[str, list[dict[str, object]]] = {}
    lines = []
    for body in itertools.islice(complaint_stream(DISTRICTS, seed=11), BODIES):
        batch = by_district.setdefault(body["district"], [])
        batch.append(body)
        if len(batch) == MAX_BATCH:
            lines.append(json.dumps({"api_key": api_key(body["district"]),
                                     "body": {"complaints": batch}}))  # fmt: skip
            by_district[body["district"]] = []
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def pinned(cpu: int) -> Iterator[None]:
    """This process on `cpu` only, so whatever it starts meanwhile inherits that core."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextmanager
def noop(app: str, kafka: KafkaAccess, *, pinned_to_core: bool = True) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of a baseline app of bench/intake_noop.py, served on core 0 unless not
    `pinned_to_core` (then as intake is in a whole pipeline)."""
    port = free_port()
    with pinned(SERVER_CPU) if pinned_to_core else nullcontext():
        process = subprocess.Popen([sys.executable, "-m", "bench.intake_noop", app,
                                    "--port", str(port)], env=child_environment(kafka))  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/healthz", process, name=f"{app} no-op", timeout_s=60)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait()


@contextmanager
def intake(kafka: KafkaAccess, workdir: Path) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of the real intake service served on core 0, connected to the broker."""
    districts = write_districts_file(workdir / "districts.yaml", dict.fromkeys(DISTRICTS))
    env = {**kafka.environment(), "CROSSLINK_LOG_LEVEL": "WARNING",
           "CROSSLINK_DISTRICTS_FILE": str(districts),
           "CROSSLINK_PSEUDONYM_KEY": "bench-pseudonym-key-of-at-least-32-characters",
           **UNLIMITED}  # fmt: skip
    service = ServiceProcess("intake", free_port(), env, log_path=workdir / "intake.log")
    with pinned(SERVER_CPU):
        service.start()
    try:
        service.wait_healthy("/readyz")
        yield service.base_url, service.process.pid
    finally:
        service.stop()


def measure(key: str, url: str, pid: int, bodies: Path, per_request: int = 1) -> Measured:
    """Load `url` with bench/load.py; the server's CPU is read when the window opens and shuts."""
    concurrency = CONCURRENCY if per_request == 1 else BATCH_CONCURRENCY
    command = [sys.executable, "-m", "bench.load", "--url", url, "--bodies", str(bodies),
               "--concurrency", str(concurrency), "--warm-up", str(WARM_UP_S),
               "--seconds", str(SECONDS), "--cpu", str(LOAD_CPU)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        opened = process.stdout.readline().strip()
        cpu, waited = cpu_seconds(pid), waited_seconds(pid)
        closed = process.stdout.readline()
        cpu, waited = cpu_seconds(pid) - cpu, waited_seconds(pid) - waited
        if process.wait() != 0 or opened != "measuring":
            raise RuntimeError(f"bench.load failed against {NAMES[key]} (its error is above)")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    load = json.loads(closed)
    measured = Measured(load["answers"], load["seconds"], cpu, waited, load["cpu_seconds"],
                        load["waited_seconds"], load["p50_ms"], load["p99_ms"],
                        per_request)  # fmt: skip
    print(
        f"{NAMES[key]}: {measured.per_second:,.0f} complaints/s, "
        f"{measured.cpu_ms_per_complaint:.2f} server CPU-ms each, {measured.busy()}",
        flush=True,
    )
    return measured


def run_all(workdir: Path) -> dict[str, Measured]:
    bodies = write_bodies(workdir / "bodies.jsonl")
    batches = write_batches(workdir / "batches.jsonl")
    results: dict[str, Measured] = {}
    # The broker starts on the load generator's core: in production Kafka is on other machines,
    # and here it must not take CPU from the server being measured.
    with pinned(LOAD_CPU), LocalBroker(workdir / "kafka", free_port(), free_port()) as broker:
        provision_topics(broker.access)
        with intake(broker.access, workdir) as (base, pid):
            results["intake"] = measure("intake", base + COMPLAINTS_PATH, pid, bodies)
            results["intake-batch"] = measure("intake-batch", base + BATCH_PATH, pid, batches,
                                              MAX_BATCH)  # fmt: skip
        for app in ("fastapi", "asgi"):
            with noop(app, broker.access) as (base, pid):
                results[app] = measure(app, base + COMPLAINTS_PATH, pid, bodies)
        with noop("batch", broker.access) as (base, pid):
            results["batch"] = measure("batch", base + BATCH_PATH, pid, batches, MAX_BATCH)
    return results


def figures(results: dict[str, Measured]) -> list[Figure]:
    found: list[Figure] = []
    for scenario, served, key, target in (
        (SINGLE, results["intake"], "fastapi", 0.85),
        (SINGLE, results["intake"], "asgi", None),
        (BATCHED, results["intake-batch"], "batch", 0.8),
    ):
        base, label = results[key], NAMES[key]
        found += [
            Figure(scenario, "complaints/s", served.per_second, label, base.per_second,
                   target=target),
            Figure(scenario, "server CPU-ms per complaint", served.cpu_ms_per_complaint, label,
                   base.cpu_ms_per_complaint, higher_is_better=False),
        ]  # fmt: skip
    return found


TABLE_HEAD = (
    "| server | complaints/s | server CPU-ms per complaint | CPU shares in the window | "
    "p50 ms | p99 ms |\n|---|---:|---:|---|---:|---:|"
)


def notes(results: dict[str, Measured]) -> Sequence[str]:
    rows = [
        f"| {NAMES[key]} | {m.per_second:,.0f} | {m.cpu_ms_per_complaint:.3f} | {m.busy()} | "
        f"{m.p50_ms:.1f} | {m.p99_ms:.1f} |"
        for key, m in results.items()
    ]
    return [
        "Each server in its window. CPU shares are of one core: the server near 100% and the "
        "load generator well below it means the figures are the server's, not the generator's; "
        "the server waiting for its core means something else ran there.",
        "\n".join([TABLE_HEAD, *rows]),
    ]


def serving() -> str:
    """What uvicorn.run's defaults pick here: the same for intake and both no-ops."""
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    http = AutoHTTPProtocol.__module__.rsplit(".", 1)[1].removesuffix("_impl")
    return f"uvicorn {uvicorn.__version__}, one worker, loop {loop}, HTTP parser {http}"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crosslink-bench-") as tmp:
        results = run_all(Path(tmp))
    plot = bar_chart(
        "intake.png",
        title=TITLE,
        ylabel="complaints/s",
        groups=[NAMES[key] for key in results],
        series={"complaints/s": [m.per_second for m in results.values()]},
    )
    parameters = {"concurrency": CONCURRENCY, "warm_up_s": WARM_UP_S, "seconds": SECONDS,
                  "bodies": BODIES, "serving": serving()}  # fmt: skip
    publish(Result(name="intake", title=TITLE, method=method(), figures=figures(results),
                   plots=[plot], notes=notes(results), parameters=parameters))  # fmt: skip


def method() -> str:
    return (
        "Complaints from `harness.synthetic` (40 districts in 10 states, seed 11), each posted "
        "with its district's API key, on a fresh local broker. Each server runs alone in its own "
        f"process on core 0 under {serving()} (uvicorn.run's defaults, as services/intake "
        "serves itself): the real intake service (rate limit lifted, log level WARNING; a 202 "
        "means every identifier event is acknowledged by the broker, acks=all), a FastAPI no-op "
        "(bench/intake_noop.py: the same route, bearer header and `ComplaintSubmission` body "
        "validation, the same 202 answer, nothing behind it) and a raw ASGI no-op (reads the "
        "body, answers a fixed 202). The load generator (bench/load.py) is its own process on "
        "core 1, beside the broker (pinned with sched_setaffinity so the server has a core to "
        "itself and Kafka, which in production runs on other machines, takes none of it): "
        f"{CONCURRENCY} keep-alive connections, each posting the next pre-encoded request as soon "
        "as the previous is answered, over raw asyncio streams (an HTTP client library would cost "
        "more CPU than the no-op servers). Any non-2xx answer fails the run. After "
        f"{WARM_UP_S:g} s of warm-up, answers are counted for {SECONDS:g} s; server CPU is its "
        "user and system time from /proc over that window, and the table below shows that the "
        "server, not the load generator, was the one at its limit. Batches: the same "
        f"complaints in requests of {MAX_BATCH} (one district each, as `crosslink "
        f"import-complaints` posts them) over {BATCH_CONCURRENCY} connections, to intake's "
        "batch route and to the FastAPI batch baseline (bench/intake_noop.py: the same route, "
        "bearer header and `ComplaintBatch` body, each complaint validated as "
        "`ComplaintSubmission`, the same answer, and the same number of records published to "
        "the same topics with acks=all before it answers, without canon or pseudonyms)."
    )


if __name__ == "__main__":
    main()
