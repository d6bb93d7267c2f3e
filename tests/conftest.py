"""Fixtures shared by every tier: a real Kafka broker, a districts file, running services."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import provision, provision_topics
from harness.localbroker import Brokers, ExternalKafka, LocalBroker, configured_kafka
from harness.ports import free_port
from harness.postgres import LocalPostgres, postgres_bin
from harness.processes import ServiceProcess, metric_samples
from harness.testbed import LOOKUP_RELAY_KEY as LOOKUP_RELAY_KEY
from harness.testbed import OPERATOR_KEY as OPERATOR_KEY
from harness.testbed import REGISTRY_ADMIN_KEY as REGISTRY_ADMIN_KEY
from harness.testbed import UNLIMITED as UNLIMITED
from harness.testbed import api_key as api_key
from harness.testbed import contact_address as contact_address
from harness.testbed import webhook_secret as webhook_secret
from harness.testbed import write_districts_file as write_districts_file
from schemas.events import is_import_marker, is_watch
from schemas.topics import MATCHER_APP_ID
from services.notifier.accounts.account import Officer
from services.notifier.accounts.roles import Role
from services.notifier.store.database import opened_database
from services.notifier.store.officers import Officers
from tests.builders import officer_account


@contextmanager
def own_broker(workdir: Path) -> Iterator[LocalBroker]:
    """A broker of the test's own on free ports, crosslink's topics and permissions created:
    for a test that stops it, or that needs the matcher's fixed consumer group to start from
    nothing."""
    with LocalBroker(workdir / "kafka", free_port(), free_port()) as broker:
        provision(broker.access)
        yield broker


def docker_engine_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Brokers]:
    """CROSSLINK_KAFKA_BOOTSTRAP if set (reached as CROSSLINK_KAFKA_* say); else a local broker
    on free ports, with mutual TLS and each service's permissions; else testcontainers."""
    if external := configured_kafka():
        provision(external.access)
        yield external
    elif shutil.which("java") and shutil.which("mvn"):
        with LocalBroker(tmp_path_factory.mktemp("kafka"), free_port(), free_port()) as broker:
            provision(broker.access)
            yield broker
    elif docker_engine_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as container:
            plain = ExternalKafka(KafkaAccess(container.get_bootstrap_server()))
            provision_topics(plain.access)
            yield plain
    else:
        pytest.fail("no Kafka: set CROSSLINK_KAFKA_BOOTSTRAP, install java and mvn, or run Docker")


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server from Debian's package, started for this test session."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.fail("no PostgreSQL server: `apt-get install postgresql` (make test does it)")
    with LocalPostgres(bin_dir) as server:
        yield server


def second_worker(matcher: ServiceProcess, workdir: Path) -> ServiceProcess:
    """Another worker of `matcher`'s group, not started: a port and table files of its own, as
    on a second machine."""
    return ServiceProcess(
        "matcher",
        free_port(),
        {**matcher.env, "CROSSLINK_MATCHER_DATA_DIR": str(workdir / "matcher-2")},
        workdir / "matcher-2.log",
        matcher.kafka,
    )


def held_partitions(matcher: ServiceProcess) -> list[int]:
    """The sighting partitions a matcher worker processes, once it is ready (none before)."""
    response = httpx.get(f"{matcher.base_url}/readyz", timeout=10)
    return list(response.json()["partitions"]) if response.status_code == 200 else []


