"""An arrest or seizure in clustering: every district with a complaint naming a seized
identifier, or in the same gang, is told once, with its own complaints and whom to call; a
later state reaches the same districts; applied again, or after a crash, nothing more."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas.events import (
    AlertRaised,
    ArrestRecorded,
    CustodyStatus,
    GenericValueDecided,
    IdentifierRef,
)
from schemas.topics import COMPLAINTS_FILED
from services.matcher.arrests import on_arrest_recorded
from services.matcher.batches import HistoryRecord, Position
from services.matcher.matching import MatchingRules
from services.matcher.rematch import Replay, Told, arrests_told, news
from tests.unit.test_clustering import (
    BPL,
    IMEI,
    IP,
    KOL,
    MUM1,
    MUM2,
    NOW,
    PHONE,
    UPI,
    Clustering,
    case,
    complaint,
)
from tests.unit.test_withdrawals import withdraw

JAM = "JH-JAM"
PUN = case("MH-PUN", "4")


def arrest(
    *seized: IdentifierRef,
    status: CustodyStatus = "police_custody",
    since: datetime = NOW,
    at: datetime = NOW,
) -> ArrestRecorded:
    return ArrestRecorded(
        event_id=f"arrest-{status}-{since.isoformat()}",
        arrest_id="JH-0042",
        district=JAM,
        police_station="Cyber PS Jamtara",
        arrested_at=at,
        status=status,
        status_since=since,
        accused=0 if status == "seized_only" else 2,
        held_at=None,
        contact_name="Insp. R. Murmu",
        contact_phone="+91 94311 00000",
        identifiers=seized,
        recorded_by=f"key:{JAM}",
        received_at=NOW,
    )


def record(clustering: Clustering, recorded: ArrestRecorded) -> list[AlertRaised]:
    clustering.offset += 1
    return on_arrest_recorded(
        clustering.rows, recorded, offset=clustering.offset, rules=clustering.rules, now=NOW
    )


def told(alerts: list[AlertRaised]) -> dict[str, list[str]]:
    """Each district told, with the complaints its alert lists."""
    return {alert.districts[0]: [c.complaint_id for c in alert.cases] for alert in alerts}


def two_gangs() -> Clustering:
    """Mumbai and Bhopal share a phone, Bhopal and Kolkata a UPI ID; Pune's is alone."""
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)
    clustering.file(KOL, UPI)
    clustering.file(PUN, IMEI)
    return clustering


def test_every_district_with_a_complaint_naming_what_was_seized_or_in_its_gang_is_told() -> None:
    clustering = two_gangs()
    clustering.file(MUM2, identifier_of("other"))

    alerts = record(clustering, arrest(PHONE))

    # Mumbai and Bhopal name the phone; Kolkata is in their gang; Pune is not; Mumbai's second
    # complaint is in another gang.
    assert told(alerts) == {"MH-MUM": ["1"], "MP-BPL": ["7"], "WB-KOL": ["9"]}
    assert all(a.kind == "arrest" and a.rule == "arrest_recorded" for a in alerts)
    kolkata = next(a for a in alerts if a.districts == ["WB-KOL"])
    assert kolkata.facts is not None
    assert kolkata.facts.arrest is not None
    assert (kolkata.facts.your_complaints, kolkata.facts.naming_seized) == (1, 0)
    assert kolkata.facts.arrest.contact_phone == "+91 94311 00000"
    assert kolkata.cluster is not None
    assert kolkata.cluster.size == 3
    assert "Call Insp. R. Murmu on +91 94311 00000." in kolkata.reason


def identifier_of(name: str) -> IdentifierRef:
    return PHONE.model_copy(update={"token": name * 4, "masked": f"{name}•••"})


def test_a_districts_complaints_naming_a_seized_identifier_are_listed_first() -> None:
    clustering = Clustering()
    clustering.file(MUM1, UPI)
    clustering.file(MUM2, PHONE, UPI)

    (alert,) = record(clustering, arrest(PHONE))

    assert [c.complaint_id for c in alert.cases] == ["2", "1"]
    assert alert.facts is not None
    assert (alert.facts.your_complaints, alert.facts.naming_seized) == (2, 1)
    assert alert.identifier == PHONE


def test_a_seized_identifier_named_by_one_complaint_tells_its_district() -> None:
    clustering = two_gangs()

    assert told(record(clustering, arrest(IMEI))) == {"MH-PUN": ["4"]}


def test_a_seized_identifier_no_complaint_names_tells_no_one() -> None:
    assert record(two_gangs(), arrest(identifier_of("unknown"))) == []


def test_a_generic_value_or_a_weak_identifier_seized_links_nothing() -> None:
    clustering = two_gangs()
    clustering.decide(IMEI, generic=True)
    clustering.file(case("MH-MUM", "w"), IP)

    assert record(clustering, arrest(IMEI, IP)) == []


