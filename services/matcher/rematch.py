"""Rematch: the matcher's tables built afresh from the history, under the rules of today.

The history (sightings, registry entries, generic-value decisions and filed complaints, topics
kept for good) is replayed through the code the live agents run (`TokenBatch`, clustering)
into tables held in memory. The alerts the replay raises are weighed against the alerts topic,
the record of what every district has been told (`Told`): a district hears only of complaints
it has not yet been told are linked to its own through that identifier or gang. The tables'
changelogs then get the rows that differ (`row_changes`), and the matcher goes on from where
the replay ended (`services/matcher/history.py` does the reading and writing).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from schemas.events import (
    FILED_EVENT,
    AlertRaised,
    ArrestRecorded,
    ComplaintFiled,
    FiledEvent,
    GenericValueDecided,
    IdentifierRef,
    ImportClosed,
    ImportPassed,
    LinkWithdrawn,
    is_import_marker,
    passes_of,
)
from schemas.pseudonyms import stable_id
from schemas.topics import GENERIC_VALUE_DECIDED
from services.matcher.arrests import ArrestRow, arrest_key_of, on_arrest_recorded
from services.matcher.batches import DictRows, HistoryRecord, TokenBatch
from services.matcher.clustering import held_generic, on_complaint_filed
from services.matcher.matching import MatchingRules
from services.matcher.rekeying import TokenMap, identifiers_of, rekeyed
from services.matcher.withdrawals import on_link_withdrawn

# Events applied before their rows go to the in-memory table: the batch size of a busy matcher.
CHUNK = 5_000
# What a district learns from an alert: that a complaint is linked to its own through an
# identifier (shared_identifier, hub), is in the registry, was linked through a generic value,
# or is in one gang with its own.
_FAMILY = {
    "shared_identifier": "linked",
    "hub_identifier": "linked",
    "registry_hit": "registry",
    "generic_value": "generic",
    "cluster_linked": "gang",
    "link_withdrawn": "withdrawn",
    "watch_hit": "watch",  # a watching district told of a complaint naming what it watches
    "arrest": "arrest",  # told once per state of an arrest (its id names the state and district)
}
# A lead is not a link: a district told only that a number may be shared with a complaint of a
# previous holder learns of the link itself when a rematch with a wider window makes one.
_FAMILY_OF_RULE = {"possibly_recycled_number": "lead"}
# family, identifier token ("" for a gang), the district's own complaint, a complaint it is linked
# to ("" for a registry hit): a weak identifier links pairs, not a whole group, so what a
# district knows is which of its complaints is linked to which.
Link = tuple[str, str, str, str]


@dataclass(frozen=True)
class Row:
    partition: int
    value: bytes


@dataclass
class Replay:
    """The history applied to empty tables. Rows keep the partition of the records that wrote
    them: a worker owning that partition of the input owns that partition of the table."""

    rules: MatchingRules
    rotations: TokenMap = field(default_factory=TokenMap)  # every key rotation's tokens
    tokens: dict[str, bytes] = field(default_factory=dict)
    clusters: dict[str, bytes] = field(default_factory=dict)
    alerts: list[AlertRaised] = field(default_factory=list)
    undecodable: int = 0  # set aside by the live matcher as dead letters; skipped here too
    # Identifiers replayed, by the key id of their token under the last key the maps reach.
    key_ids: Counter[str] = field(default_factory=Counter)
    _partitions: dict[str, int] = field(default_factory=dict)  # token -> its partition

    def identifiers(self, records: Iterable[HistoryRecord]) -> None:
        """Apply sightings, registry entries and generic-value decisions under the last key,
        each partition in its order, partitions in the order written; a value generic now is
        generic from the start."""
        current = [rekeyed(r, self.rotations) for r in records]
        self.key_ids.update(i.key_id for record in current for i in identifiers_of(record))
        ordered = _generic_first(_in_order(current))
        for start in range(0, len(ordered), CHUNK):
            batch = TokenBatch(DictRows(self.tokens))
            for record in ordered[start : start + CHUNK]:
                if record.key is not None:
                    self._partitions[record.key.decode()] = record.message.partition
                try:
                    outcome = batch.apply(record, self.rules)
                except ValidationError:
                    self.undecodable += 1
                    continue
                if outcome is not None:
                    self.alerts += outcome.alerts
            batch.write()

    def complaints(
        self, records: Iterable[HistoryRecord], told: Mapping[str, Iterable[str]] = {}
    ) -> None:
        """Apply filed complaints, arrests and withdrawn links in their one topic's order; a
        value generic now joins nothing from the first complaint on. `told`: the districts
        each arrest was told to (`arrests_told`), whom its later states tell whether or not
        the rebuilt tables still link them."""
        events: list[tuple[int, FiledEvent]] = []
        for record in sorted(records, key=lambda r: r.message.offset):
            try:
                value = rekeyed(record, self.rotations).value or b""
                events.append((record.message.offset, FILED_EVENT.validate_json(value)))
            except ValidationError:
                self.undecodable += 1
        self.key_ids.update(i.key_id for _, e in events for i in _named(e))
        decided = _last_decisions(e for _, e in events if isinstance(e, GenericValueDecided))
        for token, decision in decided.items():
            if decision.generic:
                held_generic(self.clusters, token)
        for key, districts in told.items():
            seeded = ArrestRow(offset=-1, event_id="", told=tuple(sorted(districts)))
            self.clusters[key] = seeded.encoded()
        for offset, filed in events:
            if isinstance(filed, LinkWithdrawn):
                on_link_withdrawn(self.clusters, filed, offset=offset, rules=self.rules)
            elif isinstance(filed, ArrestRecorded):
                self.alerts += on_arrest_recorded(
                    self.clusters, filed, offset=offset, rules=self.rules, now=datetime.now(UTC)
                )
            elif isinstance(filed, ComplaintFiled) and (
                alert := on_complaint_filed(
                    self.clusters, filed, offset=offset, rules=self.rules, now=datetime.now(UTC)
                )
            ):
                self.alerts.append(alert)

    def token_rows(self) -> dict[str, Row]:
        """The tokens' table: a (token, complaint) row lives with its token's row."""
        return {
            key: Row(self._partitions[key.split("/", 1)[0]], value)
            for key, value in self.tokens.items()
        }

    def cluster_rows(self) -> dict[str, Row]:
        return {key: Row(0, value) for key, value in self.clusters.items()}


@dataclass(frozen=True)
class RowWrite:
    partition: int
    key: str
    value: bytes | None  # None: the row is gone (a tombstone)


def row_changes(old: Mapping[str, Row], new: Mapping[str, Row]) -> list[RowWrite]:
    """What turns the table `old` into `new`: tombstones for rows gone (or moved), then every
    row new or different, in the order the replay wrote them."""
    gone = [
        RowWrite(row.partition, key, None)
        for key, row in old.items()
        if key not in new or new[key].partition != row.partition
    ]
    return gone + [
        RowWrite(row.partition, key, row.value) for key, row in new.items() if old.get(key) != row
    ]


class Told:
    """What each district (and the operators) have been told, from the alerts sent; and of an
    alert the replay raised, what is news to whom. Tokens of the alerts sent are taken under
    the last key, as the replay's are."""

    def __init__(self, sent: Iterable[AlertRaised] = (), rotations: TokenMap | None = None) -> None:
        self._rotations = rotations or TokenMap()
        self._links: dict[str, set[Link]] = defaultdict(set)
        self._ids: set[str] = set()
        self._operators: set[tuple[str, str]] = set()  # (kind, token) of operators' alerts
        for alert in sent:
            self.add(alert)

    def add(self, alert: AlertRaised) -> None:
        self._ids.add(alert.alert_id)
        if alert.audience == "operators":
            self._operators.add(self._about(alert))
        for district in alert.districts:
            self._links[district] |= self._links_of(alert, district)

    def news(self, alert: AlertRaised, coming: Told) -> AlertRaised | None:
        """`alert` for the districts it tells something neither told nor `coming` in a later
        alert, or None; an operators' alert if none of its kind was about its identifier. A
        district's alert with an id already sent gets an id of its own (a receiver would take
        the same id for the alert it has had)."""
        if alert.audience == "operators":
            about = self._about(alert)
            return None if about in self._operators or about in coming._operators else alert
        fresh = tuple(
            d
            for d in alert.districts
            if self._links_of(alert, d) - self._links[d] - coming._links.get(d, set())
        )
        if not fresh:
            return None
        if alert.alert_id not in self._ids and list(fresh) == alert.districts:
            return alert
        cases = sorted("/".join(case.key) for case in alert.cases)
        renamed = stable_id(alert.kind, "rematch", alert.alert_id, *fresh, *cases)
        return alert.model_copy(update={"alert_id": renamed, "recipients": fresh})

    def _about(self, alert: AlertRaised) -> tuple[str, str]:
        return alert.kind, self._rotations.token(alert.about.token)

    def _links_of(self, alert: AlertRaised, district: str) -> set[Link]:
        """Which of `district`'s complaints `alert` says are linked to which complaints (any
        listed, if it lists none of the district's own)."""
        family = _FAMILY_OF_RULE.get(alert.rule, _FAMILY[alert.kind])
        if family == "arrest":  # the news is the arrest's state, whichever complaints it lists
            return {(family, alert.alert_id, "", "")}
        subject = "" if family == "gang" else self._rotations.token(alert.about.token)
        keys = ["/".join(case.key) for case in alert.cases]
        own = [k for k, case in zip(keys, alert.cases, strict=True) if case.district == district]
        return {
            (family, subject, mine, other)
            for mine in own or [""]
            for other in [k for k in keys if k != mine] or [""]
        }


