"""The matcher's peer on Quix Streams: the same sighting rule (bench/sighting_rule.py) as a
plain Quix Streams application, with its RocksDB state and changelog topics and its default
at-least-once processing (state and outputs flushed, then offsets committed, at every
checkpoint).

Run by bench/matcher.py in its own virtual environment (`.venv-quix`, from
bench/quix/requirements.lock: Quix Streams pins a pydantic older than crosslink's), with the
repository on PYTHONPATH for crosslink's models and rule. It reaches the broker with the
access in the CROSSLINK_KAFKA_* variables (mutual TLS, as every process of the benchmark) but
reads them itself: crosslink's own settings module needs aiokafka, which is not installed here.

It prints `ready` once it has processed the first record (the benchmark's warm-up) and `done`
when it has processed `--expect` records, stopped, and committed its last checkpoint.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from quixstreams import Application, State, message_context
from quixstreams.kafka.configuration import ConnectionConfig
from quixstreams.models.topics import TopicConfig

from bench.baseline_task import task
from bench.sighting_rule import SightingRule

ALERTS_TOPIC = "bench.quix-alerts"


def connection() -> ConnectionConfig:
    environment = os.environ
    if "CROSSLINK_KAFKA_CERT_FILE" not in environment:
        return ConnectionConfig(bootstrap_servers=environment["CROSSLINK_KAFKA_BOOTSTRAP"])
    return ConnectionConfig(
        bootstrap_servers=environment["CROSSLINK_KAFKA_BOOTSTRAP"],
        security_protocol="ssl",
        ssl_ca_location=environment["CROSSLINK_KAFKA_CA_FILE"],
        ssl_certificate_location=environment["CROSSLINK_KAFKA_CERT_FILE"],
        ssl_key_location=environment["CROSSLINK_KAFKA_KEY_FILE"],
    )


def run(topic: str, expect: int, state_dir: str) -> None:
    app = Application(
        broker_address=connection(),
        consumer_group="bench-quix",
        auto_offset_reset="earliest",
        state_dir=state_dir,
        loglevel="WARNING",
        producer_extra_config={"enable.idempotence": True, "acks": "all"},
    )
    source = app.topic(topic, key_deserializer="bytes", value_deserializer="bytes")
    alerts = app.topic(
        ALERTS_TOPIC,
        key_serializer="str",
        value_serializer="json",
        config=TopicConfig(num_partitions=3, replication_factor=1),  # as the matcher's
    )
    rule, processed = SightingRule(), 0

    def sighted(value: bytes, state: State) -> list[dict[str, Any]]:
        nonlocal processed
        applied = rule.apply(value, message_context().offset, state.get)
        for key, row in applied.writes:
            state.set(key, row)
        processed += 1
        if processed == 1:
            print("ready", flush=True)  # the warm-up record is through
        if processed == expect:
            app.stop()
        return [alert.model_dump(mode="json") for alert in applied.alerts]

    frame = app.dataframe(source).apply(sighted, stateful=True, expand=True)
    frame.to_topic(alerts, key=lambda alert: alert["alert_id"])
    app.run()
    print("done", flush=True)


def main() -> None:
    given = task()
    with tempfile.TemporaryDirectory(prefix="crosslink-quix-") as state_dir:
        run(given.topic, given.expect, state_dir)


if __name__ == "__main__":
    main()
