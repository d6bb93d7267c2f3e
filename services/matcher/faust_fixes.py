"""The one place the matcher reaches into faust-streaming and aiokafka internals.

faust drops records it has taken from aiokafka in several places during a rebalance or a table
recovery and counts on seeking back to the committed offsets to read them again; in each case
below it could skip events for good. docs/matching.md ("Known faust-streaming behaviour") tells
how each was found and which test holds it.

- `_seek_before_resuming`: keep the source partitions paused until recovery has sought them to
  their committed offsets (faust resumed them first; upstream faust-streaming#216 and #318).
- `_fetch_only_active`: give each fetch a copy of the set of active partitions, and fetch
  nothing for an empty one (aiokafka reads an empty set as every partition).
- `_seek_to_committed_or_beginning`: send a source partition with no committed offset back to
  its first offset, where the new group started it.
- `_getmany_of_one_epoch`: hand a record on only while the consumer generation and the count
  of seeks are those of the fetch that brought it; otherwise seek back and read it again.
- `_verify_event_path_positioned`: skip faust's livelock check for a partition being sought.
- `ChangelogWrites`: send a batch's changelog records together, and let the agent wait until
  the broker holds them before its events are acknowledged (faust sends them one by one, and
  flushes them for at most 0.1 s each).
- `DirectRows`: read and write a batch's table rows straight in the partition's RocksDB
  database, skipping faust's mapping and sensors (and, for a table rebuilt at every start,
  the write-ahead log), with the same changelog records `ChangelogWrites` keeps.
- `rebuild_from_changelog`: discard a table's local store at start, so that it is recovered
  whole from its changelog rather than mixed with writes the changelog never held.
- `as_current_event`: set faust's current event, for table reads and writes through faust's own
  mapping (which go to the current event's partition) outside an agent: the tests write rows
  the way faust does, to hold `DirectRows` and the restore to it.
- `partition_store`, `store_batch`: faust's RocksDB database of a table partition, written as
  faust's recovery writes it, for the bulk restore before faust starts
  (services/matcher/restore.py).

faust-streaming, mode-streaming and aiokafka are pinned exactly (pyproject.toml), and `UPSTREAM`
holds a fingerprint of every upstream function replaced, wrapped or stepped around here:
tests/unit/test_faust_fixes.py fails, naming the function, when an upgrade changes one, so that
its workaround is read again against the new code.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import rocksdict
from aiokafka import AIOKafkaConsumer
from aiokafka.consumer.subscription_state import TopicPartitionState
from aiokafka.structs import TopicPartition
from faust.channels import Channel
from faust.stores.rocksdb import RocksDBOptions
from faust.stores.rocksdb import Store as RocksDBStore
from faust.streams import _current_event
from faust.tables.base import Collection
from faust.tables.recovery import Recovery
from faust.tables.table import Table
from faust.topics import Topic
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP, FutureMessage, Message, TableT

log = logging.getLogger(__name__)

_original_on_recovery_completed = Recovery.on_recovery_completed
_original_fetch_records = AIOKafkaConsumerThread._fetch_records
_original_seek_to_committed = AIOKafkaConsumerThread.seek_to_committed
_original_getmany = Consumer.getmany
_original_verify_event_path = AIOKafkaConsumerThread.verify_event_path
_original_perform_seek = Consumer.perform_seek
_position = cast(Any, TopicPartitionState.position).fget  # asserts the partition has one
# Each upstream function the workarounds depend on (replaced, wrapped, or stepped around), by
# name, with the sha256 of its source in the pinned versions.
UPSTREAM: dict[str, tuple[Callable[..., Any], str]] = {
    "faust.tables.recovery.Recovery.on_recovery_completed": (
        _original_on_recovery_completed,
        "6ef567acf072e46da3fccbccc6d662371f634f622c3d510972d5df81f70ae3ac",
    ),
    "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._fetch_records": (
        _original_fetch_records,
        "39a2c6c79fc1455a199629912b533458a720c64983bc957420a42feef6593baa",
    ),
    "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread.seek_to_committed": (
        _original_seek_to_committed,
        "775ab0adc4b052abee204d5347a556412b1f77ed4de971adde69a55a1cb6f908",
    ),
    "faust.transport.drivers.aiokafka.AIOKafkaConsumerThread.verify_event_path": (
        _original_verify_event_path,
        "b983e7735f647cb34650530fb0f1bc709e8cb67d54c483b939b14b49b8d931e0",
    ),
    "faust.transport.consumer.Consumer.getmany": (
        _original_getmany,
        "4b168d84882a70d6e3e2f9804430a63b92f8fd117d3187cbb4aeb54305bda34e",
    ),
    "faust.transport.consumer.Consumer.perform_seek": (
        _original_perform_seek,
        "0e8c130ff4b0afd82c0be9c5fd831316e10febc62c94032833911096e156d7c6",
    ),
    "faust.tables.base.Collection.send_changelog": (
        Collection.send_changelog,
        "3dd3884e1b5fc0e1612bc688b83d9318a1805ddc49700d3b6b37bade73c3905d",
    ),
    "faust.tables.base.Collection._on_changelog_sent": (
        Collection._on_changelog_sent,
        "60122c86a120d82cffa95da4c22323e12d67fa82f3112f08ac7f8edde7c47826",
    ),
    "faust.channels.Channel.as_future_message": (
        Channel.as_future_message,
        "e41289c4fced443d7fd6460b7d05fa8d075f1c35a699f2514e03a8e8ecd9f36a",
    ),
    "faust.topics.Topic.publish_message": (
        Topic.publish_message,
        "4ce1cbc353047a36edfa0ea78ae5c542b660bda6a3a04f5b8f2d1c9919701404",
    ),
    "faust.stores.rocksdb.Store.apply_changelog_batch": (
        RocksDBStore.apply_changelog_batch,
        "ea3344d369fc4ab5e3cdace30565691136035a463acb7b2551fdc0b8af71643b",
    ),
    "faust.stores.rocksdb.Store.persisted_offset": (
        RocksDBStore.persisted_offset,
        "6f2e502fb86043a1cf0adca5c2fffb197579db01b31dbba3b0415aaacc35a2ed",
    ),
    "faust.stores.rocksdb.RocksDBOptions.open": (
        RocksDBOptions.open,
        "ff87e92d69e2f487e2657c1df266543f4733d4acad3dd18fa5c86f239d8e340d",
    ),
    "faust.stores.rocksdb.Store._db_for_partition": (
        RocksDBStore._db_for_partition,
        "cb7e67d5f9efc4bced7b7ab09a55fe717c352daad5b693594e3f7ca52a98787f",
    ),
    "faust.stores.rocksdb.Store._set": (
        RocksDBStore._set,
        "4227e561e288d9413bf663a3a67940fd4976f5484e70e49445858ce4d400d26e",
    ),
    "faust.stores.rocksdb.Store._get": (
        RocksDBStore._get,
        "7ae8dfd6d7754a5952ae162d4d5cf0d51a8a020ed730a4a7c7dc7f7c84e73fb8",
    ),
    "faust.tables.table.Table.on_key_set": (
        Table.on_key_set,
        "a370e35ca55c2c7e36e93f0d4b485927c32d49199043cab2314572846184dd94",
    ),
    "faust.stores.rocksdb.Store.partition_path": (
        RocksDBStore.partition_path,
        "0cc4eae7dc33fcf199f5a271d5186984f3a18af73a5168a9961e71518eb7ab14",
    ),
    "aiokafka.consumer.subscription_state.TopicPartitionState.position": (
        _position,
        "816b6b289bd14f5c733ecf9b26e7bca2fe3e3b9ec0c26de4dd727a729a27c168",
    ),
}
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
    uncommitted = [
        tp
        for tp, offset in committed.items()
        if (offset is None or offset <= 0) and tp.topic not in changelogs
    ]
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
            log.info(
                "records fetched before a rebalance or seek are read again from the "
                "committed offsets",
                extra={"records": left},
            )
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
        log.warning(
            "could not seek back to the committed offsets; trying again",
            extra={"error": type(error).__name__},
        )


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
    none for a moment, and aiokafka's `TopicPartitionState.position` asserts one. Such a
    partition is checked next time; any other failure of the check is faust's to raise."""
    assignment = self._ensure_consumer()._fetcher._subscriptions.subscription.assignment
    state = assignment.state_value(TopicPartition(tp.topic, tp.partition)) if assignment else None
    if state is not None and not state.has_valid_position:
        return None
    return _original_verify_event_path(self, now, tp)


