"""Consumes alerts and commits each offset only after the alert's effect (delivery) is done."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from schemas.events import AlertRaised
from schemas.topics import ALERT_RAISED, DEAD_LETTER
from services.notifier.delivery import AlertDeliverer
from services.notifier.metrics import NotifierMetrics

log = logging.getLogger(__name__)
GROUP_ID = "crosslink-notifier"


class AlertConsumer:
    def __init__(self, bootstrap: str, deliverer: AlertDeliverer, metrics: NotifierMetrics) -> None:
        self._deliverer = deliverer
        self._metrics = metrics
        self._consumer = AIOKafkaConsumer(
            ALERT_RAISED.name,
            bootstrap_servers=bootstrap,
            group_id=GROUP_ID,
            client_id=GROUP_ID,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, client_id=GROUP_ID
        )

    async def run(self) -> None:
        """Consume until cancelled."""
        await self._producer.start()
        await self._consumer.start()
        try:
            async for record in self._consumer:
                await self._handle(record)
                tp = TopicPartition(record.topic, record.partition)
                await self._consumer.commit({tp: record.offset + 1})
        finally:
            await self._consumer.stop()
            await self._producer.stop()

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            alert = AlertRaised.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self._dead_letter(record, f"undecodable alert: {error.error_count()} error(s)")
            return
        if alert.audience == "operators":
            # Until the operator inbox exists, operators see these in logs and metrics.
            log.warning("operator alert", extra={"alert_id": alert.alert_id, "kind": alert.kind,
                        "identifier": alert.identifier.masked, "reason": alert.reason})  # fmt: skip
            self._metrics.alerts.labels(outcome=f"operator_{alert.kind}").inc()
            return
        await self._deliverer.deliver(alert)
        self._metrics.alerts.labels(outcome="delivered").inc()
        log.info(
            "alert delivered", extra={"alert_id": alert.alert_id, "districts": alert.districts}
        )

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
