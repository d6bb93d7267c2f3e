"""The matcher's sighting rule as the like-for-like loop and the Quix Streams peer run it:
crosslink's own `on_sighting` on crosslink's own `TokenState` row, and the same record of the
offset that counted each (token, complaint), so each baseline raises the same alerts, with the
same ids, and keeps the same rows as the matcher for the same sightings.

Imports only crosslink's models and rules (pydantic, Babel, PyYAML, phonenumbers,
pycryptodome): the Quix Streams peer runs it in its own virtual environment, where faust and
aiokafka are not installed (bench/quix/requirements.in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.events import AlertRaised, IdentifierSighted
from services.matcher.matching import MatchingRules, TokenState, on_sighting

Read = Callable[[str], str | bytes | None]


@dataclass(frozen=True)
class Applied:
    """What one sighting changed: the rows to write (key, JSON text) and the alerts to raise."""

    writes: tuple[tuple[str, str], ...] = ()
    alerts: tuple[AlertRaised, ...] = ()


@dataclass(frozen=True)
class SightingRule:
    rules: MatchingRules = field(default_factory=MatchingRules)

    def apply(self, value: bytes, offset: int, read: Read) -> Applied:
        """Apply the sighting in `value`, read at `offset`, to the rows `read` gives: the token's
        row under the token, and under "token/district/complaint id" the offset that counted
        that complaint for it (the matcher's guard against a complaint posted twice)."""
        sighting = IdentifierSighted.model_validate_json(value)
        token = sighting.identifier.token
        counted = "/".join((token, *sighting.case.key))
        counted_at = read(counted)
        if counted_at is not None and int(counted_at) != offset:  # the complaint posted again
            return Applied()
        row = read(token)
        state = TokenState() if row is None else TokenState.model_validate_json(row)
        outcome = on_sighting(state, sighting, rules=self.rules, now=datetime.now(UTC))
        if outcome is None:
            return Applied()
        writes = ((counted, str(offset)), (token, outcome.state.model_dump_json()))
        return Applied(writes, outcome.alerts)
