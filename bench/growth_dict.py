"""The memory and recovery baselines of bench/growth.py: a bare process holding the table as a dict.

It fills a dict of table key -> row JSON, either from `key<TAB>value` lines on stdin or, with
`--changelog`, by reading the matcher's changelog topic from the start with a bare aiokafka
consumer until `--expect` records (what faust's recovery does, without faust). It then prints
`held` and waits for stdin to close, so that its parent can read its memory from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.brokers import from_parent
from crosslink.kafka_access import KafkaAccess
from schemas.topics import STATE_CHANGELOG


def from_lines() -> dict[bytes, bytes]:
    table: dict[bytes, bytes] = {}
    for line in sys.stdin.buffer:
        if line == b"\n":
            return table
        key, value = line.rstrip(b"\n").split(b"\t", 1)
        table[key] = value
    return table


async def from_changelog(kafka: KafkaAccess, expect: int) -> dict[bytes, bytes]:
    consumer = AIOKafkaConsumer(**kafka.options(), enable_auto_commit=False,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    table: dict[bytes, bytes] = {}
    try:
        partitions = [TopicPartition(STATE_CHANGELOG.name, p)
                      for p in range(STATE_CHANGELOG.partitions)]  # fmt: skip
        consumer.assign(partitions)
        read = 0
        while read < expect:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                read += len(records)
                table.update((r.key or b"", r.value or b"") for r in records)
        return table
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changelog", action="store_true", help="read the matcher's changelog")
    parser.add_argument("--expect", type=int, default=0)
    arguments = parser.parse_args()
    if arguments.changelog:
        table = asyncio.run(from_changelog(from_parent(), arguments.expect))
    else:
        table = from_lines()
    print("held", len(table), flush=True)
    sys.stdin.buffer.read()  # until the parent has read our memory and closes the pipe


if __name__ == "__main__":
    main()
