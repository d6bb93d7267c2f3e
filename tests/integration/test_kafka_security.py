"""Kafka's mutual TLS and permissions, on a real broker: nobody without a certificate from
crosslink's authority gets in, and each service may read and write only its own topics."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError
from kafka.admin import ResourceType

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import (
    ADMIN,
    INTAKE,
    MATCHER,
    NOTIFIER,
    SERVICE_GRANTS,
    SERVICE_PRINCIPALS,
    ProvisioningError,
    require_topics,
    topics_of,
)
from harness.localbroker import LocalBroker
from harness.localpki import LocalPki
from schemas.topics import ALERT_RAISED, ALL_TOPICS, TopicSpec
from tests.conftest import own_broker

pytestmark = [
    pytest.mark.integration,
    # aiokafka can leave a refused connection's transport to the garbage collector, which
    # then warns after the test's event loop has closed; the refusals are what is tested.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A broker of this module's own: its tests write to every topic."""
    with own_broker(tmp_path_factory.mktemp("secured")) as running:
        yield running


def can_write(kafka: KafkaAccess, topic: str) -> bool:
    async def attempt() -> bool:
        producer = AIOKafkaProducer(**kafka.options(), acks="all", request_timeout_ms=10_000)
        await producer.start()
        try:
            await producer.send_and_wait(topic, key=b"security-test", value=b"{}")
            return True
        except TopicAuthorizationFailedError:
            return False
        finally:
            await producer.stop()

    return asyncio.run(attempt())


def can_read(kafka: KafkaAccess, topic: str) -> bool:
    """Whether a fetch from `topic`'s first partition is allowed (no consumer group: the
    topic's own permission is what is tried). A topic the principal may not even see is
    refused too."""

    async def attempt() -> bool:
        consumer = AIOKafkaConsumer(**kafka.options(), enable_auto_commit=False)
        await consumer.start()
        try:
            if topic not in await consumer.topics():
                return False
            partition = TopicPartition(topic, 0)
            consumer.assign([partition])
            consumer.seek(partition, 0)
            await consumer.getmany(timeout_ms=1000)
            return True
        except TopicAuthorizationFailedError:
            return False
        finally:
            await consumer.stop()

    return asyncio.run(attempt())


def connects(kafka: KafkaAccess | ssl.SSLContext, bootstrap: str) -> bool:
    async def attempt() -> bool:
        options = kafka.options() if isinstance(kafka, KafkaAccess) else {
            "bootstrap_servers": bootstrap, "security_protocol": "SSL", "ssl_context": kafka
        }  # fmt: skip
        producer = AIOKafkaProducer(**options, request_timeout_ms=5000)
        try:
            await producer.start()
            return True
        except KafkaConnectionError:
            return False
        finally:
            await producer.stop()

    return asyncio.run(attempt())


def granted(principal: str, spec: TopicSpec, operation: str) -> bool:
    return any(
        grant.principal == principal and grant.operation.name == operation
        and grant.resource == ResourceType.TOPIC and grant.covers(spec.name)
        for grant in SERVICE_GRANTS
    )  # fmt: skip


def test_a_client_without_crosslink_s_certificate_is_refused(
    broker: LocalBroker, tmp_path: Path
) -> None:
    authority = broker.authority.ca_file
    other = LocalPki(tmp_path / "another-authority").ensure().identity(ADMIN)
    # Each trusts the broker; the broker trusts none of them.
    plaintext = KafkaAccess(broker.bootstrap)
    no_certificate = ssl.create_default_context(cafile=authority)
    foreign_certificate = KafkaAccess(broker.bootstrap, replace(other, ca_file=authority))

    assert connects(broker.access, broker.bootstrap)
    for outsider in (plaintext, no_certificate, foreign_certificate):
        assert not connects(outsider, broker.bootstrap)
    assert broker.log_file.read_text().count("SSL handshake failed") >= 2


def test_the_notifier_cannot_write_an_alert_and_intake_cannot_read_one(
    broker: LocalBroker,
) -> None:
    assert can_write(broker.access_as(MATCHER), ALERT_RAISED.name)
    assert can_read(broker.access_as(NOTIFIER), ALERT_RAISED.name)

    assert not can_write(broker.access_as(NOTIFIER), ALERT_RAISED.name)
    assert not can_read(broker.access_as(INTAKE), ALERT_RAISED.name)


@pytest.mark.parametrize("principal", SERVICE_PRINCIPALS)
def test_each_service_reads_and_writes_exactly_the_topics_granted_to_it(
    broker: LocalBroker, principal: str
) -> None:
    kafka = broker.access_as(principal)

    allowed = {
        spec.name: (can_read(kafka, spec.name), can_write(kafka, spec.name)) for spec in ALL_TOPICS
    }

    assert allowed == {
        spec.name: (granted(principal, spec, "READ"), granted(principal, spec, "WRITE"))
        for spec in ALL_TOPICS
    }


def test_a_service_without_its_permissions_is_told_what_to_run(broker: LocalBroker) -> None:
    with pytest.raises(ProvisioningError) as refused:
        require_topics(broker.access_as(INTAKE), topics_of(NOTIFIER))

    assert "TopicAuthorizationFailedError" in str(refused.value)
    assert "crosslink topics create" in str(refused.value)
    require_topics(broker.access_as(NOTIFIER), topics_of(NOTIFIER))
