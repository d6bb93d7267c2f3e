"""docs/benchmarks.md says how long the last whole `make bench` took, against its budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import summary


def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"finished_at": "2026-12-05T01:30:00+00:00", "seconds": seconds,
                               "benchmarks": {"canon": 2, "backfill": seconds - 2}}))  # fmt: skip
    monkeypatch.setattr(summary, "RUN", run)


def test_a_run_within_fifteen_minutes_is_said_to_be_within_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(tmp_path, monkeypatch, 880)

    (line, _) = summary.run_time()

    assert "took 880 s, within its budget of 15 minutes: canon 2 s, backfill 878 s." in line


def test_a_run_over_fifteen_minutes_is_said_to_be_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded(tmp_path, monkeypatch, 901)

    assert "**over** its budget" in summary.run_time()[0]


def test_no_line_before_a_whole_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summary, "RUN", tmp_path / "run.json")

    assert summary.run_time() == []
