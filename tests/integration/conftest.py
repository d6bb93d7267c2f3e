"""Intake running as a real process against the real broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.localbroker import Brokers
from harness.ports import free_port
from harness.processes import ServiceProcess
from tests.conftest import write_districts_file

DISTRICTS = {"MH-MUM": "http://127.0.0.1:9/unused", "MP-BPL": "http://127.0.0.1:9/unused"}


def start_intake(kafka: Brokers, workdir: Path, **env: str) -> ServiceProcess:
    districts_file = write_districts_file(workdir / "districts.yaml", DISTRICTS)
    intake = ServiceProcess(
        "intake",
        free_port(),
        env={
            "CROSSLINK_DISTRICTS_FILE": str(districts_file),
            "CROSSLINK_PUBLISH_TIMEOUT_S": "5",
            **env,
        },
        log_path=workdir / "intake.log",
        kafka=kafka,
    ).start()
    intake.wait_healthy("/readyz")
    return intake


@pytest.fixture(scope="module")
def intake(kafka: Brokers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    process = start_intake(kafka, tmp_path_factory.mktemp("intake"))
    yield process
    process.stop()
