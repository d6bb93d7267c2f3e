"""Where a complaint is validated: district check, identifier canon, one event per identifier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.api import ComplaintSubmission
from schemas.pseudonyms import PseudonymKey
from services.intake.complaints import sightings_for
from services.intake.errors import InvalidComplaint, WrongDistrict
from tests.builders import complaint_body

NOW = datetime(2026, 11, 23, tzinfo=UTC)
KEY = PseudonymKey("k1", b"secret")


def submission(district: str, *identifiers: tuple[str, str]) -> ComplaintSubmission:
    body = complaint_body(district, *identifiers, complaint_id="MUM-1")
    return ComplaintSubmission.model_validate(body)


def test_each_distinct_identifier_becomes_one_event_without_its_raw_value() -> None:
    complaint = submission("MH-MUM", ("phone", "+91 98765 43210"), ("phone", "098765-43210"),
                           ("upi", "quickcash@ybl"))  # fmt: skip

    events = sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert [e.identifier.type for e in events] == ["phone", "upi"]
    assert all("9876543210" not in e.model_dump_json() for e in events)
    assert all("quickcash" not in e.model_dump_json() for e in events)


def test_event_ids_are_deterministic() -> None:
    complaint = submission("MH-MUM", ("phone", "9876543210"))

    first = sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)
    again = sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert first[0].event_id == again[0].event_id


def test_a_complaint_for_another_district_is_refused() -> None:
    complaint = submission("MP-BPL", ("phone", "9876543210"))

    with pytest.raises(WrongDistrict) as refused:
        sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert refused.value.errors[0].field == "district"


def test_every_invalid_identifier_is_named_at_once() -> None:
    complaint = submission("MH-MUM", ("phone", "123"), ("upi", "ok@ybl"), ("imei", "1"))

    with pytest.raises(InvalidComplaint) as refused:
        sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    problems = [(error.field, error.code) for error in refused.value.errors]
    assert problems == [("identifiers[0].value", "phone.invalid"),
                        ("identifiers[2].value", "imei.bad_length")]  # fmt: skip
    assert "123" not in str([e.reason for e in refused.value.errors])


def test_a_mobile_number_upi_id_also_publishes_the_phone_it_names() -> None:
    complaint = submission("MH-MUM", ("upi", "9876543210@ybl"))

    events = sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert [(e.identifier.type, e.identifier.derived_from) for e in events] == [
        ("upi", None),
        ("phone", "upi"),
    ]
    assert {e.identifier.key_id for e in events} == {"k1"}


def test_a_phone_given_twice_once_directly_and_once_through_upi_is_published_once() -> None:
    complaint = submission("MH-MUM", ("phone", "098765-43210"), ("upi", "9876543210@ybl"))

    events = sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert sorted(e.identifier.type for e in events) == ["phone", "upi"]


def test_helpline_numbers_are_published_flagged_benign() -> None:
    complaint = submission("MH-MUM", ("phone", "1930"))

    [event] = sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert event.identifier.benign


def test_a_value_seen_before_gets_the_same_canon_and_a_refused_one_is_refused_again() -> None:
    # Canon is kept per value (a gang's identifiers recur across complaints); a refusal is not.
    one = submission("MH-MUM", ("phone", "+91 98765 43210"), ("upi", "quickcash@ybl"))
    again = submission("MH-MUM", ("phone", "098765-43210"), ("upi", "QuickCash@YBL"))
    bad = submission("MH-MUM", ("phone", "12"))

    first = sightings_for(one, caller_district="MH-MUM", key=KEY, received_at=NOW)
    second = sightings_for(again, caller_district="MH-MUM", key=KEY, received_at=NOW)

    assert [e.identifier for e in first] == [e.identifier for e in second]
    for _ in range(2):
        with pytest.raises(InvalidComplaint):
            sightings_for(bad, caller_district="MH-MUM", key=KEY, received_at=NOW)
