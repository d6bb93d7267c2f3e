"""The matcher's history and tables on Kafka, for `crosslink rematch`: every record of the
history topics up to their ends, a table read back from its changelog, rows and alerts written,
and the matcher's consumer group moved on. Synchronous (kafka-python): an operator's command."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from faust.serializers import codecs
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from crosslink.kafka_access import KafkaAccess
from crosslink.topic_reading import Ends, partition_ends, read_to_end
from schemas.events import (
    AlertRaised,
    ImportPassed,
    TokenRekeyed,
    import_marker_key,
    is_import_marker,
)
from schemas.topics import ALERT_RAISED, MATCHER_APP_ID, TOKEN_REKEYED, TopicSpec
from services.matcher.batches import HistoryRecord, Position
from services.matcher.rematch import Row, RowWrite

# faust writes a table's changelog keys with the codec of the table's key type, JSON for text
# (faust.tables.base's _serializer_from_type); tests/unit/test_rematch.py holds it to that.
CHANGELOG_KEY_CODEC = "json"
READ_TIMEOUT_S = 900.0
SEND_TIMEOUT_S = 120.0


class MatcherRunning(RuntimeError):
    """A matcher worker is in the group: its tables must not change under it."""


class GroupNotMoved(RuntimeError):
    """The tables were rewritten, but the matcher's group kept its offsets (a worker joined)."""


def matcher_workers(access: KafkaAccess) -> int:
    """How many matcher workers are in the matcher's consumer group now."""
    admin = KafkaAdminClient(**access.options())
    # kafka-python warns that it cannot decode each member's metadata: faust's assignor
    # writes its own, which only the member count is wanted of here.
    quiet = logging.getLogger("kafka.admin")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        group = admin.describe_groups([MATCHER_APP_ID])[MATCHER_APP_ID]
    finally:
        quiet.setLevel(level)
        admin.close()
    return len(group.get("members") or ())


def end_offsets(access: KafkaAccess, specs: Iterable[TopicSpec]) -> Ends:
    """Each partition's end: where the history read now stops."""
    return partition_ends(
        access, [TopicPartition(s.name, p) for s in specs for p in range(s.partitions)]
    )


def read_records(
    access: KafkaAccess, ends: Mapping[TopicPartition, int], timeout_s: float = READ_TIMEOUT_S
) -> list[HistoryRecord]:
    """Every record kept in these partitions, up to (not including) their ends."""
    return [
        HistoryRecord(Position(r.topic, r.partition, r.offset, r.timestamp), r.key, r.value)
        for r in read_to_end(access, ends, timeout_s=timeout_s)
    ]


def read_table(access: KafkaAccess, changelog: TopicSpec) -> dict[str, Row]:
    """A table as its changelog holds it: each key's last row, tombstoned keys left out."""
    table: dict[str, Row] = {}
    records = read_records(access, end_offsets(access, [changelog]))
    for record in sorted(records, key=lambda r: (r.message.partition, r.message.offset)):
        key = str(codecs.loads(CHANGELOG_KEY_CODEC, record.key or b'""'))
        if record.value is None:
            table.pop(key, None)
        else:
            table[key] = Row(record.message.partition, record.value)
    return table


def read_alerts(access: KafkaAccess) -> tuple[list[AlertRaised], int]:
    """Every alert raised so far (what every district has been told), and how many records of
    the topic did not decode (the notifier set them aside too). The passes of imports' ends
    (ImportPassed) are not alerts, and not counted."""
    records = [
        record
        for record in read_records(access, end_offsets(access, [ALERT_RAISED]))
        if not is_import_marker(record.key)
    ]
    alerts: list[AlertRaised] = []
    for record in sorted(records, key=lambda r: (r.message.timestamp_ms, r.message.offset)):
        try:
            alerts.append(AlertRaised.model_validate_json(record.value or b""))
        except ValidationError:
            continue
    return alerts, len(records) - len(alerts)


