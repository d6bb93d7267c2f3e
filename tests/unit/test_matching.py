"""Where a match is decided: each rule as a function of an identifier's state and an event."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from schemas.events import (
    CaseRef,
    GenericValueDecided,
    IdentifierRef,
    IdentifierSighted,
    LinkWithdrawn,
    RegistryEntryAdded,
    RegistryRef,
)
from schemas.identifiers import IdentifierType, Strength
from services.matcher.matching import (
    SAMPLE,
    MatchingRules,
    Outcome,
    TokenState,
    on_generic_decision,
    on_link_withdrawn,
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


def withdrawal(of: CaseRef, identifier: IdentifierRef = PHONE) -> LinkWithdrawn:
    """An officer of `of`'s district says it is not linked through `identifier`."""
    return LinkWithdrawn(withdrawal_id=f"w-{of.complaint_id}", identifier=identifier, case=of,
                         reason="victims_own", alert_id="a-1", withdrawn_by="io.pune",
                         withdrawn_at=NOW)  # fmt: skip


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


@pytest.mark.parametrize("flag", ["benign", "generic"])
def test_a_benign_or_generic_identifier_never_links_complaints(flag: str) -> None:
    helpline = PHONE.model_copy(update={flag: True})
    known = TokenState(cases=(case("MH-MUM", "1"),), complaints=1)

    assert (
        on_sighting(TokenState(), sighting(case("MH-MUM", "1"), helpline), rules=RULES, now=NOW)
        is None
    )
    assert on_sighting(known, sighting(case("MP-BPL", "1"), helpline), rules=RULES, now=NOW) is None


def test_past_the_hub_threshold_each_new_complaints_district_is_told_the_count() -> None:
    cases = [case("MH-MUM", str(n)) for n in range(3)] + [case("MP-BPL", "4"), case("MP-IND", "5")]

    _, outcomes = sight_all(*cases)

    [bhopal] = [a for a in outcomes[3].alerts if a.rule == "prolific_identifier"]
    assert bhopal.districts == ["MP-BPL"]
    assert bhopal.kind == "shared_identifier"
    assert "named in 4 complaints in 2 districts of 2 states (MH, MP)" in bhopal.reason
    assert "The earliest is 0 (MH-MUM" in bhopal.reason
    assert bhopal.footprint is not None
    assert (bhopal.footprint.complaints, bhopal.footprint.earliest) == (4, cases[0])
    [indore] = [a for a in outcomes[4].alerts if a.rule == "prolific_identifier"]
    assert indore.districts == ["MP-IND"]
    assert "named in 5 complaints in 3 districts" in indore.reason


def test_a_complaint_registered_earlier_but_posted_later_becomes_the_first_to_call() -> None:
    later = [case("MH-MUM", str(n), NOW + timedelta(days=n)) for n in range(1, 5)]
    ist = timezone(timedelta(hours=5, minutes=30))  # the offset posted is kept
    older = case("MH-MUM", "0-old", (NOW - timedelta(days=30)).astimezone(ist))

    state, outcomes = sight_all(*later, older)

    tally = state.districts["MH-MUM"]
    first = tally.first("MH-MUM")
    assert (tally.complaints, first.model_dump_json()) == (5, older.model_dump_json())
    assert datetime.fromisoformat(tally.latest_at) == later[-1].registered_at
    [told] = [a for a in outcomes[-1].alerts if a.rule == "prolific_identifier"]
    assert told.footprint is not None
    assert told.footprint.earliest == older
    assert "The earliest is 0-old (MH-MUM" in told.reason


def test_operators_hear_of_a_prolific_identifier_by_one_alert_with_the_live_count() -> None:
    _, outcomes = sight_all(*[case("MH-MUM", str(n)) for n in range(6)])

    hubs = [a for o in outcomes for a in o.alerts if a.kind == "hub_identifier"]
    assert len({hub.alert_id for hub in hubs}) == 1
    assert [hub.footprint.complaints for hub in hubs if hub.footprint] == [4, 5, 6]
    assert {(hub.audience, tuple(hub.districts)) for hub in hubs} == {("operators", ())}
    assert "named in 6 complaints" in hubs[-1].reason


