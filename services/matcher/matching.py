"""Where a match is decided. Pure: given an identifier's state and an event, what happens.

Every rule is a function of (state, event) that returns the identifier's new state and the
alerts to raise. Alert ids depend only on the identifier and the complaint (or district, or
digest number) concerned, never on time or arrival order, so re-processing an event after a
crash raises the same ids again, and a registry hit has the same id whichever of complaint
and registry entry arrived first. `docs/matching.md` describes each rule and bound.

Up to `hub_threshold` complaints an identifier is told case by case: every complaint's alert
goes to every district involved. Past it the identifier is *prolific* (one gang's number named
in hundreds of complaints): the district of each new complaint is still told at once, and the
districts already involved hear by digest, at once when it reaches a new state and otherwise
at most once per `digest_period`. Its row keeps counts, not complaints, so it stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crosslink.i18n import translator
from crosslink.reasons import word
from schemas.events import (
    AlertKind,
    AlertRaised,
    CaseRef,
    Footprint,
    GenericValueDecided,
    IdentifierRef,
    IdentifierSighted,
    LinkWithdrawn,
    ReasonFacts,
    RegistryEntryAdded,
    RegistryRef,
    WatchChanged,
    in_time_order,
    state_of,
)
from schemas.identifiers import IdentifierType, Strength
from schemas.pseudonyms import stable_id
from services.matcher.recycling import runs_of

SAMPLE = 10  # the latest complaints a row keeps, and a digest lists at most


@dataclass(frozen=True)
class MatchingRules:
    """The matcher's settings, passed in so the rules stay pure."""

    hub_threshold: int = 25
    weak_window: timedelta = timedelta(hours=24)
    digest_period: timedelta = timedelta(days=1)
    # Identifier types given to a new holder after a while, and how long a gap between two
    # complaints naming one makes them possibly two holders' (services/matcher/recycling.py).
    recycling: tuple[tuple[IdentifierType, timedelta], ...] = (
        (IdentifierType.PHONE, timedelta(days=365)),
    )

    def recycling_window(self, kind: IdentifierType) -> timedelta | None:
        return next((window for known, window in self.recycling if known is kind), None)


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DistrictTally(NamedTuple):
    """One district's complaints naming an identifier: how many, the first (its id, police
    station and registration time) and the latest registration time.

    A tuple of plain values (a JSON array in the row), not a model, and its times ISO 8601 text
    with the offset posted: a prolific identifier's row holds one tally per district and is
    read and written at every event, where only the event's own district's times are needed.
    Decoding the row so is about twice as fast as with nested models and parsed times
    (docs/bench/tuning.md).
    """

    complaints: int
    first_id: str
    first_station: str
    first_at: str
    latest_at: str

    @classmethod
    def of(cls, case: CaseRef) -> DistrictTally:
        """The tally of a district's first complaint naming the identifier."""
        registered = case.registered_at.isoformat()
        return cls(1, case.complaint_id, case.police_station, registered, registered)

    def counting(self, case: CaseRef) -> DistrictTally:
        """The tally with one more of the district's complaints counted."""
        count, registered = self.complaints + 1, case.registered_at
        if (registered, case.complaint_id) < (datetime.fromisoformat(self.first_at), self.first_id):
            return self._replace(
                complaints=count,
                first_id=case.complaint_id,
                first_station=case.police_station,
                first_at=registered.isoformat(),
            )
        if registered > datetime.fromisoformat(self.latest_at):
            return self._replace(complaints=count, latest_at=registered.isoformat())
        return self._replace(complaints=count)

    def without(self, case: CaseRef, known: tuple[CaseRef, ...]) -> DistrictTally:
        """The tally with `case` no longer counted. If it was the first, the next is taken from
        the complaints the row lists (`known`); a prolific identifier's row may list none of the
        district's others, and then its first stays as it was (docs/matching.md)."""
        less = self._replace(complaints=self.complaints - 1)
        mine = sorted((c for c in known if c.district == case.district), key=in_time_order)
        if self.first_id != case.complaint_id or not mine:
            return less
        first = mine[0]
        return less._replace(
            first_id=first.complaint_id,
            first_station=first.police_station,
            first_at=first.registered_at.isoformat(),
        )

    def first(self, district: str) -> CaseRef:
        """The district's first complaint naming the identifier (the earliest registered)."""
        return CaseRef(
            complaint_id=self.first_id,
            district=district,
            police_station=self.first_station,
            registered_at=datetime.fromisoformat(self.first_at),
        )


