"""The oracle: which alerts crosslink owes, to whom, and which complaints form one gang.

A pure function of the complaints (in the order intake accepted them) and the registry rows
(entered before them), written from the rules in docs/matching.md and docs/notifier.md, not
from services/, so that a test comparing the two checks the system rather than itself. It uses
the real identifier canon and pseudonym tokens, because alert ids are made from tokens.

Cluster alerts are owed too: clustering reads complaints in the order intake accepted them, so
the same complaints give the same cluster alerts however the matcher's partitions interleave.
`Expectation.clusters` holds each gang's complaints.
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
# Identifier types given to new holders, and the gap that may mean one (docs/matching.md).
RECYCLING: Mapping[IdentifierType, timedelta] = {IdentifierType.PHONE: timedelta(days=365)}


@dataclass(frozen=True)
class ExpectedAlert:
    alert_id: str
    kind: str  # shared_identifier, registry_hit, hub_identifier or cluster_linked
    districts: frozenset[str]  # who receives it; empty for operator alerts
    trigger: Case | None


@dataclass(frozen=True)
class ExpectedToken:
    """What the matcher's row of a token holds: its count, whether it is prolific, and the
    complaints it keeps (the first `hub_threshold`; once prolific, the first only)."""

    complaints: int
    prolific: bool
    kept: tuple[Case, ...]


@dataclass
class Expectation:
    alerts: dict[str, ExpectedAlert] = field(default_factory=dict)
    clusters: list[frozenset[Case]] = field(default_factory=list)
    tokens: dict[str, ExpectedToken] = field(default_factory=dict)

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
    complaints it names) holds exactly: the same size, and every complaint it names in the
    gang. A lost link splits a gang into clusters too small; a wrong one makes a cluster too
    big."""
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
    recycling: timedelta | None = None  # for a type given to new holders: its window
    cases: list[tuple[Case, datetime]] = field(default_factory=list)  # the first threshold
    dated: list[tuple[Case, datetime]] = field(default_factory=list)  # every one, as counted
    counted: set[Case] = field(default_factory=set)
    districts: Counter[str] = field(default_factory=Counter)
    registered: bool = False
    told_states: set[str] | None = None  # set once the identifier is prolific


def expected(
    complaints: Sequence[Mapping[str, Any]],
    registry: Iterable[Mapping[str, str]] = (),
    *,
    key: PseudonymKey,
    hub_threshold: int = 25,
    weak_window: timedelta = timedelta(hours=24),
    recycling: Mapping[IdentifierType, timedelta] = RECYCLING,
    registry_after: Iterable[Mapping[str, str]] = (),
) -> Expectation:
    """What the pipeline must deliver for `registry` entered, then `complaints` posted, then
    `registry_after` entered; all within one digest period (docs/matching.md)."""
    tokens: dict[str, _Token] = {}

    def token_state(token: str, strength: Strength, kind: IdentifierType) -> _Token:
        return tokens.setdefault(token, _Token(strength, recycling.get(kind)))

    for row in registry:
        for token, strength, kind in _tokens(row, key):
            token_state(token, strength, kind).registered = True
    result = Expectation()
    gangs = _Gangs(hub_threshold)
    for complaint in complaints:
        case: Case = (complaint["district"], complaint["complaint_id"])
        registered_at = datetime.fromisoformat(complaint["registered_at"])
        joining: list[_Token] = []
        for token, strength, kind in sorted(_tokens_of_complaint(complaint, key)):
            state = token_state(token, strength, kind)
            if case not in state.counted:
                _sighted(result, token, state, case, registered_at, hub_threshold, weak_window)
                joining += [state] if strength is Strength.STRONG else []
        gangs.filed(result, case, joining)
    for row in registry_after:
        for token, strength, kind in _tokens(row, key):
            _registered_after(result, token, token_state(token, strength, kind))
    result.clusters = gangs.groups()
    result.tokens = {token: _row(state, hub_threshold) for token, state in tokens.items()}
    return result


def arrest_reaches(
    expectation: Expectation,
    complaints: Sequence[Mapping[str, Any]],
    seized: Iterable[Mapping[str, str]],
    *,
    key: PseudonymKey,
    arrested_at: datetime,
    recycling: Mapping[IdentifierType, timedelta] = RECYCLING,
) -> dict[str, set[Case]]:
    """Each district an arrest must tell, with its complaints the arrest reaches: those naming
    a seized strong identifier (of a number that changes hands, those of its runs within the
    window of the arrest's date), and every complaint of their gangs (`expectation`'s, for the
    same complaints)."""
    kinds = {
        token: kind
        for row in seized
        for token, strength, kind in _tokens(row, key)
        if strength is Strength.STRONG
    }
    dated: dict[str, dict[Case, datetime]] = defaultdict(dict)
    for complaint in complaints:
        case: Case = (complaint["district"], complaint["complaint_id"])
        for token, _, _ in _tokens_of_complaint(complaint, key):
            if token in kinds:
                dated[token].setdefault(case, datetime.fromisoformat(complaint["registered_at"]))
    naming: set[Case] = set()
    for token, cases in dated.items():
        window = recycling.get(kinds[token])
        if window is None:
            naming |= set(cases)
            continue
        for run in _runs(list(cases.items()), window):
            if run[0][1] - window <= arrested_at <= run[-1][1] + window:
                naming |= {case for case, _ in run}
    reached: dict[str, set[Case]] = defaultdict(set)
    for case in naming:
        for each in expectation.cluster_of(case):
            reached[each[0]].add(each)
    return dict(reached)


