"""The oracle states the matching rules; the matcher's pure rules, run in order, agree with it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from crosslink.oracle import Expectation, Tally, expected, gangs_not_held_whole, tally
from crosslink.synthetic import complaint_stream, registry_rows
from schemas.api import ComplaintSubmission, RegistryEntrySubmission
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.intake.registry import registry_events_for
from services.matcher.matching import MatchingRules, TokenState, on_registry_entry, on_sighting
from tests.builders import complaint_body

KEY = IntakeSettings().pseudonym()
PHONE, OTHER_PHONE, UPI = "9876543210", "9123456780", "gang.boss@ybl"


def oracle(
    *complaints: dict[str, Any], registry: tuple[dict[str, str], ...] = (), hub: int = 25
) -> Expectation:
    return expected(complaints, registry, key=KEY, hub_threshold=hub)


def test_two_complaints_sharing_a_phone_owe_one_alert_to_both_districts() -> None:
    first = complaint_body("MH-PUN", ("phone", PHONE), complaint_id="P1")
    second = complaint_body("MP-BPL", ("phone", f"+91 {PHONE}"), complaint_id="B1")

    result = oracle(first, second)

    (alert,) = result.alerts.values()
    assert (alert.kind, alert.districts, alert.trigger) == (
        "shared_identifier", frozenset({"MH-PUN", "MP-BPL"}), ("MP-BPL", "B1"),
    )  # fmt: skip
    assert result.clusters == [frozenset({("MH-PUN", "P1"), ("MP-BPL", "B1")})]


def test_a_chain_of_shared_identifiers_is_one_cluster() -> None:
    a = complaint_body("MH-PUN", ("phone", PHONE), complaint_id="A")
    b = complaint_body("MP-BPL", ("phone", PHONE), ("upi", UPI), complaint_id="B")
    c = complaint_body("WB-KOL", ("upi", UPI), complaint_id="C")

    assert oracle(a, b, c).cluster_of(("MH-PUN", "A")) == {
        ("MH-PUN", "A"), ("MP-BPL", "B"), ("WB-KOL", "C"),
    }  # fmt: skip


def test_past_the_hub_threshold_only_operators_hear_of_an_identifier() -> None:
    complaints = [
        complaint_body("MH-PUN", ("phone", PHONE), complaint_id=f"H{n}") for n in range(5)
    ]

    result = oracle(*complaints, hub=3)

    assert (
        sorted(a.kind for a in result.alerts.values())
        == ["hub_identifier"] + ["shared_identifier"] * 2
    )
    (hub,) = (a for a in result.alerts.values() if a.kind == "hub_identifier")
    assert hub.districts == frozenset()
    assert result.cluster_of(("MH-PUN", "H4")) == {("MH-PUN", "H4")}


def test_a_registry_identifier_alerts_each_complaint_that_names_it() -> None:
    row = {"type": "phone", "value": PHONE, "source": "NCRP", "reference": "NCRP-1"}
    complaint = complaint_body("JH-JAM", ("phone", PHONE), complaint_id="J1")

    (alert,) = oracle(complaint, registry=(row,)).alerts.values()

    assert (alert.kind, alert.districts) == ("registry_hit", frozenset({"JH-JAM"}))


def test_weak_identifiers_link_only_within_the_window_and_benign_ones_never() -> None:
    near = complaint_body(
        "MH-PUN", ("ip", "103.21.4.9"), ("phone", "1930"), registered_at="2026-11-20T10:00:00+05:30"
    )
    close = complaint_body(
        "MP-BPL", ("ip", "103.21.4.9"), ("phone", "1930"), registered_at="2026-11-20T20:00:00+05:30"
    )
    far = complaint_body("WB-KOL", ("ip", "103.21.4.9"), registered_at="2026-11-25T10:00:00+05:30")

    alerts = oracle(near, close, far).alerts.values()

    assert [(a.kind, a.trigger) for a in alerts] == [
        ("shared_identifier", ("MP-BPL", close["complaint_id"]))
    ]


def test_the_matchers_rules_run_in_order_raise_exactly_the_oracles_alerts() -> None:
    complaints = list(itertools.islice(complaint_stream(seed=5, gangs=20, overlap=0.7), 2000))
    registry = registry_rows(seed=5, gangs=20)
    rules = MatchingRules(hub_threshold=10)

    raised = _run_matching_rules(complaints, registry, rules)

    owed = expected(complaints, registry, key=KEY, hub_threshold=10)
    assert len(owed.ids("shared_identifier")) > 500
    assert len(owed.ids("registry_hit")) > 50
    assert len(owed.ids("hub_identifier")) > 5
    assert raised == owed.ids()


def _run_matching_rules(
    complaints: list[dict[str, Any]], registry: list[dict[str, str]], rules: MatchingRules
) -> set[str]:
    """Registry first, then complaints, through the pure rules with an in-memory table."""
    now, table, raised = datetime.now(UTC), dict[str, TokenState](), set[str]()
    for row in registry:
        for entry in registry_events_for(
            RegistryEntrySubmission.model_validate(row), key=KEY, added_at=now
        ):
            outcome = on_registry_entry(
                table.get(entry.identifier.token, TokenState()), entry, now=now
            )
            if outcome:
                table[entry.identifier.token] = outcome.state
                raised |= {alert.alert_id for alert in outcome.alerts}
    for body in complaints:
        complaint = ComplaintSubmission.model_validate(body)
        for sighting in sightings_for(
            complaint, caller_district=complaint.district, key=KEY, received_at=now
        ):
            token = sighting.identifier.token
            outcome = on_sighting(table.get(token, TokenState()), sighting, rules=rules, now=now)
            if outcome:
                table[token] = outcome.state
                raised |= {alert.alert_id for alert in outcome.alerts}
    return raised


def test_a_tally_counts_lost_misrouted_and_doubled_deliveries() -> None:
    owed = {("a1", "MH-PUN"), ("a1", "MP-BPL"), ("a2", "WB-KOL")}
    processed = [("a1", "MH-PUN"), ("a1", "MH-PUN"), ("a1", "JH-JAM"), ("a2", "WB-KOL")]

    assert tally(owed, processed) == Tally(
        expected=3, delivered=2, lost=1, misrouted=1, duplicated=1
    )
    assert not tally(owed, processed).clean
    assert tally(owed, sorted(owed)).clean


def test_a_gang_is_held_whole_only_by_one_cluster_of_exactly_its_complaints() -> None:
    pune, bhopal, kolkata, ranchi = (
        ("MH-PUN", "1"),
        ("MP-BPL", "2"),
        ("WB-KOL", "3"),
        ("JH-RAN", "4"),
    )
    gangs = [frozenset({pune, bhopal, kolkata}), frozenset({ranchi, ("JH-RAN", "5")})]
    whole = (3, [pune, bhopal, kolkata])

    assert gangs_not_held_whole(gangs, [whole, (2, [ranchi])]) == []  # listing only the latest
    lost_link = [(2, [pune, bhopal]), (2, [ranchi])]
    assert gangs_not_held_whole(gangs, lost_link) == [gangs[0]]
    assert gangs_not_held_whole(gangs, [(5, [pune, ranchi])]) == gangs  # a wrong link joins two