class DigestMark(_Row):
    """What the districts of a prolific identifier have been told, and what is news since."""

    sent: int = 0  # digests sent so far: the next one's number
    last_at: AwareDatetime | None = None  # when the event that sent the last one was received
    states: tuple[str, ...] = ()  # states the districts have been told of
    since: int = 0  # complaints since the last digest: the row's `latest` ends with them
    new_districts: tuple[str, ...] = ()


class GenericMark(_Row):
    """An operator's decision that the identifier is a generic value: who, when and why."""

    decision_id: str
    decided_by: str
    decided_at: AwareDatetime
    reason: str


class WatchMark(_Row):
    """A district's watch on the identifier: who set it, when, and until when it fires."""

    watch_id: str
    district: str
    watched_by: str
    since: AwareDatetime
    until: AwareDatetime

    def fires_for(self, sighting: IdentifierSighted) -> bool:
        """Whether the watch waits for this complaint: received while it runs, and not
        back-filled (an import's complaints are old ones, told in its digest)."""
        received = sighting.received_at
        return sighting.case.import_id is None and self.since <= received <= self.until

    def holds(self, change: WatchChanged) -> bool:
        """Whether `change` is about this watch: the same district and watcher."""
        return (self.district, self.watched_by) == (change.district, change.watched_by)


class TokenState(_Row):
    """What the matcher remembers about one identifier token (one table row). Bounded: the first
    `hub_threshold` complaints, the latest few, and per-district counts; never every complaint."""

    cases: tuple[CaseRef, ...] = ()  # the first complaints up to the threshold; then the first
    complaints: int = 0  # distinct complaints, exact
    earliest: CaseRef | None = None  # the earliest registered of them: whom to call first
    districts: dict[str, DistrictTally] = {}
    latest: tuple[CaseRef, ...] = ()  # the latest complaints, at most SAMPLE
    registry: tuple[RegistryRef, ...] = ()
    digest: DigestMark | None = None  # set once the identifier is prolific
    generic: GenericMark | None = None  # set while operators hold it a generic value
    operators_told: int = 0  # the count the operators' alert last gave
    # Complaints ("district/complaint id") officers said are not linked through it: never
    # counted or matched again. A human's word, so it stays short.
    withdrawn: tuple[str, ...] = ()
    watches: tuple[WatchMark, ...] = ()  # districts to tell of each new complaint naming it
    # Topic -> offset of the last event applied to this row. The agent keeps it, so that an
    # event replayed after a crash is known; no rule reads it.
    offsets: dict[str, int] = {}

    @property
    def prolific(self) -> bool:
        return self.digest is not None

    def footprint(self) -> Footprint:
        """How far the identifier has spread. Only for a row that has counted a complaint."""
        if self.earliest is None:
            raise ValueError("no complaint has named this identifier yet")
        districts = tuple(sorted(self.districts))
        return Footprint(
            complaints=self.complaints,
            districts=districts,
            states=_states(districts),
            earliest=self.earliest,
        )


@dataclass(frozen=True)
class Outcome:
    state: TokenState
    alerts: tuple[AlertRaised, ...] = ()


def on_sighting(
    state: TokenState, sighting: IdentifierSighted, *, rules: MatchingRules, now: datetime
) -> Outcome | None:
    """A complaint named the identifier. None when nothing changes (benign, or seen before).
    A back-filled complaint's alerts carry its import (told in the import's digest)."""
    outcome = _sighting_outcome(state, sighting, rules, now)
    if outcome is not None and state.watches:
        outcome = _watched(outcome, sighting, now)
    return _caused_by(outcome, sighting.received_at, import_id=sighting.case.import_id)