def _row(state: _Token, hub_threshold: int) -> ExpectedToken:
    prolific = len(state.counted) > hub_threshold
    kept = tuple(case for case, _ in state.cases)
    return ExpectedToken(len(state.counted), prolific, kept[:1] if prolific else kept)


def _sighted(
    result: Expectation,
    token: str,
    state: _Token,
    case: Case,
    registered_at: datetime,
    hub_threshold: int,
    weak_window: timedelta,
) -> None:
    """One complaint newly names the token: the alerts it owes and the link it makes."""
    state.counted.add(case)
    state.dated.append((case, registered_at))
    state.districts[case[0]] += 1
    if state.registered:
        _owe(result, "registry_hit", {case[0]}, case, token, *case)
    if len(state.counted) > hub_threshold:
        _prolific(result, token, state, case)
        return
    earlier = [
        (c, at)
        for c, at in state.cases
        if state.strength is Strength.STRONG or abs(at - registered_at) <= weak_window
    ]
    lead: list[Case] = []
    if state.recycling is not None and earlier:  # a number's other holders: a lead, no link
        run = _run_of(case, [*earlier, (case, registered_at)], state.recycling)
        lead = [c for c, _ in earlier if c not in run]
    linked = [c for c, _ in earlier if c not in lead]
    if linked:
        _owe(result, "shared_identifier", {d for d, _ in (*linked, case)}, case, token, *case)
    if lead:
        districts = {d for d, _ in (*lead, case)}
        _owe(result, "shared_identifier", districts, case, token, "recycled", *case)
    state.cases.append((case, registered_at))


def _run_of(case: Case, dated: list[tuple[Case, datetime]], window: timedelta) -> list[Case]:
    """The complaints of `case`'s run."""
    return next([c for c, _ in run] for run in _runs(dated, window) if case in dict(run))


def _runs(
    dated: list[tuple[Case, datetime]], window: timedelta
) -> list[list[tuple[Case, datetime]]]:
    """Dated complaints in runs: in date order, a new run wherever the gap exceeds `window`."""
    runs: list[list[tuple[Case, datetime]]] = []
    for each, at in sorted(dated, key=lambda pair: pair[1]):
        if not runs or at - runs[-1][-1][1] > window:
            runs.append([])
        runs[-1].append((each, at))
    return runs


def _prolific(result: Expectation, token: str, state: _Token, case: Case) -> None:
    """Past the threshold: the complaint's district at once; the others by a digest when the
    identifier first passes it or reaches a new state; operators by one alert."""
    _owe(result, "shared_identifier", {case[0]}, case, token, *case)
    states = {_state(district) for district in state.districts}
    if state.told_states is None or _state(case[0]) not in state.told_states:
        others = set(state.districts) - {case[0]}
        if others:
            _owe(result, "shared_identifier", others, case, token, "digest", *case)
        state.told_states = states
    _owe(result, "hub_identifier", set(), None, token)


def _registered_after(result: Expectation, token: str, state: _Token) -> None:
    """A registry entry after the complaints: each complaint of the token (each district, once
    it is prolific) is owed a registry hit, unless an earlier entry already owed them one."""
    if state.registered:
        return
    state.registered = True
    if len(state.cases) < len(state.counted):  # the row lists not them all: once per district
        for district in state.districts:
            _owe(result, "registry_hit", {district}, None, token, "district", district)
        return
    for case, _ in state.cases:
        _owe(result, "registry_hit", {case[0]}, case, token, *case)


def _owe(
    result: Expectation, kind: str, districts: set[str], trigger: Case | None, *key: str
) -> None:
    alert_id = stable_id(kind, *key)
    result.alerts[alert_id] = ExpectedAlert(alert_id, kind, frozenset(districts), trigger)


def _state(district: str) -> str:
    """A district code starts with its state's code: MH-MUM is in MH."""
    return district.split("-", 1)[0]


def _tokens_of_complaint(
    complaint: Mapping[str, Any], key: PseudonymKey
) -> list[tuple[str, Strength, IdentifierType]]:
    """A complaint's distinct non-benign tokens: naming one twice, in two written forms or
    through a derived identifier (a phone inside a UPI ID), counts once."""
    found: dict[str, tuple[str, Strength, IdentifierType]] = {}
    for row in complaint["identifiers"]:
        found.update((named[0], named) for named in _tokens(row, key))
    return list(found.values())