def news(replayed: Sequence[AlertRaised], told: Told) -> list[AlertRaised]:
    """The replay's alerts that tell someone something new, in the order raised; then all of
    them are told. Decided from the last one back: an alert whose news a later one carries
    too is not sent (the shared alert of a gang's eighth complaint lists the seven before
    it), and an operators' alert raised again as a count grew is sent as raised last. Of an
    arrest's states, a district hears only the last (it is what holds now)."""
    coming, sent = Told(), []
    for alert in reversed(_last_arrest_states(replayed)):
        if (fresh := told.news(alert, coming)) is not None:
            coming.add(fresh)
            sent.append(fresh)
    sent.reverse()
    for alert in sent:
        told.add(alert)
    return sent


def arrests_told(sent: Iterable[AlertRaised]) -> dict[str, set[str]]:
    """The districts each arrest (by its key) has been told to, from the alerts sent."""
    told: dict[str, set[str]] = defaultdict(set)
    for alert in sent:
        if (key := arrest_key_of(alert)) is not None:
            told[key].update(alert.districts)
    return dict(told)


def _last_arrest_states(replayed: Sequence[AlertRaised]) -> list[AlertRaised]:
    """The replay's alerts with each district's earlier states of an arrest left out."""
    last = {
        (key, district): number
        for number, alert in enumerate(replayed)
        if (key := arrest_key_of(alert)) is not None
        for district in alert.districts
    }
    return [
        alert
        for number, alert in enumerate(replayed)
        if (key := arrest_key_of(alert)) is None
        or any(last[(key, district)] == number for district in alert.districts)
    ]