def on_watch_changed(state: TokenState, change: WatchChanged) -> Outcome | None:
    """A watch set, renewed or removed. A district's watcher holds one watch on an identifier,
    whatever key its token was made with; renewing a live one keeps when it began. None when
    removing a watch the row does not hold."""
    held = next((w for w in state.watches if w.holds(change)), None)
    others = tuple(w for w in state.watches if w is not held)
    if not change.active:
        return None if held is None else Outcome(state.model_copy(update={"watches": others}))
    live = held is not None and change.changed_at <= held.until
    mark = WatchMark(
        watch_id=change.watch_id,
        district=change.district,
        watched_by=change.watched_by,
        since=held.since if held is not None and live else change.changed_at,
        until=change.until,
    )
    return Outcome(state.model_copy(update={"watches": (*others, mark)}))


def on_registry_entry(
    state: TokenState, entry: RegistryEntryAdded, *, now: datetime
) -> Outcome | None:
    """The identifier entered the suspect registry: alert every complaint that already named it."""
    return _caused_by(_registry_outcome(state, entry, now), entry.added_at)


def on_generic_decision(
    state: TokenState, decision: GenericValueDecided, *, now: datetime
) -> Outcome | None:
    """An operator marked the identifier generic, or withdrew that. None if it already was."""
    if decision.generic == (state.generic is not None):
        return None
    return _caused_by(_generic_outcome(state, decision, now), decision.decided_at)


def on_link_withdrawn(
    state: TokenState,
    withdrawal: LinkWithdrawn,
    *,
    counted: bool,
    rules: MatchingRules,
    now: datetime,
) -> Outcome | None:
    """An officer said the complaint is not linked through the identifier: it is counted,
    listed and matched no more, and the other districts it was linked to are told why. None if
    it was withdrawn before. `counted`: whether the complaint had been counted for it."""
    key = "/".join(withdrawal.case.key)
    if key in state.withdrawn:
        return None
    withdrawn = state.model_copy(update={"withdrawn": (*state.withdrawn, key)})
    if not counted:  # withdrawn before its sighting came (a rematch's order): never counted
        return Outcome(withdrawn)
    uncounted = _uncounted(withdrawn, withdrawal.case)
    told = _told_of(state, withdrawal, rules)
    notice = _withdrawal_notice(uncounted, withdrawal, told, now) if state.generic is None else None
    return _caused_by(Outcome(uncounted, (notice,) if notice else ()), withdrawal.withdrawn_at)


def _uncounted(state: TokenState, case: CaseRef) -> TokenState:
    """The state without one complaint counted."""
    cases = tuple(c for c in state.cases if c.key != case.key)
    latest = tuple(c for c in state.latest if c.key != case.key)
    districts = dict(state.districts)
    tally = districts.pop(case.district, None)
    if tally is not None and tally.complaints > 1:
        districts[case.district] = tally.without(case, (*cases, *latest))
    firsts = (tally.first(district) for district, tally in districts.items())
    return state.model_copy(
        update={
            "complaints": state.complaints - 1,
            "earliest": min(firsts, key=in_time_order, default=None),
            "districts": districts,
            "latest": latest,
            "cases": cases,
        }
    )


def _told_of(state: TokenState, withdrawal: LinkWithdrawn, rules: MatchingRules) -> set[str]:
    """The districts told the withdrawn complaint was linked to theirs: every district naming a
    strong identifier; for a weak one, those of the complaints seen within its window."""
    case, identifier = withdrawal.case, withdrawal.identifier
    if identifier.strength is Strength.STRONG:
        return set(state.districts)
    listed = next((known for known in state.cases if known.key == case.key), case)
    return {c.district for c in _matching_cases(state.cases, listed, identifier, rules)}


