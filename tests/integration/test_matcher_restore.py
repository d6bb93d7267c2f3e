"""The matcher's tables restored from their changelogs in bulk before faust starts
(services/matcher/restore.py), against a real broker: each partition's store holds what faust's
recovery would have written (the last value of each key, deletions applied, the offset reached),
and a later restore reads only what was written since."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaProducer

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision_topics
from harness.localbroker import Brokers
from schemas.topics import TopicSpec
from services.matcher.faust_fixes import STORE_OFFSET_KEY, partition_store
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


def test_a_table_kept_in_memory_is_left_to_faust(kafka: Brokers) -> None:
    app = faust.App(f"restore-{uuid.uuid4().hex[:8]}", broker="kafka://localhost:1",
                    store="memory://", autodiscover=False)  # fmt: skip
    table = app.Table("rows", default=None, partitions=2, value_type=bytes)

    assert asyncio.run(restore_tables([table], kafka.access))[0].records == {}
