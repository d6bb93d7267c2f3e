"""Load generator for bench/intake.py: POSTs pre-built complaints over N keep-alive connections.

Run as its own process (`python -m bench.load --url URL --bodies FILE --concurrency N
--warm-up W --seconds S`). Each line of FILE is `{"api_key": ..., "body": {...}}`. Every
request is encoded once, before the load starts, and spoken over raw asyncio streams rather
than through an HTTP client library: a client library costs more CPU per request than the
no-op servers it measures, and the generator must never be the bottleneck. Each connection
sends one request, reads its answer, sends the next (HTTP/1.1 keep-alive, no pipelining).

It prints `measuring` when the timed window opens, then one JSON line: answers completed in the
window, its length, its own CPU-seconds and time spent waiting for its core in the window, and
latency percentiles. Any answer that is not 2xx stops it with exit code 1 and the answer on
stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class NotAccepted(RuntimeError):
    """The server answered something other than 2xx."""


@dataclass
class Window:
    """The timed window: answers completed inside it are counted, with their latency."""

    opens: float
    closes: float
    latencies: list[float] = field(default_factory=list)

    def record(self, sent: float, answered: float) -> None:
        if self.opens <= answered < self.closes:
            self.latencies.append(answered - sent)


def requests(bodies: Path, host: str, path: str) -> list[bytes]:
    """Every line of `bodies` as a complete HTTP/1.1 POST, headers and body."""
    encoded = []
    for line in bodies.read_text().splitlines():
        item = json.loads(line)
        body = json.dumps(item["body"], separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {item['api_key']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        encoded.append(head.encode() + body)
    return encoded


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(status, body) of one HTTP/1.1 answer that carries a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return status, await reader.readexactly(int(line[15:]))
    raise NotAccepted(f"an answer without Content-Length: {head!r}")


async def connection(
    host: str, port: int, pending: Iterator[bytes], window: Window, stop: float
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (sent := time.monotonic()) < stop:
            writer.write(next(pending))
            status, body = await read_answer(reader)
            if not 200 <= status < 300:
                raise NotAccepted(f"HTTP {status}: {body[:2000].decode(errors='replace')}")
            window.record(sent, time.monotonic())
    finally:
        writer.close()


async def run(
    url: str, bodies: Path, concurrency: int, warm_up_s: float, seconds: float
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    pending = itertools.cycle(requests(bodies, f"{host}:{port}", parts.path))
    now = time.monotonic()
    window = Window(now + warm_up_s, now + warm_up_s + seconds)
    connections = [
        asyncio.create_task(connection(host, port, pending, window, window.closes))
        for _ in range(concurrency)
    ]
    await asyncio.sleep(warm_up_s)  # the window opens on the clock, not on a condition
    print("measuring", flush=True)
    cpu, waited = time.process_time(), waited_seconds()
    await asyncio.gather(*connections)
    return summary(window, time.process_time() - cpu, waited_seconds() - waited)


def waited_seconds(pid: int | str = "self") -> float:
    """Time a process's main thread spent runnable but waiting for a core that another held."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def summary(window: Window, cpu_s: float, waited_s: float) -> dict[str, float]:
    latencies = sorted(window.latencies)
    if not latencies:
        raise NotAccepted("no answer at all within the timed window")
    seconds = window.closes - window.opens

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return {
        "answers": len(latencies),
        "seconds": seconds,
        "per_second": len(latencies) / seconds,
        "cpu_seconds": cpu_s,
        "waited_seconds": waited_s,
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warm-up", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cpu", type=int, help="pin this process to that core")
    arguments = parser.parse_args()
    if arguments.cpu is not None:
        os.sched_setaffinity(0, {arguments.cpu})
    try:
        result = asyncio.run(run(arguments.url, arguments.bodies, arguments.concurrency,
                                 arguments.warm_up, arguments.seconds))  # fmt: skip
    except NotAccepted as error:
        print(f"bench.load: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
