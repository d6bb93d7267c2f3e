"""crosslink's pure rules run in order in memory: intake turning bodies into events, the
matcher's matching and clustering. For tests that hold them to the oracle without Kafka."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.api import ArrestSubmission, ComplaintSubmission, RegistryEntrySubmission
from schemas.events import AlertRaised
from schemas.pseudonyms import PseudonymKey
from services.intake.arrests import arrest_recorded
from services.intake.complaints import complaint_filed, sightings_for
from services.intake.registry import registry_events_for
from services.matcher.arrests import on_arrest_recorded
from services.matcher.clustering import on_complaint_filed
from services.matcher.matching import (
    MatchingRules,
    Outcome,
    TokenState,
    on_registry_entry,
    on_sighting,
)


class PureRules:
    """One matcher's tables as dicts, fed complaint bodies and registry rows as posted."""

    def __init__(self, rules: MatchingRules, key: PseudonymKey) -> None:
        self.rules, self.key = rules, key
        self.tokens: dict[str, TokenState] = {}
        self.clusters: dict[str, bytes] = {}
        self._filed_offset = -1
        self._now = datetime.now(UTC)

    def post(self, body: Mapping[str, Any]) -> list[AlertRaised]:
        """Every alert the complaint raises: the matcher's for each identifier, then its
        cluster alert."""
        complaint = ComplaintSubmission.model_validate(body)
        sightings = sightings_for(complaint, caller_district=complaint.district, key=self.key,
                                  received_at=self._now)  # fmt: skip
        alerts = [
            alert
            for sighting in sightings
            for alert in self._apply(
                sighting.identifier.token,
                lambda state, s=sighting: on_sighting(state, s, rules=self.rules, now=self._now),
            )
        ]
        self._filed_offset += 1
        filed = complaint_filed(sightings)
        cluster_alert = on_complaint_filed(self.clusters, filed, offset=self._filed_offset,
                                           rules=self.rules, now=self._now)  # fmt: skip
        return alerts + ([cluster_alert] if cluster_alert else [])

    def arrest(self, arrest_id: str, body: Mapping[str, Any]) -> list[AlertRaised]:
        """The alerts an arrest (or a new state of one) raises, in one order with complaints."""
        submission = ArrestSubmission.model_validate(body)
        event, _ = arrest_recorded(submission, arrest_id=arrest_id,
                                   caller_district=submission.district, recorded_by="key:test",
                                   key=self.key, received_at=self._now)  # fmt: skip
        self._filed_offset += 1
        return on_arrest_recorded(self.clusters, event, offset=self._filed_offset,
                                  rules=self.rules, now=self._now)  # fmt: skip

    def register(self, row: Mapping[str, str]) -> list[AlertRaised]:
        entry = RegistryEntrySubmission.model_validate(row)
        return [
            alert
            for added in registry_events_for(entry, key=self.key, added_at=self._now)
            for alert in self._apply(
                added.identifier.token,
                lambda state, a=added: on_registry_entry(state, a, now=self._now),
            )
        ]

    def _apply(self, token: str, rule: Any) -> list[AlertRaised]:
        outcome: Outcome | None = rule(self.tokens.get(token, TokenState()))
        if outcome is None:
            return []
        self.tokens[token] = outcome.state
        return list(outcome.alerts)
