"""The matcher's like-for-like baseline: an aiokafka loop that does the matcher's work on
sightings with the matcher's own rule, and keeps the same state just as durably, and nothing
else.

Run as its own process by bench/matcher.py, on the same broker and with the same Kafka settings
as the matcher (acks=all, idempotent producer, TLS). Per batch of up to 500 records (as the
matcher takes them): each sighting goes through `bench.sighting_rule` (crosslink's
`on_sighting` on crosslink's `TokenState`, reading the rows this batch changed before the
store); the batch's alerts are sent and the loop waits until the broker holds them; then the
changed rows go to RocksDB (one store per partition, one write batch each, as faust keeps
them) and to a compacted changelog topic (the record's own partition), the loop waits until
the broker holds those, and only then commits the batch's offsets. So a crash at any point
replays the batch and raises the same alert ids, the order the matcher keeps.

It prints `ready` once it has processed the first record (the benchmark's warm-up) and `done`
when it has processed `--expect` records and committed them.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiokafka import AIOKafkaProducer
from rocksdict import Rdict, WriteBatch

from bench.baseline_task import task
from bench.brokers import from_parent, loop_clients
from bench.sighting_rule import Read, SightingRule
from crosslink.kafka_access import KafkaAccess
from schemas.events import AlertRaised

ALERTS_TOPIC = "bench.like-for-like-alerts"
CHANGELOG_TOPIC = "bench.like-for-like-changelog"


class Stores:
    """One RocksDB store per input partition, opened when first needed."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._open: dict[int, Rdict] = {}

    def __getitem__(self, partition: int) -> Rdict:
        if partition not in self._open:
            self._open[partition] = Rdict(str(self._directory / f"partition-{partition}"))
        return self._open[partition]

    def close(self) -> None:
        for store in self._open.values():
            store.close()


async def run(kafka: KafkaAccess, topic: str, expect: int, directory: Path) -> None:
    rule, stores, processed = SightingRule(), Stores(directory), 0
    clients = loop_clients(kafka, topic, "bench-like-for-like", auto_commit=False)
    async with clients as (consumer, producer):
        while processed < expect:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            changed: dict[int, dict[str, str]] = {}  # partition -> key -> row
            alerts: list[AlertRaised] = []
            for tp, records in batches.items():
                rows = changed.setdefault(tp.partition, {})
                read = _through(rows, stores[tp.partition])
                for record in records:
                    applied = rule.apply(record.value or b"", record.offset, read)
                    rows.update(applied.writes)
                    alerts += applied.alerts
            await _sent(producer, [(ALERTS_TOPIC, a.alert_id, a.model_dump_json(), None)
                                   for a in alerts])  # fmt: skip
            for partition, rows in changed.items():
                batch = WriteBatch()
                for key, row in rows.items():
                    batch.put(key, row)
                stores[partition].write(batch)
            await _sent(producer, [(CHANGELOG_TOPIC, key, row, partition)
                                   for partition, rows in changed.items()
                                   for key, row in rows.items()])  # fmt: skip
            if batches:
                await consumer.commit()  # only now: every effect of the batch is durable
            first, processed = processed == 0, processed + sum(map(len, batches.values()))
            if first and processed:
                print("ready", flush=True)  # the warm-up record is through
        print("done", flush=True)
    stores.close()


def _through(rows: dict[str, str], store: Rdict) -> Read:
    """Reads of a partition's rows: this batch's changes first, then the store."""

    def read(key: str) -> str | None:
        return rows[key] if key in rows else store.get(key)

    return read


async def _sent(
    producer: AIOKafkaProducer, records: list[tuple[str, str, str, int | None]]
) -> None:
    """Send (topic, key, value, partition) records and wait until the broker holds them all."""
    sent = [
        await producer.send(topic, key=key.encode(), value=value.encode(), partition=partition)
        for topic, key, value, partition in records
    ]
    await asyncio.gather(*sent)


def main() -> None:
    given = task()
    with tempfile.TemporaryDirectory(prefix="crosslink-like-for-like-") as directory:
        asyncio.run(run(from_parent(), given.topic, given.expect, Path(directory)))


if __name__ == "__main__":
    main()
