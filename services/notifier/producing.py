"""What the notifier writes to Kafka (dead letters, the audit trail's copies) goes through one
idempotent producer per use, acks=all: a send has returned once the in-sync replicas hold it."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from crosslink.kafka_access import KafkaAccess


class KafkaWriter:
    def __init__(self, kafka: KafkaAccess, *, client_id: str) -> None:
        self._producer = AIOKafkaProducer(
            **kafka.options(), acks="all", enable_idempotence=True, client_id=client_id
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()
