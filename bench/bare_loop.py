"""The matcher's bare baseline: consume -> decode -> dict lookup -> produce, nothing else.

Run as its own process by bench/matcher.py, on the same broker and with the same Kafka
settings as the matcher (acks=all, idempotent producer). It reads `--topic` from the start in
batches of up to 500 records (as the matcher does), keeps the cases seen per key in a dict,
for each record whose key was seen before sends one small record (as the matcher sends an
alert), and waits until the broker holds a batch's outputs before taking the next. It keeps
no durable state: the matcher also writes each changed token's state to its changelog. It
prints `ready` once assigned and `done` when it has processed `--expect` records.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.brokers import from_parent
from crosslink.kafka_access import KafkaAccess

OUTPUT_TOPIC = "bench.bare-out"


async def run(kafka: KafkaAccess, topic: str, expect: int) -> None:
    consumer = AIOKafkaConsumer(
        topic, **kafka.options(), group_id="bench-bare", auto_offset_reset="earliest",
        enable_auto_commit=True,
    )  # fmt: skip
    producer = AIOKafkaProducer(**kafka.options(), acks="all", enable_idempotence=True)
    await producer.start()
    await consumer.start()
    seen: dict[bytes, list[str]] = {}
    processed = 0
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        print("ready", flush=True)
        while processed < expect:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            sent = []
            for record in (r for records in batches.values() for r in records):
                event = json.loads(record.value or b"{}")
                cases = seen.setdefault(record.key or b"", [])
                if cases:
                    sent.append(await producer.send(OUTPUT_TOPIC, key=record.key, value=b"match"))
                cases.append(event["case"]["complaint_id"])
                processed += 1
            await asyncio.gather(*sent)  # the broker holds the batch's outputs
        print("done", flush=True)
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topic", required=True)
    parser.add_argument("--expect", type=int, required=True)
    arguments = parser.parse_args()
    asyncio.run(run(from_parent(), arguments.topic, arguments.expect))


if __name__ == "__main__":
    main()
