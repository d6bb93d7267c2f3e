"""What the notifier does with each alert it consumes: decode it, plan its deliveries, store
them in the outbox (their first attempts start at once), record an operator alert (and an
operator's decision on the audit trail), and set aside as a dead letter what cannot be decoded
or stored. Once `store` returns, every record given is stored or dead-lettered, so its offset
may be committed (services/notifier/consumer.py).

Kafka stays outside: records come in, dead letters go out through the `DeadLetters` port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy.exc import DataError

from crosslink.clock import Clock, utc_now
from schemas.events import AlertRaised
from services.notifier.audit.chain import AuditEvent
from services.notifier.audit.events import decision
from services.notifier.dispatcher import Dispatcher
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import PlannedDelivery
from services.notifier.store.outbox import DeliveryStore, NewOperatorAlert

log = logging.getLogger(__name__)


class Consumed(Protocol):
    """A consumed record, as far as storing needs it (aiokafka's ConsumerRecord is one)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


class DeadLetters(Protocol):
    async def send(self, record: Consumed, reason: str) -> None:
        """Keep `record` aside with `reason`, durably, before returning."""


class AuditTrail(Protocol):
    async def append(self, event: AuditEvent) -> object:
        """Record `event` durably (once, by its id) before returning."""


class AlertsIntoOutbox:
    def __init__(
        self,
        *,
        outbox: DeliveryStore,
        audit: AuditTrail,
        plan: Callable[[AlertRaised], Sequence[PlannedDelivery]],
        dispatcher: Dispatcher,
        dead_letters: DeadLetters,
        metrics: NotifierMetrics,
        clock: Clock = utc_now,
    ) -> None:
        self._outbox = outbox
        self._audit = audit
        self._plan = plan
        self._dispatcher = dispatcher
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._clock = clock

    async def store(self, records: Sequence[Consumed]) -> None:
        """Store every alert in `records` (in one transaction where the database takes them
        all), or set it aside as a dead letter."""
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
                lambda lease: self._outbox.store(planned, now=self._clock(), lease=lease),
                planned=sum(len(deliveries) for _, deliveries in planned),
            )
        except DataError:
            await self._store_one_by_one(batch)
            self._dispatcher.wake()
        self._metrics.alerts.labels(outcome="stored").inc(len(batch))

    async def _store_one_by_one(self, batch: list[tuple[Consumed, AlertRaised]]) -> None:
        """The database refused a value in the batch: find it, dead-letter it, store the rest."""
        for record, alert in batch:
            try:
                await self._outbox.store([(alert, self._plan(alert))], now=self._clock())
            except DataError:
                await self._dead_letter(record, "alert the database cannot store")

    async def _decode(self, record: Consumed) -> AlertRaised | None:
        try:
            return AlertRaised.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self._dead_letter(record, f"undecodable alert: {error.error_count()} error(s)")
            return None

    async def _store_operator_alert(self, alert: AlertRaised) -> None:
        decided = decision(alert)
        if decided is not None:  # on the audit trail before the offset moves past it
            await self._audit.append(decided)
        operator_alert = NewOperatorAlert(
            operator_alert_id=alert.alert_id,
            kind=alert.kind,
            reason=alert.reason,
            alert_id=alert.alert_id,
        )
        # The matcher raises its operator alert again, under the same id, as its count grows.
        if await self._outbox.update_operator_alert(operator_alert, now=self._clock()):
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

    async def _dead_letter(self, record: Consumed, reason: str) -> None:
        log.error(
            "record sent to dead-letter topic",
            extra={"reason": reason, "partition": record.partition, "offset": record.offset},
        )
        await self._dead_letters.send(record, reason)
        self._metrics.alerts.labels(outcome="dead_lettered").inc()
