"""Topics as crosslink needs them on a real broker: created with their settings, and an older
topic's settings (the broker's default seven days of retention) brought to crosslink's."""

from __future__ import annotations

import logging
import uuid

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from crosslink.provisioning import describe_topics, provision_topics
from harness.localbroker import Brokers
from schemas.topics import KEPT_FOR_GOOD, TopicSpec
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def configs(kafka: Brokers, topic: str) -> dict[str, str]:
    admin = KafkaAdminClient(**kafka.access.options())
    try:
        wanted = ["retention.ms", "retention.bytes", "min.insync.replicas"]
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict.fromkeys(wanted))
        described = admin.describe_configs([resource], config_filter="all")
    finally:
        admin.close()
    return {key: entry["value"] for key, entry in described["topic"].get(topic, {}).items()}


def test_a_history_topic_is_kept_for_good_even_if_an_older_crosslink_created_it(
    kafka: Brokers, caplog: pytest.LogCaptureFixture
) -> None:
    spec = TopicSpec(f"crosslink.test-history-{uuid.uuid4().hex[:8]}", 2, config=KEPT_FOR_GOOD)
    admin = KafkaAdminClient(**kafka.access.options())
    admin.create_topics([NewTopic(spec.name, 2, 1)])  # as before issue 17: the default 7 days
    admin.close()
    wait_for(lambda: "retention.ms" in configs(kafka, spec.name))  # the topic is up
    assert configs(kafka, spec.name)["retention.ms"] == str(7 * 24 * 3600 * 1000)

    with caplog.at_level(logging.WARNING, logger="crosslink.provisioning"):
        created = provision_topics(kafka.access, [spec])

    assert created == []
    assert configs(kafka, spec.name) == {
        "retention.ms": "-1", "retention.bytes": "-1", "min.insync.replicas": "1"
    }  # fmt: skip
    [changed] = [r for r in caplog.records if r.__dict__.get("topic") == spec.name]
    assert changed.__dict__["now"] == {"retention.ms": "-1"}


def test_every_crosslink_topic_is_described_with_its_replicas(kafka: Brokers) -> None:
    states = describe_topics(kafka.access)

    assert {(state.replicas, state.in_sync) for state in states} == {(1, 1)}
    assert configs(kafka, "crosslink.identifier-sighted.v1")["retention.ms"] == "-1"
