"""Reads suspect-registry files (CSV, JSON array, JSON lines) row by row, keeping line numbers.

Each row becomes its registry events, or a RowProblem naming the line, field and reason: a
bad row is reported and skipped, and the good rows are still imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crosslink.problems import field_path
from schemas.api import RegistryEntrySubmission
from schemas.events import RegistryEntryAdded
from schemas.identifiers import InvalidIdentifier
from schemas.pseudonyms import PseudonymKey
from services.intake.registry import registry_events_for

COLUMNS = ("type", "value", "source", "reference", "platform", "ifsc")


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    code: str
    reason: str


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for each entry of a .csv, .json (array) or .jsonl file."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, {k: v for k, v in row.items() if k and v not in (None, "")}
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, _json_object(line)
    elif path.suffix == ".json":
        for number, row in enumerate(json.loads(path.read_text(encoding="utf-8")), start=1):
            yield number, row if isinstance(row, dict) else {"": row}
    else:
        raise ValueError(f"{path.name}: registry files are .csv, .json or .jsonl")


def _json_object(line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return {"": line}  # reported below as a row that is not an object with the columns
    return row if isinstance(row, dict) else {"": row}


def events_of_row(
    line: int, row: dict[str, Any], *, key: PseudonymKey, added_at: datetime
) -> list[RegistryEntryAdded] | RowProblem:
    """The registry events of one row, or what is wrong with it."""
    try:
        entry = RegistryEntrySubmission.model_validate(row)
    except ValidationError as error:
        first = error.errors()[0]
        return RowProblem(
            line, field_path(first["loc"]) or "row", f"request.{first['type']}", first["msg"]
        )
    try:
        return registry_events_for(entry, key=key, added_at=added_at)
    except InvalidIdentifier as error:
        return RowProblem(line, "value", error.code, f"{entry.type.value}: {error.message}")
