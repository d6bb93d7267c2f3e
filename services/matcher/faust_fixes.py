"""Where the matcher reaches into faust-streaming 0.15 internals, and why.

`install` puts in place three workarounds for races that skip events around a table
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

`as_current_event` sets faust's current event for table reads and writes done after faust
has moved on (batches from `Stream.take_events`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from aiokafka import AIOKafkaConsumer
from faust.streams import _current_event
from faust.tables.recovery import Recovery
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP, EventT

_original_on_recovery_completed = Recovery.on_recovery_completed
_original_fetch_records = AIOKafkaConsumerThread._fetch_records
_original_seek_to_committed = AIOKafkaConsumerThread.seek_to_committed


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


def install() -> None:
    """Install the workarounds (idempotent); call before the faust app starts."""
    Recovery.on_recovery_completed = _seek_before_resuming  # type: ignore[method-assign]
    AIOKafkaConsumerThread._fetch_records = _fetch_only_active  # type: ignore[method-assign]
    AIOKafkaConsumerThread.seek_to_committed = _seek_to_committed_or_beginning  # type: ignore[method-assign]


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
