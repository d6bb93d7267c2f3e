"""`crosslink import-complaints`: a district's earlier complaints, from a portal export or its
own records, posted to intake in batches of up to 500 (`POST /v1/complaints/batch`).

A row is a complaint: `complaint_id`, `district`, `police_station`, `registered_at`, and one
column per identifier type (`phone`, `upi`, `bank_account`, ...) holding its values separated
by `;` (docs/operations.md#back-filling-complaints names them all). Other column names are
mapped with `--column "Acknowledgement No=complaint_id"`. A JSON line may instead be a
complaint exactly as the API takes it. Rows are checked here for their shape, and by intake for
everything else; a bad row is reported by its line and the good ones go in. Posting a complaint
again changes nothing more, so an import cut short is resumed by running it again.

An import is quiet: its complaints carry an import id (by default the file's name and a hash of
its content, so running the same file again resumes the same import), and once every row is
posted the import is closed (`POST /v1/imports/{id}/closed`). Districts are then told of its
links in one digest each, the links waiting in their inboxes as historical, rather than one
alert per link. `--live` posts without an import id: each link is alerted as it is made.
`--keep-open` leaves the import open for more files under the same `--import-id`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemas.api import MAX_BATCH
from schemas.identifiers import IdentifierType

IST = timezone(timedelta(hours=5, minutes=30))
CASE_COLUMNS = ("complaint_id", "district", "police_station", "registered_at")
SEPARATORS = re.compile(r"[;|\n]")
# Dates a portal export writes without an offset: the time is India's (IST).
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y")
BATCH_PATH = "/v1/complaints/batch"
CLOSED_PATH = "/v1/imports/{import_id}/closed"
NOT_IN_AN_ID = re.compile(r"[^A-Za-z0-9._-]+")
SHOWN_PROBLEMS = 100
RETRIES = 20  # answers of 429 or 503 in a row before giving up (each waits its Retry-After)

Row = dict[str, Any]


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    seconds: float = 0.0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class ImportStopped(RuntimeError):
    """Intake refused the whole import (a wrong key), or stayed unavailable."""


def read_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """(line number, row) for each complaint of a .csv, .xlsx or .jsonl file."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, {k.strip(): v for k, v in row.items() if k}
    elif path.suffix == ".xlsx":
        yield from _sheet_rows(path)
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, _json_object(line)
    else:
        raise ValueError(f"{path.name}: complaint files are .csv, .xlsx or .jsonl")


def _sheet_rows(path: Path) -> Iterator[tuple[int, Row]]:
    from openpyxl import load_workbook  # only for a spreadsheet

    sheet = load_workbook(path, read_only=True, data_only=True).active
    if sheet is None:
        return
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        if any(value not in (None, "") for value in values):
            yield number, {name: value for name, value in zip(header, values, strict=False) if name}


def _json_object(line: str) -> Row:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return row if isinstance(row, dict) else {}


def complaint_of(row: Row, columns: Mapping[str, str]) -> Row | str:
    """The API body of a row (its columns renamed by `columns`), or why it is not one."""
    row = {columns.get(name, name): value for name, value in row.items()}
    if "identifiers" in row:  # a JSON line written as the API takes it
        return row
    missing = [name for name in CASE_COLUMNS if _text(row.get(name)) == ""]
    if missing:
        return f"{', '.join(missing)}: missing"
    registered = _registered_at(row["registered_at"])
    if registered is None:
        return f"registered_at: {row['registered_at']!r} is not a date and time"
    identifiers = [
        _identifier(kind, value)
        for kind in IdentifierType
        for value in SEPARATORS.split(_text(row.get(kind.value)))
        if value.strip()
    ]
    return {
        **{name: _text(row[name]) for name in CASE_COLUMNS[:3]},
        "registered_at": registered,
        "identifiers": identifiers,
    }


def _identifier(kind: IdentifierType, value: str) -> dict[str, str]:
    """A bank account may carry its IFSC after a slash, a profile its platform before a colon."""
    value = value.strip()
    if kind is IdentifierType.BANK_ACCOUNT and "/" in value:
        account, ifsc = value.rsplit("/", 1)
        return {"type": kind.value, "value": account.strip(), "ifsc": ifsc.strip()}
    if kind is IdentifierType.SOCIAL and re.match(r"^[a-z]+:", value):
        platform, handle = value.split(":", 1)
        return {"type": kind.value, "value": handle.strip(), "platform": platform}
    return {"type": kind.value, "value": value}


