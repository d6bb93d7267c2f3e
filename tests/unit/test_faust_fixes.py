"""The workarounds of services/matcher/faust_fixes.py: a batch of records fetched before a
rebalance or a seek is never delivered after it (faust would take the first stale record for a
hole in the topic and count the records before it as done); a batch's changelog records go out
together and an agent can wait until they are held (faust sends them one by one, and commits
offsets without); faust's livelock check skips a partition being sought, and nothing else.
Every upstream function they depend on is the one they were written against."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from aiokafka.consumer.subscription_state import TopicPartitionState

from services.matcher import faust_fixes
from services.matcher.faust_fixes import (
    REPLACED,
    ChangelogWrites,
    DirectRows,
    as_current_event,
    count_seek,
    of_one_epoch,
    rebuild_from_changelog,
)

SOURCE = "crosslink.identifier-sighted.v1"
CHANGELOG = "crosslink-matcher-state_by_token-changelog"


@dataclass
class Consumer:
    """What `of_one_epoch` reads of faust's consumer, and its seeks back."""

    generation: int = 1
    rebalancing: bool = False
    failing_seek: bool = False
    seeks_back: int = 0
    app: Any = field(init=False)

    assigned: bool = True

    def assignment(self) -> set[str]:
        return {"crosslink.identifier-sighted.v1-0"} if self.assigned else set()

    def __post_init__(self) -> None:
        self.app = SimpleNamespace(
            consumer_generation_id=self.generation,
            tables=SimpleNamespace(changelog_topics={CHANGELOG}),
            rebalancing=self.rebalancing,
        )

    def rebalanced(self) -> None:
        self.app.consumer_generation_id += 1

    def sought(self) -> None:
        count_seek(self)
        count_seek(self)

    async def perform_seek(self) -> None:
        count_seek(self)
        if self.failing_seek:
            raise RuntimeError("partition no longer assigned")
        self.seeks_back += 1
        count_seek(self)


Record = tuple[str, int]


async def fetched(
    records: list[Record], between: dict[int, Callable[[], None]] | None = None
) -> AsyncIterator[tuple[Any, Any]]:
    """A batch as faust's getmany yields it; `between[i]` runs after record i was handled."""
    for i, (topic, offset) in enumerate(records):
        yield SimpleNamespace(topic=topic, partition=0), SimpleNamespace(offset=offset)
        if between and i in between:
            between[i]()


def delivered(consumer: Consumer, batch: AsyncIterator[tuple[Any, Any]]) -> list[Record]:
    async def drain() -> list[Record]:
        return [(tp.topic, message.offset) async for tp, message in of_one_epoch(consumer, batch)]

    return asyncio.run(drain())


def test_a_batch_of_one_generation_with_no_seek_is_delivered_whole() -> None:
    consumer = Consumer()
    records = [(SOURCE, 5), (CHANGELOG, 40), (SOURCE, 6)]

    assert delivered(consumer, fetched(records)) == records
    assert consumer.seeks_back == 0


@pytest.mark.parametrize("change", ["sought", "rebalanced"])
def test_after_a_seek_or_a_rebalance_the_rest_of_the_batch_is_left_and_read_again(
    change: str,
) -> None:
    consumer = Consumer()
    records = [(SOURCE, 167), (SOURCE, 215), (CHANGELOG, 40), (SOURCE, 216)]

    got = delivered(consumer, fetched(records, {0: getattr(consumer, change)}))

    assert got == [(SOURCE, 167), (CHANGELOG, 40)]  # table recovery places changelogs itself
    assert consumer.seeks_back == 1


def test_a_seek_while_the_last_record_is_handled_seeks_back_again() -> None:
    """The fetcher writes down a record's offset as read after handing it over: a seek in
    between would be overwritten by it."""
    consumer = Consumer()
    records = [(SOURCE, 214)]

    assert delivered(consumer, fetched(records, {0: consumer.sought})) == records
    assert consumer.seeks_back == 1


def test_a_failed_seek_back_is_tried_again_before_anything_more_is_handed_on() -> None:
    consumer = Consumer(failing_seek=True)

    first = delivered(consumer, fetched([(SOURCE, 1), (SOURCE, 2)], {0: consumer.sought}))
    consumer.failing_seek = False
    second = delivered(consumer, fetched([(SOURCE, 2)]))

    assert first == [(SOURCE, 1)]
    assert consumer.seeks_back == 1  # the failed one owed, done before the next batch
    assert second == [(SOURCE, 2)]


def test_a_worker_holding_no_partitions_does_not_seek() -> None:
    consumer = Consumer(assigned=False)

    delivered(consumer, fetched([], {}))
    consumer.rebalanced()
    delivered(consumer, fetched([(CHANGELOG, 1)], {0: consumer.rebalanced}))

    assert consumer.seeks_back == 0


class _Event:
    """What a table write reads of faust's current event (weakly referenced by faust)."""

    def __init__(self) -> None:
        self.message = SimpleNamespace(topic="crosslink.complaints-filed.v1", partition=0)


