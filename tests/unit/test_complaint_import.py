"""`crosslink import-complaints` without intake: rows read from each file format, mapped to the
API's body, and a batch's refusals reported by the file's line numbers."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from rich.console import Console

from cli.complaint_import import (
    RowProblem,
    complaint_of,
    import_complaints,
    import_id_of,
    poster,
    read_rows,
    run_import,
)

ROW = {
    "complaint_id": "MUM-1",
    "district": "MH-MUM",
    "police_station": "Cyber PS West",
    "registered_at": "20/11/2026 10:15",
    "phone": "+91 98765 43210; 98765 43211",
    "bank_account": "50100123456789/HDFC0001234",
    "social": "instagram:@fastloan",
}


def test_a_portal_row_becomes_the_apis_body_its_dates_in_ist() -> None:
    body = complaint_of(ROW, {})

    assert isinstance(body, dict)
    assert body["registered_at"] == "2026-11-20T10:15:00+05:30"
    assert body["identifiers"] == [
        {"type": "phone", "value": "+91 98765 43210"},
        {"type": "phone", "value": "98765 43211"},
        {"type": "bank_account", "value": "50100123456789", "ifsc": "HDFC0001234"},
        {"type": "social", "value": "@fastloan", "platform": "instagram"},
    ]


def test_columns_of_other_names_are_mapped_and_missing_ones_named() -> None:
    renamed = {
        "Acknowledgement No": "MUM-1",
        **{k: v for k, v in ROW.items() if k != "complaint_id"},
    }

    mapped = complaint_of(renamed, {"Acknowledgement No": "complaint_id"})
    unmapped = complaint_of(renamed, {})

    assert isinstance(mapped, dict)
    assert mapped["complaint_id"] == "MUM-1"
    assert unmapped == "complaint_id: missing"


def test_a_date_that_is_no_date_is_named() -> None:
    assert complaint_of({**ROW, "registered_at": "last Tuesday"}, {}) == (
        "registered_at: 'last Tuesday' is not a date and time"
    )


def test_csv_xlsx_and_json_lines_are_read_with_their_line_numbers(tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(",".join(ROW) + "\n" + ",".join(f'"{v}"' for v in ROW.values()) + "\n")
    sheet = Workbook()
    sheet.active.append(list(ROW))
    sheet.active.append(list(ROW.values()))
    xlsx_file = tmp_path / "export.xlsx"
    sheet.save(xlsx_file)
    jsonl_file = tmp_path / "export.jsonl"
    jsonl_file.write_text("\n" + json.dumps(ROW) + "\n")

    for path, line in ((csv_file, 2), (xlsx_file, 2), (jsonl_file, 2)):
        [(number, row)] = list(read_rows(path))
        assert number == line, path.name
        assert complaint_of(row, {}) == complaint_of(ROW, {}), path.name


def test_refusals_are_reported_by_the_files_lines_and_the_rest_imported() -> None:
    rows = [(line, {**ROW, "complaint_id": f"MUM-{line}"}) for line in range(2, 7)]
    rows[1] = (3, {**ROW, "complaint_id": ""})  # refused here, never posted

    def intake(complaints: list[dict[str, object]]) -> httpx.Response:
        results = [
            {"index": i, "status": "accepted"}
            if c["complaint_id"] != "MUM-5"
            else {"index": i, "status": "refused", "problem": {"detail": "x", "errors": [
                {"field": "identifiers[0].value", "reason": "not a mobile number"}]}}
            for i, c in enumerate(complaints)
        ]  # fmt: skip
        return httpx.Response(200, json={"results": results})

    report = import_complaints(iter(rows), post=intake)

    assert (report.rows, report.imported) == (5, 3)
    assert report.problems == [
        RowProblem(3, "complaint_id", "complaint_id: missing"),
        RowProblem(5, "identifiers[0].value", "not a mobile number"),
    ]


def test_a_busy_intake_is_waited_for_as_it_asks() -> None:
    accepted = {"results": [{"index": 0, "status": "accepted"}]}
    answers = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(200, json=accepted),
    ]
    waited: list[float] = []

    report = import_complaints(iter([(2, ROW)]), post=lambda _: answers.pop(0), sleep=waited.append)

    assert report.imported == 1
    assert waited == [7.0]


def test_a_batch_over_intakes_body_limit_is_sent_in_halves() -> None:
    sizes: list[int] = []

    def intake(complaints: list[dict[str, object]]) -> httpx.Response:
        sizes.append(len(complaints))
        if len(complaints) > 2:
            return httpx.Response(413, json={"detail": "too large"})
        results = [{"index": i, "status": "accepted"} for i in range(len(complaints))]
        return httpx.Response(200, json={"results": results})

    rows = [(line, {**ROW, "complaint_id": f"MUM-{line}"}) for line in range(2, 7)]
    report = import_complaints(iter(rows), post=intake)

    assert report.imported == 5
    assert sizes == [5, 2, 3, 1, 2]


def test_an_imports_id_is_the_files_name_and_content_so_a_run_again_resumes_it(
    tmp_path: Path,
) -> None:
    export = tmp_path / "Pune export (2019).csv"
    export.write_text("complaint_id\nPUN-1\n")
    again = import_id_of(export)
    corrected = tmp_path / "corrected" / export.name
    corrected.parent.mkdir()
    corrected.write_text("complaint_id\nPUN-1\nPUN-2\n")

    assert again == import_id_of(export)
    assert re.fullmatch(r"Pune-export-2019-[0-9a-f]{16}", again)
    assert import_id_of(corrected) != again


def test_each_batch_of_an_import_names_it_and_a_live_one_none() -> None:
    sent: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"results": []})

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://intake") as client:
        poster(client, "key", "pune-1")([{"complaint_id": "A"}])
        poster(client, "key")([{"complaint_id": "B"}])

    assert sent == [
        {"complaints": [{"complaint_id": "A"}], "import_id": "pune-1"},
        {"complaints": [{"complaint_id": "B"}]},
    ]


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"close": False}, "--keep-open needs --import-id"),
        ({"live": True, "import_id": "pune-1"}, "--live posts without an import"),
        ({"live": True, "close": False, "import_id": "pune-1"}, "--live posts without an import"),
    ],
)
def test_options_that_would_leave_an_import_open_or_unnamed_are_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: dict[str, Any],
    refusal: str,
) -> None:
    monkeypatch.setenv("CROSSLINK_API_KEY", "key")
    console = Console(file=io.StringIO(), width=200)

    code = run_import(tmp_path / "never-read.csv", intake="http://intake", columns=[],
                      console=console, **options)  # fmt: skip

    assert code == 2
    assert refusal in console.file.getvalue()  # type: ignore[attr-defined]
