"""The matcher's tables brought up to their changelogs in bulk, before faust starts.

faust's recovery reads a changelog one record at a time through the worker's consumer,
conductor and queues: about a twentieth of what a plain consumer reading the same changelog
into RocksDB manages (docs/bench/recovery.md). A worker with a new or lost disk, or whose clusters
table is discarded at start (`faust_fixes.rebuild_from_changelog`), would take minutes to be
ready with a large table. So before the worker starts, each table partition's local store is
brought up to the end of its changelog here: a plain consumer (no group: nothing is committed)
reads from the offset the store already holds, and each fetch is written to the store in one
batch, with the offset it reaches, exactly as faust's recovery writes it. faust's recovery then
starts from that offset and reads only what was written since.

Every partition is restored, not only those this worker will be assigned (unknown before it
joins the group): a partition assigned later is read by faust from the offset restored here
on. The restore writes only records the broker holds, read up to the end offset known when it
began; what the store held before is kept (the tokens' table's rows may include writes the
changelog never got, which the matching agent is built to tolerate; the clusters table's store
is discarded first). A partition that makes no progress for `STALLED_S` (its leader gone, say)
is left where it got to, with a warning: faust's recovery reads the rest, as it would have
read all of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TableT

from crosslink.kafka_access import KafkaAccess
from services.matcher.faust_fixes import STORE_OFFSET_KEY, partition_store, store_batch

log = logging.getLogger(__name__)
FETCH_RECORDS = 10_000
STALLED_S = 30.0  # no record fetched for this long: left to faust


@dataclass(frozen=True)
class Restored:
    """What a restore read: records per changelog partition, and how long it took."""

    table: str
    records: dict[int, int]
    seconds: float


async def restore_tables(tables: Iterable[TableT[Any, Any]], kafka: KafkaAccess) -> list[Restored]:
    """Bring each table's local store up to the end of its changelog (run on the worker's
    loop before the worker starts; a table not kept in RocksDB is left to faust). One table's
    stores are open at a time."""
    restored: list[Restored] = []
    for table in tables:
        with ExitStack() as opened:
            stores = _open(opened, table)
            restored.append(
                await _restore(kafka, table, stores) if stores else Restored(table.name, {}, 0.0)
            )
    return restored


def _open(opened: ExitStack, table: TableT[Any, Any]) -> dict[TopicPartition, Any]:
    """Each partition's store under its changelog partition; none if the table is not kept
    in RocksDB (faust recovers it)."""
    topic = table.changelog_topic.get_topic_name()
    partitions = [TopicPartition(topic, p) for p in range(table.partitions or 1)]
    kept = [opened.enter_context(partition_store(table, tp.partition)) for tp in partitions]
    return {} if None in kept else dict(zip(partitions, kept, strict=True))


async def _restore(
    kafka: KafkaAccess, table: TableT[Any, Any], stores: dict[TopicPartition, Any]
) -> Restored:
    """Read `table`'s changelog, from the offset each partition's store holds to the end
    offset at the time of the call, into the stores.

    The table has a consumer of its own, assigned once, and only if a partition is behind:
    aiokafka 0.14's fetcher swallows its cancellation while it drops an assignment that just
    changed (`Fetcher._fetch_requests_routine`), so a consumer stopped right after a new
    `assign` never finished stopping (a restarted matcher hung before its web server)."""
    started = time.perf_counter()
    held = {tp: _held(store) for tp, store in stores.items()}
    consumer = AIOKafkaConsumer(
        **kafka.options(),
        client_id="crosslink-matcher-restore",
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # an offset no longer on the broker: its first one
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(stores))
        behind = {tp: end for tp, end in ends.items() if held[tp] + 1 < end}
        records = await _read(consumer, table, stores, behind, held) if behind else {}
    finally:
        await consumer.stop()
    restored = Restored(table.name, records, time.perf_counter() - started)
    if records:
        log.info(
            "table restored from its changelog",
            extra={
                "table": table.name,
                "records": sum(records.values()),
                "partitions": sorted(records),
                "seconds": round(restored.seconds, 2),
            },
        )
    return restored


async def _read(
    consumer: AIOKafkaConsumer,
    table: TableT[Any, Any],
    stores: dict[TopicPartition, Any],
    behind: dict[TopicPartition, int],
    held: dict[TopicPartition, int],
) -> dict[int, int]:
    """Each partition `behind` read from after the offset its store `held` to its end offset,
    written fetch by fetch; how many records each partition got."""
    consumer.assign(list(behind))
    for tp in behind:
        consumer.seek(tp, held[tp] + 1)
    records = dict.fromkeys((tp.partition for tp in behind), 0)
    behind = dict(behind)
    progressed = time.monotonic()
    while behind:
        fetched = await consumer.getmany(*behind, max_records=FETCH_RECORDS, timeout_ms=500)
        for tp, batch in fetched.items():
            writes, count = _as_faust_writes(batch, behind[tp])
            stores[tp].write(writes)
            records[tp.partition] += count
        if fetched:
            progressed = time.monotonic()
        for tp in [tp for tp in behind if await consumer.position(tp) >= behind[tp]]:
            del behind[tp]
        if behind and time.monotonic() - progressed > STALLED_S:
            log.warning(
                "table restore made no progress; faust's recovery reads the rest",
                extra={
                    "table": table.name,
                    "partitions": sorted(tp.partition for tp in behind),
                    "stalled_s": STALLED_S,
                },
            )
            break
    return records


def _held(store: Any) -> int:
    """The last changelog offset the store holds; -1 for none."""
    offset = store.get(STORE_OFFSET_KEY)
    return -1 if offset is None else int(offset)


def _as_faust_writes(batch: list[Any], end: int) -> tuple[Any, int]:
    """One write batch for a fetch, and how many records it holds: each record before `end`
    as faust's recovery writes it, then the offset reached."""
    writes, last, count = store_batch(), None, 0
    for record in batch:
        if record.offset >= end:  # written after the restore began: faust reads it
            break
        if record.value is None:
            writes.delete(record.key)
        else:
            writes.put(record.key, record.value)
        last, count = record.offset, count + 1
    if last is not None:
        writes.put(STORE_OFFSET_KEY, str(last).encode())
    return writes, count
