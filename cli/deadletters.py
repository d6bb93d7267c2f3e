"""The dead-letter topic, for operators: list what was set aside and why, and replay records to
the topic they came from once the cause is fixed. Consumers are idempotent, so a replayed
record that was in fact processed changes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from crosslink.kafka_access import KafkaAccess
from schemas.topics import DEAD_LETTER

READ_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    key: bytes | None
    value: bytes
    source: str
    topic: str  # where the record was read; "" if the service did not say
    error: str


class ReadIncomplete(RuntimeError):
    """The dead-letter topic could not be read to its end in time."""


def read_dead_letters(
    kafka: KafkaAccess, *, start: int = 0, timeout_s: float = READ_TIMEOUT_S
) -> list[DeadLetter]:
    """Every dead letter from offset `start` (or the oldest one kept) to the end of the topic;
    ReadIncomplete if the broker does not deliver them all within `timeout_s`."""
    partition = TopicPartition(DEAD_LETTER.name, 0)
    consumer = KafkaConsumer(
        **kafka.options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    try:
        consumer.assign([partition])
        end = consumer.end_offsets([partition])[partition]
        oldest = consumer.beginning_offsets([partition])[partition]
        consumer.seek(partition, max(start, oldest))
        letters: list[DeadLetter] = []
        deadline = time.monotonic() + timeout_s
        while consumer.position(partition) < end:
            if time.monotonic() > deadline:
                raise ReadIncomplete(
                    f"read {len(letters)} dead letters up to offset "
                    f"{consumer.position(partition)} of {end} before the time ran out"
                )
            batch = consumer.poll(timeout_ms=1000).get(partition, [])
            letters += [_letter(record) for record in batch if record.offset < end]
        return letters
    finally:
        consumer.close()


def replay(kafka: KafkaAccess, letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    """Send each letter back to the topic it was read from; the ones that say no topic are
    skipped and returned."""
    skipped = []
    producer = KafkaProducer(**kafka.options(), acks="all", enable_idempotence=True)
    try:
        for letter in letters:
            if not letter.topic:
                skipped.append(letter)
                continue
            producer.send(letter.topic, key=letter.key, value=letter.value).get(timeout=30)
    finally:
        producer.close()
    return skipped


def _letter(record: ConsumerRecord) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers}
    return DeadLetter(
        offset=record.offset,
        key=record.key,
        value=record.value or b"",
        source=headers.get("crosslink-source", "?"),
        topic=headers.get("crosslink-topic", ""),
        error=headers.get("crosslink-error", "?"),
    )
