"""Where the matcher reaches into faust-streaming 0.15 internals, and why.

`install` puts in place four workarounds for races that skip events around a table
recovery. faust drops records it has taken from aiokafka in several places during a
rebalance or a recovery (partitions paused meanwhile, flow stopped), and counts on seeking
every stream partition back to its committed offset afterwards to read them again.

- `_seek_before_resuming`: after table recovery, faust resumes fetching the source
  partitions and only then seeks them to their committed offsets. Records fetched in between
  move faust's read position past the committed offset; after the seek, the re-fetched
  records below that position are dropped as duplicates although some were never processed
  (upstream: faust-streaming/faust#216 and #318). Those events are lost and the partition's
  commit stalls behind them for good; the matcher crash test
  (tests/e2e/test_matcher_crash.py) showed it as missing alerts. The partitions stay paused
  until the seek is done: `resume_partitions` calls made during
  `Recovery.on_recovery_completed` are held back and applied when it returns.
- `_fetch_only_active`: faust hands its live set of active (unpaused) partitions to the
  consumer thread, and aiokafka reads an empty set as "every partition". When recovery ends
  it pauses the changelog partitions, emptying that set while a fetch is waiting: the fetch
  then returns records of the still-paused source partitions, which faust drops as not
  active, but aiokafka has moved past them. The fetch now gets a copy of the set taken when
  it starts, and an empty one fetches nothing.
- `_seek_to_committed_or_beginning`: aiokafka's "seek to committed" leaves a partition that
  has no committed offset (a new consumer group) where it is, so records faust dropped
  there are never read again. Such a source partition goes back to its first offset, where
  `consumer_auto_offset_reset="earliest"` started it (tests/e2e/test_matcher_recovery.py
  lost sightings sent during a fresh matcher's first recovery to both).

- `_getmany_of_one_epoch`: faust's fetcher hands records to the streams one at a time while
  a rebalance may run. A batch fetched before a rebalance or a seek could still be delivered
  after the seek to committed offsets that ends it: faust then took the first stale record
  (offset 215 when the seek had set 167) as a hole in the topic and counted 168..214 as done
  without processing them, so their alerts were never raised and the commit moved past them;
  a record handled during the seek could also overwrite the read position the seek had set.
  Records of the agents' topics are now delivered only while the consumer generation and the
  number of seeks are those of the fetch that brought them; otherwise they are left, and the
  partitions are sought back to their committed offsets to be read again, in order. The
  matcher scale-down chaos test (tests/chaos/test_matcher_rebalance.py) lost 31 to 57 alerts
  in 4 of 8 runs under CPU load this way (CI caught it twice); none in 14 runs since.

`ChangelogWrites` lets an agent wait until the broker holds its table writes' changelog
records before its events are acknowledged. faust sends them in the background and, before
committing offsets, flushes its producer buffer only for as long as each record takes less
than 0.1 s (`ProducerBuffer.flush_atmost` returns on the first timeout). Under load it
committed past events whose changelog records were still in that buffer; a worker killed
then kept the writes in its own store but never in the changelog, and did not read the events
again, so a table rebuilt from the changelog lacked them (scenario 1 of the chaos tests at
full size: a gang of 1,738 complaints held as 1,735 in the clusters changelog).

`rebuild_from_changelog` discards a table's local store at start, so faust recovers it whole
from its changelog. Restarting on its own disk, faust applies the changelog records past the
offset it last saw acknowledged over the store; a worker killed with writes the changelog did
not yet hold has newer values in its store for some rows, which those records roll back, and
keeps others (rows with no record past that offset). For the clusters table, whose rows depend
on each other (a complaint's row says its joins are in the cluster rows), that mix lost joins
for good (chaos scenario 1, short: a gang of 101 complaints held as 100).

`as_current_event` sets faust's current event for table reads and writes done after faust
has moved on (batches from `Stream.take_events`).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, cast

from aiokafka import AIOKafkaConsumer
from faust.stores.rocksdb import Store as RocksDBStore
from faust.streams import _current_event
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP, EventT, Message, TableT

log = logging.getLogger(__name__)

_original_on_recovery_completed = Recovery.on_recovery_completed
_original_fetch_records = AIOKafkaConsumerThread._fetch_records
_original_seek_to_committed = AIOKafkaConsumerThread.seek_to_committed
_original_getmany = Consumer.getmany
_original_verify_event_path = AIOKafkaConsumerThread.verify_event_path
_original_perform_seek = Consumer.perform_seek
_SEEKS = "_crosslink_seeks"  # seeks started plus seeks ended, on the faust Consumer
_SEEK_OWED = "_crosslink_seek_owed"  # a seek back failed: hand nothing on until one succeeds


async def _seek_before_resuming(self: Recovery, generation_id: int = 0) -> None:
    consumer: Any = self.app.consumer
    held_back: list[Any] = []
    consumer.resume_partitions = held_back.append  # shadows the method on this instance
    try:
        await _original_on_recovery_completed(self, generation_id)
    finally:
        del consumer.resume_partitions
        for partitions in held_back:
            consumer.resume_partitions(partitions)


async def _fetch_only_active(
    self: AIOKafkaConsumerThread,
    consumer: AIOKafkaConsumer,
    active_partitions: set[TP] | None,  # None: a client-only app, every partition
    timeout: float | None = None,  # noqa: ASYNC109 (faust calls it by this name)
    max_records: int | None = None,
) -> Any:
    # A copy: faust changes the set it passed while the fetch waits.
    active = None if active_partitions is None else frozenset(active_partitions)
    if active is not None and not active:
        return {}  # aiokafka would fetch every partition
    return await _original_fetch_records(self, consumer, cast(Any, active), timeout, max_records)


async def _seek_to_committed_or_beginning(self: AIOKafkaConsumerThread) -> Any:
    committed = await _original_seek_to_committed(self)
    changelogs = self.app.tables.changelog_topics  # recovery seeks these itself
    uncommitted = [tp for tp, offset in committed.items()
                   if (offset is None or offset <= 0) and tp.topic not in changelogs]  # fmt: skip
    if uncommitted:
        await self.seek_to_beginning(*uncommitted)
    return committed


async def _getmany_of_one_epoch(
    self: Consumer,
    timeout: float,  # noqa: ASYNC109 (faust calls it by this name)
) -> AsyncIterator[tuple[TP, Message]]:
    async for record in of_one_epoch(self, _original_getmany(self, timeout)):
        yield record


async def of_one_epoch(
    consumer: Any, batch: AsyncIterator[tuple[TP, Message]]
) -> AsyncIterator[tuple[TP, Message]]:
    """The records of `batch` fetched since the last rebalance and seek; if one began since
    the batch was fetched, the agents' records left in it are dropped and every partition is
    sought back to its committed offset, to read them again in order. Changelog records pass:
    table recovery positions those partitions itself."""
    if getattr(consumer, _SEEK_OWED, False):
        await _seek_back(consumer)  # a seek that failed: nothing is handed on before it
    owed = getattr(consumer, _SEEK_OWED, False)  # it failed again
    fetched_in = _epoch(consumer)
    changelogs = consumer.app.tables.changelog_topics
    left = 0
    try:
        async for tp, message in batch:
            if not owed and (tp.topic in changelogs or _epoch(consumer) == fetched_in):
                yield tp, message
            else:
                left += 1
    finally:
        await cast(Any, batch).aclose()
    if _epoch(consumer) != fetched_in or left:
        if left:
            log.info("records fetched before a rebalance or seek are read again from the "
                     "committed offsets", extra={"records": left})  # fmt: skip
        await _seek_back(consumer)


async def _seek_back(consumer: Any) -> None:
    """Seek every assigned partition back to its committed offset; if that fails, it stays
    owed and is tried again before anything more is handed on. A worker holding no
    partitions (more workers than partitions) has nothing to seek."""
    setattr(consumer, _SEEK_OWED, False)
    if not consumer.assignment():
        return
    try:
        await consumer.perform_seek()
    except Exception as error:
        setattr(consumer, _SEEK_OWED, True)
        log.warning("could not seek back to the committed offsets; trying again",
                    extra={"error": type(error).__name__})  # fmt: skip


def _epoch(consumer: Any) -> tuple[int, int]:
    return consumer.app.consumer_generation_id, getattr(consumer, _SEEKS, 0)


def count_seek(consumer: Any) -> None:
    """Call as a seek of `consumer` to its committed offsets begins, and again as it ends."""
    setattr(consumer, _SEEKS, getattr(consumer, _SEEKS, 0) + 1)


async def _perform_seek_counted(self: Consumer) -> None:
    count_seek(self)
    try:
        await _original_perform_seek(self)
    finally:
        count_seek(self)


def _verify_event_path_positioned(self: AIOKafkaConsumerThread, now: float, tp: TP) -> Any:
    """faust's livelock check reads each partition's position; a partition being sought has
    none for a moment, and aiokafka's assertion then crashed the worker (scenario 2 in CI)."""
    try:
        return _original_verify_event_path(self, now, tp)
    except AssertionError:
        return None  # no position yet: nothing to verify until the next check


