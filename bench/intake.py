"""Intake complaints per second, against a FastAPI no-op and a raw ASGI no-op in the same run.

On a fresh local broker, each server (intake, then the two no-ops of bench/intake_noop.py) runs
alone in its own process, pinned to core 0, and is loaded in turn by bench/load.py, its own
process, pinned to core 1 with the broker: the same pre-built complaints over the same number
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
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

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
from services.intake.api import COMPLAINTS_PATH

CONCURRENCY = int(os.environ.get("BENCH_INTAKE_CONCURRENCY", "32"))
WARM_UP_S = float(os.environ.get("BENCH_INTAKE_WARM_UP_S", "3"))
SECONDS = float(os.environ.get("BENCH_INTAKE_SECONDS", "15"))
BODIES = 20_000  # enough that intake never sees the same complaint twice in one run
SERVER_CPU, LOAD_CPU = 0, 1
TITLE = "Intake throughput against no-op servers"
NAMES = {"intake": "intake", "fastapi": "FastAPI no-op", "asgi": "raw ASGI no-op"}


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

    @property
    def per_second(self) -> float:
        return self.answers / self.seconds

    @property
    def cpu_ms_per_complaint(self) -> float:
        return self.server_cpu_s / self.answers * 1000

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
def noop(app: str) -> Iterator[tuple[str, int]]:
    """(URL, pid) of a no-op app of bench/intake_noop.py served on core 0."""
    port = free_port()
    with pinned(SERVER_CPU):
        process = subprocess.Popen([sys.executable, "-m", "bench.intake_noop", app,
                                    "--port", str(port)])  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/healthz", process, name=f"{app} no-op", timeout_s=60)
        yield f"{base}{COMPLAINTS_PATH}", process.pid
    finally:
        process.terminate()
        process.wait()


@contextmanager
def intake(kafka: KafkaAccess, workdir: Path) -> Iterator[tuple[str, int]]:
    """(URL, pid) of the real intake service served on core 0, connected to the broker."""
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
        yield f"{service.base_url}{COMPLAINTS_PATH}", service.process.pid
    finally:
        service.stop()


def measure(key: str, url: str, pid: int, bodies: Path) -> Measured:
    """Load `url` with bench/load.py; the server's CPU is read when the window opens and shuts."""
    command = [sys.executable, "-m", "bench.load", "--url", url, "--bodies", str(bodies),
               "--concurrency", str(CONCURRENCY), "--warm-up", str(WARM_UP_S),
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
                        load["waited_seconds"], load["p50_ms"], load["p99_ms"])  # fmt: skip
    print(
        f"{NAMES[key]}: {measured.per_second:,.0f} complaints/s, "
        f"{measured.cpu_ms_per_complaint:.2f} server CPU-ms each, {measured.busy()}",
        flush=True,
    )
    return measured


def run_all(workdir: Path) -> dict[str, Measured]:
    bodies = write_bodies(workdir / "bodies.jsonl")
    results: dict[str, Measured] = {}
    # The broker starts on the load generator's core: in production Kafka is on other machines,
    # and here it must not take CPU from the server being measured.
    with pinned(LOAD_CPU), LocalBroker(workdir / "kafka", free_port(), free_port()) as broker:
        provision_topics(broker.access)
        with intake(broker.access, workdir) as (url, pid):
            results["intake"] = measure("intake", url, pid, bodies)
        for app in ("fastapi", "asgi"):
            with noop(app) as (url, pid):
                results[app] = measure(app, url, pid, bodies)
    return results


def figures(results: dict[str, Measured]) -> list[Figure]:
    served = results["intake"]
    found: list[Figure] = []
    for key, target in (("fastapi", 0.85), ("asgi", None)):
        base, label = results[key], NAMES[key]
        found += [
            Figure("POST /v1/complaints", "complaints/s", served.per_second, label,
                   base.per_second, target=target),
            Figure("POST /v1/complaints", "server CPU-ms per complaint",
                   served.cpu_ms_per_complaint, label, base.cpu_ms_per_complaint,
                   higher_is_better=False),
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
        "server, not the load generator, was the one at its limit."
    )


if __name__ == "__main__":
    main()