def _withdrawal_notice(
    state: TokenState, withdrawal: LinkWithdrawn, told: set[str], now: datetime
) -> AlertRaised | None:
    """To every other district told of the link, that still has a complaint naming the
    identifier: the withdrawn complaint is not linked to theirs through it, and why. None if
    there is no such district."""
    case = withdrawal.case
    recipients = tuple(sorted(d for d in state.districts if d != case.district and d in told))
    if not recipients:
        return None
    facts = ReasonFacts(
        complaint_id=case.complaint_id,
        district=case.district,
        withdrawn_because=withdrawal.reason,
    )
    firsts = tuple(state.districts[district].first(district) for district in recipients)
    return _alert(
        "link_withdrawn",
        "link_withdrawn",
        facts,
        withdrawal.identifier,
        now,
        key=case.key,
        trigger=case,
        cases=(case, *firsts),
        registry=state.registry,
        footprint=state.footprint(),
        recipients=recipients,
    )


def _caused_by(
    outcome: Outcome | None, received_at: datetime, *, import_id: str | None = None
) -> Outcome | None:
    """Stamp alerts with when crosslink received what caused them (for latency), and with the
    import that brought it in, if it was back-filled."""
    if outcome is None:
        return None
    stamp: dict[str, object] = {"received_at": received_at, "import_id": import_id}
    return Outcome(outcome.state, tuple(alert.model_copy(update=stamp) for alert in outcome.alerts))


def _sighting_outcome(
    state: TokenState, sighting: IdentifierSighted, rules: MatchingRules, now: datetime
) -> Outcome | None:
    case, identifier = sighting.case, sighting.identifier
    if sighting.observed_at is not None:  # listed under this identifier with when it was seen
        case = case.model_copy(update={"observed_at": sighting.observed_at})
    if identifier.never_links or any(known.key == case.key for known in state.cases):
        return None
    if "/".join(case.key) in state.withdrawn:  # an officer said it is not linked through it
        return None
    counted = _counted(state, case, rules)
    registry = (_registry_alert(identifier, case, state.registry, now),) if state.registry else ()
    if state.generic is not None:  # counted, and registry hits are never suppressed
        return Outcome(counted, registry)
    if counted.complaints > rules.hub_threshold:
        return _prolific_outcome(counted, sighting, registry, rules, now)
    earlier = _matching_cases(state.cases, case, identifier, rules)
    if not earlier:
        return Outcome(counted, registry)
    alerts: list[AlertRaised] = []
    held, window = earlier, rules.recycling_window(identifier.type)
    if window is not None:
        held, before = _by_holder(earlier, case, window)
        if before:
            alerts.append(_recycled_alert(identifier, case, before, counted, window, now))
    if held:
        alerts.insert(0, _shared_alert(identifier, case, held, counted, rules, now))
    return Outcome(counted, (*alerts, *registry))


def _watched(outcome: Outcome, sighting: IdentifierSighted, now: datetime) -> Outcome:
    """The complaint counted, each district watching the identifier is told of it once (the
    first to watch named), unless the complaint's own alerts tell it already; a watch past its
    end is dropped from the row, so the row holds only watches that can still fire."""
    state = outcome.state
    live = tuple(w for w in state.watches if sighting.received_at <= w.until)
    told = {district for alert in outcome.alerts for district in alert.districts}
    firing: dict[str, WatchMark] = {}
    for mark in sorted(live, key=lambda w: w.since):
        if mark.fires_for(sighting) and mark.district not in told:
            firing.setdefault(mark.district, mark)
    hits = tuple(_watch_hit(sighting, mark, state, now) for mark in firing.values())
    return Outcome(state.model_copy(update={"watches": live}), (*outcome.alerts, *hits))


