"""The matcher's bare baseline: consume -> decode -> dict lookup -> produce, nothing else.

Run as its own process by bench/matcher.py, on the same broker and with the same Kafka
settings as the matcher (acks=all, idempotent producer). It reads `--topic` from the start in
batches of up to 500 records (as the matcher does), keeps the cases seen per key in a dict,
for each record whose key was seen before sends one small record (as the matcher sends an
alert), and waits until the broker holds a batch's outputs before taking the next. It keeps
no durable state: the matcher also writes each changed token's state to its changelog. It
prints `ready` once it has processed the first record (the benchmark's warm-up) and `done`
when it has processed `--expect` records.
"""

from __future__ import annotations

import asyncio
import json

from bench.baseline_task import task
from bench.brokers import from_parent, loop_clients
from crosslink.kafka_access import KafkaAccess

OUTPUT_TOPIC = "bench.bare-out"


async def run(kafka: KafkaAccess, topic: str, expect: int) -> None:
    seen: dict[bytes, list[str]] = {}
    processed = 0
    async with loop_clients(kafka, topic, "bench-bare", auto_commit=True) as (consumer, producer):
        while processed < expect:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            sent, first = [], processed == 0
            for record in (r for records in batches.values() for r in records):
                event = json.loads(record.value or b"{}")
                cases = seen.setdefault(record.key or b"", [])
                if cases:
                    sent.append(await producer.send(OUTPUT_TOPIC, key=record.key, value=b"match"))
                cases.append(event["case"]["complaint_id"])
                processed += 1
            await asyncio.gather(*sent)  # the broker holds the batch's outputs
            if first and processed:
                print("ready", flush=True)  # the warm-up record is through
        print("done", flush=True)


def main() -> None:
    given = task()
    asyncio.run(run(from_parent(), given.topic, given.expect))


if __name__ == "__main__":
    main()