def install() -> None:
    """Install the workarounds (idempotent); call before the faust app starts."""
    Recovery.on_recovery_completed = _seek_before_resuming  # type: ignore[method-assign]
    AIOKafkaConsumerThread._fetch_records = _fetch_only_active  # type: ignore[method-assign]
    AIOKafkaConsumerThread.seek_to_committed = _seek_to_committed_or_beginning  # type: ignore[method-assign]
    Consumer.getmany = _getmany_of_one_epoch  # type: ignore[method-assign]
    Consumer.perform_seek = _perform_seek_counted  # type: ignore[method-assign]
    AIOKafkaConsumerThread.verify_event_path = _verify_event_path_positioned  # type: ignore[method-assign]


@contextmanager
def as_current_event(event: EventT[Any]) -> Iterator[None]:
    """Make `event` faust's current event in this task while the block runs.

    A table reads and writes the partition of the current event (its RocksDB store and its
    changelog). Events from `Stream.take_events` are processed after faust has moved on, so
    each one is set around its own table reads and writes. Only this task's context changes:
    the stream's own attribute, read by the task filling the batch, is left alone.
    """
    reset = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(reset)


class ChangelogWrites:
    """The changelog records of one table's writes, to be awaited before their events are acked.

    faust's `Table.send_changelog` returns the record's future and drops it; this instance wraps
    it on the one table it is given (not process-wide) to keep the futures until `sent`.
    """

    def __init__(self, table: TableT[Any, Any]) -> None:
        send = getattr(table, "send_changelog", None)
        if not callable(send):  # guard: faust renamed the method every table write goes through
            raise RuntimeError(f"faust table {table.name!r} has no send_changelog to track")
        self._pending: list[asyncio.Future[Any]] = []

        def tracked(*args: Any, **kwargs: Any) -> Any:
            future = send(*args, **kwargs)
            self._pending.append(future)
            return future

        cast(Any, table).send_changelog = tracked

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def sent(self) -> None:
        """Wait until the broker holds every changelog record written since the last call;
        raise if one could not be written (the events must then be processed again)."""
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)


def rebuild_from_changelog(table: TableT[Any, Any], partitions: int) -> None:
    """Delete `table`'s local RocksDB files, if any: faust then recovers the table from the
    first offset of its changelog, which holds only what the broker acknowledged."""
    store = table.data
    if not isinstance(store, RocksDBStore):  # the in-memory store starts empty anyway
        return
    for partition in range(partitions):
        path = store.partition_path(partition)
        if path.exists():
            log.info("table store discarded: it is rebuilt from its changelog",
                     extra={"table": table.name, "path": str(path)})  # fmt: skip
            shutil.rmtree(path)
