"""Build docs/benchmarks.md from the results each benchmark published under docs/bench/."""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import BENCHMARKS, RUN
from bench.report import DOCS, load, ratio, table

PAGE = DOCS.parent / "benchmarks.md"
# Where the tuning log says what the profile showed and what was tried, per benchmark.
TUNING = {
    "matcher": "bench/tuning.md#matcher",
    "intake": "bench/tuning.md#intake",
    "latency": "bench/tuning.md#end-to-end-latency-and-the-notifier",
    "notifier": "bench/tuning.md#end-to-end-latency-and-the-notifier",
    "growth": "bench/tuning.md#table-growth",
    "recovery": "bench/tuning.md#table-recovery",
    "backfill": "bench/tuning.md#back-fill",
}
INTRO = """\
# Benchmarks

`make bench` runs every benchmark below and rewrites this page, the pages under `bench/` and
their plots. Each figure is measured against a bare baseline in the same run, on the same
machine, so the ratio is what crosslink's own work costs; absolute figures vary by about 20 %
from run to run on a 2-core machine, ratios less. Benchmarks are not part of `make test`, and no
test asserts on time. What was changed to improve the figures, and what the profiles showed, is
in the [tuning log](bench/tuning.md).

Run them all with `make bench`; one alone with `.venv/bin/python -m bench.<name>`, then
`.venv/bin/python -m bench.summary` to rebuild this page. `BENCH_EVENTS` sets the sightings per
matcher scenario (default 15,000), `BENCH_RECOVERY_ROWS` the changelog records the recovery
benchmark restores (default 100,000), `BENCH_NOTIFIER_ALERTS` the alerts the notifier delivers
on each database (default 1,000, six webhooks each), `BENCH_BACKFILL_COMPLAINTS` the complaints
the back-fill benchmark imports (default 100,000). The matcher's Quix Streams peer runs in its
own virtual environment, `.venv-quix`, which `make bench` installs from
bench/quix/requirements.lock.

Since issue 17 the local broker requires mutual TLS, and every process of a benchmark, crosslink
and baselines alike, reaches it over TLS as the administrator (`bench/brokers.py`): the ratios
compare like with like. Results recorded before then were measured on PLAINTEXT until
`make bench` is run again.
"""


BUDGET_S = 15 * 60  # issue 20: the whole `make bench` under 15 minutes


def run_time() -> list[str]:
    """How long the last whole `make bench` took, against its budget, if one has run."""
    if not RUN.exists():
        return []
    run = json.loads(RUN.read_text())
    each = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run["benchmarks"].items())
    verdict = "within" if run["seconds"] < BUDGET_S else "**over**"
    return [
        f"The last whole `make bench` (finished {run['finished_at']}) took {run['seconds']:.0f} s, "
        f"{verdict} its budget of {BUDGET_S // 60} minutes: {each}.",
        "",
    ]


def main() -> None:
    lines = [INTRO, *run_time(), "## Targets", ""]
    lines += [
        "The goals issues 8 and 20 set, each as a ratio against its baseline from the same run.",
        "",
        "| benchmark | scenario | metric | against | ratio | target | | profile, what was tried |",
        "|---|---|---|---|---:|---|---|---|",
    ]
    sections: list[str] = []
    for name in BENCHMARKS:
        if not (DOCS / f"{name}.json").exists():
            sections += [f"## {name}", "", "Not measured yet: run `make bench`.", ""]
            continue
        record, figures = load(name)
        for figure in figures:
            if figure.target is not None:
                sign = "≥" if figure.higher_is_better else "≤"
                lines.append(
                    f"| [{name}](bench/{name}.md) | {figure.scenario} | {figure.metric} | "
                    f"{figure.baseline} | {ratio(figure)} | {sign} {figure.target:g}x | "
                    f"{'met' if figure.meets_target else '**not met**'} | "
                    f"[tuning log]({TUNING.get(name, 'bench/tuning.md')}) |"
                )
        sections += [
            f"## {record['title']}",
            "",
            f"[Method and notes](bench/{name}.md). Measured {record['measured_at']} on "
            f"{record['machine']}.",
            "",
            *table(figures),
            "",
        ]
        for plot in record["plots"]:  # type: ignore[attr-defined]
            sections += [f"![{record['title']}](bench/{plot})", ""]
    PAGE.write_text("\n".join([*lines, "", *sections]).rstrip() + "\n")
    print(f"wrote {Path(PAGE).relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