def test_a_later_status_reaches_the_same_districts_and_any_newly_linked() -> None:
    clustering = two_gangs()
    first = record(clustering, arrest(PHONE))
    withdraw(clustering, MUM1, PHONE)  # Mumbai's link is gone
    clustering.file(case("RJ-JAI", "5"), UPI)  # Jaipur joins the gang

    bail = record(clustering, arrest(PHONE, status="on_bail", since=NOW + timedelta(days=20)))

    assert set(told(bail)) == set(told(first)) | {"RJ-JAI"}
    rules = {alert.districts[0]: alert.rule for alert in bail}
    assert rules == {"MH-MUM": "arrest_status_changed", "MP-BPL": "arrest_status_changed",
                     "WB-KOL": "arrest_status_changed", "RJ-JAI": "arrest_recorded"}  # fmt: skip
    mumbai = next(a for a in bail if a.districts == ["MH-MUM"])
    assert mumbai.cases == ()
    assert mumbai.facts is not None
    assert mumbai.facts.your_complaints == 0
    assert {a.alert_id for a in bail}.isdisjoint({a.alert_id for a in first})


def test_the_same_state_put_again_tells_nothing_more() -> None:
    clustering = two_gangs()
    record(clustering, arrest(PHONE))

    assert record(clustering, arrest(PHONE)) == []


def test_a_state_replayed_after_a_crash_raises_nothing_and_writes_its_row_again() -> None:
    clustering = two_gangs()
    record(clustering, arrest(PHONE))
    rows = dict(clustering.rows)
    written: list[str] = []

    class Recording(dict[str, bytes]):
        def __setitem__(self, key: str, value: bytes) -> None:
            written.append(key)
            super().__setitem__(key, value)

    again = on_arrest_recorded(
        Recording(rows), arrest(PHONE), offset=clustering.offset, rules=clustering.rules, now=NOW
    )

    assert again == []
    assert written == [arrest(PHONE).key]


def test_a_numbers_earlier_holder_is_not_told_of_an_arrest_years_later() -> None:
    clustering = Clustering(MatchingRules())
    earlier = case("MH-PUN", "old", days_ago=3 * 365)
    clustering.file(earlier, PHONE)
    clustering.file(BPL, PHONE)

    assert told(record(clustering, arrest(PHONE))) == {"MP-BPL": ["7"]}


def test_a_rematch_does_not_tell_an_arrest_again() -> None:
    alerts = record(two_gangs(), arrest(PHONE))

    assert news(alerts, Told(alerts)) == []
    assert news(alerts, Told()) == alerts


def test_a_state_put_back_to_an_earlier_one_is_told_under_ids_of_its_own() -> None:
    clustering = two_gangs()
    custody = record(clustering, arrest(PHONE))
    record(clustering, arrest(PHONE, status="released", since=NOW + timedelta(days=9)))

    again = record(clustering, arrest(PHONE))  # custody again: a correction, say

    assert set(told(again)) == set(told(custody))
    assert {a.alert_id for a in again}.isdisjoint({a.alert_id for a in custody})


def test_an_arrest_names_at_least_one_seized_identifier() -> None:
    with pytest.raises(ValidationError):
        arrest()


def test_a_rematch_tells_a_later_state_to_the_districts_told_before_though_no_longer_linked() -> (
    None
):
    history = [*two_gang_history(), arrested(5, arrest(UPI))]
    sent = Replay(MatchingRules())
    sent.complaints(history)
    bail = arrested(6, arrest(UPI, status="on_bail", since=NOW + timedelta(days=3)))
    # Rebuilt with the UPI ID held generic from the start: it links no complaint now.
    rebuilt = Replay(MatchingRules())
    rebuilt.complaints([generic(UPI), *history, bail], told=arrests_told(sent.alerts))

    fresh = news(rebuilt.alerts, Told(sent.alerts))

    assert told(fresh) == {"MH-MUM": [], "MP-BPL": [], "WB-KOL": []}
    assert {a.rule for a in fresh} == {"arrest_status_changed"}


def test_a_rematch_tells_each_district_only_an_arrests_last_state() -> None:
    history = [
        *two_gang_history(),
        arrested(5, arrest(UPI)),
        arrested(6, arrest(UPI, status="on_bail", since=NOW + timedelta(days=3))),
    ]
    replay = Replay(MatchingRules())
    replay.complaints(history)

    fresh = news(replay.alerts, Told())

    assert {a.facts.arrest.status for a in fresh if a.facts and a.facts.arrest} == {"on_bail"}
    assert set(told(fresh)) == {"MH-MUM", "MP-BPL", "WB-KOL"}


def two_gang_history() -> list[HistoryRecord]:
    """The complaints of two_gangs(), as read back from complaints-filed."""
    filed = [(MUM1, (PHONE,)), (BPL, (PHONE, UPI)), (KOL, (UPI,)), (PUN, (IMEI,))]
    return [
        HistoryRecord(
            Position(COMPLAINTS_FILED.name, 0, offset),
            b"k",
            complaint(case_ref, *named).model_dump_json().encode(),
        )
        for offset, (case_ref, named) in enumerate(filed)
    ]


def arrested(offset: int, state: ArrestRecorded) -> HistoryRecord:
    position = Position(COMPLAINTS_FILED.name, 0, offset)
    return HistoryRecord(position, state.key.encode(), state.model_dump_json().encode())


def generic(identifier: IdentifierRef) -> HistoryRecord:
    decision = GenericValueDecided(
        decision_id="d",
        identifier=identifier,
        generic=True,
        reason="a bank's helpline",
        decided_by="ops",
        decided_at=NOW,
    )
    position = Position(COMPLAINTS_FILED.name, 0, 4)
    return HistoryRecord(position, identifier.token.encode(), decision.model_dump_json().encode())
