"""Where a match is decided: earlier complaints with the same token raise one alert."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import CaseRef, IdentifierRef, IdentifierSighted
from schemas.identifiers import IdentifierType
from services.matcher.matching import decide

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PHONE = IdentifierRef(
    type=IdentifierType.PHONE, token="t" * 64, key_id="k1", masked="+91 98•••••210"
)


def case(district: str, complaint_id: str) -> CaseRef:
    return CaseRef(complaint_id=complaint_id, district=district, police_station="PS",
                   registered_at=NOW)  # fmt: skip


def sighting(of: CaseRef) -> IdentifierSighted:
    return IdentifierSighted(event_id=f"e-{of.complaint_id}", case=of, identifier=PHONE,
                             received_at=NOW)  # fmt: skip


def test_the_first_sighting_of_an_identifier_is_remembered_without_an_alert() -> None:
    mumbai = case("MH-MUM", "1")

    decision = decide(sighting(mumbai), [], now=NOW)

    assert decision is not None
    assert decision.cases == (mumbai,)
    assert decision.alert is None


def test_a_second_complaint_with_the_identifier_raises_an_alert_naming_both() -> None:
    mumbai, bhopal = case("MH-MUM", "1"), case("MP-BPL", "1")

    decision = decide(sighting(bhopal), [mumbai], now=NOW)

    assert decision is not None
    assert decision.alert is not None
    assert decision.alert.cases == (mumbai, bhopal)
    assert decision.alert.trigger == bhopal
    assert decision.alert.identifier == PHONE
    assert decision.alert.districts == ["MH-MUM", "MP-BPL"]


def test_re_processing_a_sighting_already_seen_changes_nothing() -> None:
    mumbai, bhopal = case("MH-MUM", "1"), case("MP-BPL", "1")

    assert decide(sighting(bhopal), [mumbai, bhopal], now=NOW) is None


def test_the_same_complaint_id_in_another_district_is_another_complaint() -> None:
    decision = decide(sighting(case("MP-BPL", "1")), [case("MH-MUM", "1")], now=NOW)

    assert decision is not None
    assert decision.alert is not None


def test_the_alert_id_is_the_same_when_the_sighting_is_processed_again_after_a_crash() -> None:
    mumbai, bhopal = case("MH-MUM", "1"), case("MP-BPL", "1")

    first = decide(sighting(bhopal), [mumbai], now=NOW)
    later = decide(sighting(bhopal), [mumbai], now=datetime(2027, 1, 1, tzinfo=UTC))

    assert first
    assert later
    assert first.alert
    assert later.alert
    assert first.alert.alert_id == later.alert.alert_id


def test_a_benign_identifier_never_links_complaints() -> None:
    helpline = PHONE.model_copy(update={"benign": True})
    bhopal = IdentifierSighted(event_id="e", case=case("MP-BPL", "1"), identifier=helpline,
                               received_at=NOW)  # fmt: skip

    assert decide(bhopal, [case("MH-MUM", "1")], now=NOW) is None
