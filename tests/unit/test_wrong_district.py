"""No alert reaches a district that is not involved, and none tells a district more than the
matched cases (or, for a cluster alert, the gang's): random complaints with random overlaps,
through the matcher's pure rules and the notifier's routing (issue 9, scenario 9, at the level
of pure logic)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crosslink.directory import District, DistrictsDirectory, Webhook
from harness.oracle import expected
from schemas.api import ComplaintSubmission
from schemas.events import AlertRaised
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.matcher.matching import MatchingRules
from services.notifier.routing import deliveries_for, webhook_body
from tests.pure_rules import PureRules

KEY = IntakeSettings().pseudonym()
DISTRICTS = ("MH-PUN", "MP-BPL", "WB-KOL", "RJ-ALW", "JH-JAM", "KA-BLR")
PHONES = tuple(f"98765432{n:02d}" for n in range(8))
UPIS = tuple(f"gang{n}@ybl" for n in range(4))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DIRECTORY = DistrictsDirectory(
    districts=tuple(
        District(code=code, name=code, state=code[:2],
                 webhook=Webhook.model_validate({"url": f"http://x/{code}", "secrets": [SECRET]}))
        for code in DISTRICTS
    )
)  # fmt: skip
RULES = MatchingRules(hub_threshold=6)

identifier = st.one_of(
    st.sampled_from(PHONES).map(lambda value: {"type": "phone", "value": value}),
    st.sampled_from(UPIS).map(lambda value: {"type": "upi", "value": value}),
)


def _complaint(n: int, district: str, identifiers: list[dict[str, str]]) -> dict[str, Any]:
    return {"complaint_id": f"C{n:03d}", "district": district, "police_station": "PS",
            "registered_at": "2026-11-20T10:00:00+05:30", "identifiers": identifiers}  # fmt: skip


complaints = st.lists(
    st.tuples(st.sampled_from(DISTRICTS), st.lists(identifier, min_size=1, max_size=3)),
    min_size=1,
    max_size=30,
).map(lambda drawn: [_complaint(n, *complaint) for n, complaint in enumerate(drawn)])


@settings(max_examples=150, deadline=None)
@given(complaints)
def test_each_alert_reaches_only_the_districts_whose_complaints_hold_the_identifier(
    bodies: list[dict[str, Any]],
) -> None:
    holders: dict[str, set[tuple[str, str]]] = defaultdict(set)  # token -> complaints naming it
    alerts = _raise(bodies, holders)
    owed = expected(bodies, key=KEY, hub_threshold=RULES.hub_threshold)

    delivered: set[tuple[str, str]] = set()
    for alert in alerts:
        for delivery in deliveries_for(alert, DIRECTORY, email_enabled=False):
            if alert.kind == "cluster_linked":  # the complaints of the trigger's gang
                assert alert.trigger is not None
                named = set(owed.cluster_of(alert.trigger.key))
            else:
                named = holders[alert.about.token]
            assert delivery.district in {district for district, _ in named}
            body = webhook_body(alert, delivery.district, "alert").decode()
            others = {c for district, c in _all_cases(bodies) if (district, c) not in named}
            assert not [c for c in others if f'"{c}"' in body], "another complaint leaked"
            delivered.add((alert.alert_id, delivery.district))

    assert delivered == {
        (a, d) for a, d in owed.deliveries() if owed.alerts[a].kind != "hub_identifier"
    }


def _raise(
    bodies: list[dict[str, Any]], holders: dict[str, set[tuple[str, str]]]
) -> list[AlertRaised]:
    pure, alerts = PureRules(RULES, KEY), list[AlertRaised]()
    for body in bodies:
        complaint = ComplaintSubmission.model_validate(body)
        for sighting in sightings_for(
            complaint, caller_district=complaint.district, key=KEY, received_at=datetime.now(UTC)
        ):
            holders[sighting.identifier.token].add((complaint.district, complaint.complaint_id))
        alerts += [alert for alert in pure.post(body) if alert.audience == "districts"]
    return alerts


def _all_cases(bodies: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(body["district"], body["complaint_id"]) for body in bodies}
