"""`make bench`: every benchmark in its own interpreter, then docs/benchmarks.md from their results.

Each one starts what it needs (a local broker, the services, its baseline) and stops it. Run
one alone with `python -m bench.<name>`, then `python -m bench.summary` to refresh the page.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = (
    "canon",
    "matcher",
    "recovery",
    "intake",
    "latency",
    "notifier",
    "backfill",
    "growth",
    "prolific",
    "rematch",
)


def main() -> None:
    started = time.monotonic()
    for name in BENCHMARKS:
        print(f"== bench.{name}", flush=True)
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", f"bench.{name}"], check=True)
        print(f"== bench.{name}: {time.monotonic() - began:.0f} s", flush=True)
    subprocess.run([sys.executable, "-m", "bench.summary"], check=True)
    print(f"== all benchmarks: {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
