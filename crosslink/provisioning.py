"""Creates what Kafka holds for crosslink: its topics, with their partition counts and
replication, and each service's permissions on them. Run as Kafka's administrator (`crosslink
topics create`, `make up`, the tests); a service only checks that its topics are there.

The broker never auto-creates topics for crosslink: a topic with the wrong partition count
would silently break co-partitioning between the sightings topic and the matcher's table. How
many brokers hold each partition is the deployment's (settings: 3 and 2 in production).

Each service is its own principal, the common name of its certificate, and may do only what it
needs: intake writes what complaints and the registry say, the matcher reads that and writes
alerts and its own tables, the notifier reads alerts and writes dead letters. So a leaked
notifier key cannot forge an alert, and a leaked intake key cannot read one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka import errors as kafka_errors
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ConfigResource,
    ConfigResourceType,
    NewTopic,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.errors import KafkaError, SecurityDisabledError, TopicAlreadyExistsError

from crosslink.kafka_access import KafkaAccess
from schemas.topics import (
    ALERT_RAISED,
    ALL_TOPICS,
    AUDIT_RECORDED,
    COMPLAINTS_FILED,
    DEAD_LETTER,
    GENERIC_VALUE_DECIDED,
    IDENTIFIER_SIGHTED,
    LINK_WITHDRAWN,
    MATCHER_APP_ID,
    NOTIFIER_GROUP_PREFIX,
    REGISTRY_ENTRY_ADDED,
    TopicSpec,
)

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


# Principals: the common names of the certificates (harness/localpki.py issues them locally).
BROKER = "broker"  # the brokers and controllers, to each other
ADMIN = "admin"  # the operator: provisioning, the CLI's topic tools, the tests' own clients
INTAKE = "intake"
MATCHER = "matcher"
NOTIFIER = "notifier"
SERVICE_PRINCIPALS = (INTAKE, MATCHER, NOTIFIER)


@dataclass(frozen=True)
class Grant:
    """`principal` may `operation` the topic or consumer group `name` (every name starting with
    it, if `prefixed`). Reading or writing a topic lets a client see that it exists."""

    principal: str
    operation: ACLOperation
    resource: ResourceType
    name: str
    prefixed: bool = False

    def covers(self, name: str) -> bool:
        """Whether this grant is on the topic or group `name`."""
        return name.startswith(self.name) if self.prefixed else name == self.name

    def acl(self) -> ACL:
        pattern = (
            ACLResourcePatternType.PREFIXED if self.prefixed else ACLResourcePatternType.LITERAL
        )
        return ACL(
            principal=f"User:{self.principal}",
            host="*",
            operation=self.operation,
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(self.resource, self.name, pattern),
        )


def _topics(principal: str, operation: ACLOperation, *specs: TopicSpec) -> list[Grant]:
    return [Grant(principal, operation, ResourceType.TOPIC, spec.name) for spec in specs]


WHAT_INTAKE_SAYS = (
    IDENTIFIER_SIGHTED,
    COMPLAINTS_FILED,
    REGISTRY_ENTRY_ADDED,
    GENERIC_VALUE_DECIDED,
)
# Everything each service may do; nothing else is allowed (the brokers deny what no ACL grants).
SERVICE_GRANTS: tuple[Grant, ...] = (
    *_topics(INTAKE, ACLOperation.WRITE, *WHAT_INTAKE_SAYS),
    *_topics(MATCHER, ACLOperation.READ, *WHAT_INTAKE_SAYS, LINK_WITHDRAWN),
    *_topics(MATCHER, ACLOperation.WRITE, ALERT_RAISED, DEAD_LETTER),
    # Its tables' changelogs and faust's own topics, all named after the app; faust declares
    # them on start (they exist already: creating one that exists changes nothing).
    *(
        Grant(MATCHER, operation, ResourceType.TOPIC, MATCHER_APP_ID, prefixed=True)
        for operation in (ACLOperation.READ, ACLOperation.WRITE, ACLOperation.CREATE)
    ),
    Grant(MATCHER, ACLOperation.READ, ResourceType.GROUP, MATCHER_APP_ID),
    *_topics(NOTIFIER, ACLOperation.READ, ALERT_RAISED),
    # An officer's "not linked": to the matcher by token, and to clustering in complaints' order.
    *_topics(NOTIFIER, ACLOperation.WRITE, DEAD_LETTER, AUDIT_RECORDED, LINK_WITHDRAWN),
    *_topics(NOTIFIER, ACLOperation.WRITE, COMPLAINTS_FILED),
    Grant(NOTIFIER, ACLOperation.READ, ResourceType.GROUP, NOTIFIER_GROUP_PREFIX, prefixed=True),
)


def topics_of(principal: str, grants: Iterable[Grant] = SERVICE_GRANTS) -> list[TopicSpec]:
    """The topics `principal` is granted anything on: the ones it checks for on start."""
    mine = [g for g in grants if g.principal == principal and g.resource == ResourceType.TOPIC]
    return [spec for spec in ALL_TOPICS if any(grant.covers(spec.name) for grant in mine)]


def provision(access: KafkaAccess, replication: Replication = Replication()) -> list[str]:
    """Everything crosslink needs on the brokers: its topics, then its services' permissions.
    Returns the names of the topics it created."""
    created = provision_topics(access, replication=replication)
    grant_service_access(access)
    return created


def grant_service_access(access: KafkaAccess, grants: Iterable[Grant] = SERVICE_GRANTS) -> None:
    """Give each service principal exactly its grants (adding one that exists changes nothing).
    A broker without an authorizer (a development broker, PLAINTEXT) has nothing to grant."""
    acls = [grant.acl() for grant in grants]
    admin = KafkaAdminClient(**access.options(), client_id="crosslink-provisioning")
    try:
        failed = admin.create_acls(acls)["failed"]
        if failed and all(error is SecurityDisabledError for error in failed):
            log.warning("the brokers authorise nobody (no authorizer): any client may do anything")
            return
        if failed:
            raise ProvisioningError(f"granting the services' permissions failed: {failed[0]!r}")
        _wait_until_in_force(admin, acls)
    finally:
        admin.close()
    log.info("service permissions granted", extra={"grants": len(acls)})


def _wait_until_in_force(admin: KafkaAdminClient, acls: list[ACL], timeout_s: float = 30.0) -> None:
    """Return once a broker authorises by every one of `acls`: the controller has them when
    create_acls returns, the brokers a moment later, and a service started in between would
    be refused."""
    everything = ACLFilter(
        principal=None,
        host="*",
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )
    deadline = time.monotonic() + timeout_s
    while True:
        in_force, _ = admin.describe_acls(everything)
        if set(acls) <= set(in_force):
            return
        if time.monotonic() > deadline:
            raise ProvisioningError(
                f"the brokers did not apply the granted permissions in {timeout_s:.0f} s"
            )
        time.sleep(0.1)


def require_topics(access: KafkaAccess, specs: Iterable[TopicSpec]) -> None:
    """Refuse to go on unless each of `specs` exists with its partition count: what a service
    checks on start, with only its own permissions (it cannot, and must not, create them)."""
    specs = list(specs)
    admin = KafkaAdminClient(**access.options(), client_id="crosslink-topic-check")
    try:
        described = {t["name"]: t for t in admin.describe_topics([s.name for s in specs])}
    except KafkaError as error:
        raise ProvisioningError(_not_provisioned([s.name for s in specs], error)) from error
    finally:
        admin.close()
    for spec in specs:
        topic = described.get(spec.name, {})
        if topic.get("error_code", 0) != 0 or not topic.get("partitions"):
            raise ProvisioningError(_not_provisioned([spec.name], topic.get("error_code")))
        if len(topic["partitions"]) != spec.partitions:
            raise ProvisioningError(
                f"topic {spec.name} has {len(topic['partitions'])} partitions, crosslink needs "
                f"{spec.partitions}; recreate it or migrate its data"
            )


def _not_provisioned(names: list[str], why: object) -> str:
    """What the person starting the service reads: which topics, the broker's word for why
    (TopicAuthorizationFailedError: no permission for this principal), and what to run."""
    if isinstance(why, int):
        why = kafka_errors.for_code(why).__name__
    return (
        f"topic(s) {', '.join(names)} missing, or not allowed to this service's principal "
        f"({why}): create the topics and permissions as Kafka's administrator with "
        "`crosslink topics create`"
    )


def provision_topics(
    access: KafkaAccess,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    replication: Replication = Replication(),
) -> list[str]:
    """Create each missing topic; check existing ones and bring their settings (retention,
    min.insync.replicas) to crosslink's. Returns the names it created."""
    specs = list(specs)
    admin = KafkaAdminClient(**access.options(), client_id="crosslink-provisioning")
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


def describe_topics(
    access: KafkaAccess, specs: Iterable[TopicSpec] = ALL_TOPICS
) -> list[TopicState]:
    """Each crosslink topic as the broker has it."""
    specs = list(specs)
    admin = KafkaAdminClient(**access.options(), client_id="crosslink-provisioning")
    consumer = KafkaConsumer(**access.options(), enable_auto_commit=False)
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
