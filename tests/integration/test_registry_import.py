"""`crosslink registry-import` against the real broker: good rows in, bad rows reported."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from cli.registry_import import import_registry_file
from crosslink.provisioning import INTAKE
from harness.localbroker import Brokers
from schemas.events import RegistryEntryAdded
from schemas.topics import REGISTRY_ENTRY_ADDED
from tests.conftest import read_topic

pytestmark = pytest.mark.integration


def test_imports_the_good_rows_and_reports_the_bad_ones_by_line(
    kafka: Brokers, tmp_path: Path
) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        "type,value,source,reference\n"
        "upi,importtest.one@ybl,NCRP,IMP-1\n"
        "phone,12345,NCRP,IMP-2\n"
        "upi,importtest.two@ybl,NCRP,IMP-3\n"
    )
    output = io.StringIO()

    report = import_registry_file(path, kafka=kafka.access_as(INTAKE), console=Console(file=output))

    assert (report.rows, report.events) == (3, 2)
    assert [(p.line, p.code) for p in report.problems] == [(3, "phone.invalid")]
    references = {
        RegistryEntryAdded.model_validate_json(r.value).registry.reference
        for r in read_topic(kafka.access, REGISTRY_ENTRY_ADDED.name)
    }
    assert {"IMP-1", "IMP-3"} <= references
    assert "IMP-2" not in references
    assert "rows/s" in output.getvalue()


def test_imports_a_100000_row_file_and_reports_its_rate(kafka: Brokers, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = (f"upi,bulk{n}@ybl,NCRP,BULK-{n}" for n in range(100_000))
    path.write_text("type,value,source,reference\n" + "\n".join(rows) + "\n")
    output = io.StringIO()

    report = import_registry_file(path, kafka=kafka.access_as(INTAKE), console=Console(file=output))

    assert (report.rows, report.events, report.problems) == (100_000, 100_000, [])
    assert report.rows_per_second > 0
    assert "imported 100000 of 100000 rows" in output.getvalue()
    print(output.getvalue().splitlines()[-1])  # the rate, for `pytest -s` readers
