"""The bulk restore's loop over a fake consumer (services/matcher/restore.py): it never waits
forever on a partition that makes no progress, and it writes only what it was asked to read."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiokafka import TopicPartition
from rocksdict import Options, Rdict

from services.matcher import restore
from services.matcher.faust_fixes import STORE_OFFSET_KEY

TOPIC = "crosslink-matcher-state_by_token-changelog"


class _StalledConsumer:
    """A changelog partition 5 records behind whose fetches bring nothing (its leader gone)."""

    def __init__(self) -> None:
        self.fetches = 0

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought = offset

    async def getmany(self, *partitions: TopicPartition, **_: Any) -> dict[Any, Any]:
        self.fetches += 1
        return {}

    async def position(self, tp: TopicPartition) -> int:
        return 0


def _store(path: Path) -> Rdict:
    return Rdict(str(path), Options(raw_mode=True))


def test_a_partition_that_makes_no_progress_is_left_to_faust_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(restore, "STALLED_S", 0.0)
    consumer, store = _StalledConsumer(), _store(tmp_path / "p0")
    table: Any = SimpleNamespace(name="state_by_token")
    tp = TopicPartition(TOPIC, 0)

    with caplog.at_level(logging.WARNING):
        records = asyncio.run(
            restore._read(cast(Any, consumer), table, {tp: store}, behind={tp: 5}, held={tp: -1})
        )

    assert consumer.fetches == 1
    assert records == {0: 0}
    assert "table restore made no progress" in caplog.text
    assert store.get(STORE_OFFSET_KEY) is None  # nothing claimed: faust starts from the first
    store.close()


def test_records_past_the_end_the_restore_began_with_are_left_to_faust(tmp_path: Path) -> None:
    records = [SimpleNamespace(offset=o, key=f"k{o}".encode(), value=b"v") for o in (3, 4, 5, 6)]
    store = _store(tmp_path / "p0")

    writes, count = restore._as_faust_writes(records, end=5)
    store.write(writes)

    assert count == 2
    assert [store.get(f"k{o}".encode()) for o in (3, 4, 5, 6)] == [b"v", b"v", None, None]
    assert store.get(STORE_OFFSET_KEY) == b"4"
    store.close()