class _Changelog:
    """Stands in for the producer behind a table's real changelog topic: the records are built
    by faust's own `as_future_message`, and publishing only records them, to be resolved by the
    test as the broker would."""

    def __init__(self) -> None:
        self.published: list[Any] = []

    async def publish_message(self, future: Any, wait: bool) -> None:
        assert not wait  # handed to the producer, not sent and awaited one by one
        self.published.append(future)


def _tracked_table(
    store: str = "memory://", datadir: Path | None = None
) -> tuple[Any, ChangelogWrites, _Changelog, list[Any]]:
    """A real faust table (never started) whose changelog topic publishes nowhere; the last
    list gathers the records whose offsets the table notes as held."""
    app = faust.App("test", broker="kafka://localhost:1", store=store, autodiscover=False,
                    datadir=str(datadir or "unused"))  # fmt: skip
    table: Any = app.Table("clusters", default=None, partitions=2, value_type=bytes)
    changelog, noted = _Changelog(), list[Any]()
    table.changelog_topic.publish_message = changelog.publish_message
    table._on_changelog_sent = noted.append
    table._verified_source_topics_for_partitions.add("crosslink.complaints-filed.v1")
    return table, ChangelogWrites(table), changelog, noted


def _event(partition: int) -> Any:
    event = _Event()
    event.message.partition = partition
    return event


def test_an_agent_waits_until_the_broker_holds_its_table_writes() -> None:
    async def write_then_wait() -> list[str]:
        table, writes, changelog, _ = _tracked_table()
        with as_current_event(_Event()):
            table["cluster-1"] = b"{}"
            table["MH-MUM/C-1"] = b"cluster-1"
        steps = [f"pending {writes.pending}, published {len(changelog.published)}"]
        waited = asyncio.create_task(writes.sent())
        await asyncio.sleep(0)
        steps.append(f"published {len(changelog.published)}, waiting: {not waited.done()}")
        for record in changelog.published:
            record.set_result(None)  # the broker acknowledges
        await waited
        steps.append(f"pending {writes.pending}")
        return steps

    assert asyncio.run(write_then_wait()) == [
        "pending 2, published 0",
        "published 2, waiting: True",
        "pending 0",
    ]


def test_a_batch_s_records_go_out_together_in_the_order_written_each_to_its_partition() -> None:
    async def write_then_send() -> tuple[list[tuple[bytes, bytes, int]], list[tuple[bytes, int]]]:
        table, writes, changelog, noted = _tracked_table()
        for key, partition in (("a", 0), ("b", 1), ("c", 0), ("d", 1), ("e", 0)):
            with as_current_event(_event(partition)):
                table[key] = b"row"
        waited = asyncio.create_task(writes.sent())
        await asyncio.sleep(0)
        for record in changelog.published:
            record.set_result(None)
        await waited
        sent = [(r.message.key, r.message.value, r.message.partition) for r in changelog.published]
        return sent, [(r.message.key, r.message.partition) for r in noted]

    sent, noted = asyncio.run(write_then_send())
    # as faust's own send_changelog builds them: JSON keys, the raw bytes, the event's partition
    assert sent == [(b'"a"', b"row", 0), (b'"b"', b"row", 1), (b'"c"', b"row", 0),
                    (b'"d"', b"row", 1), (b'"e"', b"row", 0)]  # fmt: skip
    # RocksDB notes the offset it holds data up to once per partition: the last record's
    assert noted == [(b'"e"', 0), (b'"d"', 1)]


def test_a_changelog_record_the_broker_refused_fails_the_wait() -> None:
    async def write_then_wait() -> None:
        table, writes, changelog, noted = _tracked_table()
        with as_current_event(_Event()):
            table["cluster-1"] = b"{}"
        waited = asyncio.create_task(writes.sent())
        await asyncio.sleep(0)
        changelog.published[0].set_exception(RuntimeError("not enough replicas"))
        try:
            await waited
        finally:
            assert noted == []  # nothing is noted as held

    with pytest.raises(RuntimeError, match="not enough replicas"):
        asyncio.run(write_then_wait())


ROWS = [("a", b"row a", 0), ("b", b"row b", 1), ("a", b"row a again", 0), ("c", b"row c", 1)]


