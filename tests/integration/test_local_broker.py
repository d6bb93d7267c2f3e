"""The local broker launcher: starts, answers, stops, whatever cluster id it draws."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from harness.localbroker import LocalBroker, metadata_request_succeeds
from harness.ports import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]


def test_a_cluster_id_starting_with_a_dash_still_formats_and_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # base64url("\xf8...") starts with "-", which an option parser could take for a flag.
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(bytes=b"\xf8" + b"\x00" * 15))
    broker = LocalBroker(tmp_path / "kafka", free_port(), free_port())

    with broker:
        assert metadata_request_succeeds(broker.access)

    assert not metadata_request_succeeds(broker.access, timeout_s=1)