# What `install` puts in place: (owner, attribute, replacement).
REPLACED: tuple[tuple[type, str, Callable[..., Any]], ...] = (
    (Recovery, "on_recovery_completed", _seek_before_resuming),
    (AIOKafkaConsumerThread, "_fetch_records", _fetch_only_active),
    (AIOKafkaConsumerThread, "seek_to_committed", _seek_to_committed_or_beginning),
    (Consumer, "getmany", _getmany_of_one_epoch),
    (Consumer, "perform_seek", _perform_seek_counted),
    (AIOKafkaConsumerThread, "verify_event_path", _verify_event_path_positioned),
)


def install() -> None:
    """Install the workarounds (idempotent); call before the faust app starts."""
    for owner, attribute, replacement in REPLACED:
        setattr(owner, attribute, replacement)


@contextmanager
def as_current_event(event: Any) -> Iterator[None]:
    """Make `event` faust's current event in this task while the block runs.

    A table read or written through faust's mapping goes to the partition of the current
    event (its RocksDB store and its changelog). The agents no longer need it (they name each
    row's partition to `DirectRows`); the tests write rows through faust's own path with it.
    Only this task's context changes: a stream's own attribute is left alone.
    """
    reset = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(reset)


class ChangelogWrites:
    """The changelog records of one table's writes, sent together and awaited before their
    events are acknowledged.

    faust's `Table.send_changelog` hands each record to the producer buffer, which sends them
    one at a time: the sender goes out between two records, with one produce request (and one
    TLS write) for every few, and notes the stored offset in RocksDB after every record. This
    instance replaces it on the one table it is given (not process-wide): each record is built
    as faust builds it and kept, in order, until `sent`, which hands them all to the producer
    at once (a request per partition), waits until the broker holds every one, and then notes
    each partition's last offset once, through the table's own callback.
    """

    def __init__(self, table: TableT[Any, Any]) -> None:
        # guard: faust renamed the method every table write goes through, or its callback
        for name in ("send_changelog", "_on_changelog_sent"):
            if not callable(getattr(table, name, None)):
                raise RuntimeError(f"faust table {table.name!r} has no {name} to replace")
        self._table: Any = table
        self._pending: list[FutureMessage] = []
        cast(Any, table).send_changelog = self.keep

    def keep(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: Any = None,
        value_serializer: Any = None,
    ) -> FutureMessage:
        """`Collection.send_changelog`, keeping the record instead of handing it on."""
        table = self._table
        future: FutureMessage = table.changelog_topic.as_future_message(
            key=key,
            value=value,
            partition=partition,
            key_serializer=table.key_serializer if key_serializer is None else key_serializer,
            value_serializer=(
                table.value_serializer if value_serializer is None else value_serializer
            ),
            eager_partitioning=True,  # the record's partition is known before it is sent
        )
        self._pending.append(future)
        return future

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def sent(self) -> None:
        """Send every changelog record written since the last call and wait until the broker
        holds them all; raise if one could not be written (the events must then be processed
        again)."""
        pending, self._pending = self._pending, []
        for future in pending:  # in the order written, none awaited in between
            await future.message.channel.publish_message(future, wait=False)
        await asyncio.gather(*pending)
        last = {future.message.partition: future for future in pending}
        for future in last.values():  # RocksDB keeps the offset it holds data up to
            self._table._on_changelog_sent(future)