def _watch_hit(
    sighting: IdentifierSighted, mark: WatchMark, state: TokenState, now: datetime
) -> AlertRaised:
    case = sighting.case
    facts = ReasonFacts(
        complaint_id=case.complaint_id,
        district=case.district,
        watched_by=mark.watched_by,
        watched_since=mark.since,
    )
    return _alert(
        "watch_hit",
        "watch_hit",
        facts,
        sighting.identifier,
        now,
        key=("watch", mark.district, *case.key),
        trigger=case,
        cases=(case,),
        registry=state.registry,
        footprint=state.footprint(),
        recipients=(mark.district,),
    )


def _by_holder(
    earlier: tuple[CaseRef, ...], case: CaseRef, window: timedelta
) -> tuple[tuple[CaseRef, ...], tuple[CaseRef, ...]]:
    """Earlier complaints of an identifier that changes hands: those in the complaint's run
    (one holder's, as far as dates tell), and those of other runs (possibly another holder)."""
    run = next(run for run in runs_of((*earlier, case), _registered, window) if case in run)
    return tuple(c for c in earlier if c in run), tuple(c for c in earlier if c not in run)


def _registered(case: CaseRef) -> datetime:
    return case.registered_at


def _counted(state: TokenState, case: CaseRef, rules: MatchingRules) -> TokenState:
    """The state with one more distinct complaint counted (and kept, up to the threshold)."""
    known = state.districts.get(case.district)
    tally = known.counting(case) if known else DistrictTally.of(case)
    return state.model_copy(
        update={
            "complaints": state.complaints + 1,
            "earliest": min(state.earliest or case, case, key=in_time_order),
            "districts": {**state.districts, case.district: tally},
            "latest": (*state.latest, case)[-SAMPLE:],
            "cases": state.cases if state.prolific else (*state.cases, case)[: rules.hub_threshold],
        }
    )


def _prolific_outcome(
    counted: TokenState,
    sighting: IdentifierSighted,
    registry: tuple[AlertRaised, ...],
    rules: MatchingRules,
    now: datetime,
) -> Outcome:
    """Past the threshold: the new complaint's district is told at once, the others by digest;
    operators' alert is raised again with the count as it spreads (at each new district, and
    each time the count grows by a tenth)."""
    case, identifier = sighting.case, sighting.identifier
    footprint = counted.footprint()  # the same for every alert below: only counting changes it
    alerts = [_prolific_alert(identifier, case, counted, footprint, now)]
    state, news = _noted_for_digest(counted, case, sighting.received_at, rules)
    if news is not None and (
        digest := _digest_alert(identifier, case, state, footprint, news, rules, now)
    ):
        alerts.append(digest)
    alerts += registry
    first, new_district = counted.digest is None, counted.districts[case.district].complaints == 1
    if first:  # a prolific row keeps its first complaint, not the first `hub_threshold`
        state = state.model_copy(update={"cases": state.cases[:1]})
    if first or new_district or state.complaints * 10 >= state.operators_told * 11:
        alerts.append(_hub_alert(identifier, state, footprint, rules, now, first=first))
        state = state.model_copy(update={"operators_told": state.complaints})
    return Outcome(state, tuple(alerts))


def _noted_for_digest(
    state: TokenState, case: CaseRef, received_at: datetime, rules: MatchingRules
) -> tuple[TokenState, DigestMark | None]:
    """Add the complaint to the news since the last digest; if a digest is due now (the first
    complaint past the threshold, a new state, or a digest period gone by), the digest to send
    and the state with the news cleared."""
    first = state.digest is None
    mark = state.digest or DigestMark(states=_states(tuple(state.districts)))
    new_district = state.districts[case.district].complaints == 1
    news = mark.model_copy(
        update={
            "since": mark.since + 1,
            "new_districts": (*mark.new_districts, case.district)
            if new_district
            else mark.new_districts,
        }
    )
    period_over = mark.last_at is not None and received_at - mark.last_at >= rules.digest_period
    if not (first or case.state not in mark.states or period_over):
        return state.model_copy(update={"digest": news}), None
    cleared = DigestMark(
        sent=mark.sent + 1, last_at=received_at, states=_states(tuple(state.districts))
    )
    return state.model_copy(update={"digest": cleared}), news


