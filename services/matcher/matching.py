"""Where a match is decided. Pure: given a sighting and the cases already seen, what happens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.events import AlertRaised, CaseRef, IdentifierSighted
from schemas.pseudonyms import stable_id


@dataclass(frozen=True)
class Decision:
    """The cases now known for the identifier, and the alert to raise (if any)."""

    cases: tuple[CaseRef, ...]
    alert: AlertRaised | None


def decide(
    sighting: IdentifierSighted, known: Sequence[CaseRef], *, now: datetime
) -> Decision | None:
    """None if there is nothing to do; else the identifier's new state and any alert.

    Nothing is done for a benign identifier (helplines, customer care: they never link
    complaints) or for a complaint already seen with this identifier.

    A complaint that shares the identifier with earlier complaints raises one alert naming
    them all. Its id depends only on the identifier and the complaint that triggered it, so
    re-processing the same sighting after a crash yields the same alert id again.
    """
    if sighting.identifier.benign or any(case.key == sighting.case.key for case in known):
        return None
    cases = (*known, sighting.case)
    if not known:
        return Decision(cases=cases, alert=None)
    alert = AlertRaised(
        alert_id=stable_id(
            "alert", sighting.identifier.token, sighting.case.district, sighting.case.complaint_id
        ),
        raised_at=now,
        identifier=sighting.identifier,
        trigger=sighting.case,
        cases=cases,
    )
    return Decision(cases=cases, alert=alert)
