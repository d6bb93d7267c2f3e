"""Which partition a key goes to: murmur2 of the key, as intake's producer (and Kafka's Java
client) choose. For a record written to its token's partition under another key (a watch), and
for a history record moved to its new token's partition by a key rotation."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

_PARTITIONER = DefaultPartitioner()


def partition_of(key: str, partitions: int) -> int:
    every = list(range(partitions))
    return int(_PARTITIONER(key.encode(), every, every))