def test_the_districts_already_involved_hear_by_digest_at_the_threshold_and_at_a_new_state() -> (
    None
):
    early = [case("MH-MUM", "1"), case("MH-PUN", "2"), case("MH-MUM", "3")]
    later = [case("MH-NGP", "4"), case("MH-PUN", "5"), case("WB-KOL", "6"), case("WB-HWH", "7")]

    _, outcomes = sight_all(*early, *later)

    digests = [[a for a in o.alerts if a.rule == "prolific_identifier_digest"] for o in outcomes]
    assert [len(d) for d in digests] == [0, 0, 0, 1, 0, 1, 0]
    past_threshold, new_state = digests[3][0], digests[5][0]
    assert past_threshold.districts == ["MH-MUM", "MH-PUN"]  # not MH-NGP: its own alert told it
    assert new_state.districts == ["MH-MUM", "MH-NGP", "MH-PUN"]
    assert "2 new since the last summary" in new_state.reason
    assert "reaching WB" in new_state.reason
    assert past_threshold.alert_id != new_state.alert_id
    assert {c.district for c in new_state.cases} >= set(new_state.districts)


def test_a_digest_goes_out_once_a_digest_period_has_passed() -> None:
    rules = MatchingRules(hub_threshold=1, digest_period=timedelta(hours=24))
    state, outcomes = TokenState(), list[Outcome]()
    for n, hours in enumerate((0, 1, 2, 3, 30)):
        event = sighting(case("MH-MUM" if n % 2 else "MH-PUN", str(n)))
        event = event.model_copy(update={"received_at": NOW + timedelta(hours=hours)})
        outcome = on_sighting(state, event, rules=rules, now=NOW)
        assert outcome is not None
        state, outcomes = outcome.state, [*outcomes, outcome]

    digests = [[a for a in o.alerts if a.rule == "prolific_identifier_digest"] for o in outcomes]
    assert [len(d) for d in digests] == [0, 1, 0, 0, 1]
    assert "3 new since the last summary" in digests[4][0].reason
    assert "at most once every 24 hours" in digests[4][0].reason


def test_a_prolific_identifiers_row_stays_bounded_and_its_counts_exact() -> None:
    cases = [
        case(f"MH-{chr(65 + n % 5) * 3}", str(n), NOW + timedelta(minutes=n)) for n in range(60)
    ]

    state, _ = sight_all(*cases)

    assert state.complaints == 60
    assert state.cases == (cases[0],)  # all a prolific row keeps: later ones link to it
    assert len(state.latest) == SAMPLE
    assert {d: t.complaints for d, t in state.districts.items()} == {
        f"MH-{c * 3}": 12 for c in "ABCDE"
    }
    assert state.districts["MH-AAA"].first("MH-AAA") == cases[0]
    assert state.prolific


def test_a_complaint_naming_a_registered_prolific_identifier_still_gets_its_registry_hit() -> None:
    registered = on_registry_entry(TokenState(), entry(), now=NOW)
    assert registered is not None
    state, hits = registered.state, []
    for n in range(5):
        outcome = on_sighting(state, sighting(case("MH-MUM", str(n))), rules=RULES, now=NOW)
        assert outcome is not None
        state = outcome.state
        hits.append([a.trigger for a in outcome.alerts if a.kind == "registry_hit"])

    assert hits == [[case("MH-MUM", str(n))] for n in range(5)]


