"""Consumes alerts into the outbox (services/notifier/storing.py), and commits offsets only past
alerts already stored or dead-lettered.

Storing is the effect: once an alert's deliveries are in the database they survive a crash,
so offsets are committed in the background, at most every `commit_interval_s`. A crash before
a commit re-consumes a few alerts, whose repeats the outbox ignores by key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from contextlib import AsyncExitStack, suppress

from aiokafka import (
    AIOKafkaConsumer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError

from crosslink.kafka_access import KafkaAccess
from schemas.topics import ALERT_RAISED, DEAD_LETTER
from services.notifier.metrics import NotifierMetrics
from services.notifier.producing import KafkaWriter
from services.notifier.storing import AlertsIntoOutbox, Consumed

log = logging.getLogger(__name__)
FINAL_COMMIT_TIMEOUT_S = 10.0


class KafkaDeadLetters(KafkaWriter):
    """Dead letters on the dead-letter topic, with why, where from and the original topic in
    headers (`crosslink dead-letters list` shows them, `replay` sends them back)."""

    async def send(self, record: Consumed, reason: str) -> None:
        await self._producer.send_and_wait(
            DEAD_LETTER.name,
            key=record.key,
            value=record.value,
            headers=[
                ("crosslink-error", reason.encode()),
                ("crosslink-source", b"notifier"),
                ("crosslink-topic", record.topic.encode()),
            ],
        )


class AlertConsumer:
    def __init__(
        self,
        kafka: KafkaAccess,
        *,
        group_id: str,
        alerts: AlertsIntoOutbox,
        dead_letters: KafkaDeadLetters,
        metrics: NotifierMetrics,
        commit_interval_s: float,
    ) -> None:
        self._alerts = alerts
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._commit_interval_s = commit_interval_s
        self._consumer = AIOKafkaConsumer(
            **kafka.options(),
            group_id=group_id,
            client_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._uncommitted: dict[TopicPartition, int] = {}
        self._lag_partitions: set[int] = set()
        self._last_commit = time.monotonic()

    async def run(self) -> None:
        """Consume until cancelled; on a clean stop, commit what is stored."""
        async with AsyncExitStack() as stack:
            await self._dead_letters.start()
            stack.push_async_callback(self._dead_letters.stop)
            await self._consumer.start()
            stack.push_async_callback(self._consumer.stop)
            self._consumer.subscribe([ALERT_RAISED.name], listener=_CommitOnRevoke(self))
            try:
                while True:
                    batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
                    records = [record for batch in batches.values() for record in batch]
                    if records:
                        await self._alerts.store(records)
                        self._stored(records)
                    if time.monotonic() - self._last_commit >= self._commit_interval_s:
                        await self._commit()
                        await self._report_lag()
            finally:
                with suppress(TimeoutError):
                    async with asyncio.timeout(FINAL_COMMIT_TIMEOUT_S):
                        await self._commit()

    def _stored(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            self._uncommitted[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _commit(self, partitions: Collection[TopicPartition] | None = None) -> None:
        """Commit the stored positions of `partitions` (default: all assigned ones)."""
        self._last_commit = time.monotonic()
        owned = self._consumer.assignment()
        chosen = owned if partitions is None else set(partitions)
        offsets = {tp: o for tp, o in self._uncommitted.items() if tp in chosen}
        # Positions of partitions no longer ours are dropped: their new owner re-consumes.
        self._uncommitted = {
            tp: o for tp, o in self._uncommitted.items() if tp not in chosen and tp in owned
        }
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError):
            # The partitions moved in a rebalance: their new owner re-consumes from the last
            # commit, and the outbox ignores the repeats.
            log.warning("offset commit refused after a rebalance; alerts will be re-consumed")

    async def _report_lag(self) -> None:
        assigned = self._consumer.assignment()
        for partition in self._lag_partitions - {tp.partition for tp in assigned}:
            self._metrics.consumer_lag.remove(str(partition))
        self._lag_partitions = {tp.partition for tp in assigned}
        for tp in assigned:
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                position = await self._consumer.position(tp)
                lag = self._metrics.consumer_lag.labels(partition=str(tp.partition))
                lag.set(max(highwater - position, 0))

    async def commit_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self._commit(revoked)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move to another notifier, commit what was stored from them."""

    def __init__(self, consumer: AlertConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self._consumer.commit_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        """Nothing to do: positions come from the committed offsets."""
