"""Creates crosslink's topics with their partition counts and replication; services, `make up`
and tests share it.

The broker never auto-creates topics for crosslink: a topic with the wrong partition count
would silently break co-partitioning between the sightings topic and the matcher's table. How
many brokers hold each partition is the deployment's (settings: 3 and 2 in production).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


class ProvisioningError(RuntimeError):
    """A topic exists with a partition count other than the one crosslink needs."""


@dataclass(frozen=True)
class Replication:
    """Each partition on `factor` brokers; a write counts once `min_insync` of them have it, so
    with 3 and 2 one broker can be lost without losing a write or refusing one."""

    factor: int = 1
    min_insync: int = 1

    @classmethod
    def on(cls, brokers: int) -> Replication:
        """Every partition on up to three of `brokers`; a write counts on two of three (one
        broker may be lost) and on the only one of one."""
        factor = min(brokers, 3)
        return cls(factor, min(2, max(1, factor - 1)))


def provision_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    replication: Replication = Replication(),
) -> list[str]:
    """Create each missing topic; check existing ones and bring their settings (retention,
    min.insync.replicas) to crosslink's. Returns the names it created."""
    specs = list(specs)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="crosslink-provisioning")
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            _create(admin, missing, replication)
        present = [spec for spec in specs if spec.name in existing]
        _check_topics(admin, present, replication)
        _reconcile_configs(admin, present, replication)
        return [spec.name for spec in missing]
    finally:
        admin.close()


def topic_configs(spec: TopicSpec, replication: Replication) -> dict[str, str]:
    return {"min.insync.replicas": str(replication.min_insync), **spec.config}


def _create(admin: KafkaAdminClient, specs: list[TopicSpec], replication: Replication) -> None:
    new_topics = [
        NewTopic(
            spec.name,
            spec.partitions,
            replication.factor,
            topic_configs=topic_configs(spec, replication),
        )
        for spec in specs
    ]
    try:
        admin.create_topics(new_topics)
    except TopicAlreadyExistsError:
        log.info("topics created concurrently by another process")
    for spec in specs:
        log.info(
            "topic provisioned",
            extra={
                "topic": spec.name,
                "partitions": spec.partitions,
                "replication_factor": replication.factor,
                "min_insync_replicas": replication.min_insync,
            },
        )


def _check_topics(
    admin: KafkaAdminClient, specs: list[TopicSpec], replication: Replication
) -> None:
    """Refuse a topic with other partitions; warn of one held on fewer brokers than set."""
    if not specs:
        return
    topics = {topic["name"]: topic for topic in admin.describe_topics([s.name for s in specs])}
    for spec in specs:
        partitions = topics.get(spec.name, {}).get("partitions", [])
        if len(partitions) != spec.partitions:
            raise ProvisioningError(
                f"topic {spec.name} has {len(partitions)} partitions, crosslink needs "
                f"{spec.partitions}; recreate it or migrate its data"
            )
        fewest = min(len(partition["replica_nodes"]) for partition in partitions)
        if fewest < replication.factor:
            log.warning(
                "a topic is held on fewer brokers than CROSSLINK_TOPIC_REPLICATION_FACTOR: "
                "reassign its partitions (docs/operations.md, Replacing a broker)",
                extra={"topic": spec.name, "replicas": fewest, "wanted": replication.factor},
            )


def _reconcile_configs(
    admin: KafkaAdminClient, specs: list[TopicSpec], replication: Replication
) -> None:
    """A topic created by an older crosslink (the sightings kept seven days, say) gets the
    settings crosslink now needs; each change is logged."""
    if not specs:
        return
    wanted = {spec.name: topic_configs(spec, replication) for spec in specs}
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, configs=dict.fromkeys(configs))
        for name, configs in wanted.items()
    ]
    described = admin.describe_configs(resources, config_filter="all").get("topic", {})
    changes = []
    for name, configs in wanted.items():
        now = {key: entry.get("value") for key, entry in described.get(name, {}).items()}
        differing = {key: value for key, value in configs.items() if now.get(key) != value}
        if differing:
            changes.append(ConfigResource(ConfigResourceType.TOPIC, name, configs=differing))
            log.warning(
                "a topic's settings differed from crosslink's; changed",
                extra={"topic": name, "was": {k: now.get(k) for k in differing}, "now": differing},
            )
    if changes:
        admin.alter_configs(changes)


@dataclass(frozen=True)
class TopicState:
    name: str
    partitions_needed: int
    partitions: int | None  # None: the topic does not exist
    records: int  # end offsets summed over partitions (records ever written, less none deleted)
    replicas: int = 0  # brokers holding its least replicated partition
    in_sync: int = 0  # of them, in sync for its least in-sync partition


def describe_topics(bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[TopicState]:
    """Each crosslink topic as the broker has it."""
    specs = list(specs)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="crosslink-provisioning")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        existing = set(admin.list_topics())
        present = [spec.name for spec in specs if spec.name in existing]
        described = {t["name"]: t["partitions"] for t in admin.describe_topics(present)}
        partitions = {name: len(parts) for name, parts in described.items()}
        ends = consumer.end_offsets(
            [TopicPartition(name, p) for name in present for p in range(partitions[name])]
        )
        return [
            TopicState(
                spec.name,
                spec.partitions,
                partitions.get(spec.name),
                sum(offset for tp, offset in ends.items() if tp.topic == spec.name),
                min((len(p["replica_nodes"]) for p in described.get(spec.name, [])), default=0),
                min((len(p["isr_nodes"]) for p in described.get(spec.name, [])), default=0),
            )
            for spec in specs
        ]
    finally:
        consumer.close()
        admin.close()