def test_a_registry_entry_for_a_prolific_identifier_tells_each_district_once() -> None:
    state, _ = sight_all(*[case(d, str(n)) for n, d in enumerate(["MH-MUM", "MP-BPL"] * 4)])

    outcome = on_registry_entry(state, entry(), now=NOW)

    assert outcome is not None
    hits = sorted(outcome.alerts, key=lambda a: a.districts)
    assert [(a.kind, a.districts) for a in hits] == [
        ("registry_hit", ["MH-MUM"]),
        ("registry_hit", ["MP-BPL"]),
    ]
    assert "named in 4 of your complaints (the first 0)" in hits[0].reason


def test_a_weak_identifier_matches_only_within_the_window() -> None:
    early = case("MH-MUM", "1", NOW)
    close = case("MP-BPL", "2", NOW + timedelta(hours=20))
    far = case("WB-KOL", "3", NOW + timedelta(hours=60))

    _, [_, second, third] = sight_all(early, close, far, identifier=IP)

    [alert] = second.alerts
    assert alert.rule == "weak_identifier_within_window"
    assert "weak" in alert.reason
    assert third.alerts == ()


def test_a_weak_identifiers_window_counts_from_when_it_was_observed() -> None:
    """Complaints registered days apart whose logs saw the address an hour apart link; ones
    registered the same day whose logs saw it three days apart do not."""
    seen = NOW - timedelta(days=5)
    early = sighting(case("MH-MUM", "1", NOW), IP).model_copy(update={"observed_at": seen})
    late = sighting(case("MP-BPL", "2", NOW + timedelta(days=4)), IP).model_copy(
        update={"observed_at": seen + timedelta(hours=1)}
    )
    apart = sighting(case("WB-KOL", "3", NOW), IP).model_copy(
        update={"observed_at": seen + timedelta(days=3)}
    )

    first = on_sighting(TokenState(), early, rules=RULES, now=NOW)
    assert first is not None
    linked = on_sighting(first.state, late, rules=RULES, now=NOW)
    assert linked is not None
    unlinked = on_sighting(linked.state, apart, rules=RULES, now=NOW)
    assert unlinked is not None

    [alert] = linked.alerts
    assert {c.observed_at for c in alert.cases} == {seen, seen + timedelta(hours=1)}
    assert unlinked.alerts == ()


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


def test_alerts_carry_when_their_cause_reached_intake() -> None:
    received = NOW + timedelta(minutes=3)
    first = on_sighting(TokenState(), sighting(case("MH-MUM", "1")), rules=RULES, now=NOW)
    assert first is not None
    later = sighting(case("MP-BPL", "2")).model_copy(update={"received_at": received})

    outcome = on_sighting(first.state, later, rules=RULES, now=NOW)

    assert outcome is not None
    assert [a.received_at for a in outcome.alerts] == [received]


def decision(generic: bool = True, by: str = "ops-pune") -> GenericValueDecided:
    return GenericValueDecided(decision_id=f"d-{generic}", identifier=PHONE, generic=generic,
                               reason="SBI's published 1600 number", decided_by=by,
                               decided_at=NOW)  # fmt: skip


def test_a_value_marked_generic_tells_each_district_it_linked_and_records_who_decided() -> None:
    state, _ = sight_all(case("MH-MUM", "1"), case("MP-BPL", "2"), case("MH-MUM", "3"))

    outcome = on_generic_decision(state, decision(), now=NOW)

    assert outcome is not None
    notices = [a for a in outcome.alerts if a.audience == "districts"]
    assert sorted((a.kind, *a.districts) for a in notices) == [
        ("generic_value", "MH-MUM"),
        ("generic_value", "MP-BPL"),
    ]
    assert "named in 2 of your complaints (the first 1)" in notices[0].reason
    [record] = [a for a in outcome.alerts if a.audience == "operators"]
    assert "ops-pune marked the phone +91 98•••••210 a generic value" in record.reason
    assert outcome.state.generic is not None
    assert outcome.state.generic.decided_by == "ops-pune"


