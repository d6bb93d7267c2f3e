"""`crosslink registry-import`: reads a registry file and publishes its entries with a progress bar.

Raw identifier values are read here, on the intake side, and only their tokens are published:
this command uses intake's pseudonym key (CROSSLINK_PSEUDONYM_KEY).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaProducer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import require_topics
from crosslink.settings import from_environment
from schemas.topics import REGISTRY_ENTRY_ADDED
from services.intake.config import IntakeSettings
from services.intake.registry_import import RowProblem, events_of_row, read_rows

SHOWN_PROBLEMS = 50


@dataclass
class ImportReport:
    rows: int = 0
    events: int = 0
    seconds: float = 0.0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def import_registry_file(
    path: Path, *, kafka: KafkaAccess | None = None, console: Console
) -> ImportReport:
    """Publish every good row of `path` (to `kafka`, by default as the settings say); report
    the bad ones; print the rate."""
    settings = from_environment(IntakeSettings)
    kafka = kafka or settings.kafka
    require_topics(kafka, [REGISTRY_ENTRY_ADDED])
    producer = KafkaProducer(**kafka.options(), acks="all", enable_idempotence=True, linger_ms=20)
    report, started = ImportReport(), time.perf_counter()
    added_at, key = datetime.now(UTC), settings.pseudonym()
    total = _count_rows(path)
    with Progress(
        TextColumn("importing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(path.name, total=total)
        for line, row in read_rows(path):
            outcome = events_of_row(line, row, key=key, added_at=added_at)
            report.rows += 1
            if isinstance(outcome, RowProblem):
                report.problems.append(outcome)
            for event in outcome if isinstance(outcome, list) else ():
                producer.send(
                    REGISTRY_ENTRY_ADDED.name,
                    key=event.identifier.token.encode(),
                    value=event.model_dump_json().encode(),
                )
                report.events += 1
            progress.advance(task)
        producer.flush()  # raises if the broker did not acknowledge every record
    producer.close()
    report.seconds = time.perf_counter() - started
    _print(report, console)
    return report


def _count_rows(path: Path) -> int | None:
    if path.suffix not in (".csv", ".jsonl"):
        return None
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip()) - (path.suffix == ".csv")


def _print(report: ImportReport, console: Console) -> None:
    good = report.rows - len(report.problems)
    console.print(
        f"imported {good} of {report.rows} rows ({report.events} registry events) in "
        f"{report.seconds:.1f} s: {report.rows_per_second:,.0f} rows/s"
    )
    if not report.problems:
        return
    table = Table("line", "field", "code", "reason", title=f"{len(report.problems)} bad rows")
    for problem in report.problems[:SHOWN_PROBLEMS]:
        table.add_row(str(problem.line), problem.field, problem.code, problem.reason)
    console.print(table)
    if len(report.problems) > SHOWN_PROBLEMS:
        console.print(f"... and {len(report.problems) - SHOWN_PROBLEMS} more")
