"""A batch of sightings, registry entries, generic-value decisions, withdrawn links and watches
applied to the tokens' table exactly once, whether the events come live from faust or back from
the history (`services/matcher/rematch.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from schemas.events import (
    CaseRef,
    GenericValueDecided,
    IdentifierSighted,
    LinkWithdrawn,
    RegistryEntryAdded,
    WatchChanged,
    is_import_marker,
    is_watch,
)
from schemas.topics import GENERIC_VALUE_DECIDED, LINK_WITHDRAWN, REGISTRY_ENTRY_ADDED
from services.matcher.matching import (
    MatchingRules,
    Outcome,
    TokenState,
    on_generic_decision,
    on_link_withdrawn,
    on_registry_entry,
    on_sighting,
    on_watch_changed,
)


class Recorded(Protocol):
    """An input record: a faust event, or one read back from the history. `message` has the
    record's topic, partition and offset."""

    @property
    def message(self) -> Any: ...

    @property
    def key(self) -> Any: ...

    @property
    def value(self) -> Any: ...


class PartitionedRows(Protocol):
    """A table's rows by partition: faust's store (`faust_fixes.DirectRows`), or a rematch's
    dict (`DictRows`)."""

    def get(self, key: str, partition: int) -> bytes | None: ...

    def put_all(self, rows: Sequence[tuple[str, bytes, int]]) -> None:
        """Store rows (key, value, partition) in order."""


class DictRows:
    """Rows in one dict, whatever their partition: a rematch keeps the partitions itself."""

    def __init__(self, rows: dict[str, bytes]) -> None:
        self._rows = rows

    def get(self, key: str, partition: int) -> bytes | None:
        return self._rows.get(key)

    def put_all(self, rows: Sequence[tuple[str, bytes, int]]) -> None:
        for key, value, _ in rows:
            self._rows[key] = value


@dataclass(frozen=True)
class Position:
    """Where a record was read: what the batch code reads of a faust event's message."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int = 0


@dataclass(frozen=True, eq=False)
class HistoryRecord:
    """A record read back from a history topic, shaped like the faust event it once was."""

    message: Position
    key: bytes | None
    value: bytes | None


class TokenBatch:
    """The states a batch of events has changed, read through to the tables, and written back
    once the batch's alerts are out.

    Exactly once per complaint, however a token's row is written: the row records the offset
    of the last event applied to it on each topic, so an event replayed after a crash (its
    offset not above that) changes nothing; and the table records the offset that
    counted each (token, complaint), so the same complaint posted again at a later offset
    changes nothing either, while a crash that wrote that record but not the row applies the
    event again (the offsets match). A replayed event's rows are written again as they are:
    faust kept them in the worker's store, but the crash may have kept them from the changelog.
    """

    def __init__(self, state_by_token: PartitionedRows) -> None:
        self._rows = state_by_token
        self._states: dict[str, tuple[Recorded, TokenState]] = {}  # token -> last change
        self._counted: dict[str, Recorded] = {}  # "token/district/complaint id" -> event
        self.unchanged = self.changes = 0

    def apply(self, event: Recorded, rules: MatchingRules) -> Outcome | None:
        """Apply one event to its token's state; an import's end (ImportClosed) changes none."""
        now, topic = datetime.now(UTC), event.message.topic
        if is_import_marker(event.key):
            return None
        if topic == REGISTRY_ENTRY_ADDED.name:
            entry = RegistryEntryAdded.model_validate_json(event.value)
            rule = partial(on_registry_entry, entry=entry, now=now)
            return self._applied(event, entry.identifier.token, rule)
        if topic == GENERIC_VALUE_DECIDED.name:
            decision = GenericValueDecided.model_validate_json(event.value)
            decided = partial(on_generic_decision, decision=decision, now=now)
            return self._applied(event, decision.identifier.token, decided)
        if is_watch(event.key):  # on the sightings topic, in its token's partition
            change = WatchChanged.model_validate_json(event.value)
            watched = partial(on_watch_changed, change=change)
            return self._applied(event, change.identifier.token, watched)
        if topic == LINK_WITHDRAWN.name:
            withdrawal = LinkWithdrawn.model_validate_json(event.value)
            withdrawn_key = counted_key(withdrawal.identifier.token, withdrawal.case)
            counted = self._counted_at(withdrawn_key, event) is not None
            withdrawn = partial(
                on_link_withdrawn, withdrawal=withdrawal, counted=counted, rules=rules, now=now
            )
            return self._applied(event, withdrawal.identifier.token, withdrawn)
        sighting = IdentifierSighted.model_validate_json(event.value)
        key, offset = counted_key(sighting.identifier.token, sighting.case), event.message.offset
        counted_at = self._counted_at(key, event)
        if counted_at is not None and counted_at != offset:  # the complaint posted again
            self.unchanged += 1
            return None
        sighted = partial(on_sighting, sighting=sighting, rules=rules, now=now)
        outcome = self._applied(event, sighting.identifier.token, sighted)
        if outcome is not None or counted_at == offset:
            self._counted[key] = event
        return outcome

    def write(self) -> None:
        """Store the batch's rows, each in its event's partition (in the store and the
        changelog): the complaints counted first, then the tokens' rows (defaults left out:
        a case's empty fields were a tenth of a row)."""
        self._rows.put_all(
            [
                *(
                    (key, str(event.message.offset).encode(), event.message.partition)
                    for key, event in self._counted.items()
                ),
                *(
                    (token, _encoded(state), event.message.partition)
                    for token, (event, state) in self._states.items()
                ),
            ]
        )

    def _counted_at(self, key: str, event: Recorded) -> int | None:
        """The offset of the sighting that counted this complaint for this token, if any."""
        if key in self._counted:
            return int(self._counted[key].message.offset)
        counted_at = self._rows.get(key, event.message.partition)
        return None if counted_at is None else int(counted_at)

    def _applied(
        self, event: Recorded, token: str, rule: Callable[[TokenState], Outcome | None]
    ) -> Outcome | None:
        """Apply `rule` to the token's state, unless the event was applied to it before."""
        state = self._state(token, event.message.partition)
        topic, offset = event.message.topic, event.message.offset
        last = state.offsets.get(topic)  # a rematch applies re-keyed events below offset 0
        if last is not None and offset <= last:  # replayed: write the row again, as it is
            self._states.setdefault(token, (event, state))
            self.unchanged += 1
            return None
        outcome = rule(state)
        if outcome is None:
            self.unchanged += 1
            return None
        self.changes += 1
        applied = outcome.state.model_copy(update={"offsets": {**state.offsets, topic: offset}})
        self._states[token] = (event, applied)
        return outcome

    def _state(self, token: str, partition: int) -> TokenState:
        if token in self._states:
            return self._states[token][1]
        stored = self._rows.get(token, partition)
        return TokenState() if stored is None else TokenState.model_validate_json(stored)


def _encoded(state: TokenState) -> bytes:
    return state.model_dump_json(exclude_defaults=True).encode()


def counted_key(token: str, case: CaseRef) -> str:
    """Where the table records the offset that counted a complaint for a token."""
    return "/".join((token, *case.key))