def read_rekeyed(access: KafkaAccess) -> list[TokenRekeyed]:
    """Every key rotation's map from the history's tokens to the new ones; only the
    administrator writes it, so a record that does not decode is an error to stop at."""
    records = read_records(access, end_offsets(access, [TOKEN_REKEYED]))
    ordered = sorted(records, key=lambda r: r.message.offset)
    return [TokenRekeyed.model_validate_json(r.value) for r in ordered if r.value is not None]


def publish_rekeyed(access: KafkaAccess, rekeyed: Sequence[TokenRekeyed]) -> None:
    _send(
        access,
        (
            (TOKEN_REKEYED.name, None, r.token.encode(), r.model_dump_json().encode())
            for r in rekeyed
        ),
    )


def publish_alerts(
    access: KafkaAccess, alerts: Sequence[AlertRaised], passes: Sequence[ImportPassed] = ()
) -> None:
    """Send alerts, keyed by id, then each pass of an import's end to its alerts partition, and
    wait until the broker holds every one."""
    _send(
        access,
        (
            *(
                (ALERT_RAISED.name, None, a.alert_id.encode(), a.model_dump_json().encode())
                for a in alerts
            ),
            *(
                (
                    ALERT_RAISED.name,
                    p.alerts_partition,
                    import_marker_key(p.import_id).encode(),
                    p.model_dump_json().encode(),
                )
                for p in passes
            ),
        ),
    )


def write_rows(access: KafkaAccess, changelog: TopicSpec, writes: Sequence[RowWrite]) -> None:
    """Append rows (and tombstones) to a table's changelog, each to its partition, in order."""
    _send(
        access,
        (
            (changelog.name, w.partition, codecs.dumps(CHANGELOG_KEY_CODEC, w.key), w.value)
            for w in writes
        ),
    )


def move_group(access: KafkaAccess, ends: Mapping[TopicPartition, int]) -> None:
    """Commit the matcher group's offsets at `ends`: it goes on after the replayed history."""
    offsets = {tp: OffsetAndMetadata(end, "", -1) for tp, end in ends.items()}
    admin = KafkaAdminClient(**access.options())
    try:
        results = admin.alter_group_offsets(MATCHER_APP_ID, offsets)
    finally:
        admin.close()
    failed = {f"{tp.topic}/{tp.partition}": error for tp, error in results.items() if error.errno}
    if failed:
        raise GroupNotMoved(f"the matcher's group refused its new offsets: {failed}")


def _send(
    access: KafkaAccess, records: Iterable[tuple[str, int | None, bytes, bytes | None]]
) -> None:
    producer = KafkaProducer(**access.options(), acks="all", enable_idempotence=True, linger_ms=20)
    try:
        sent = [
            producer.send(topic, key=key, value=value, partition=partition)
            for topic, partition, key, value in records
        ]
        producer.flush(timeout=SEND_TIMEOUT_S)
        for record in sent:  # raises the broker's error for a record it did not take
            record.get(timeout=SEND_TIMEOUT_S)
    finally:
        producer.close()


class KafkaHistory:
    """The rematch's history and tables on Kafka (cli/rematch.py's `MatcherHistory`)."""

    def __init__(self, access: KafkaAccess) -> None:
        self._access = access

    def workers(self) -> int:
        return matcher_workers(self._access)

    def ends(self, specs: Sequence[TopicSpec]) -> Ends:
        return end_offsets(self._access, specs)

    def records(self, ends: Mapping[TopicPartition, int]) -> list[HistoryRecord]:
        return read_records(self._access, ends)

    def rekeyed(self) -> list[TokenRekeyed]:
        return read_rekeyed(self._access)

    def alerts(self) -> tuple[list[AlertRaised], int]:
        return read_alerts(self._access)

    def table(self, changelog: TopicSpec) -> dict[str, Row]:
        return read_table(self._access, changelog)

    def publish(self, alerts: Sequence[AlertRaised], passes: Sequence[ImportPassed] = ()) -> None:
        publish_alerts(self._access, alerts, passes)

    def write(self, changelog: TopicSpec, writes: Sequence[RowWrite]) -> None:
        write_rows(self._access, changelog, writes)

    def move(self, ends: Mapping[TopicPartition, int]) -> None:
        move_group(self._access, ends)
