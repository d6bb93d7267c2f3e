"""Sightings that arrive while a fresh matcher rebuilds its table are all processed.

A matcher on an empty data dir, whose group has no committed offset yet, rebuilds its table
from a changelog big enough for the recovery to take seconds; sightings keep arriving
meanwhile. Every one must be processed, and each naming a token of the table must raise its
one alert: the table was read after it was rebuilt.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from bench.growth_rows import Record, Sighting, StateStore, batches, filler
from crosslink.kafka_access import KafkaAccess
from harness.ports import free_port
from harness.processes import ServiceProcess, metric_samples, metric_value
from schemas.topics import ALERT_RAISED, IDENTIFIER_SIGHTED, STATE_CHANGELOG
from tests.conftest import own_broker, read_topic, wait_until_processed

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
FILLER_ROWS = 20_000  # several seconds of recovery on this machine
SIGHTINGS = 400  # enough for the whole recovery; the test sends as many as it needs
PER_ROUND = 4
ROUND_S = 0.2


def produce(kafka: KafkaAccess, topic: str, records: Iterable[Record]) -> None:
    """Send (partition, key, value) records and wait until the broker holds them all."""
    producer = KafkaProducer(**kafka.options(), acks="all", linger_ms=5)
    try:
        for partition, key, value in records:
            producer.send(topic, key=key, value=value, partition=partition)
        producer.flush(timeout=120)
    finally:
        producer.close()


def sighting_records(sightings: Sequence[Sighting]) -> list[Record]:
    return [(s.partition, s.token.encode(), s.value) for s in sightings]


def processing(matcher: ServiceProcess) -> bool:
    """Whether the matcher has finished any sighting yet (its recovery is over)."""
    try:
        return bool(metric_samples(matcher.base_url, "crosslink_matcher_position",
                                   topic=IDENTIFIER_SIGHTED.name))  # fmt: skip
    except httpx.HTTPError:
        return False  # not answering yet


def send_during_recovery(
    kafka: KafkaAccess, matcher: ServiceProcess, sightings: Sequence[Sighting]
) -> list[Sighting]:
    """Send a few sightings at a time from the matcher's start until it processes one, and
    one round more; the sightings sent."""
    sent: list[Sighting] = []
    rounds_after = 0
    while rounds_after < 2:
        assert len(sent) < len(sightings), "the matcher processed nothing in time"
        assert matcher.process.poll() is None, "the matcher exited"
        batch = sightings[len(sent) : len(sent) + PER_ROUND]
        produce(kafka, IDENTIFIER_SIGHTED.name, sighting_records(batch))
        sent += batch
        rounds_after += processing(matcher)
        time.sleep(ROUND_S)
    return sent


def alerts_by_token(kafka: KafkaAccess) -> dict[str, set[str]]:
    alerts = [json.loads(r.value) for r in read_topic(kafka, ALERT_RAISED.name)]
    by_token: dict[str, set[str]] = {}
    for alert in alerts:
        assert alert["kind"] == "shared_identifier", alert["kind"]
        by_token.setdefault(alert["identifier"]["token"], set()).add(alert["alert_id"])
    return by_token


def test_sightings_sent_during_a_cold_recovery_are_all_processed(tmp_path: Path) -> None:
    (plan,) = batches(1, SIGHTINGS, seed=31)
    known = {token for token, _ in plan.rows}
    codec = StateStore(tmp_path / "codec")
    with own_broker(tmp_path) as broker:
        produce(broker.access, STATE_CHANGELOG.name,
                codec.records(chain(plan.rows, filler(FILLER_ROWS))))  # fmt: skip
        env = {
            "CROSSLINK_MATCHER_DATA_DIR": str(tmp_path / "matcher"),  # empty: a cold start
        }
        matcher = ServiceProcess("matcher", free_port(), env, tmp_path / "matcher.log", broker)
        try:
            matcher.start()
            sent = send_during_recovery(broker.access, matcher, plan.sightings)
            assert len(sent) >= 10 * PER_ROUND, "recovery too short to send sightings during it"
            wait_until_processed(broker.access, matcher.base_url, IDENTIFIER_SIGHTED.name)

            processed = int(metric_value(matcher.base_url, "crosslink_matcher_events_total"))
            assert processed == (count := len(sent)), f"{count - processed} of {count} skipped"
            alerted = alerts_by_token(broker.access)
            owed = {s.token for s in sent} & known
            assert set(alerted) == owed, "alerts missing, or for tokens not in the table"
            assert all(len(ids) == 1 for ids in alerted.values()), "more than one alert id"
        finally:
            matcher.stop()
