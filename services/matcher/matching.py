"""Where a match is decided. Pure: given an identifier's state and an event, what happens.

Every rule is a function of (state, event) that returns the identifier's new state and the
alerts to raise. Alert ids depend only on the identifier and the complaint concerned, never on
time or arrival order, so re-processing an event after a crash raises the same ids again, and
a registry hit has the same id whichever of complaint and registry entry arrived first.
`docs/matching.md` describes each rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from schemas.events import (
    AlertKind,
    AlertRaised,
    CaseRef,
    ComplaintsLinked,
    IdentifierRef,
    IdentifierSighted,
    RegistryEntryAdded,
    RegistryRef,
)
from schemas.identifiers import Strength
from schemas.pseudonyms import stable_id


@dataclass(frozen=True)
class MatchingRules:
    """The matcher's settings, passed in so the rules stay pure."""

    hub_threshold: int = 25
    weak_window: timedelta = timedelta(hours=24)


class TokenState(BaseModel):
    """What the matcher remembers about one identifier token (one table row)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cases: tuple[CaseRef, ...] = ()
    complaints: int = 0  # distinct complaints, counted on past the hub threshold
    registry: tuple[RegistryRef, ...] = ()
    hub: bool = False


@dataclass(frozen=True)
class Outcome:
    state: TokenState
    alerts: tuple[AlertRaised, ...] = ()
    links: tuple[ComplaintsLinked, ...] = ()


def on_sighting(
    state: TokenState, sighting: IdentifierSighted, *, rules: MatchingRules, now: datetime
) -> Outcome | None:
    """A complaint named the identifier. None when nothing changes (benign, or seen before)."""
    return _caused_by(_sighting_outcome(state, sighting, rules, now), sighting.received_at)


def on_registry_entry(
    state: TokenState, entry: RegistryEntryAdded, *, now: datetime
) -> Outcome | None:
    """The identifier entered the suspect registry: alert every complaint that already named it."""
    return _caused_by(_registry_outcome(state, entry, now), entry.added_at)


def _caused_by(outcome: Outcome | None, received_at: datetime) -> Outcome | None:
    """Stamp alerts and links with when crosslink received what caused them (for latency)."""
    if outcome is None:
        return None
    stamp = {"received_at": received_at}
    return Outcome(
        outcome.state,
        tuple(alert.model_copy(update=stamp) for alert in outcome.alerts),
        tuple(link.model_copy(update=stamp) for link in outcome.links),
    )


def _sighting_outcome(
    state: TokenState, sighting: IdentifierSighted, rules: MatchingRules, now: datetime
) -> Outcome | None:
    case, identifier = sighting.case, sighting.identifier
    if identifier.benign or any(known.key == case.key for known in state.cases):
        return None
    counted = state.model_copy(update={"complaints": state.complaints + 1})
    if state.hub:
        return Outcome(counted)
    if counted.complaints > rules.hub_threshold:
        hub = counted.model_copy(update={"hub": True})
        return Outcome(hub, (_hub_alert(identifier, counted, rules, now),))
    earlier = _matching_cases(state.cases, case, identifier, rules)
    alerts: list[AlertRaised] = []
    if earlier:
        alerts.append(_shared_alert(identifier, case, earlier, rules, now))
    if state.registry:
        alerts.append(_registry_alert(identifier, case, state.registry, now))
    updated = counted.model_copy(update={"cases": (*state.cases, case)})
    return Outcome(updated, tuple(alerts), _links(identifier, earlier, case))


def _links(
    identifier: IdentifierRef, earlier: tuple[CaseRef, ...], case: CaseRef
) -> tuple[ComplaintsLinked, ...]:
    """Links for clustering: earlier complaints of a strong identifier are already one cluster,
    so one link joins the new complaint to it; a weak one's matches may not be, so each links."""
    targets = earlier[:1] if identifier.strength is Strength.STRONG else earlier
    return tuple(
        ComplaintsLinked(
            link_id=stable_id("link", identifier.token, *target.key, *case.key),
            identifier=identifier,
            earlier=target,
            later=case,
        )
        for target in targets
    )