class DirectRows:
    """One table's rows read and written by partition, straight in faust's store.

    Through faust's mapping a read or a write goes by the current event's partition and
    faust's sensors: a tenth of the matcher's time. Here a read or a write is one call on the
    partition's database, each key encoded by the store's own codec, and each row's changelog
    record kept by `changelog` exactly as a write through the table would have it
    (`Table.on_key_set`: the record to the row's partition; the store's offset noted when the
    broker holds it). Values are bytes, which faust stores as they are whatever the table's
    codec. A table not kept in RocksDB (memory://) is read and written through its store's own
    mapping.

    `logged=False` writes without RocksDB's write-ahead log, for a table whose store is
    discarded at every start (`rebuild_from_changelog`): the log would only protect files that
    are deleted anyway, and writing it was most of the cost of storing a big gang's row.
    """

    def __init__(
        self, table: TableT[str, Any], changelog: ChangelogWrites, *, logged: bool = True
    ) -> None:
        store: Any = table.data
        self._store, self._changelog = store, changelog
        self._rocksdb = isinstance(store, RocksDBStore)
        self._write_options: Any = None  # the database's own: with the write-ahead log
        if not logged:
            self._write_options = rocksdict.WriteOptions()
            self._write_options.disable_wal = True

    def get(self, key: str, partition: int) -> bytes | None:
        if not self._rocksdb:
            return cast(bytes | None, self._store.get(key))
        database = self._store._db_for_partition(partition)
        return cast(bytes | None, database.get(self._store._encode_key(key)))

    def put_all(self, rows: Sequence[tuple[str, bytes, int]]) -> None:
        """Store rows (key, value, partition), in order, and keep their changelog records."""
        store = self._store
        for key, value, partition in rows:
            if self._rocksdb:
                database = store._db_for_partition(partition)
                database.put(store._encode_key(key), value, self._write_options)
            else:
                store[key] = value
            self._changelog.keep(partition, key, value)