def test_a_generic_value_raises_nothing_but_is_still_counted() -> None:
    state, _ = sight_all(case("MH-MUM", "1"), case("MP-BPL", "2"))
    marked = on_generic_decision(state, decision(), now=NOW)
    assert marked is not None

    outcome = on_sighting(marked.state, sighting(case("WB-KOL", "3")), rules=RULES, now=NOW)

    assert outcome is not None
    assert outcome.alerts == ()
    assert outcome.state.complaints == 3


def test_a_value_used_once_marked_generic_tells_no_district() -> None:
    state, _ = sight_all(case("MH-MUM", "1"))

    outcome = on_generic_decision(state, decision(), now=NOW)

    assert outcome is not None
    assert [a.audience for a in outcome.alerts] == ["operators"]


def test_a_withdrawn_decision_lets_the_value_link_again() -> None:
    state, _ = sight_all(case("MH-MUM", "1"))
    marked = on_generic_decision(state, decision(), now=NOW)
    assert marked is not None
    assert on_generic_decision(marked.state, decision(), now=NOW) is None  # already generic

    withdrawn = on_generic_decision(marked.state, decision(generic=False, by="ops-2"), now=NOW)

    assert withdrawn is not None
    [record] = withdrawn.alerts
    assert (record.audience, record.rule) == ("operators", "generic_value_withdrawn")
    assert "ops-2 withdrew" in record.reason
    again = on_sighting(withdrawn.state, sighting(case("MP-BPL", "2")), rules=RULES, now=NOW)
    assert again is not None
    assert [a.kind for a in again.alerts] == ["shared_identifier"]


def test_a_complaint_naming_a_registered_generic_value_still_gets_its_registry_hit() -> None:
    registered = on_registry_entry(TokenState(), entry(), now=NOW)
    assert registered is not None
    marked = on_generic_decision(registered.state, decision(), now=NOW)
    assert marked is not None

    outcome = on_sighting(marked.state, sighting(case("MH-MUM", "1")), rules=RULES, now=NOW)

    assert outcome is not None
    assert [a.kind for a in outcome.alerts] == ["registry_hit"]


def test_a_registry_entry_tells_every_district_even_of_complaints_counted_while_generic() -> None:
    marked = on_generic_decision(TokenState(), decision(), now=NOW)
    assert marked is not None
    state = marked.state
    for n, district in enumerate(["MH-MUM", "MH-MUM", "MH-MUM", "MH-MUM", "WB-KOL"]):
        outcome = on_sighting(state, sighting(case(district, str(n))), rules=RULES, now=NOW)
        assert outcome is not None
        state = outcome.state

    registered = on_registry_entry(state, entry(), now=NOW)

    assert registered is not None
    assert sorted(a.districts[0] for a in registered.alerts) == ["MH-MUM", "WB-KOL"]


def test_the_operators_alert_names_its_first_raising_apart_from_its_count_updates() -> None:
    _, outcomes = sight_all(*[case("MH-MUM", str(n)) for n in range(6)])

    rules = [a.rule for o in outcomes for a in o.alerts if a.kind == "hub_identifier"]

    assert rules == ["hub_identifier", "hub_identifier_count", "hub_identifier_count"]


def test_the_first_digest_says_the_identifier_passed_the_threshold() -> None:
    _, outcomes = sight_all(*[case(d, str(n)) for n, d in enumerate(["MH-MUM", "MP-BPL"] * 2)])

    [digest] = [a for a in outcomes[3].alerts if a.rule == "prolific_identifier_digest"]

    assert "more than 3, so from now on you hear of it in summaries" in digest.reason


def test_operators_hear_a_large_count_again_at_each_new_district_and_each_tenth_more() -> None:
    rules = MatchingRules(hub_threshold=3)
    state, counts = TokenState(), []
    for n in range(400):
        district = "MP-BPL" if n == 300 else "MH-MUM"
        outcome = on_sighting(state, sighting(case(district, str(n))), rules=rules, now=NOW)
        assert outcome is not None
        state = outcome.state
        counts += [a.footprint.complaints for a in outcome.alerts
                   if a.kind == "hub_identifier" and a.footprint]  # fmt: skip

    assert 301 in counts  # a new district
    assert all(later * 10 >= earlier * 11 for earlier, later in pairwise(counts) if later != 301)
    assert len(counts) < 50


