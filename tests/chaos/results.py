"""Write docs/reliability.md's table from the runs `make chaos` recorded.

    python -m tests.chaos.results docs/chaos/runs.jsonl docs/reliability.md

Each line of the runs file is one run of one scenario (tests/chaos/conftest.py's `report`).
The table has a row per scenario and size: how many runs, the latest run's seed and figures,
and lost, misrouted and duplicated added up over every run, so that one bad run shows.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

BEGIN = "<!-- chaos table: written by `make chaos` (tests/chaos/results.py) -->"
END = "<!-- end of chaos table -->"
HEADER = (
    "| # | scenario | size | runs | seed | expected | delivered | lost | misrouted | duplicated "
    "| also measured (latest run) |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
)
# Scenario 9 is a property test of the pure routing (tests/unit/test_wrong_district.py): its
# runs are hypothesis's examples, in every `make test`.
WRONG_DISTRICT_ROW = (
    "| 9 | wrong district: random complaints and overlaps through the matching rules and the "
    "notifier's routing; no body names a complaint outside the match "
    "(`tests/unit/test_wrong_district.py`) | random | 150 examples per `make test` | random "
    "| every owed delivery | = expected | 0 | 0 | n/a | n/a |"
)


def table(runs: list[dict[str, Any]]) -> str:
    groups: dict[tuple[int, bool], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[(run["scenario"], run["full"])].append(run)
    rows = [HEADER]
    for (_, full), group in sorted(groups.items(), key=lambda item: (item[0][0], not item[0][1])):
        latest = group[-1]
        figures = latest["figures"]
        summed = {name: sum(r["figures"][name] for r in group) for name in
                  ("lost", "misrouted", "duplicated")}  # fmt: skip
        notes = "; ".join(f"{name}: {value}" for name, value in latest["notes"].items())
        size = f"{'full' if full else 'short'}: {latest['complaints']:,} complaints"
        test = latest["test"].replace(".", "/") + ".py"
        rows.append(
            f"| {latest['scenario']} | {latest['title']} (`{test}`) | {size} | {len(group)} "
            f"| {latest['seed']} | {figures['expected']:,} | {figures['delivered']:,} "
            f"| {summed['lost']} | {summed['misrouted']} | {summed['duplicated']} | {notes} |"
        )
    rows.append(WRONG_DISTRICT_ROW)
    return "\n".join(rows)


def rewrite(page: Path, runs_file: Path) -> None:
    recorded = runs_file.read_text() if runs_file.exists() else ""
    runs = [json.loads(line) for line in recorded.splitlines() if line.strip()]
    text = page.read_text()
    before, rest = text.split(BEGIN)
    _, after = rest.split(END)
    page.write_text(f"{before}{BEGIN}\n{table(runs)}\n{END}{after}")


if __name__ == "__main__":
    rewrite(Path(sys.argv[2]), Path(sys.argv[1]))
