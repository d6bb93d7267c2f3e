"""Registry files: every row is an entry or a problem with its line number."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.pseudonyms import PseudonymKey
from services.intake.registry_import import RowProblem, events_of_row, read_rows

KEY = PseudonymKey("k1", b"secret")
NOW = datetime(2026, 11, 23, tzinfo=UTC)
CSV = """type,value,source,reference,platform,ifsc
phone,+91 98765 43210,NCRP,R-1,,
upi,9876543210@ybl,NCRP,R-2,,
fax,123,NCRP,R-3,,
imei,490154203237519,NCRP,R-4,,
social,@scamboss,I4C,R-5,x,
bank_account,123456789012,NCRP,R-6,,SBIN0001234
"""


def outcomes(path: Path) -> list[tuple[int, object]]:
    return [
        (line, events_of_row(line, row, key=KEY, added_at=NOW)) for line, row in read_rows(path)
    ]


def test_a_csv_gives_entries_and_problems_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(CSV)

    results = outcomes(path)

    problems = [(o.line, o.code) for _, o in results if isinstance(o, RowProblem)]
    assert problems == [(4, "request.enum"), (5, "imei.bad_check_digit")]
    good = [o for _, o in results if isinstance(o, list)]
    assert [len(events) for events in good] == [1, 2, 1, 1]  # the mobile-number UPI adds its phone
    assert all("9876543210" not in e.model_dump_json() for events in good for e in events)


def test_json_lines_report_undecodable_lines_as_problems(tmp_path: Path) -> None:
    path = tmp_path / "registry.jsonl"
    rows = [{"type": "phone", "value": "9876543210", "source": "NCRP", "reference": "R-1"}]
    path.write_text(json.dumps(rows[0]) + "\n{not json\n")

    results = outcomes(path)

    assert isinstance(results[0][1], list)
    assert isinstance(results[1][1], RowProblem)
    assert results[1][1].line == 2


def test_a_json_array_numbers_entries_from_one(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps([{"type": "ip", "value": "10.0.0.1", "source": "S", "reference": "1"}])
    )

    [(line, problem)] = outcomes(path)

    assert line == 1
    assert isinstance(problem, RowProblem)
    assert problem.code == "ip.not_identifying"


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv, \.json or \.jsonl"):
        list(read_rows(tmp_path / "registry.xlsx"))
