"""Logs for machines and for people: JSON lines when a program reads them, a short line per
event on a terminal without the frameworks' narration; `make up` chooses for its services."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from crosslink.logs import logging_config
from harness.devstack import children_log_format


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test configures the process's logging: put it back for the tests after."""
    root, named = logging.getLogger(), ("kafka", "aiokafka", "aiokafka.conn", "faust", "mode")
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in (*named, "uvicorn.access")}
    yield
    root.handlers[:], root.level = handlers, level
    for name, named_level in levels.items():
        logging.getLogger(name).setLevel(named_level)


def logged(capsys: pytest.CaptureFixture[str], log_format: str) -> str:
    logging.config.dictConfig(logging_config("intake", "INFO", log_format))  # type: ignore[arg-type]
    logging.getLogger("services.intake").info("complaint accepted", extra={"district": "MH-MUM"})
    logging.getLogger("faust.tables").info("recovery narration")
    logging.getLogger("faust.tables").warning("recovery stalled")
    return capsys.readouterr().err


def test_json_lines_carry_the_service_and_the_event(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.loads(line) for line in logged(capsys, "json").splitlines()]

    first = lines[0]
    assert (first["service"], first["event"], first["district"]) == (
        "intake", "complaint accepted", "MH-MUM",
    )  # fmt: skip
    assert [line["event"] for line in lines] == [
        "complaint accepted", "recovery narration", "recovery stalled",
    ]  # fmt: skip


def test_on_a_terminal_each_event_is_one_readable_line_without_framework_narration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = logged(capsys, "console").splitlines()

    assert len(lines) == 2
    assert "complaint accepted" in lines[0]
    assert "district" in lines[0]
    assert "MH-MUM" in lines[0]
    assert "recovery stalled" in lines[1]
    assert not lines[0].startswith("{")


def test_auto_writes_json_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = logged(capsys, "auto").splitlines()[0]

    assert json.loads(first)["event"] == "complaint accepted"


@pytest.mark.parametrize(
    ("environ", "on_a_terminal", "expected"),
    [
        ({}, True, "console"),
        ({}, False, "json"),
        ({"CROSSLINK_LOG_FORMAT": "auto"}, True, "console"),
        ({"CROSSLINK_LOG_FORMAT": "json"}, True, "json"),
        ({"CROSSLINK_LOG_FORMAT": "console"}, False, "console"),
    ],
)
def test_make_up_has_its_services_write_for_people_when_it_runs_on_a_terminal(
    environ: dict[str, str], on_a_terminal: bool, expected: str
) -> None:
    assert children_log_format(environ, on_a_terminal) == expected
