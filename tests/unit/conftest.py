"""Fixtures of the unit tier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def kafka_tls(tmp_path: Path) -> dict[str, Any]:
    """Settings naming three files for Kafka's mutual TLS, as production must (their content
    is read only when a client connects)."""
    files: dict[str, Path] = {}
    for setting in ("kafka_ca_file", "kafka_cert_file", "kafka_key_file"):
        files[setting] = tmp_path / f"{setting}.pem"
        files[setting].write_text("-----BEGIN TEST-----\n")
    return files
