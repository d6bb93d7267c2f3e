"""Consumes alerts into the outbox, and commits offsets only past alerts already stored.

Storing is the effect: once an alert's deliveries are in the database they survive a crash,
so offsets are committed in the background, at most every `commit_interval_s`. A crash before
a commit re-consumes a few alerts, whose repeats the outbox ignores by key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from pydantic import ValidationError

from schemas.events import AlertRaised
from schemas.topics import ALERT_RAISED, DEAD_LETTER
from services.notifier.dispatcher import utc_now
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import PlannedDelivery
from services.notifier.store.outbox import NewOperatorAlert, Outbox

log = logging.getLogger(__name__)


class AlertConsumer:
    def __init__(
        self,
        bootstrap: str,
        *,
        group_id: str,
        outbox: Outbox,
        plan: Callable[[AlertRaised], Sequence[PlannedDelivery]],
        stored: Callable[[], None],
        metrics: NotifierMetrics,
        commit_interval_s: float,
    ) -> None:
        self._outbox = outbox
        self._plan = plan
        self._stored = stored
        self._metrics = metrics
        self._commit_interval_s = commit_interval_s
        self._consumer = AIOKafkaConsumer(
            ALERT_RAISED.name,
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
        self._last_commit = time.monotonic()

    async def run(self) -> None:
        """Consume until cancelled; on a clean stop, commit what is stored."""
        await self._producer.start()
        await self._consumer.start()
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
                records = [record for batch in batches.values() for record in batch]
                if records:
                    await self._store(records)
                    self._stored()
                if time.monotonic() - self._last_commit >= self._commit_interval_s:
                    await self._commit()
        finally:
            try:
                await self._commit()
            finally:
                await self._consumer.stop()
                await self._producer.stop()

    async def _store(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        batch = []
        for record in records:
            alert = await self._decode(record)
            if alert is None:
                continue
            if alert.audience == "operators":
                await self._store_operator_alert(alert)
            else:
                batch.append((alert, self._plan(alert)))
                self._metrics.alerts.labels(outcome="stored").inc()
        await self._outbox.store(batch, now=utc_now())
        for record in records:
            self._uncommitted[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _commit(self) -> None:
        self._last_commit = time.monotonic()
        if not self._uncommitted:
            return
        offsets, self._uncommitted = self._uncommitted, {}
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # A rebalance moved the partitions: their new owner re-consumes, and the outbox
            # ignores the repeats.
            log.warning("offset commit refused after a rebalance; alerts will be re-consumed")

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
        if await self._outbox.raise_operator_alert(operator_alert, now=utc_now()):
            self._metrics.operator_alerts.labels(kind=alert.kind).inc()
            log.warning("operator alert", extra={"alert_id": alert.alert_id, "kind": alert.kind,
                        "identifier": alert.identifier.masked})  # fmt: skip
        self._metrics.alerts.labels(outcome="operator").inc()

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.error("record sent to dead-letter topic", extra={"reason": reason,
                  "partition": record.partition, "offset": record.offset})  # fmt: skip
        await self._producer.send_and_wait(
            DEAD_LETTER.name,
            key=record.key,
            value=record.value,
            headers=[("crosslink-error", reason.encode()), ("crosslink-source", b"notifier")],
        )
        self._metrics.alerts.labels(outcome="dead_lettered").inc()
