"""How a benchmark's child processes reach its broker: the parent hands them its access in the
CROSSLINK_KAFKA_* variables (the broker requires mutual TLS, so a bare bootstrap would not do),
and each child reads it back. Every process of a benchmark, bare baselines included, pays the
same TLS."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from crosslink.kafka_access import KafkaAccess
from crosslink.settings import CommonSettings, from_environment


def child_environment(kafka: KafkaAccess) -> dict[str, str]:
    """This process's environment, plus `kafka` for a child process."""
    return {**os.environ, **kafka.environment()}


def from_parent() -> KafkaAccess:
    """The access the parent handed down (child_environment)."""
    return from_environment(CommonSettings).kafka


@asynccontextmanager
async def loop_clients(
    kafka: KafkaAccess, topic: str, group: str, *, auto_commit: bool
) -> AsyncIterator[tuple[AIOKafkaConsumer, AIOKafkaProducer]]:
    """A baseline loop's consumer of `topic` (from its first offset, in `group`) and producer
    (acks=all, idempotent, as crosslink's services produce), started, and stopped after."""
    consumer = AIOKafkaConsumer(
        topic, **kafka.options(), group_id=group, auto_offset_reset="earliest",
        enable_auto_commit=auto_commit,
    )  # fmt: skip
    producer = AIOKafkaProducer(**kafka.options(), acks="all", enable_idempotence=True)
    await producer.start()
    await consumer.start()
    try:
        yield consumer, producer
    finally:
        await consumer.stop()
        await producer.stop()
