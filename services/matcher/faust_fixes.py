"""Where the matcher reaches into faust-streaming 0.15 internals, and why.

`seek_before_resuming_after_recovery`: a workaround for a race that can skip events after a
restart.

After table recovery, faust resumes fetching the source partitions and only then seeks them
to their committed offsets. Records fetched in between move faust's read position past the
committed offset; after the seek, the re-fetched records below that position are dropped as
duplicates although some were never processed (upstream: faust-streaming/faust#216 and
#318). Those events are lost and the partition's commit stalls behind them for good; the
matcher crash test (tests/e2e/test_matcher_crash.py) showed it as missing alerts.

The fix keeps the partitions paused until the seek is done: `resume_partitions` calls made
during `Recovery.on_recovery_completed` are held back and applied when it returns.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faust.streams import _current_event
from faust.tables.recovery import Recovery
from faust.types import EventT

_original_on_recovery_completed = Recovery.on_recovery_completed


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


def seek_before_resuming_after_recovery() -> None:
    """Install the workaround (idempotent); call before the faust app starts."""
    Recovery.on_recovery_completed = _seek_before_resuming  # type: ignore[method-assign]


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
