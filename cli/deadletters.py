"""The dead-letter topic, for operators: list what was set aside and why, and replay records to
the topic they came from once the cause is fixed. Consumers are idempotent, so a replayed
record that was in fact processed changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from crosslink.kafka_access import KafkaAccess
from crosslink.topic_reading import partition_ends, read_to_end
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


def read_dead_letters(
    kafka: KafkaAccess, *, start: int = 0, timeout_s: float = READ_TIMEOUT_S
) -> list[DeadLetter]:
    """Every dead letter from offset `start` (or the oldest one kept) to the end of the topic;
    ReadIncomplete if the broker does not deliver them all within `timeout_s`."""
    partition = TopicPartition(DEAD_LETTER.name, 0)
    ends = partition_ends(kafka, [partition])
    records = read_to_end(kafka, ends, starts={partition: start}, timeout_s=timeout_s)
    return [_letter(record) for record in records]


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
