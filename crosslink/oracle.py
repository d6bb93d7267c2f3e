"""The oracle: which alerts crosslink owes, to whom, and which complaints form one gang.

A pure function of the complaints (in the order intake accepted them) and the registry rows
(entered before them), written from the rules in docs/matching.md and docs/notifier.md, not
from services/, so that a test comparing the two checks the system rather than itself. It uses
the real identifier canon and pseudonym tokens, because alert ids are made from tokens.

Cluster alert ids are not predicted: which clusters merge first depends on how partitions
interleave. Cluster membership is: `Expectation.clusters` holds each gang's complaints.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schemas.identifiers import IdentifierType, Strength, canonicalise
from schemas.pseudonyms import PseudonymKey, pseudonym_token, stable_id

Case = tuple[str, str]  # (district, complaint id): complaint ids are unique within a district


@dataclass(frozen=True)
class ExpectedAlert:
    alert_id: str
    kind: str  # shared_identifier, registry_hit or hub_identifier
    districts: frozenset[str]  # who receives it; empty for operator alerts
    trigger: Case | None


@dataclass
class Expectation:
    alerts: dict[str, ExpectedAlert] = field(default_factory=dict)
    clusters: list[frozenset[Case]] = field(default_factory=list)

    def ids(self, *kinds: str) -> set[str]:
        return {a.alert_id for a in self.alerts.values() if not kinds or a.kind in kinds}

    def deliveries(self) -> set[tuple[str, str]]:
        """(alert id, district) for every alert a district is owed."""
        return {(a.alert_id, d) for a in self.alerts.values() for d in a.districts}

    def cluster_of(self, case: Case) -> frozenset[Case]:
        return next((c for c in self.clusters if case in c), frozenset({case}))


@dataclass(frozen=True)
class Tally:
    """What arrived against what was owed: the figures of docs/reliability.md."""

    expected: int
    delivered: int  # owed deliveries that arrived
    lost: int  # owed, never arrived
    misrouted: int  # arrived at a district it was not owed to (or never owed at all)
    duplicated: int  # one alert processed more than once by one district

    @property
    def clean(self) -> bool:
        return self.lost == self.misrouted == self.duplicated == 0


def tally(owed: set[tuple[str, str]], processed: Iterable[tuple[str, str]]) -> Tally:
    """Compare (alert id, district) deliveries owed with those a receiver processed. A webhook
    re-sent under the same webhook-id and deduplicated by the receiver is not processed twice;
    the same alert processed twice (two webhook-ids) is."""
    counts = Counter(processed)
    arrived = set(counts)
    return Tally(
        expected=len(owed),
        delivered=len(owed & arrived),
        lost=len(owed - arrived),
        misrouted=len(arrived - owed),
        duplicated=sum(1 for n in counts.values() if n > 1),
    )


def gangs_not_held_whole(
    gangs: Iterable[frozenset[Case]], held: Sequence[tuple[int, Iterable[Case]]]
) -> list[frozenset[Case]]:
    """The oracle's gangs of two or more complaints that no cluster of the matcher's (size, the
    complaints it lists) holds exactly: the same size, and every complaint it lists (the latest
    100 at most) in the gang. A lost link splits a gang into clusters too small; a wrong one
    makes a cluster too big."""
    held_by_size: dict[int, list[frozenset[Case]]] = defaultdict(list)
    for size, listed in held:
        held_by_size[size].append(frozenset(listed))
    return [
        gang
        for gang in gangs
        if len(gang) > 1 and not any(listed <= gang for listed in held_by_size[len(gang)])
    ]


@dataclass
class _Token:
    strength: Strength
    cases: list[tuple[Case, datetime]] = field(default_factory=list)  # the first threshold
    complaints: int = 0
    registered: bool = False


def expected(
    complaints: Sequence[Mapping[str, Any]],
    registry: Iterable[Mapping[str, str]] = (),
    *,
    key: PseudonymKey,
    hub_threshold: int = 25,
    weak_window: timedelta = timedelta(hours=24),
) -> Expectation:
    """What the pipeline must deliver for `registry` entered, then `complaints` posted."""
    tokens: dict[str, _Token] = {}
    for row in registry:
        for token, strength in _tokens(row, key):
            tokens.setdefault(token, _Token(strength)).registered = True
    result = Expectation()
    gangs = _UnionFind()
    for complaint in complaints:
        case: Case = (complaint["district"], complaint["complaint_id"])
        registered_at = datetime.fromisoformat(complaint["registered_at"])
        for token, strength in _tokens_of_complaint(complaint, key):
            state = tokens.setdefault(token, _Token(strength))
            state.complaints += 1
            if state.complaints == hub_threshold + 1:
                alert_id = stable_id("hub_identifier", token)
                result.alerts[alert_id] = ExpectedAlert(
                    alert_id, "hub_identifier", frozenset(), None
                )
            if state.complaints > hub_threshold:
                continue
            earlier = [
                c for c, at in state.cases
                if strength is Strength.STRONG or abs(at - registered_at) <= weak_window
            ]  # fmt: skip
            if earlier:
                alert_id = stable_id("shared_identifier", token, *case)
                districts = frozenset(d for d, _ in (*earlier, case))
                result.alerts[alert_id] = ExpectedAlert(
                    alert_id, "shared_identifier", districts, case
                )
                for other in earlier[:1] if strength is Strength.STRONG else earlier:
                    gangs.join(other, case)
            if state.registered:
                alert_id = stable_id("registry_hit", token, *case)
                result.alerts[alert_id] = ExpectedAlert(
                    alert_id, "registry_hit", frozenset({case[0]}), case
                )
            state.cases.append((case, registered_at))
    result.clusters = gangs.groups()
    return result


def _tokens_of_complaint(
    complaint: Mapping[str, Any], key: PseudonymKey
) -> list[tuple[str, Strength]]:
    """A complaint's distinct non-benign tokens: naming one twice, in two written forms or
    through a derived identifier (a phone inside a UPI ID), counts once."""
    found: dict[str, Strength] = {}
    for row in complaint["identifiers"]:
        found.update(_tokens(row, key))
    return list(found.items())


def _tokens(row: Mapping[str, str], key: PseudonymKey) -> list[tuple[str, Strength]]:
    qualifiers = {name: row[name] for name in ("platform", "ifsc") if row.get(name)}
    return [
        (pseudonym_token(identifier, key), identifier.strength)
        for identifier in canonicalise(IdentifierType(row["type"]), row["value"], **qualifiers)
        if not identifier.benign
    ]


class _UnionFind:
    def __init__(self) -> None:
        self._parent: dict[Case, Case] = {}

    def join(self, a: Case, b: Case) -> None:
        self._parent[self._root(a)] = self._root(b)

    def groups(self) -> list[frozenset[Case]]:
        members: dict[Case, set[Case]] = defaultdict(set)
        for case in list(self._parent):
            members[self._root(case)].add(case)
        return [frozenset(group) for group in members.values()]

    def _root(self, case: Case) -> Case:
        parent = self._parent.setdefault(case, case)
        while parent != case:
            self._parent[case] = self._parent[parent]  # path halving
            case, parent = parent, self._parent[parent]
        return case
