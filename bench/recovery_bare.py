"""Table recovery's bare baseline: read a changelog from its first offset to its end and write
every record into RocksDB, nothing else.

Run as its own process by bench/recovery.py, on the same broker and with the same Kafka
settings as the matcher (TLS, no consumer group: recovery reads the changelog partitions it
assigns itself). One RocksDB store per partition, as faust keeps them, and one write batch per
fetch. It prints `done` and the seconds it took, from the seek to the first offsets until every
partition is read up to the end offset it found then.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from rocksdict import Rdict, WriteBatch

from bench.brokers import from_parent
from crosslink.kafka_access import KafkaAccess


async def run(kafka: KafkaAccess, topic: str, partitions: int, directory: Path) -> None:
    consumer = AIOKafkaConsumer(**kafka.options(), enable_auto_commit=False)
    await consumer.start()
    stores = {p: Rdict(str(directory / f"partition-{p}")) for p in range(partitions)}
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        start = time.perf_counter()
        await consumer.seek_to_beginning(*assigned)
        ends = {tp: end for tp, end in (await consumer.end_offsets(assigned)).items() if end}
        while ends:
            fetched = await consumer.getmany(*ends, timeout_ms=100, max_records=10_000)
            for tp, records in fetched.items():
                batch = WriteBatch()
                for record in records:
                    batch.put(record.key, record.value)
                stores[tp.partition].write(batch)
                if records[-1].offset + 1 >= ends[tp]:
                    del ends[tp]
        print(f"done {time.perf_counter() - start:.6f}", flush=True)
    finally:
        await consumer.stop()
        for store in stores.values():
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crosslink-recovery-") as directory:
        topic, partitions = arguments.topic, arguments.partitions
        asyncio.run(run(from_parent(), topic, partitions, Path(directory)))


if __name__ == "__main__":
    main()
