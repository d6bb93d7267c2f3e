"""The matcher's tables restored from their changelogs in bulk before faust starts
(services/matcher/restore.py), against a real broker: each partition's store holds what faust's
recovery would have written (the last value of each key, deletions applied, the offset reached),
faust reads it back as its own, and a later restore reads only what was written since."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaProducer
from faust.types import TP

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import Brokers
from schemas.topics import TopicSpec
from services.matcher.faust_fixes import STORE_OFFSET_KEY, as_current_event, partition_store
from services.matcher.restore import restore_tables

pytestmark = pytest.mark.integration


def _table(data_dir: Path, app_id: str) -> Any:
    """A faust table kept in RocksDB under `data_dir`, as the matcher keeps its own (never
    started: the restore runs before the worker does)."""
    app = faust.App(app_id, broker="kafka://localhost:1", store="rocksdb://",
                    datadir=str(data_dir), autodiscover=False)  # fmt: skip
    return app.Table("rows", default=None, partitions=2, value_type=bytes)


async def _write(
    kafka: KafkaAccess, topic: str, records: list[tuple[int, str, bytes | None]]
) -> None:
    producer = AIOKafkaProducer(**kafka.options(), acks="all")
    await producer.start()
    try:
        for partition, key, value in records:
            await producer.send_and_wait(topic, key=json.dumps(key).encode(), value=value,
                                         partition=partition)  # fmt: skip
    finally:
        await producer.stop()


def _stored(table: Any, partition: int) -> tuple[dict[str, bytes], int | None]:
    """A partition's rows (keys decoded as faust's changelog encodes them) and the offset the
    store says it holds."""
    with partition_store(table, partition) as store:
        assert store is not None
        rows = {json.loads(k): v for k, v in store.items() if k != STORE_OFFSET_KEY}
        offset = store.get(STORE_OFFSET_KEY)
    return rows, None if offset is None else int(offset)


class _Event:
    """What a table read takes of faust's current event (weakly referenced by faust)."""

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition)


def _read_by_faust(table: Any, key: str, partition: int) -> bytes | None:
    """`key` as the matcher's agents read it: through faust's table, in an event of `partition`."""
    with as_current_event(_Event(partition)):
        value: bytes | None = table.get(key)
    return value


def test_a_restore_writes_what_faust_s_recovery_would_and_later_reads_only_what_is_new(
    kafka: Brokers, tmp_path: Path
) -> None:
    table = _table(tmp_path, f"restore-{uuid.uuid4().hex[:8]}")
    topic = table.changelog_topic.get_topic_name()
    provision_topics(kafka.access, [TopicSpec(topic, partitions=2)])
    asyncio.run(_write(kafka.access, topic, [
        (0, "a", b"1"), (0, "b", b"1"), (0, "a", b"2"),  # a written twice: the last one counts
        (1, "c", b"1"), (1, "c", None),  # c deleted (a tombstone)
        (1, "d", b"1"),
    ]))  # fmt: skip

    first = asyncio.run(restore_tables([table], kafka.access))

    assert first[0].records == {0: 3, 1: 3}
    assert _stored(table, 0) == ({"a": b"2", "b": b"1"}, 2)
    assert _stored(table, 1) == ({"d": b"1"}, 2)

    asyncio.run(_write(kafka.access, topic, [(1, "e", b"1")]))
    second = asyncio.run(restore_tables([table], kafka.access))

    assert second[0].records == {1: 1}  # partition 0 was up to date: not read
    assert _stored(table, 1) == ({"d": b"1", "e": b"1"}, 3)
    assert asyncio.run(restore_tables([table], kafka.access))[0].records == {}
    # faust itself reads what was restored: the offset its recovery starts from, and the rows
    assert [table.data.persisted_offset(TP(topic, p)) for p in (0, 1)] == [2, 3]
    assert [_read_by_faust(table, key, 0) for key in ("a", "b")] == [b"2", b"1"]
    assert [_read_by_faust(table, key, 1) for key in ("c", "d", "e")] == [None, b"1", b"1"]


def test_a_table_kept_in_memory_is_left_to_faust(kafka: Brokers) -> None:
    app = faust.App(f"restore-{uuid.uuid4().hex[:8]}", broker="kafka://localhost:1",
                    store="memory://", autodiscover=False)  # fmt: skip
    table = app.Table("rows", default=None, partitions=2, value_type=bytes)

    assert asyncio.run(restore_tables([table], kafka.access))[0].records == {}


def test_a_table_with_nothing_to_read_after_one_that_had_some_does_not_hold_up_the_start(
    kafka: Brokers, tmp_path: Path
) -> None:
    # A restarted matcher: the clusters table (discarded at start) is read whole, then the
    # tokens' table, whose store is already at its changelog's end, reads nothing.
    app = faust.App(f"restore-{uuid.uuid4().hex[:8]}", broker="kafka://localhost:1",
                    store="rocksdb://", datadir=str(tmp_path), autodiscover=False)  # fmt: skip
    behind = app.Table("behind", default=None, partitions=2, value_type=bytes)
    current = app.Table("current", default=None, partitions=2, value_type=bytes)
    for table in (behind, current):
        provision_topics(kafka.access, [TopicSpec(table.changelog_topic.get_topic_name(), 2)])
    asyncio.run(_write(kafka.access, behind.changelog_topic.get_topic_name(), [(0, "a", b"1")]))

    restored = asyncio.run(asyncio.wait_for(restore_tables([behind, current], kafka.access), 60))

    assert [r.records for r in restored] == [{0: 1}, {}]