def _generic_outcome(state: TokenState, decision: GenericValueDecided, now: datetime) -> Outcome:
    """Marked generic: every district it linked is told the link was a generic value, and
    operators get the decision on record. Withdrawn: on record, and it links again."""
    identifier = decision.identifier
    facts = ReasonFacts(
        decided_by=decision.decided_by, decided_on=decision.decided_at, note=decision.reason
    )
    if not decision.generic:
        record = _decision_record("generic_value_withdrawn", facts, decision, now)
        return Outcome(state.model_copy(update={"generic": None}), (record,))
    mark = GenericMark(
        decision_id=decision.decision_id,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        reason=decision.reason,
    )
    marked = state.model_copy(update={"generic": mark})
    notices = _generic_notices(identifier, marked, mark, now) if state.complaints > 1 else ()
    told = facts.model_copy(update={"districts_told": len(notices)})
    record = _decision_record("generic_value_decided", told, decision, now)
    return Outcome(marked, (*notices, record))


def _decision_record(
    rule: str, facts: ReasonFacts, decision: GenericValueDecided, now: datetime
) -> AlertRaised:
    """The operators' record of a decision: who made it, when, why (one per decision)."""
    return _alert(
        "generic_value",
        rule,
        facts,
        decision.identifier,
        now,
        key=(decision.decision_id,),
        trigger=None,
        cases=(),
        operators=True,
    )


def _generic_notices(
    identifier: IdentifierRef, state: TokenState, mark: GenericMark, now: datetime
) -> tuple[AlertRaised, ...]:
    """To each district whose complaints it linked: that link was a generic value."""
    footprint = state.footprint()
    return tuple(
        _generic_notice(identifier, footprint, district, state.districts[district], mark, now)
        for district in footprint.districts
    )


def _generic_notice(
    identifier: IdentifierRef,
    footprint: Footprint,
    district: str,
    tally: DistrictTally,
    mark: GenericMark,
    now: datetime,
) -> AlertRaised:
    facts = _spread_facts(footprint).model_copy(
        update={
            "your_complaints": tally.complaints,
            "first_complaint_id": tally.first_id,
            "decided_on": mark.decided_at,
            "note": mark.reason,
        }
    )
    return _alert(
        "generic_value",
        "generic_value",
        facts,
        identifier,
        now,
        key=(mark.decision_id, district),
        trigger=None,
        cases=(tally.first(district),),
        footprint=footprint,
    )


def _registry_outcome(
    state: TokenState, entry: RegistryEntryAdded, now: datetime
) -> Outcome | None:
    if entry.identifier.never_links or entry.registry in state.registry:
        return None
    updated = state.model_copy(update={"registry": (*state.registry, entry.registry)})
    if state.registry:  # those complaints were alerted already
        return Outcome(updated)
    if len(state.cases) < state.complaints:  # one per district: the row lists not them all
        return Outcome(updated, _registry_alerts_by_district(entry.identifier, updated, now))
    alerts = tuple(
        _registry_alert(entry.identifier, case, updated.registry, now) for case in state.cases
    )
    return Outcome(updated, alerts)


def _matching_cases(
    known: tuple[CaseRef, ...], case: CaseRef, identifier: IdentifierRef, rules: MatchingRules
) -> tuple[CaseRef, ...]:
    """Earlier complaints this one matches: all of them, or for a weak identifier those seen
    close in time (when the identifier was observed, else when the complaint was registered)."""
    if identifier.strength is Strength.STRONG:
        return known
    window = rules.weak_window
    return tuple(k for k in known if abs(k.seen_at - case.seen_at) <= window)


