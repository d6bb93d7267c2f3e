"""How a benchmark records what it measured: figures against their baselines, a page, plots.

Every benchmark ends by calling `publish(Result(...))`: it writes `docs/bench/<name>.json` (the
figures, read back by bench/summary.py to build docs/benchmarks.md) and `docs/bench/<name>.md`
(its own page: method, then the table). Plots are PNGs under `docs/bench/`, drawn with
matplotlib's non-interactive backend so `make bench` needs no display.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after matplotlib.use: no display needed
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bench"


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its baseline from the same run.

    `ratio` is value / baseline for every metric; `higher_is_better` says how to read it and
    its `target` (throughput: ratio ≥ target; latency and memory: ratio ≤ target).
    """

    scenario: str
    metric: str  # what is measured, with its unit: "events/s", "p99 latency (ms)"
    value: float
    baseline: str  # what it is compared with: "bare aiokafka loop"
    baseline_value: float
    higher_is_better: bool = True
    target: float | None = None  # the goal for the ratio, if it sets one

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")

    @property
    def meets_target(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target


@dataclass(frozen=True)
class Result:
    name: str  # file stem under docs/bench/ and the module bench/<name>.py
    title: str
    method: str  # a paragraph: what runs where, what is timed, what the baseline does
    figures: Sequence[Figure]
    plots: Sequence[str] = ()  # file names under docs/bench/
    notes: Sequence[str] = ()  # further paragraphs for the page
    parameters: Mapping[str, object] = field(default_factory=dict)


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def table(figures: Sequence[Figure]) -> list[str]:
    lines = [
        "| scenario | metric | crosslink | baseline | baseline value | ratio | target |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for figure in figures:
        if figure.target is None:
            goal = ""
        else:
            sign = "≥" if figure.higher_is_better else "≤"
            goal = f"{sign} {figure.target:g}x: " + ("met" if figure.meets_target else "not met")
        lines.append(
            f"| {figure.scenario} | {figure.metric} | {_number(figure.value)} | "
            f"{figure.baseline} | {_number(figure.baseline_value)} | {ratio(figure)} | {goal} |"
        )
    return lines


def ratio(figure: Figure) -> str:
    """Two decimals, or two significant digits for a ratio far below 1 (0.0038x, not 0.00x)."""
    return f"{figure.ratio:.2f}x" if figure.ratio >= 0.01 else f"{figure.ratio:.2g}x"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def publish(result: Result) -> None:
    """Write the benchmark's JSON and its page; print the table for whoever ran it."""
    DOCS.mkdir(parents=True, exist_ok=True)
    measured_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    record = {
        "name": result.name,
        "title": result.title,
        "measured_at": measured_at,
        "machine": machine(),
        "parameters": dict(result.parameters),
        "plots": list(result.plots),
        "figures": [asdict(figure) for figure in result.figures],
    }
    (DOCS / f"{result.name}.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        f"# {result.title}",
        "",
        f"Measured by `make bench` (bench/{result.name}.py) on {measured_at}: {machine()}.",
        "",
        result.method,
        "",
        *table(result.figures),
    ]
    for note in result.notes:
        lines += ["", note]
    for plot in result.plots:
        lines += ["", f"![{result.title}]({plot})"]
    (DOCS / f"{result.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(table(result.figures)), flush=True)


def load(name: str) -> tuple[dict[str, object], list[Figure]]:
    """A benchmark's last published record and its figures."""
    record = json.loads((DOCS / f"{name}.json").read_text())
    return record, [Figure(**figure) for figure in record["figures"]]


def bar_chart(
    file_name: str,
    *,
    title: str,
    ylabel: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    log: bool = False,
) -> str:
    """Grouped bars: one group per scenario, one bar per series (crosslink, baselines)."""
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    width = 0.8 / max(len(series), 1)
    for index, (label, values) in enumerate(series.items()):
        positions = [g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = axes.bar(positions, values, width, label=label)
        axes.bar_label(bars, labels=[_number(v) for v in values], fontsize=7, padding=2)
    axes.set_xticks(range(len(groups)), groups)
    _finish(axes, title=title, ylabel=ylabel, log=log)
    return _save(figure, file_name)


def line_chart(
    file_name: str,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    logx: bool = False,
    logy: bool = False,
    ymin: float | None = None,  # 0 keeps a 10 % change from looking like a cliff
) -> str:
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    for label, values in series.items():
        axes.plot(x, values, marker="o", label=label)
    if logx:
        axes.set_xscale("log")
    if ymin is not None:
        axes.set_ylim(bottom=ymin)
    axes.set_xlabel(xlabel)
    _finish(axes, title=title, ylabel=ylabel, log=logy)
    return _save(figure, file_name)


def _finish(axes: Axes, *, title: str, ylabel: str, log: bool) -> None:
    if log:
        axes.set_yscale("log")
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)


def _save(figure: MplFigure, file_name: str) -> str:
    DOCS.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    # No timestamp in the PNG's metadata: an unchanged plot stays byte-identical in git.
    figure.savefig(DOCS / file_name, metadata={"Software": None})
    plt.close(figure)
    return file_name
