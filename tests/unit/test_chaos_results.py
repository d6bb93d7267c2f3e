"""docs/reliability.md's table, as `make chaos` writes it from the recorded runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.chaos.results import BEGIN, END, rewrite


def run(scenario: int, *, full: bool, lost: int = 0, seed: int = 9001) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "title": "matcher SIGKILLed while complaints flow",
        "test": "tests.chaos.test_matcher_killed",
        "seed": seed,
        "complaints": 10_000 if full else 600,
        "figures": {"expected": 12_345, "delivered": 12_345 - lost, "lost": lost,
                    "misrouted": 0, "duplicated": 0},
        "notes": {"kills": 5},
        "full": full,
    }  # fmt: skip


def rewritten(tmp_path: Path, *runs: dict[str, Any]) -> list[str]:
    page = tmp_path / "reliability.md"
    page.write_text(f"# Reliability\n\n{BEGIN}\nold table\n{END}\n\nAfter the table.\n")
    recorded = tmp_path / "runs.jsonl"
    recorded.write_text("".join(json.dumps(r) + "\n" for r in runs))
    rewrite(page, recorded)
    text = page.read_text()
    assert text.startswith("# Reliability\n\n")
    assert text.endswith(f"{END}\n\nAfter the table.\n")
    assert "old table" not in text
    return [line for line in text.splitlines() if line.startswith("| 1 ")]


def test_one_row_per_scenario_and_size_with_the_runs_counted(tmp_path: Path) -> None:
    rows = rewritten(tmp_path, run(1, full=False), run(1, full=True), run(1, full=True))

    assert len(rows) == 2
    full, short = rows
    assert "| full: 10,000 complaints | 2 | 9001 | 12,345 | 12,345 | 0 | 0 | 0 | kills: 5 |" in full
    assert "| short: 600 complaints | 1 |" in short
    assert "`tests/chaos/test_matcher_killed.py`" in full


def test_a_loss_in_any_run_shows_in_the_sum_and_the_latest_seed_is_shown(tmp_path: Path) -> None:
    [row] = rewritten(tmp_path, run(1, full=True, lost=3, seed=1), run(1, full=True, seed=2))

    assert "| 2 | 2 | 12,345 | 12,345 | 3 | 0 | 0 |" in row