def _alert(
    kind: AlertKind,
    rule: str,
    facts: ReasonFacts,
    identifier: IdentifierRef,
    now: datetime,
    *,
    key: tuple[str, ...],
    trigger: CaseRef | None,
    cases: tuple[CaseRef, ...],
    registry: tuple[RegistryRef, ...] = (),
    operators: bool = False,
    footprint: Footprint | None = None,
    recipients: tuple[str, ...] | None = None,
) -> AlertRaised:
    return AlertRaised(
        alert_id=stable_id(kind, identifier.token, *key),
        kind=kind,
        rule=rule,
        reason=word(rule, identifier, facts, translator("en")),
        facts=facts,
        audience="operators" if operators else "districts",
        raised_at=now,
        identifier=identifier,
        trigger=trigger,
        cases=cases,
        registry=registry,
        footprint=footprint,
        recipients=recipients,
    )


def _shared_alert(
    identifier: IdentifierRef,
    case: CaseRef,
    earlier: tuple[CaseRef, ...],
    state: TokenState,
    rules: MatchingRules,
    now: datetime,
) -> AlertRaised:
    cases = (*earlier, case)
    facts = ReasonFacts(
        complaints=len(cases), districts=tuple(dict.fromkeys(c.district for c in cases))
    )
    rule = "shared_identifier"
    if identifier.strength is Strength.WEAK:
        rule = "weak_identifier_within_window"
        facts = facts.model_copy(update={"weak": True, "window_hours": _hours(rules.weak_window)})
    return _case_alert(rule, facts, identifier, case, cases, state, state.footprint(), now)


def _recycled_alert(
    identifier: IdentifierRef,
    case: CaseRef,
    before: tuple[CaseRef, ...],
    state: TokenState,
    window: timedelta,
    now: datetime,
) -> AlertRaised:
    """A lead, not a link: complaints naming the number with a longer gap than its recycling
    window between them and this one's run, so possibly about a later holder of the number."""
    cases = (*before, case)
    facts = ReasonFacts(
        complaints=len(cases),
        districts=tuple(dict.fromkeys(c.district for c in cases)),
        weak=True,
        recycling_days=window.days,
    )
    rule = "possibly_recycled_number"
    key = ("recycled", *case.key)
    return _case_alert(rule, facts, identifier, case, cases, state, state.footprint(), now, key=key)


def _case_alert(
    rule: str,
    facts: ReasonFacts,
    identifier: IdentifierRef,
    case: CaseRef,
    cases: tuple[CaseRef, ...],
    state: TokenState,
    footprint: Footprint,
    now: datetime,
    recipients: tuple[str, ...] | None = None,
    key: tuple[str, ...] | None = None,
) -> AlertRaised:
    """A shared-identifier alert raised by one complaint: its id is the complaint's (and the
    kind of lead, for one of two alerts the complaint raises)."""
    return _alert(
        "shared_identifier",
        rule,
        facts,
        identifier,
        now,
        key=key or case.key,
        trigger=case,
        cases=cases,
        registry=state.registry,
        footprint=footprint,
        recipients=recipients,
    )


def _hours(period: timedelta) -> float:
    return period.total_seconds() / 3600


def _prolific_alert(
    identifier: IdentifierRef,
    case: CaseRef,
    state: TokenState,
    footprint: Footprint,
    now: datetime,
) -> AlertRaised:
    """To the district of a complaint naming a prolific identifier: how far it has spread, the
    earliest complaint (whom to call first) and the registry status."""
    earliest = footprint.earliest
    facts = _spread_facts(footprint, state).model_copy(
        update={
            "complaint_id": case.complaint_id,
            "district": case.district,
            "earlier": earliest,
            "weak": identifier.strength is Strength.WEAK,
        }
    )
    cases = (earliest,) if earliest.key == case.key else (earliest, case)
    told = (case.district,)
    return _case_alert(
        "prolific_identifier", facts, identifier, case, cases, state, footprint, now, told
    )