def test_a_withdrawn_complaint_is_not_matched_by_the_next_complaint_naming_the_identifier() -> None:
    pune, bhopal = case("MH-PUN", "P-1"), case("MP-BPL", "B-1")
    state, _ = sight_all(pune, bhopal)

    withdrawn = on_link_withdrawn(state, withdrawal(pune), counted=True, rules=RULES, now=NOW)
    assert withdrawn is not None
    later = on_sighting(withdrawn.state, sighting(case("WB-KOL", "K-1")), rules=RULES, now=NOW)

    assert later is not None
    (shared,) = later.alerts
    assert [c.key for c in shared.cases] == [bhopal.key, ("WB-KOL", "K-1")]
    assert later.state.complaints == 2
    assert set(later.state.districts) == {"MP-BPL", "WB-KOL"}


def test_a_withdrawal_tells_the_other_districts_why_and_not_the_withdrawing_one() -> None:
    pune, bhopal = case("MH-PUN", "P-1"), case("MP-BPL", "B-1")
    state, _ = sight_all(pune, bhopal)

    withdrawn = on_link_withdrawn(state, withdrawal(pune), counted=True, rules=RULES, now=NOW)

    assert withdrawn is not None
    (notice,) = withdrawn.alerts
    assert notice.kind == "link_withdrawn"
    assert notice.districts == ["MP-BPL"]
    assert notice.facts is not None
    assert notice.facts.withdrawn_because == "victims_own"
    assert "MH-PUN says its complaint P-1 is not linked to yours" in notice.reason


def test_a_withdrawal_said_twice_changes_nothing_the_second_time() -> None:
    state, _ = sight_all(case("MH-PUN", "P-1"), case("MP-BPL", "B-1"))
    once = on_link_withdrawn(
        state, withdrawal(case("MH-PUN", "P-1")), counted=True, rules=RULES, now=NOW
    )
    assert once is not None

    assert on_link_withdrawn(once.state, withdrawal(case("MH-PUN", "P-1")), counted=True,
                             rules=RULES, now=NOW) is None  # fmt: skip


def test_a_complaint_withdrawn_before_its_sighting_came_is_never_counted() -> None:
    pune = case("MH-PUN", "P-1")
    first = on_link_withdrawn(TokenState(), withdrawal(pune), counted=False, rules=RULES, now=NOW)
    assert first is not None
    assert first.alerts == ()

    assert on_sighting(first.state, sighting(pune), rules=RULES, now=NOW) is None


def test_withdrawing_a_districts_first_complaint_names_its_next_one_first() -> None:
    early, late = case("MH-PUN", "P-1"), case("MH-PUN", "P-2", NOW + timedelta(days=1))
    state, _ = sight_all(early, late, case("MP-BPL", "B-1"))

    withdrawn = on_link_withdrawn(state, withdrawal(early), counted=True, rules=RULES, now=NOW)

    assert withdrawn is not None
    tally = withdrawn.state.districts["MH-PUN"]
    assert (tally.complaints, tally.first_id) == (1, "P-2")
    assert withdrawn.state.earliest is not None
    assert withdrawn.state.earliest.complaint_id != "P-1"


def test_a_weak_identifiers_withdrawal_tells_only_the_districts_within_its_window() -> None:
    mumbai, bhopal = case("MH-MUM", "M-1"), case("MP-BPL", "B-1")
    kolkata = case("WB-KOL", "K-1", NOW + timedelta(days=3))  # never linked to Mumbai's
    state, _ = sight_all(mumbai, bhopal, kolkata, identifier=IP)

    withdrawn = on_link_withdrawn(state, withdrawal(mumbai, IP), counted=True, rules=RULES,
                                  now=NOW)  # fmt: skip

    assert withdrawn is not None
    (notice,) = withdrawn.alerts
    assert notice.districts == ["MP-BPL"]


