"""What the notifier does with each alert it consumes: decode it, plan its deliveries, store
them in the outbox (their first attempts start at once), record an operator alert (and an
operator's decision on the audit trail), and set aside as a dead letter what cannot be decoded
or stored. Once `store` returns, every record given is stored or dead-lettered, so its offset
may be committed (services/notifier/consumer.py).

A back-fill's links (alerts with an import id) are stored in the inboxes as historical, with no
delivery; the pass of an import's end (ImportPassed) that completes it tells each district
involved its digest (services/notifier/import_digests.py), delivered like any alert.

Kafka stays outside: records come in, dead letters go out through the `DeadLetters` port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError

from crosslink.clock import Clock, utc_now
from schemas.events import AlertRaised, ImportPassed, is_import_marker
from services.notifier.audit.chain import AuditEvent
from services.notifier.audit.events import decision
from services.notifier.dispatcher import Dispatcher
from services.notifier.import_digests import ImportLink, import_digests
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import PlannedDelivery
from services.notifier.store.imports import DigestOf, ImportTold, StaleDigest
from services.notifier.store.outbox import DeliveryStore, NewOperatorAlert

log = logging.getLogger(__name__)
Decoded = TypeVar("Decoded", bound=BaseModel)


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


class ImportLog(Protocol):
    """Back-fills' ends and links (services/notifier/store/imports.py)."""

    async def passed(self, passed: ImportPassed) -> bool:
        """Store a pass; True if every pass is in and the import's digests are not stored."""

    async def links(self, import_id: str) -> list[ImportLink]:
        """Every link of the import stored so far as historical."""


class AlertsIntoOutbox:
    def __init__(
        self,
        *,
        outbox: DeliveryStore,
        audit: AuditTrail,
        imports: ImportLog,
        plan: Callable[[AlertRaised], Sequence[PlannedDelivery]],
        dispatcher: Dispatcher,
        dead_letters: DeadLetters,
        metrics: NotifierMetrics,
        clock: Clock = utc_now,
    ) -> None:
        self._outbox = outbox
        self._audit = audit
        self._imports = imports
        self._plan = plan
        self._dispatcher = dispatcher
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._clock = clock

    async def store(self, records: Sequence[Consumed]) -> None:
        """Store every alert in `records` (in one transaction where the database takes them
        all), or set it aside as a dead letter; then the passes of imports' ends among them."""
        batch, passes = [], []
        for record in records:
            if is_import_marker(record.key):
                if (passed := await self._decode(record, ImportPassed, "import pass")) is not None:
                    passes.append(passed)
                continue
            alert = await self._decode(record, AlertRaised, "alert")
            if alert is None:
                continue
            if alert.audience == "operators":
                await self._store_operator_alert(alert)
            else:
                batch.append((record, alert))
        try:
            await self._store_and_attempt([alert for _, alert in batch])
        except DataError:
            await self._store_one_by_one(batch)
            self._dispatcher.wake()
        # Raised by a back-filled complaint: held back while its import is untold.
        back_filled = sum(1 for _, alert in batch if alert.import_id)
        self._metrics.alerts.labels(outcome="stored").inc(len(batch) - back_filled)
        self._metrics.alerts.labels(outcome="historical").inc(back_filled)
        for passed in passes:  # behind the alerts before it: they are stored
            await self._pass(passed)

    async def _store_and_attempt(
        self, batch: Sequence[AlertRaised], digest: DigestOf | None = None
    ) -> None:
        """Store alerts with their deliveries (the outbox holds back a back-fill's link's);
        the deliveries' first attempts start the moment they are stored."""
        planned = [(alert, self._plan(alert)) for alert in batch]
        await self._dispatcher.store_and_attempt(
            lambda lease: self._outbox.store(
                planned, now=self._clock(), lease=lease, digest=digest
            ),
            planned=sum(len(deliveries) for _, deliveries in planned),
        )

    async def _pass(self, passed: ImportPassed) -> None:
        """Store a pass of an import's end; with the last one, tell each district its digest
        (composed again if a link of the import is stored meanwhile)."""
        if not await self._imports.passed(passed):
            return
        while True:
            links = await self._imports.links(passed.import_id)
            digests = import_digests(passed.import_id, links, now=self._clock())
            try:
                await self._store_and_attempt(digests, DigestOf(passed.import_id, len(links)))
                break
            except StaleDigest:
                continue
            except ImportTold:  # another notifier told them meanwhile
                return
        self._metrics.alerts.labels(outcome="import_digest").inc(len(digests))
        log.info(
            "import digests stored",
            extra={
                "import_id": passed.import_id,
                "importer": passed.district,
                "links": len(links),
                "districts": len(digests),
            },
        )

    async def _store_one_by_one(self, batch: list[tuple[Consumed, AlertRaised]]) -> None:
        """The database refused a value in the batch: find it, dead-letter it, store the rest."""
        for record, alert in batch:
            try:
                await self._outbox.store([(alert, self._plan(alert))], now=self._clock())
            except DataError:
                await self._dead_letter(record, "alert the database cannot store")

    async def _decode(self, record: Consumed, model: type[Decoded], what: str) -> Decoded | None:
        """The record as `model`, or None having set it aside as an undecodable `what`."""
        try:
            return model.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self._dead_letter(record, f"undecodable {what}: {error.error_count()} error(s)")
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
                    "identifier": alert.about.masked,
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