def _digest_alert(
    identifier: IdentifierRef,
    case: CaseRef,
    state: TokenState,
    footprint: Footprint,
    news: DigestMark,
    rules: MatchingRules,
    now: datetime,
) -> AlertRaised | None:
    """To every district already involved but the new complaint's (told by its own alert):
    what is new since the last digest. Lists each district's first complaint and the latest
    new ones; the counts are exact. None when no other district is involved."""
    recipients = tuple(d for d in footprint.districts if d != case.district)
    if not recipients:
        return None
    latest = state.latest[-min(news.since, SAMPLE) :]  # the news, or its latest SAMPLE
    facts = _spread_facts(footprint, state).model_copy(
        update={
            "threshold": rules.hub_threshold if news.sent == 0 else None,
            "new_complaints": news.since,
            "new_districts": news.new_districts,
            "new_states": tuple(sorted({c.state for c in latest} - set(news.states))),
            "period_hours": _hours(rules.digest_period),
        }
    )
    firsts = tuple(state.districts[d].first(d) for d in recipients)
    cases = _unique((*firsts, *latest))
    return _alert(
        "shared_identifier",
        "prolific_identifier_digest",
        facts,
        identifier,
        now,
        key=("digest", *case.key),  # the complaint that sent it: a rebuilt count cannot repeat it
        trigger=case,
        cases=cases,
        registry=state.registry,
        footprint=footprint,
        recipients=recipients,
    )


def _registry_alert(
    identifier: IdentifierRef, case: CaseRef, registry: tuple[RegistryRef, ...], now: datetime
) -> AlertRaised:
    facts = ReasonFacts(
        complaint_id=case.complaint_id, district=case.district, registry=_sources(registry)
    )
    return _alert(
        "registry_hit",
        "registry_hit",
        facts,
        identifier,
        now,
        key=case.key,
        trigger=case,
        cases=(case,),
        registry=registry,
    )


def _registry_alerts_by_district(
    identifier: IdentifierRef, state: TokenState, now: datetime
) -> tuple[AlertRaised, ...]:
    """A prolific identifier entered the registry: each district with complaints naming it is
    told once, with its count and first complaint."""
    alerts, footprint = [], state.footprint()
    for district in footprint.districts:
        tally = state.districts[district]
        facts = _spread_facts(footprint, state).model_copy(
            update={"your_complaints": tally.complaints, "first_complaint_id": tally.first_id}
        )
        alerts.append(
            _alert(
                "registry_hit",
                "registry_hit",
                facts,
                identifier,
                now,
                key=("district", district),
                trigger=None,
                cases=(tally.first(district),),
                registry=state.registry,
                footprint=footprint,
            )
        )
    return tuple(alerts)


def _hub_alert(
    identifier: IdentifierRef,
    state: TokenState,
    footprint: Footprint,
    rules: MatchingRules,
    now: datetime,
    *,
    first: bool,
) -> AlertRaised:
    """The operators' alert on a prolific identifier: one id, raised again as its count grows,
    which the notifier keeps as one updated entry."""
    facts = _spread_facts(footprint, state).model_copy(update={"threshold": rules.hub_threshold})
    # Its rule tells the identifier passing the threshold from the updates of its count.
    rule = "hub_identifier" if first else "hub_identifier_count"
    return _alert(
        "hub_identifier",
        rule,
        facts,
        identifier,
        now,
        key=(),
        trigger=None,
        cases=state.latest,
        operators=True,
        footprint=footprint,
    )


def _spread_facts(footprint: Footprint, state: TokenState | None = None) -> ReasonFacts:
    """How far an identifier has spread, and its registry entries, as an alert states them."""
    return ReasonFacts(
        complaints=footprint.complaints,
        districts=footprint.districts,
        states=footprint.states,
        registry=_sources(state.registry) if state is not None else (),
    )


def _sources(registry: tuple[RegistryRef, ...]) -> tuple[str, ...]:
    return tuple(f"{entry.source} {entry.reference}" for entry in registry)


def _states(districts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({state_of(district) for district in districts}))


def _unique(cases: tuple[CaseRef, ...]) -> tuple[CaseRef, ...]:
    return tuple({case.key: case for case in cases}.values())
