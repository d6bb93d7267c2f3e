"""Key rotations as a rematch applies them: every record of the history under the token of the
last key, whatever key it was written under (each rotation's `TokenRekeyed` map, composed).

A record re-keyed this way moves to the partition its new token hashes to, where the events
written since the rotation are. Its offset there is set below every offset of that partition
(by `OLDER` per rotation it went through), so the tables, which skip an event at or below the
last offset they applied from its topic, take it before the newer events, and a sighting
counted under an old key is never mistaken for one replayed after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pydantic import BaseModel, ValidationError

from crosslink.partitioning import partition_of
from schemas.events import (
    FILED_EVENT,
    ArrestRecorded,
    ComplaintFiled,
    GenericValueDecided,
    IdentifierRef,
    IdentifierSighted,
    ImportClosed,
    LinkWithdrawn,
    RegistryEntryAdded,
    TokenRekeyed,
    WatchChanged,
    is_watch,
    watch_key,
)
from schemas.topics import (
    COMPLAINTS_FILED,
    GENERIC_VALUE_DECIDED,
    IDENTIFIER_SIGHTED,
    LINK_WITHDRAWN,
    REGISTRY_ENTRY_ADDED,
)
from services.matcher.batches import HistoryRecord

OLDER = 1 << 50  # far beyond any partition's offsets
ByToken = (
    IdentifierSighted | RegistryEntryAdded | GenericValueDecided | LinkWithdrawn | WatchChanged
)
_BY_TOKEN: dict[str, type[ByToken]] = {
    IDENTIFIER_SIGHTED.name: IdentifierSighted,
    REGISTRY_ENTRY_ADDED.name: RegistryEntryAdded,
    GENERIC_VALUE_DECIDED.name: GenericValueDecided,
    LINK_WITHDRAWN.name: LinkWithdrawn,
}


class TokenMap:
    """Every rotation's map from a token to its successor."""

    def __init__(self, rekeyed: Iterable[TokenRekeyed] = ()) -> None:
        self._next = {r.token: (r.rotated, r.rotated_key_id) for r in rekeyed}

    def current(self, identifier: IdentifierRef) -> tuple[IdentifierRef, int]:
        """`identifier` under the last key, and how many rotations that took."""
        token, key_id, steps = self._last(identifier.token, identifier.key_id)
        if not steps:
            return identifier, 0
        return identifier.model_copy(update={"token": token, "key_id": key_id}), steps

    def token(self, token: str) -> str:
        """`token` under the last key."""
        return self._last(token, "")[0]

    def _last(self, token: str, key_id: str) -> tuple[str, str, int]:
        steps = 0
        while token in self._next and steps <= len(self._next):  # a cycle would be a bug
            token, key_id = self._next[token]
            steps += 1
        return token, key_id, steps


def rekeyed(record: HistoryRecord, tokens: TokenMap) -> HistoryRecord:
    """`record` with every identifier under the last key (itself if none changed). An
    identifier-keyed record moves to its new token's partition, below its newer events."""
    topic = record.message.topic
    try:
        if topic == COMPLAINTS_FILED.name:
            return _filed(record, tokens)
        event = _model_of(record).model_validate_json(record.value or b"")
    except (KeyError, ValidationError):
        return record  # not the history's, or undecodable: where it is applied, it is counted
    identifier, steps = tokens.current(event.identifier)
    if not steps:
        return record
    token = identifier.token
    position = replace(
        record.message,
        partition=partition_of(token, _partitions(topic)),
        offset=record.message.offset - OLDER * steps,
    )
    key = watch_key(token) if isinstance(event, WatchChanged) else token
    return HistoryRecord(position, key.encode(), _encoded(event, identifier=identifier))


def _model_of(record: HistoryRecord) -> type[ByToken]:
    """The event a record keyed by token holds: a watch on the sightings topic is keyed apart."""
    return WatchChanged if is_watch(record.key) else _BY_TOKEN[record.message.topic]


def identifiers_of(record: HistoryRecord) -> list[IdentifierRef]:
    """Every identifier a history record names (none if it does not decode)."""
    value = record.value or b""
    try:
        if record.message.topic == COMPLAINTS_FILED.name:
            filed = FILED_EVENT.validate_json(value)
            if isinstance(filed, ImportClosed):
                return []
            if isinstance(filed, ComplaintFiled | ArrestRecorded):
                return list(filed.identifiers)
            return [filed.identifier]
        return [_model_of(record).model_validate_json(value).identifier]
    except (KeyError, ValidationError):
        return []


def _filed(record: HistoryRecord, tokens: TokenMap) -> HistoryRecord:
    """A filed complaint, arrest, decision or withdrawal with its identifiers under the last
    key; its one-partition topic keeps its place."""
    filed = FILED_EVENT.validate_json(record.value or b"")
    if isinstance(filed, ImportClosed):
        return record
    if not isinstance(filed, ComplaintFiled | ArrestRecorded):
        identifier, steps = tokens.current(filed.identifier)
        return replace(record, value=_encoded(filed, identifier=identifier)) if steps else record
    current = [tokens.current(identifier) for identifier in filed.identifiers]
    if not any(steps for _, steps in current):
        return record
    identifiers = tuple(identifier for identifier, _ in current)
    return replace(record, value=_encoded(filed, identifiers=identifiers))


def _encoded(event: BaseModel, **update: object) -> bytes:
    return event.model_copy(update=update).model_dump_json().encode()


def _partitions(topic: str) -> int:
    specs = (IDENTIFIER_SIGHTED, REGISTRY_ENTRY_ADDED, GENERIC_VALUE_DECIDED, LINK_WITHDRAWN)
    return next(spec.partitions for spec in specs if spec.name == topic)
