"""Creates crosslink's topics with their partition counts; services, `make up` and tests share it.

The broker never auto-creates topics for crosslink: a topic with the wrong partition count
would silently break co-partitioning between the sightings topic and the matcher's table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


class ProvisioningError(RuntimeError):
    """A topic exists with a partition count other than the one crosslink needs."""


def provision_topics(bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[str]:
    """Create each missing topic; check existing ones. Returns the names it created."""
    specs = list(specs)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="crosslink-provisioning")
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            _create(admin, missing)
        _check_partitions(admin, [spec for spec in specs if spec.name in existing])
        return [spec.name for spec in missing]
    finally:
        admin.close()


def _create(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    new_topics = [
        NewTopic(spec.name, spec.partitions, 1, topic_configs=dict(spec.config)) for spec in specs
    ]
    try:
        admin.create_topics(new_topics)
    except TopicAlreadyExistsError:
        log.info("topics created concurrently by another process")
    for spec in specs:
        log.info("topic provisioned", extra={"topic": spec.name, "partitions": spec.partitions})


def _check_partitions(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    topics = admin.describe_topics([spec.name for spec in specs])
    described = {topic["name"]: len(topic["partitions"]) for topic in topics}
    for spec in specs:
        if described.get(spec.name) != spec.partitions:
            raise ProvisioningError(
                f"topic {spec.name} has {described.get(spec.name)} partitions, crosslink needs "
                f"{spec.partitions}; recreate it or migrate its data"
            )


@dataclass(frozen=True)
class TopicState:
    name: str
    partitions_needed: int
    partitions: int | None  # None: the topic does not exist
    records: int  # end offsets summed over partitions (records ever written, less none deleted)


def describe_topics(bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[TopicState]:
    """Each crosslink topic as the broker has it."""
    specs = list(specs)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="crosslink-provisioning")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        existing = set(admin.list_topics())
        present = [spec.name for spec in specs if spec.name in existing]
        partitions = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(present)}
        ends = consumer.end_offsets(
            [TopicPartition(name, p) for name in present for p in range(partitions[name])]
        )
        return [
            TopicState(
                spec.name,
                spec.partitions,
                partitions.get(spec.name),
                sum(offset for tp, offset in ends.items() if tp.topic == spec.name),
            )
            for spec in specs
        ]
    finally:
        consumer.close()
        admin.close()
