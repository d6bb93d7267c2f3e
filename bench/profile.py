"""Profile the matcher under bench/matcher.py's load: where its CPU goes, as shares of samples.

`BENCH_EVENTS=5000 python -m bench.profile [--overlap 0.9]` starts a fresh local broker and the
matcher as in bench/matcher.py, attaches py-spy to the matcher once it is assigned, produces
the sightings from this process, and stops py-spy when the matcher has processed them all. It
prints the functions that hold the most samples (self: the function itself was running;
total: it was on the stack) and keeps py-spy's collapsed stacks (`--output`, for a flame graph)
and the matcher's log beside them (same name, `.log`). Not part of
`make bench`: it measures nothing against a baseline, it only says where to look.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.matcher import EVENTS, cpu_seconds, produce, sightings
from crosslink.provisioning import provision_topics
from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.processes import ServiceProcess, metric_value
from schemas.topics import IDENTIFIER_SIGHTED

PY_SPY = Path(sys.executable).parent / "py-spy"


@dataclass(frozen=True)
class Profile:
    samples: int
    self_share: list[tuple[str, float]]
    total_share: list[tuple[str, float]]


def summarise(collapsed: str, top: int) -> Profile:
    """Shares of samples per function from py-spy's raw output (`frame;frame;... count`)."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count, frames = int(count_text), stack.split(";")
        samples += count
        own[_function(frames[-1])] += count
        for function in {_function(frame) for frame in frames}:
            anywhere[function] += count
    return Profile(
        samples,
        [(f, n / samples) for f, n in own.most_common(top)],
        [(f, n / samples) for f, n in anywhere.most_common(top)],
    )


def _function(frame: str) -> str:
    """`name (path/to/module.py:123)` -> `name (path/to/module.py)`: one entry per function."""
    name, _, where = frame.partition(" (")
    module = where.rsplit(":", 1)[0].split("site-packages/")[-1]
    return f"{name} ({module.removeprefix(str(Path.cwd()) + '/')})"


def profile(overlap: float, output: Path, rate: int) -> tuple[float, float]:
    """Run the load against a py-spy'd matcher; (seconds, CPU-seconds) of the matcher."""
    records = sightings(overlap)
    with (
        tempfile.TemporaryDirectory(prefix="crosslink-profile-") as tmp,
        LocalBroker(Path(tmp) / "kafka", free_port(), free_port()) as broker,
    ):
        provision_topics(broker.access)
        env = {**broker.access.environment(), "CROSSLINK_LOG_LEVEL": "WARNING",
               "CROSSLINK_MATCHER_DATA_DIR": tmp}  # fmt: skip
        log = output.with_suffix(".log")
        log.unlink(missing_ok=True)  # the service appends to it
        service = ServiceProcess("matcher", free_port(), env, log_path=log)
        service.start().wait_healthy()
        try:
            asyncio.run(produce(broker.access, IDENTIFIER_SIGHTED.name, records[:1]))
            _wait_position(service, 1)
            spy = subprocess.Popen(
                [str(PY_SPY), "record", "--pid", str(service.process.pid), "--format", "raw",
                 "--rate", str(rate), "--nonblocking", "--output", str(output)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                cpu, start = cpu_seconds(service.process.pid), time.perf_counter()
                asyncio.run(produce(broker.access, IDENTIFIER_SIGHTED.name, records[1:]))
                _wait_position(service, len(records))
                seconds = time.perf_counter() - start
                return seconds, cpu_seconds(service.process.pid) - cpu
            finally:
                spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                spy.wait(30)
        finally:
            service.stop()


def _wait_position(service: ServiceProcess, total: int, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while metric_value(service.base_url, "crosslink_matcher_position") < total:
        assert time.monotonic() < deadline, "matcher stuck"
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--overlap", type=float, default=0.9, help="0.9 high, 0.05 low match")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--output", type=Path, default=Path(".crosslink/matcher-profile.txt"))
    arguments = parser.parse_args()
    seconds, cpu = profile(arguments.overlap, arguments.output, arguments.rate)
    print(f"{EVENTS} events in {seconds:.1f} s ({EVENTS / seconds:.0f}/s), "
          f"{cpu:.1f} CPU-s; stacks in {arguments.output}")  # fmt: skip
    result = summarise(arguments.output.read_text(), arguments.top)
    for title, shares in (("self", result.self_share), ("total", result.total_share)):
        print(f"\n{title} (of {result.samples} samples)")
        for function, share in shares:
            print(f"{share:6.1%}  {function}")


if __name__ == "__main__":
    main()
