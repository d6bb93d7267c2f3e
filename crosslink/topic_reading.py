"""Topics read to their end, for an operator's command (a rematch, the dead letters, the audit
trail's mirror): every record from a start up to each partition's end as it was when the
command looked. Synchronous (kafka-python)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from crosslink.kafka_access import KafkaAccess

Ends = dict[TopicPartition, int]


class ReadIncomplete(RuntimeError):
    """The broker did not deliver the records up to their end in time."""


def partition_ends(access: KafkaAccess, partitions: Iterable[TopicPartition]) -> Ends:
    """Each partition's end now: where a read begun now stops."""
    consumer = KafkaConsumer(**access.options(), enable_auto_commit=False)
    try:
        ends: Ends = consumer.end_offsets(list(partitions))
        return ends
    finally:
        consumer.close()


def read_to_end(
    access: KafkaAccess,
    ends: Mapping[TopicPartition, int],
    *,
    starts: Mapping[TopicPartition, int] | None = None,
    timeout_s: float,
) -> list[ConsumerRecord]:
    """Every record of these partitions from `starts` (else the oldest kept) up to, not
    including, `ends`; ReadIncomplete if they do not all arrive within `timeout_s`."""
    consumer = KafkaConsumer(
        **access.options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    records: list[ConsumerRecord] = []
    try:
        consumer.assign(list(ends))
        consumer.seek_to_beginning()
        oldest = consumer.beginning_offsets(list(ends))
        for partition, start in (starts or {}).items():
            consumer.seek(partition, max(start, oldest[partition]))
        deadline = time.monotonic() + timeout_s
        while behind := [tp for tp, end in ends.items() if consumer.position(tp) < end]:
            if time.monotonic() > deadline:
                raise ReadIncomplete(
                    f"read {len(records)} records in {timeout_s:.0f} s, but {len(behind)} "
                    f"partition(s) not to their end (first {behind[0].topic}/{behind[0].partition})"
                )
            for partition, batch in consumer.poll(timeout_ms=1000).items():
                records += [r for r in batch if r.offset < ends[partition]]
        return records
    finally:
        consumer.close()