def rebuild_from_changelog(table: TableT[Any, Any], partitions: int) -> None:
    """Delete `table`'s local RocksDB files, if any: faust then recovers the table from the
    first offset of its changelog, which holds only what the broker acknowledged."""
    store = table.data
    if not isinstance(store, RocksDBStore):  # the in-memory store starts empty anyway
        return
    for partition in range(partitions):
        path = store.partition_path(partition)
        if path.exists():
            log.info(
                "table store discarded: it is rebuilt from its changelog",
                extra={"table": table.name, "path": str(path)},
            )
            shutil.rmtree(path)


STORE_OFFSET_KEY: bytes = RocksDBStore.offset_key  # the last changelog offset a store holds


@contextmanager
def partition_store(table: TableT[Any, Any], partition: int) -> Iterator[Any | None]:
    """faust's own RocksDB database for one partition of `table`, opened as faust opens it
    (raw bytes, faust's options) and closed after the block; None if the table is not kept in
    RocksDB. A changelog record goes in as faust's recovery writes it
    (`Store.apply_changelog_batch`): its key and value bytes as they are, a deletion for a
    record without a value, and the record's offset under `STORE_OFFSET_KEY`."""
    store = table.data
    if not isinstance(store, RocksDBStore):
        yield None
        return
    path = store.partition_path(partition)
    path.parent.mkdir(parents=True, exist_ok=True)
    database = store.rocksdb_options.open(path)
    try:
        yield database
    finally:
        database.close()


def store_batch() -> Any:
    """An empty write batch of the kind faust's RocksDB databases take (raw bytes)."""
    return rocksdict.WriteBatch(raw_mode=True)
