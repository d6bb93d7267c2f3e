"""Publishes intake's events to Kafka and returns only once the broker holds them all.

`Publisher` is the port intake's routes publish through (tests/fakes.py has an in-memory one);
`KafkaPublisher` is the real thing.

acks=all with an idempotent producer: a returned publish() means every record is durable.
While the broker is unreachable the publisher refuses at once, before sending anything, so a
503 answered in that state accepted nothing. A failed publish replaces the producer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from pydantic import BaseModel

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import INTAKE, require_topics, topics_of
from services.intake.errors import BrokerUnavailable

log = logging.getLogger(__name__)
Record = tuple[str, str, BaseModel]  # topic, key, event
Marker = tuple[str, int, str, BaseModel]  # topic, partition, key, event


class Publisher(Protocol):
    async def start(self) -> None:
        """Begin connecting; publish() refuses with BrokerUnavailable until connected."""

    async def stop(self) -> None: ...

    async def publish(self, records: Sequence[Record], markers: Sequence[Marker] = ()) -> None:
        """Return once the broker holds every record, and every marker on its partition, or
        raise BrokerUnavailable having accepted none that the caller must not post again."""

    async def broker_reachable(self) -> bool: ...


class KafkaPublisher:
    def __init__(self, kafka: KafkaAccess, *, timeout_s: float, retry_after_s: int) -> None:
        self._kafka = kafka
        self._timeout_s = timeout_s
        self._retry_after_s = retry_after_s
        self._producer: AIOKafkaProducer | None = None
        self._degraded = True
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect in the background, so intake serves (with 503s) while the broker is down."""
        self._connecting = asyncio.create_task(self._connect_until_done())

    async def stop(self) -> None:
        if self._connecting:
            self._connecting.cancel()
        if self._producer:
            await self._producer.stop()

    async def publish(self, records: Sequence[Record], markers: Sequence[Marker] = ()) -> None:
        """Send every (topic, key, event), and each marker to its partition, and wait for the
        broker to acknowledge each, or raise."""
        producer = self._producer
        if producer is None or (self._degraded and not await self.broker_reachable()):
            raise BrokerUnavailable(
                "the event broker is unreachable; nothing was accepted",
                retry_after_s=self._retry_after_s,
            )
        try:
            async with asyncio.timeout(self._timeout_s):
                pending = [
                    await producer.send(
                        topic, key=key.encode(), value=event.model_dump_json().encode()
                    )
                    for topic, key, event in records
                ]
                pending += [
                    await producer.send(
                        topic,
                        key=key.encode(),
                        value=event.model_dump_json().encode(),
                        partition=partition,
                    )
                    for topic, partition, key, event in markers
                ]
                await asyncio.gather(*pending)
        except (KafkaError, TimeoutError) as error:
            log.warning(
                "publish failed; reconnecting with a new producer", extra={"error": repr(error)}
            )
            self._start_over(producer)
            raise BrokerUnavailable(
                "the event broker did not confirm the complaint; post it again",
                retry_after_s=self._retry_after_s,
            ) from error
        self._degraded = False

    async def broker_reachable(self) -> bool:
        """True when a metadata request to the broker succeeds within two seconds."""
        if self._producer is None:
            return False
        try:
            async with asyncio.timeout(2.0):
                await self._producer.client.fetch_all_metadata()
        except (KafkaError, TimeoutError):
            return False
        self._degraded = False
        return True

    def _start_over(self, failed: AIOKafkaProducer) -> None:
        """Replace a producer whose send failed. aiokafka keeps the sequence numbers of batches
        the broker never stored, so after a broker outage every later send of that producer
        can be refused as OutOfOrderSequenceNumber, for good (aio-libs/aiokafka#1017; found by
        tests/chaos/test_broker_restarted.py). A new producer gets a new producer id and starts
        its sequences afresh; meanwhile publish() refuses at once, and the integrator's retry of
        the same complaint goes through the new producer (same event ids: no duplicate)."""
        if self._producer is not failed:
            return  # another publish that failed with it has replaced it already
        self._producer = None
        self._degraded = True
        self._connecting = asyncio.create_task(self._replace(failed))

    async def _replace(self, failed: AIOKafkaProducer) -> None:
        # Its unsent batches end within a request timeout (delivered or expired); past twice
        # that, it is abandoned rather than waited for.
        with suppress(Exception):
            async with asyncio.timeout(2 * self._timeout_s):
                await failed.stop()
        await self._connect_until_done()

    async def _connect_until_done(self) -> None:
        delay = 0.5
        while self._producer is None:
            producer = AIOKafkaProducer(
                **self._kafka.options(),
                acks="all",
                enable_idempotence=True,
                request_timeout_ms=int(self._timeout_s * 1000),
                client_id="crosslink-intake",
            )
            try:
                await asyncio.to_thread(require_topics, self._kafka, topics_of(INTAKE))
                await producer.start()
            except Exception as error:  # any failure here means: not connected yet, try again
                await producer.stop()
                log.warning(
                    "broker not reachable yet", extra={"error": repr(error), "retry_s": delay}
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._producer = producer
            self._degraded = False
            log.info("connected to the event broker", extra={"bootstrap": self._kafka.bootstrap})