def _registry_outcome(
    state: TokenState, entry: RegistryEntryAdded, now: datetime
) -> Outcome | None:
    if entry.identifier.benign or entry.registry in state.registry:
        return None
    updated = state.model_copy(update={"registry": (*state.registry, entry.registry)})
    if state.registry or state.hub:  # those complaints were alerted already, or it is a hub
        return Outcome(updated)
    alerts = tuple(
        _registry_alert(entry.identifier, case, updated.registry, now) for case in state.cases
    )
    return Outcome(updated, alerts)


def _matching_cases(
    known: tuple[CaseRef, ...], case: CaseRef, identifier: IdentifierRef, rules: MatchingRules
) -> tuple[CaseRef, ...]:
    """Earlier complaints this one matches: all of them, or for a weak identifier the close ones."""
    if identifier.strength is Strength.STRONG:
        return known
    window = rules.weak_window
    return tuple(k for k in known if abs(k.registered_at - case.registered_at) <= window)


def _alert(
    kind: AlertKind, rule: str, reason: str, identifier: IdentifierRef, now: datetime,
    *, key: tuple[str, ...], trigger: CaseRef | None, cases: tuple[CaseRef, ...],
    registry: tuple[RegistryRef, ...] = (), operators: bool = False,
) -> AlertRaised:  # fmt: skip
    return AlertRaised(
        alert_id=stable_id(kind, identifier.token, *key),
        kind=kind,
        rule=rule,
        reason=reason,
        audience="operators" if operators else "districts",
        raised_at=now,
        identifier=identifier,
        trigger=trigger,
        cases=cases,
        registry=registry,
    )


def _shared_alert(
    identifier: IdentifierRef,
    case: CaseRef,
    earlier: tuple[CaseRef, ...],
    rules: MatchingRules,
    now: datetime,
) -> AlertRaised:
    cases = (*earlier, case)
    districts = ", ".join(dict.fromkeys(c.district for c in cases))
    reason = (
        f"The same {identifier.type.value} {identifier.masked} was named in "
        f"{len(cases)} complaints ({districts})."
    )
    rule = "shared_identifier"
    if identifier.strength is Strength.WEAK:
        rule = "weak_identifier_within_window"
        hours = rules.weak_window.total_seconds() / 3600
        reason += (
            f" They were registered within {hours:g} hours of each other. This identifier is "
            "weak (shared by many people): treat the link as a lead to check, not a fact."
        )
    return _alert("shared_identifier", rule, reason, identifier, now,
                  key=case.key, trigger=case, cases=cases)  # fmt: skip


def _registry_alert(
    identifier: IdentifierRef, case: CaseRef, registry: tuple[RegistryRef, ...], now: datetime
) -> AlertRaised:
    sources = "; ".join(f"{entry.source} {entry.reference}" for entry in registry)
    reason = (
        f"The {identifier.type.value} {identifier.masked} named in complaint "
        f"{case.complaint_id} is in the suspect registry ({sources})."
    )
    return _alert("registry_hit", "registry_hit", reason, identifier, now,
                  key=case.key, trigger=case, cases=(case,), registry=registry)  # fmt: skip


def _hub_alert(
    identifier: IdentifierRef, state: TokenState, rules: MatchingRules, now: datetime
) -> AlertRaised:
    reason = (
        f"The {identifier.type.value} {identifier.masked} has been named in more than "
        f"{rules.hub_threshold} complaints, so crosslink stopped alerting districts about it "
        "case by case. Check whether it is a shared or public value (then add it to the benign "
        "list) or the identifier of a large operation."
    )
    return _alert("hub_identifier", "hub_identifier", reason, identifier, now,
                  key=(), trigger=None, cases=state.cases, operators=True)  # fmt: skip
