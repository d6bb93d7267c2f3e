"""Issue 9, scenario 7: poison records on every topic a service reads, in the middle of the
stream: bytes that are not JSON, and a real event under a schema version no service knows. Each
one goes to the dead-letter topic, saying where it was read, and the stream goes on: every
owed alert still arrives once, at its districts only."""

from __future__ import annotations

import json
from pathlib import Path

from kafka import KafkaProducer

from cli.deadletters import read_dead_letters
from crosslink.kafka_access import KafkaAccess
from harness.localbroker import LocalBroker
from schemas.topics import ALERT_RAISED, COMPLAINTS_FILED, IDENTIFIER_SIGHTED, REGISTRY_ENTRY_ADDED
from tests.builders import unique_mobile
from tests.chaos.conftest import (
    CHAOS_MARKS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import read_topic, wait_for

pytestmark = CHAOS_MARKS
SEED = 9007
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(7, "poison records on every topic", __name__, SEED, COMPLAINTS)
# What each service reads: the matcher the first three, the notifier the alerts.
READ_TOPICS = (IDENTIFIER_SIGHTED, REGISTRY_ENTRY_ADDED, COMPLAINTS_FILED, ALERT_RAISED)


def test_poison_records_on_every_topic_are_dead_lettered_and_the_stream_goes_on(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)

    with chaos_pipeline(broker, tmp_path) as pipeline:
        # A registry entry no complaint names: a real registry event to copy, and no alert.
        pipeline.add_to_registry(
            {"type": "phone", "value": unique_mobile(), "source": "NCRP", "reference": "P-1"}
        )
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            poster.wait_posted(COMPLAINTS // 2)
            poison = _poison_every_topic(broker.access)
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)
        wait_for(lambda: len(read_dead_letters(broker.access)) >= len(poison))
        letters = {(letter.topic, letter.value) for letter in read_dead_letters(broker.access)}

    SCENARIO.conclude(
        figures, {"poison records": len(poison), "dead-lettered": len(letters & poison)}
    )
    assert letters == poison


def _poison_every_topic(kafka: KafkaAccess) -> set[tuple[str, bytes]]:
    """Send, to each topic a service reads, bytes that are not JSON and the copy of one of its
    records under schema version 2; return (topic, value) of each."""
    sent: set[tuple[str, bytes]] = set()
    producer = KafkaProducer(**kafka.options(), acks="all")
    try:
        for topic in READ_TOPICS:
            wait_for(lambda: bool(read_topic(kafka, topic.name)))  # noqa: B023 (same loop)
            template = read_topic(kafka, topic.name)[0]
            future_version = json.dumps({**json.loads(template.value), "schema_version": 2})
            for value in (b"\xff\xfe not json", future_version.encode()):
                producer.send(topic.name, key=template.key, value=value).get(timeout=30)
                sent.add((topic.name, value))
    finally:
        producer.close()
    return sent