def test_a_back_filled_complaints_alerts_carry_its_import_and_a_live_ones_none() -> None:
    mumbai = case("MH-MUM", "1")
    back_filled = case("MP-BPL", "1").model_copy(update={"import_id": "bpl-2019"})
    live = case("WB-KOL", "1")

    _, [_, filled, posted] = sight_all(mumbai, back_filled, live)

    assert [alert.import_id for alert in filled.alerts] == ["bpl-2019"]
    assert posted.alerts
    assert {alert.import_id for alert in posted.alerts} == {None}


def _months(n: int) -> timedelta:
    return timedelta(days=30 * n)


def test_two_complaints_naming_one_phone_30_months_apart_get_a_possibly_recycled_lead() -> None:
    then = case("MH-PUN", "1", NOW - _months(30))
    now = case("MP-BPL", "2", NOW)

    _, [_, second] = sight_all(then, now)

    [alert] = second.alerts
    assert (alert.kind, alert.rule) == ("shared_identifier", "possibly_recycled_number")
    assert alert.facts is not None
    assert (alert.facts.weak, alert.facts.recycling_days) == (True, 365)
    assert alert.districts == ["MH-PUN", "MP-BPL"]
    assert "new subscriber" in alert.reason
    assert "a lead to check" in alert.reason


def test_a_complaint_linked_to_its_run_hears_of_an_older_run_in_a_lead_of_its_own() -> None:
    """Two years ago the number was Pune's; now it is Bhopal's and Kolkata's."""
    old, recent = case("MH-PUN", "1", NOW - _months(24)), case("MP-BPL", "2", NOW - _months(2))

    _, [*_, last] = sight_all(old, recent, case("WB-KOL", "3", NOW))

    shared, lead = last.alerts
    assert (shared.rule, shared.districts) == ("shared_identifier", ["MP-BPL", "WB-KOL"])
    assert (lead.rule, lead.districts) == ("possibly_recycled_number", ["MH-PUN", "WB-KOL"])
    assert shared.alert_id != lead.alert_id
    assert lead.trigger == shared.trigger == case("WB-KOL", "3", NOW)


def test_a_back_filled_complaint_dated_between_two_runs_links_them_all_strongly() -> None:
    """Runs go by dates, not arrival: a complaint registered in the gap makes one run of both."""
    _, [*_, between] = sight_all(
        case("MH-PUN", "1", NOW - _months(20)),
        case("MP-BPL", "2", NOW),
        case("WB-KOL", "3", NOW - _months(10)),
    )

    [alert] = between.alerts
    assert (alert.rule, alert.districts) == ("shared_identifier", ["MH-PUN", "MP-BPL", "WB-KOL"])


def test_identifiers_that_do_not_change_hands_link_whatever_the_gap() -> None:
    upi = PHONE.model_copy(update={"type": IdentifierType.UPI, "token": "u" * 64})
    years_apart = case("MH-PUN", "1", NOW - _months(60)), case("MP-BPL", "2", NOW)

    _, [_, second] = sight_all(*years_apart, identifier=upi)

    [alert] = second.alerts
    assert alert.rule == "shared_identifier"


def test_without_a_recycling_window_a_phone_links_whatever_the_gap() -> None:
    state, rules = TokenState(), replace(RULES, recycling=())
    for filed in (case("MH-PUN", "1", NOW - _months(60)), case("MP-BPL", "2", NOW)):
        outcome = on_sighting(state, sighting(filed), rules=rules, now=NOW)
        assert outcome is not None
        state = outcome.state

    assert outcome is not None
    [alert] = outcome.alerts
    assert alert.rule == "shared_identifier"
