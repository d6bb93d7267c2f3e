"""The dead-letter topic, for operators: list what was set aside and why, and replay records to
the topic they came from once the cause is fixed. Consumers are idempotent, so a replayed
record that was in fact processed changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from schemas.topics import DEAD_LETTER

READ_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    key: bytes | None
    value: bytes
    source: str
    topic: str  # where the record was read; "" if the service did not say
    error: str


def read_dead_letters(bootstrap: str, *, start: int = 0) -> list[DeadLetter]:
    """Every dead letter from offset `start` to the end of the topic."""
    partition = TopicPartition(DEAD_LETTER.name, 0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        consumer.assign([partition])
        end = consumer.end_offsets([partition])[partition]
        consumer.seek(partition, start)
        letters: list[DeadLetter] = []
        while consumer.position(partition) < end:
            batch = consumer.poll(timeout_ms=READ_TIMEOUT_MS).get(partition, [])
            letters += [_letter(record) for record in batch if record.offset < end]
            if not batch:
                break
        return letters
    finally:
        consumer.close()


def replay(bootstrap: str, letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    """Send each letter back to the topic it was read from; the ones that say no topic are
    skipped and returned."""
    skipped = []
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
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
