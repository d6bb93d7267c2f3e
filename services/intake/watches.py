"""Where an officer's watch on a typed identifier becomes events: one WatchChanged per canonical
identifier, written with its token's complaints, for the matcher to keep on the identifier's
row. Pure: no I/O. Intake takes it only from the notifier's relay key, which authenticated the
officer."""

from __future__ import annotations

from datetime import datetime, timedelta

from crosslink.partitioning import partition_of
from schemas.api import MaskedIdentifier
from schemas.events import WatchChanged, watch_key
from schemas.lookups import WatchAnswer, WatchRelayed
from schemas.pseudonyms import PseudonymKey, stable_id
from schemas.topics import IDENTIFIER_SIGHTED
from services.intake.complaints import identifier_ref
from services.intake.lookups import canonical_of
from services.intake.publisher import Marker


def watch_changes(
    watch: WatchRelayed, *, key: PseudonymKey, now: datetime, lasts: timedelta
) -> list[WatchChanged]:
    """The watch on each canonical identifier of the value, until `lasts` from now; or raise
    InvalidLookup naming the value. The matcher keeps one watch per district and watcher on a
    row: set again, it is renewed, not doubled."""
    changes = []
    for identifier in canonical_of(watch):
        ref = identifier_ref(identifier, key)
        changes.append(
            WatchChanged(
                watch_id=stable_id("watch", watch.district, watch.watched_by, ref.token),
                identifier=ref,
                district=watch.district,
                watched_by=watch.watched_by,
                active=watch.active,
                changed_at=now,
                until=now + lasts,
            )
        )
    return changes


def watch_record(change: WatchChanged) -> Marker:
    """Where the watch is written: the sightings topic, the partition of its token's complaints
    (so the matcher reads it in one order with them), under a key of its own."""
    token = change.identifier.token
    partition = partition_of(token, IDENTIFIER_SIGHTED.partitions)
    return (IDENTIFIER_SIGHTED.name, partition, watch_key(token), change)


def answer_of(changes: list[WatchChanged]) -> WatchAnswer:
    first = changes[0]
    return WatchAnswer(
        identifiers=tuple(
            MaskedIdentifier(type=c.identifier.type, masked=c.identifier.masked) for c in changes
        ),
        active=first.active,
        until=first.until,
    )