def _generic_first(ordered: list[HistoryRecord]) -> list[HistoryRecord]:
    """The history with each value's last generic-value decision first if it holds the value
    generic, and its other decisions left out: the rebuilt tables know only today's."""
    decisions: dict[str, tuple[HistoryRecord, bool]] = {}  # token -> its last, generic?
    rest = []
    for record in ordered:
        if record.message.topic != GENERIC_VALUE_DECIDED.name:
            rest.append(record)
            continue
        try:
            decision = GenericValueDecided.model_validate_json(record.value or b"")
        except ValidationError:
            rest.append(record)  # counted as undecodable where it is applied
            continue
        decisions[decision.identifier.token] = (record, decision.generic)
    return [*(record for record, generic in decisions.values() if generic), *rest]


def _named(event: FiledEvent) -> tuple[IdentifierRef, ...]:
    if isinstance(event, ImportClosed):
        return ()
    if isinstance(event, ComplaintFiled | ArrestRecorded):
        return event.identifiers
    return (event.identifier,)


def _last_decisions(decisions: Iterable[GenericValueDecided]) -> dict[str, GenericValueDecided]:
    return {decision.identifier.token: decision for decision in decisions}


def _in_order(records: Iterable[HistoryRecord]) -> list[HistoryRecord]:
    """Each partition's records in offset order (the order its events were applied in), the
    partitions merged by when their records were written."""
    runs: dict[tuple[str, int], list[HistoryRecord]] = defaultdict(list)
    for record in records:
        runs[(record.message.topic, record.message.partition)].append(record)
    ordered = (sorted(run, key=lambda r: r.message.offset) for run in runs.values())
    return list(heapq.merge(*ordered, key=lambda r: r.message.timestamp_ms))


def import_passes(records: Iterable[HistoryRecord]) -> list[ImportPassed]:
    """The passes of every import's end among the history's records, to send again after a
    rematch: the matcher's group moves past them, and an import whose passes were not all out
    would otherwise never be told."""
    passes: list[ImportPassed] = []
    for record in records:
        if not is_import_marker(record.key):
            continue
        try:
            closed = ImportClosed.model_validate_json(record.value or b"")
        except ValidationError:
            continue  # counted as undecodable where it is applied
        passes += passes_of(closed, record.message.topic)
    return passes
