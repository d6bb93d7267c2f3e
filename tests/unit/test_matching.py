"""Where a match is decided: each rule as a function of an identifier's state and an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.events import (
    CaseRef,
    IdentifierRef,
    IdentifierSighted,
    RegistryEntryAdded,
    RegistryRef,
)
from schemas.identifiers import IdentifierType, Strength
from services.matcher.matching import (
    MatchingRules,
    Outcome,
    TokenState,
    on_registry_entry,
    on_sighting,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
RULES = MatchingRules(hub_threshold=3, weak_window=timedelta(hours=24))
PHONE = IdentifierRef(
    type=IdentifierType.PHONE, token="t" * 64, key_id="k1", masked="+91 98•••••210"
)
IP = IdentifierRef(type=IdentifierType.IP, token="i" * 64, key_id="k1", masked="103.21.•.•",
                   strength=Strength.WEAK)  # fmt: skip
REGISTRY = RegistryRef(source="NCRP", reference="R-17")


def case(district: str, complaint_id: str, registered_at: datetime = NOW) -> CaseRef:
    return CaseRef(complaint_id=complaint_id, district=district, police_station="PS",
                   registered_at=registered_at)  # fmt: skip


def sighting(of: CaseRef, identifier: IdentifierRef = PHONE) -> IdentifierSighted:
    return IdentifierSighted(event_id=f"e-{of.complaint_id}", case=of, identifier=identifier,
                             received_at=NOW)  # fmt: skip


def entry(
    registry: RegistryRef = REGISTRY, identifier: IdentifierRef = PHONE
) -> RegistryEntryAdded:
    return RegistryEntryAdded(entry_id="r", identifier=identifier, registry=registry, added_at=NOW)


def sight_all(
    *cases: CaseRef, identifier: IdentifierRef = PHONE
) -> tuple[TokenState, list[Outcome]]:
    """Feed sightings in order; return the final state and every outcome."""
    state, outcomes = TokenState(), []
    for each in cases:
        outcome = on_sighting(state, sighting(each, identifier), rules=RULES, now=NOW)
        assert outcome is not None
        state = outcome.state
        outcomes.append(outcome)
    return state, outcomes


def test_the_first_sighting_of_an_identifier_is_remembered_without_an_alert() -> None:
    state, [first] = sight_all(case("MH-MUM", "1"))

    assert state.cases == (case("MH-MUM", "1"),)
    assert first.alerts == ()


def test_a_second_complaint_with_the_identifier_raises_an_alert_naming_both() -> None:
    mumbai, bhopal = case("MH-MUM", "1"), case("MP-BPL", "1")

    _, [_, second] = sight_all(mumbai, bhopal)

    [alert] = second.alerts
    assert (alert.kind, alert.rule) == ("shared_identifier", "shared_identifier")
    assert alert.cases == (mumbai, bhopal)
    assert alert.trigger == bhopal
    assert alert.districts == ["MH-MUM", "MP-BPL"]
    assert "+91 98•••••210" in alert.reason
    assert "MH-MUM, MP-BPL" in alert.reason


def test_re_processing_a_sighting_already_seen_changes_nothing() -> None:
    state, _ = sight_all(case("MH-MUM", "1"), case("MP-BPL", "1"))

    assert on_sighting(state, sighting(case("MP-BPL", "1")), rules=RULES, now=NOW) is None


def test_the_same_complaint_id_in_another_district_is_another_complaint() -> None:
    _, [_, second] = sight_all(case("MH-MUM", "1"), case("MP-BPL", "1"))

    assert second.alerts


def test_alert_ids_do_not_depend_on_when_the_event_is_processed() -> None:
    state, _ = sight_all(case("MH-MUM", "1"))
    bhopal = sighting(case("MP-BPL", "1"))

    first = on_sighting(state, bhopal, rules=RULES, now=NOW)
    later = on_sighting(state, bhopal, rules=RULES, now=NOW + timedelta(days=30))

    assert first
    assert later
    assert [a.alert_id for a in first.alerts] == [a.alert_id for a in later.alerts]


def test_a_benign_identifier_never_links_complaints() -> None:
    helpline = PHONE.model_copy(update={"benign": True})
    known = TokenState(cases=(case("MH-MUM", "1"),), complaints=1)

    assert (
        on_sighting(TokenState(), sighting(case("MH-MUM", "1"), helpline), rules=RULES, now=NOW)
        is None
    )
    assert on_sighting(known, sighting(case("MP-BPL", "1"), helpline), rules=RULES, now=NOW) is None


def test_past_the_hub_threshold_one_operator_alert_replaces_per_case_alerts() -> None:
    cases = [case("MH-MUM", str(n)) for n in range(6)]

    state, outcomes = sight_all(*cases)

    [hub] = outcomes[3].alerts  # the 4th distinct complaint crosses a threshold of 3
    assert (hub.kind, hub.audience, hub.districts) == ("hub_identifier", "operators", [])
    assert "more than 3 complaints" in hub.reason
    assert [o.alerts for o in outcomes[4:]] == [(), ()]
    assert state.hub
    assert state.complaints == 6
    assert len(state.cases) == 3  # a hub's cases are not kept beyond the threshold


def test_a_weak_identifier_matches_only_within_the_window() -> None:
    early = case("MH-MUM", "1", NOW)
    close = case("MP-BPL", "2", NOW + timedelta(hours=20))
    far = case("WB-KOL", "3", NOW + timedelta(hours=60))

    _, [_, second, third] = sight_all(early, close, far, identifier=IP)

    [alert] = second.alerts
    assert alert.rule == "weak_identifier_within_window"
    assert "weak" in alert.reason
    assert third.alerts == ()


def test_a_complaint_naming_a_registry_identifier_raises_a_registry_hit_to_its_district() -> None:
    registered = on_registry_entry(TokenState(), entry(), now=NOW)
    assert registered is not None
    assert registered.alerts == ()

    hit = on_sighting(registered.state, sighting(case("MP-BPL", "1")), rules=RULES, now=NOW)

    assert hit is not None
    [alert] = hit.alerts
    assert (alert.kind, alert.districts, alert.registry) == (
        "registry_hit",
        ["MP-BPL"],
        (REGISTRY,),
    )
    assert "NCRP R-17" in alert.reason


def test_a_registry_entry_added_later_alerts_the_districts_that_already_named_it() -> None:
    state, _ = sight_all(case("MH-MUM", "1"), case("MP-BPL", "2"))

    retro = on_registry_entry(state, entry(), now=NOW)

    assert retro is not None
    assert sorted(a.districts[0] for a in retro.alerts) == ["MH-MUM", "MP-BPL"]
    assert {a.kind for a in retro.alerts} == {"registry_hit"}


def test_a_registry_hit_has_the_same_id_whichever_arrived_first() -> None:
    mumbai = case("MH-MUM", "1")
    complaint_first = on_registry_entry(sight_all(mumbai)[0], entry(), now=NOW)
    registry_first = on_registry_entry(TokenState(), entry(), now=NOW)
    assert complaint_first is not None
    assert registry_first is not None

    later = on_sighting(registry_first.state, sighting(mumbai), rules=RULES, now=NOW)

    assert later is not None
    assert [a.alert_id for a in complaint_first.alerts] == [a.alert_id for a in later.alerts]


def test_the_same_registry_entry_twice_changes_nothing() -> None:
    registered = on_registry_entry(TokenState(), entry(), now=NOW)
    assert registered is not None

    assert on_registry_entry(registered.state, entry(), now=NOW) is None


def test_a_second_registry_source_does_not_alert_the_same_complaints_again() -> None:
    state, _ = sight_all(case("MH-MUM", "1"))
    first = on_registry_entry(state, entry(), now=NOW)
    assert first is not None

    second = on_registry_entry(
        first.state, entry(RegistryRef(source="I4C", reference="9")), now=NOW
    )

    assert second is not None
    assert second.alerts == ()
    assert len(second.state.registry) == 2


def test_a_strong_identifier_links_a_new_complaint_to_one_earlier_complaint() -> None:
    _, [_, _, third] = sight_all(case("MH-MUM", "1"), case("MP-BPL", "2"), case("WB-KOL", "3"))

    [link] = third.links
    assert (link.earlier.complaint_id, link.later.complaint_id) == ("1", "3")


def test_a_weak_identifier_links_to_each_complaint_within_the_window() -> None:
    a, b = case("MH-MUM", "1", NOW), case("MP-BPL", "2", NOW + timedelta(hours=2))
    c = case("WB-KOL", "3", NOW + timedelta(hours=3))

    _, [_, _, third] = sight_all(a, b, c, identifier=IP)

    assert [link.earlier.complaint_id for link in third.links] == ["1", "2"]


def test_no_links_past_the_hub_threshold() -> None:
    _, outcomes = sight_all(*[case("MH-MUM", str(n)) for n in range(5)])

    assert [len(o.links) for o in outcomes] == [0, 1, 1, 0, 0]


def test_alerts_and_links_carry_when_their_cause_reached_intake() -> None:
    received = NOW + timedelta(minutes=3)
    first = on_sighting(TokenState(), sighting(case("MH-MUM", "1")), rules=RULES, now=NOW)
    assert first is not None
    later = sighting(case("MP-BPL", "2")).model_copy(update={"received_at": received})

    outcome = on_sighting(first.state, later, rules=RULES, now=NOW)

    assert outcome is not None
    assert [a.received_at for a in outcome.alerts] == [received]
    assert [link.received_at for link in outcome.links] == [received]