@pytest.mark.parametrize(
    ("store", "logged"), [("rocksdb://", True), ("rocksdb://", False), ("memory://", True)]
)
def test_rows_written_directly_are_what_faust_would_have_written(
    store: str, logged: bool, tmp_path: Path
) -> None:
    """The same rows, once through faust's own mapping (as each event's write) and once in a
    batch straight to the store: faust reads the same values back, and the changelog gets the
    same records, in the same order, to the same partitions."""

    async def written(direct: bool, datadir: Path) -> tuple[list[Any], list[tuple[str, Any]]]:
        # in a running loop, as in the matcher: faust's records are futures of the current loop
        table, writes, _, _ = _tracked_table(store, datadir)
        if direct:
            DirectRows(table, writes, logged=logged).put_all(ROWS)
        else:
            for key, value, partition in ROWS:
                with as_current_event(_event(partition)):
                    table[key] = value
        records = [(r.message.key, r.message.value, r.message.partition) for r in writes._pending]
        read = []
        for key, _, partition in ROWS:
            with as_current_event(_event(partition)):
                read.append((key, table.get(key)))
        return records, read

    direct = asyncio.run(written(True, tmp_path / "direct"))
    assert direct == asyncio.run(written(False, tmp_path / "faust"))


def test_rows_read_directly_are_those_faust_wrote_in_each_partition(tmp_path: Path) -> None:
    async def read() -> list[bytes | None]:
        table, writes, _, _ = _tracked_table("rocksdb://", tmp_path)
        for key, value, partition in ROWS:
            with as_current_event(_event(partition)):
                table[key] = value
        rows = DirectRows(table, writes)
        return [rows.get(key, partition) for key, _, partition in [*ROWS, ("a", b"", 1)]]

    assert asyncio.run(read()) == [
        b"row a again", b"row b", b"row a again", b"row c", None  # a row is in its partition only
    ]  # fmt: skip


def test_a_table_without_faust_s_changelog_methods_is_refused() -> None:
    table = SimpleNamespace(name="clusters", send_changelog=lambda *args: None)
    with pytest.raises(RuntimeError, match="_on_changelog_sent"):
        ChangelogWrites(cast(Any, table))


def test_a_tables_local_store_is_discarded_at_start_so_it_is_rebuilt_from_its_changelog(
    tmp_path: Path,
) -> None:
    app = faust.App("test", broker="kafka://localhost:1", store="rocksdb://",
                    datadir=str(tmp_path), autodiscover=False)  # fmt: skip
    table: Any = app.Table("clusters", default=None, partitions=2, value_type=bytes)
    kept = [table.data.partition_path(partition) for partition in range(2)]
    for path in kept:
        (path / "CURRENT").parent.mkdir(parents=True)
        (path / "CURRENT").write_text("MANIFEST-000001\n")

    rebuild_from_changelog(table, partitions=2)

    assert not [path for path in kept if path.exists()]
    assert tmp_path.exists()


@pytest.mark.parametrize("name", sorted(faust_fixes.UPSTREAM))
def test_the_upstream_code_each_workaround_depends_on_is_the_code_it_was_written_against(
    name: str,
) -> None:
    function, fingerprint = faust_fixes.UPSTREAM[name]

    now = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()

    assert now == fingerprint, (
        f"{name} changed upstream: read its workaround in services/matcher/faust_fixes.py "
        f"against the new code, then record the new fingerprint {now}"
    )


def test_every_method_the_workarounds_replace_is_fingerprinted() -> None:
    replaced = {f"{owner.__module__}.{owner.__qualname__}.{name}" for owner, name, _ in REPLACED}

    assert replaced <= set(faust_fixes.UPSTREAM)


def test_install_puts_every_replacement_in_place() -> None:
    faust_fixes.install()

    for owner, name, replacement in REPLACED:
        assert getattr(owner, name) is replacement, f"{owner.__qualname__}.{name}"


def consumer_thread(position: int | None) -> Any:
    """What the livelock guard reads of faust's consumer thread: one partition's position."""

    async def created() -> TopicPartitionState:  # aiokafka makes a future in it
        return TopicPartitionState(cast(Any, None))

    state = asyncio.run(created())
    if position is not None:
        state.seek(position)
    assignment = SimpleNamespace(state_value=lambda tp: state)
    subscriptions = SimpleNamespace(subscription=SimpleNamespace(assignment=assignment))
    consumer = SimpleNamespace(_fetcher=SimpleNamespace(_subscriptions=subscriptions))
    return SimpleNamespace(_ensure_consumer=lambda: consumer)


def test_the_livelock_check_skips_a_partition_being_sought(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[Any] = []
    monkeypatch.setattr(faust_fixes, "_original_verify_event_path", lambda *a: checked.append(a))
    tp = SimpleNamespace(topic=SOURCE, partition=0)

    faust_fixes._verify_event_path_positioned(consumer_thread(position=None), 1.0, cast(Any, tp))
    faust_fixes._verify_event_path_positioned(consumer_thread(position=5), 1.0, cast(Any, tp))

    assert len(checked) == 1  # only the partition with a position


def test_the_livelock_check_keeps_faust_s_own_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*_: Any) -> None:
        raise AssertionError("something else faust asserts")

    monkeypatch.setattr(faust_fixes, "_original_verify_event_path", failing)
    tp = SimpleNamespace(topic=SOURCE, partition=0)

    with pytest.raises(AssertionError, match="something else"):
        faust_fixes._verify_event_path_positioned(consumer_thread(position=5), 1.0, cast(Any, tp))
