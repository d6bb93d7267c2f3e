"""Consumes alerts into the outbox, and commits offsets only past alerts already stored.

Storing is the effect: once an alert's deliveries are in the database they survive a crash,
so offsets are committed in the background, at most every `commit_interval_s`. A crash before
a commit re-consumes a few alerts, whose repeats the outbox ignores by key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AsyncExitStack, suppress

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError
from pydantic import ValidationError
from sqlalchemy.exc import DataError

from schemas.events import AlertRaised
from schemas.topics import ALERT_RAISED, DEAD_LETTER
from services.notifier.dispatcher import Dispatcher, utc_now
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import PlannedDelivery
from services.notifier.store.outbox import NewOperatorAlert, Outbox

log = logging.getLogger(__name__)
FINAL_COMMIT_TIMEOUT_S = 10.0


class AlertConsumer:
    def __init__(
        self,
        bootstrap: str,
        *,
        group_id: str,
        outbox: Outbox,
        plan: Callable[[AlertRaised], Sequence[PlannedDelivery]],
        dispatcher: Dispatcher,
        metrics: NotifierMetrics,
        commit_interval_s: float,
    ) -> None:
        self._outbox = outbox
        self._plan = plan
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._commit_interval_s = commit_interval_s
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group_id,
            client_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, client_id=group_id
        )
        self._uncommitted: dict[TopicPartition, int] = {}
        self._lag_partitions: set[int] = set()
        self._last_commit = time.monotonic()

    async def run(self) -> None:
        """Consume until cancelled; on a clean stop, commit what is stored."""
        async with AsyncExitStack() as stack:
            await self._producer.start()
            stack.push_async_callback(self._producer.stop)
            await self._consumer.start()
            stack.push_async_callback(self._consumer.stop)
            self._consumer.subscribe([ALERT_RAISED.name], listener=_CommitOnRevoke(self))
            try:
                while True:
                    batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
                    records = [record for batch in batches.values() for record in batch]
                    if records:
                        await self._store(records)
                    if time.monotonic() - self._last_commit >= self._commit_interval_s:
                        await self._commit()
                        await self._report_lag()
            finally:
                with suppress(TimeoutError):
                    async with asyncio.timeout(FINAL_COMMIT_TIMEOUT_S):
                        await self._commit()

    async def _store(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        batch = []
        for record in records:
            alert = await self._decode(record)
            if alert is None:
                continue
            if alert.audience == "operators":
                await self._store_operator_alert(alert)
            else:
                batch.append((record, alert))
        planned = [(alert, self._plan(alert)) for _, alert in batch]
        try:
            # The deliveries' first attempts start the moment they are stored.
            await self._dispatcher.store_and_attempt(
                lambda lease: self._outbox.store(planned, now=utc_now(), lease=lease),
                planned=sum(len(deliveries) for _, deliveries in planned),
            )
        except DataError:
            await self._store_one_by_one(batch)
            self._dispatcher.wake()
        self._metrics.alerts.labels(outcome="stored").inc(len(batch))
        for record in records:
            self._uncommitted[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _store_one_by_one(
        self, batch: list[tuple[ConsumerRecord[bytes, bytes], AlertRaised]]
    ) -> None:
        """The database refused a value in the batch: find it, dead-letter it, store the rest."""
        for record, alert in batch:
            try:
                await self._outbox.store([(alert, self._plan(alert))], now=utc_now())
            except DataError:
                await self._dead_letter(record, "alert the database cannot store")

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

    async def _decode(self, record: ConsumerRecord[bytes, bytes]) -> AlertRaised | None:
        try:
            return AlertRaised.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self._dead_letter(record, f"undecodable alert: {error.error_count()} error(s)")
            return None

    async def _store_operator_alert(self, alert: AlertRaised) -> None:
        operator_alert = NewOperatorAlert(
            operator_alert_id=alert.alert_id,
            kind=alert.kind,
            reason=alert.reason,
            alert_id=alert.alert_id,
        )
        # The matcher raises its operator alert again, under the same id, as its count grows.
        if await self._outbox.update_operator_alert(operator_alert, now=utc_now()):
            self._metrics.operator_alerts.labels(kind=alert.kind).inc()
            log.warning(
                "operator alert",
                extra={
                    "alert_id": alert.alert_id,
                    "kind": alert.kind,
                    "identifier": alert.identifier.masked,
                },
            )
        self._metrics.alerts.labels(outcome="operator").inc()

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.error(
            "record sent to dead-letter topic",
            extra={"reason": reason, "partition": record.partition, "offset": record.offset},
        )
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
        self._metrics.alerts.labels(outcome="dead_lettered").inc()


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move to another notifier, commit what was stored from them."""

    def __init__(self, consumer: AlertConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self._consumer.commit_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        """Nothing to do: positions come from the committed offsets."""