def wait_for(condition: Callable[[], object], timeout_s: float = 60) -> None:
    """Poll `condition` until it holds; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s:.0f} s"
        time.sleep(0.05)


def wait_until_drained(count: Callable[[], int], stalled_after_s: float = 90) -> None:
    """Poll `count` until it is 0; fail only if it has not gone down for `stalled_after_s`
    (a large backlog may take long to drain, and may still grow at first; a stuck one never
    goes down)."""
    last, progressed_at = count(), time.monotonic()
    while last > 0:
        stalled_s = time.monotonic() - progressed_at
        assert stalled_s < stalled_after_s, f"{last} left, none done for {stalled_s:.0f} s"
        time.sleep(0.5)  # a look may be a query over the whole outbox
        now = count()
        if now < last:
            progressed_at = time.monotonic()
        last = now


def read_topic(kafka: KafkaAccess, topic: str, *, markers: bool = False) -> list[ConsumerRecord]:
    """Every record currently on `topic`, from the first offset to the end of each partition
    (fails if nothing more can be read for 60 s); without imports' ends and officers' watches
    (keyed import:<id> and watch:<token>, which other tests leave on the shared broker among
    the sightings) unless `markers`."""
    consumer = KafkaConsumer(**kafka.options(), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + 60  # a big topic takes long: as long as reading goes on
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"no record of {topic} read for 60 s"
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
                deadline = time.monotonic() + 60
        return [r for r in records if markers or not (is_import_marker(r.key) or is_watch(r.key))]
    finally:
        consumer.close()


def wait_until_processed(kafka: KafkaAccess, matcher_url: str, topic: str) -> None:
    """Wait until the matcher has finished every record now on `topic`, as long as it keeps
    going (no progress for 90 s fails).

    A partition counts as far as the matcher's own position gauge or its group's committed
    offset says, whichever is further: faust can leave commits behind after a restart although
    processing goes on (docs/matching.md), and a partition handed back by another worker with
    nothing left to do has no fresh gauge, only the offset that worker committed.
    """
    with _end_offsets(kafka, topic) as (end, committed):

        def behind() -> int:
            position = _matcher_positions(matcher_url, topic)
            done = committed(MATCHER_APP_ID)
            return sum(max(e - max(position.get(p, 0), done.get(p, 0)), 0) for p, e in end.items())

        wait_until_drained(behind)


def _matcher_positions(matcher_url: str, topic: str) -> dict[int, int]:
    samples = metric_samples(matcher_url, "crosslink_matcher_position", topic=topic)
    return {int(sample.labels["partition"]): int(sample.value) for sample in samples}


def wait_until_consumed(kafka: KafkaAccess, group: str, topic: str) -> None:
    """Wait until `group` has committed every record now on `topic` (all of it is processed),
    as long as it keeps going (no progress for 90 s fails)."""
    with _end_offsets(kafka, topic) as (end, committed):
        wait_until_drained(
            lambda: sum(max(e - committed(group).get(p, 0), 0) for p, e in end.items())
        )


@contextmanager
def _end_offsets(
    kafka: KafkaAccess, topic: str
) -> Iterator[tuple[dict[int, int], Callable[[str], dict[int, int]]]]:
    """The end offset of each partition of `topic` now, and a look-up of a group's committed
    offsets on it (a partition with nothing committed is at 0)."""
    consumer = KafkaConsumer(**kafka.options(), enable_auto_commit=False)
    admin = KafkaAdminClient(**kafka.options())
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        end = {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}

        def committed(group: str) -> dict[int, int]:
            offsets = admin.list_group_offsets({group: partitions}).get(group, {})
            return {tp.partition: max(meta.offset, 0) for tp, meta in offsets.items()}

        yield end, committed
    finally:
        consumer.close()
        admin.close()


def enrol(
    database_url: str,
    district: str | None = None,
    *,
    role: Role = Role.INVESTIGATING_OFFICER,
    state: str | None = None,
) -> Officer:
    """A new account in a notifier's database (as `crosslink officers add` makes one), under a
    name of its own: a code is used once, so each sign-in in a test gets its own account."""
    prefix = (district or state or role.value).lower().replace(" ", "-")
    account = officer_account(
        f"{prefix}-{uuid.uuid4().hex[:8]}", role=role, district=district, state=state
    )

    async def add() -> None:
        async with opened_database(database_url) as database:
            await Officers(database).add(account)

    asyncio.run(add())
    return account
