"""`make bench`: every benchmark in its own interpreter, then docs/benchmarks.md from their results.

Each one starts what it needs (a local broker, the services, its baseline) and stops it. Run
one alone with `python -m bench.<name>`, then `python -m bench.summary` to refresh the page.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.report import DOCS

RUN = DOCS / "run.json"  # how long the last whole run took, each benchmark and in all

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
    took: dict[str, float] = {}
    for name in BENCHMARKS:
        print(f"== bench.{name}", flush=True)
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", f"bench.{name}"], check=True)
        took[name] = round(time.monotonic() - began)
        print(f"== bench.{name}: {took[name]:.0f} s", flush=True)
    total = time.monotonic() - started
    finished = datetime.now(UTC).replace(microsecond=0).isoformat()
    RUN.write_text(json.dumps({"finished_at": finished, "seconds": round(total),
                               "benchmarks": took}, indent=2) + "\n")  # fmt: skip
    subprocess.run([sys.executable, "-m", "bench.summary"], check=True)
    print(f"== all benchmarks: {total:.0f} s", flush=True)


if __name__ == "__main__":
    main()