def _registered_at(value: object) -> str | None:
    """ISO 8601 with its offset as it is; a date without one, or a spreadsheet's date, in IST."""
    moment = value if isinstance(value, datetime) else _parsed(_text(value))
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=IST)).isoformat()


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def import_complaints(
    rows: Iterator[tuple[int, Row]],
    *,
    post: Callable[[list[Row]], httpx.Response],
    columns: Mapping[str, str] | None = None,
    on_progress: Callable[[int], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> ImportReport:
    """Post every good row, `MAX_BATCH` at a time; report each bad one by its line."""
    report, started = ImportReport(), time.perf_counter()
    batch: list[tuple[int, Row]] = []
    for line, row in rows:
        report.rows += 1
        complaint = complaint_of(row, columns or {})
        if isinstance(complaint, str):
            report.problems.append(RowProblem(line, complaint.split(":", 1)[0], complaint))
            on_progress(1)
            continue
        batch.append((line, complaint))
        if len(batch) == MAX_BATCH:
            _send(batch, post, report, sleep)
            on_progress(len(batch))
            batch = []
    if batch:
        _send(batch, post, report, sleep)
        on_progress(len(batch))
    report.problems.sort(key=lambda problem: problem.line)
    report.seconds = time.perf_counter() - started
    return report


def _send(
    batch: Sequence[tuple[int, Row]],
    post: Callable[[list[Row]], httpx.Response],
    report: ImportReport,
    sleep: Callable[[float], None],
) -> None:
    response = _answered(lambda: post([complaint for _, complaint in batch]), sleep)
    if response.status_code == 413 and len(batch) > 1:  # over intake's body limit: in halves
        half = len(batch) // 2
        _send(batch[:half], post, report, sleep)
        _send(batch[half:], post, report, sleep)
        return
    if response.status_code != 200:
        raise ImportStopped(f"intake answered {response.status_code}: {_detail(response)}")
    for result in response.json()["results"]:
        line = batch[result["index"]][0]
        if result["status"] == "accepted":
            report.imported += 1
            continue
        problem = result["problem"]
        errors = problem.get("errors") or [{"field": "complaint", "reason": problem["detail"]}]
        first = errors[0]
        report.problems.append(RowProblem(line, first["field"], f"{first['reason']}"))


def _answered(
    request: Callable[[], httpx.Response], sleep: Callable[[float], None]
) -> httpx.Response:
    """Intake's answer, once it is neither busy (429) nor unavailable (503), each waited out
    for its Retry-After; the last busy answer after `RETRIES` of them."""
    for _ in range(RETRIES):
        response = request()
        if response.status_code not in (429, 503):
            break
        sleep(float(response.headers.get("Retry-After", "5")))
    return response


def close_import(
    client: httpx.Client, key: str, import_id: str, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Mark the import's end behind its complaints: its digests follow once the matcher has
    read that far. Closing again (a resumed import) tells nothing twice."""
    path = CLOSED_PATH.format(import_id=import_id)
    headers = {"Authorization": f"Bearer {key}"}
    response = _answered(lambda: client.post(path, headers=headers), sleep)
    if response.status_code != 202:
        raise ImportStopped(f"intake answered {response.status_code}: {_detail(response)}")


def import_id_of(path: Path) -> str:
    """The file's name and the start of its content's SHA-256: the same file resumes the same
    import, and a corrected file is a new one (its complaints already in change nothing)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    stem = NOT_IN_AN_ID.sub("-", path.stem).strip("-._")[:40] or "import"
    return f"{stem}-{digest.hexdigest()[:16]}"


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text[:200]))
    except ValueError:
        return response.text[:200]


def poster(
    client: httpx.Client, key: str, import_id: str | None = None
) -> Callable[[list[Row]], httpx.Response]:
    """Post a batch to intake as the district whose key this is, in the import if one is given."""
    headers = {"Authorization": f"Bearer {key}"}
    imported = {} if import_id is None else {"import_id": import_id}
    return lambda complaints: client.post(
        BATCH_PATH, json={"complaints": complaints, **imported}, headers=headers
    )


def run_import(
    path: Path,
    *,
    intake: str,
    columns: Sequence[str],
    console: Console,
    import_id: str | None = None,
    live: bool = False,
    close: bool = True,
) -> int:
    """The command: read, post, close the import and report with a progress bar; its exit
    code."""
    key = os.environ.get("CROSSLINK_API_KEY")
    if not key:
        console.print("[red]set CROSSLINK_API_KEY to the district's integrator key[/]")
        return 2
    if refusal := _options_refused(import_id=import_id, live=live, close=close):
        console.print(f"[red]{refusal}[/]")
        return 2
    try:
        mapping = dict(_mapping(spec) for spec in columns)
        total = sum(1 for _ in read_rows(path))
        quiet = None if live else import_id or import_id_of(path)
    except (ValueError, OSError) as error:
        console.print(f"[red]{error}[/]")
        return 2
    with (
        httpx.Client(base_url=intake, timeout=120) as client,
        Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task(path.name, total=total)
        try:
            report = import_complaints(
                read_rows(path),
                post=poster(client, key, quiet),
                columns=mapping,
                on_progress=lambda done: progress.advance(task, done),
            )
            if quiet is not None and close:
                close_import(client, key, quiet)
        except (ImportStopped, httpx.HTTPError) as error:
            console.print(
                f"[red]import stopped: {error}. Rows posted so far are in; run it "
                "again to resume.[/]"
            )
            return 1
    _print(report, console)
    if quiet is not None:
        console.print(
            f"import {quiet} closed: each district its complaints link gets one digest, the "
            "links waiting in its inbox as historical"
            if close
            else f"import {quiet} left open: close it with the last file's run"
        )
    return 1 if report.problems else 0


def _options_refused(*, import_id: str | None, live: bool, close: bool) -> str | None:
    """Why these options cannot go together, if they cannot."""
    if live and (import_id is not None or not close):
        return "--live posts without an import: it takes neither --import-id nor --keep-open"
    if not close and import_id is None:
        return (
            "--keep-open needs --import-id: each file has its own default id, so the run that "
            "closes the import must name the same one"
        )
    return None


def _mapping(spec: str) -> tuple[str, str]:
    column, _, target = spec.partition("=")
    if not column.strip() or not target.strip():
        raise ValueError(f'--column {spec!r}: write it as "column in the file=field"')
    return column.strip(), target.strip()


def _print(report: ImportReport, console: Console) -> None:
    console.print(
        f"{report.imported} of {report.rows} complaints imported in {report.seconds:.1f} s "
        f"({report.per_second:.0f} rows/s); {len(report.problems)} refused"
    )
    if not report.problems:
        return
    table = Table("line", "field", "reason")
    for problem in report.problems[:SHOWN_PROBLEMS]:
        table.add_row(str(problem.line), problem.field, problem.reason)
    console.print(table)
    if len(report.problems) > SHOWN_PROBLEMS:
        console.print(f"... and {len(report.problems) - SHOWN_PROBLEMS} more")