def _tokens(
    row: Mapping[str, str], key: PseudonymKey
) -> list[tuple[str, Strength, IdentifierType]]:
    kind, value = IdentifierType(row["type"]), row["value"]
    found = canonicalise(kind, value, platform=row.get("platform"), ifsc=row.get("ifsc"))
    return [
        (pseudonym_token(identifier, key), identifier.strength, identifier.type)
        for identifier in found
        if not (identifier.benign or identifier.generic)
    ]


def _joining(case: Case, state: _Token) -> tuple[list[Case], list[Case]]:
    """The complaints whose gangs `case` joins through the token, and its run (for a number
    that changes hands; else every complaint): the token's first complaint, or the earliest
    registered of each run of the complaints before it that its run takes in, earliest first."""
    if state.recycling is None:
        first = state.dated[0][0]
        return ([] if first == case else [first]), list(state.counted)
    at, window = dict(state.dated)[case], state.recycling
    taken_in = [
        run
        for run in _runs([(c, when) for c, when in state.dated if c != case], window)
        if run[0][1] - window <= at <= run[-1][1] + window
    ]
    firsts = sorted(min((when, *c) for c, when in run) for run in taken_in)
    run = [case, *(c for each in taken_in for c, _ in each)]
    return [(district, complaint) for _, district, complaint in firsts], run


@dataclass
class _Gang:
    cluster_id: str
    size: int
    districts: set[str]
    told: set[str] = field(default_factory=set)  # as they were last told of it as a whole
    told_once: bool = False


class _Gangs:
    """Complaints joined through strong identifiers, in the order they were filed: each joins
    the gang of the first complaint of each identifier it names (weak ones join nothing)."""

    def __init__(self, hub_threshold: int) -> None:
        self._threshold = hub_threshold
        self._parent: dict[Case, Case] = {}
        self._gang: dict[Case, _Gang] = {}  # by root

    def filed(self, result: Expectation, case: Case, joining: Sequence[_Token]) -> None:
        """Join the complaint through each identifier newly counted for it; the cluster alert
        it owes: to every district of a gang of three or more complaints that has a district
        no alert told of it yet (a matcher's alert about the complaint that went to all of
        them told them; past the threshold only a new state is told at once)."""
        told_by_matcher: list[set[str]] = []
        for state in joining:
            firsts, run = _joining(case, state)
            if not firsts:
                continue
            # Every district up to one past the threshold (then the first digest goes out),
            # and when the complaint brings a new state (a digest at once); else its own. Up
            # to the threshold, a number that changes hands told its run's districts only.
            states_before = {_state(d) for d, n in state.districts.items() if d != case[0] or n > 1}
            everyone = (
                len(state.counted) <= self._threshold + 1 or _state(case[0]) not in states_before
            )
            told = set(state.districts) if everyone else {case[0]}
            if state.recycling is not None and len(state.counted) <= self._threshold:
                told = {district for district, _ in run}
            told_by_matcher.append(told)
            for first in firsts:
                self._join(first, case)
        if not told_by_matcher:
            return
        gang = self._gang[self._root(case)]
        if any(gang.districts <= told for told in told_by_matcher):
            gang.told, gang.told_once = set(gang.districts), True
        new = gang.districts - gang.told
        if not new or len(gang.districts) < 2 or gang.size < 3:
            return
        states = {_state(district) for district in gang.told}
        if gang.size > self._threshold and gang.told_once and not {_state(d) for d in new} - states:
            return  # waits for the digest period
        _owe(result, "cluster_linked", set(gang.districts), case, gang.cluster_id, *case)
        gang.told, gang.told_once = set(gang.districts), True

    def groups(self) -> list[frozenset[Case]]:
        members: dict[Case, set[Case]] = defaultdict(set)
        for case in list(self._parent):
            members[self._root(case)].add(case)
        return [frozenset(group) for group in members.values()]

    def _join(self, a: Case, b: Case) -> None:
        roots = [self._root(a), self._root(b)]
        if roots[0] == roots[1]:
            return
        gangs = [self._gang[root] for root in roots]
        # The larger keeps its id (ties: the smaller id).
        kept = min((0, 1), key=lambda i: (-gangs[i].size, gangs[i].cluster_id))
        keeper, other = gangs[kept], gangs[1 - kept]
        self._parent[roots[1 - kept]] = roots[kept]
        del self._gang[roots[1 - kept]]
        keeper.size += other.size
        keeper.districts |= other.districts

    def _root(self, case: Case) -> Case:
        if case not in self._parent:
            self._parent[case] = case
            self._gang[case] = _Gang(stable_id("cluster", *case), 1, {case[0]})
        parent = self._parent[case]
        while parent != case:
            self._parent[case] = self._parent[parent]  # path halving
            case, parent = parent, self._parent[parent]
        return case
