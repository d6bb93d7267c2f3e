"""Properties of the request models for every input: anything a client sends either becomes a
valid complaint or is refused with field-level problems; nothing else escapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas.api import ComplaintSubmission, InboxStatusChange, RegistrySubmission
from schemas.identifiers import IdentifierType
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.intake.errors import InvalidComplaint

KEY = IntakeSettings().pseudonym()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
identifier = st.fixed_dictionaries(
    {"type": st.sampled_from([t.value for t in IdentifierType]), "value": st.text(max_size=40)},
    optional={"platform": st.text(max_size=10), "ifsc": st.text(max_size=12)},
)
complaint_shaped = st.fixed_dictionaries({
    "complaint_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,20}", fullmatch=True),
    "district": st.just("MH-MUM"),
    "police_station": st.text(min_size=1, max_size=40),
    "registered_at": st.just("2026-11-20T10:15:00+05:30"),
    "identifiers": st.lists(identifier, min_size=1, max_size=5),
})  # fmt: skip


def refusals(model: type[BaseModel], body: Any) -> list[Any] | None:
    """The model's field problems with `body`, or None if it is accepted."""
    try:
        model.model_validate(body)
    except ValidationError as error:
        return list(error.errors())
    return None


@given(json_values)
def test_any_json_is_either_a_complaint_or_named_field_problems(body: Any) -> None:
    problems = refusals(ComplaintSubmission, body)

    assert problems is None or problems


@given(json_values)
def test_any_json_is_either_registry_entries_or_named_field_problems(body: Any) -> None:
    problems = refusals(RegistrySubmission, body)

    assert problems is None or problems


@given(json_values)
def test_any_json_is_either_a_status_change_or_named_field_problems(body: Any) -> None:
    problems = refusals(InboxStatusChange, body)

    assert problems is None or problems


def canon_refusals(complaint: ComplaintSubmission) -> list[Any] | None:
    try:
        sightings_for(complaint, caller_district="MH-MUM", key=KEY, received_at=datetime.now(UTC))
    except InvalidComplaint as refused:
        return list(refused.errors)
    return None


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(complaint_shaped)
def test_a_well_formed_complaint_is_accepted_or_each_bad_identifier_is_named(
    body: dict[str, Any],
) -> None:
    assume(refusals(ComplaintSubmission, body) is None)
    complaint = ComplaintSubmission.model_validate(body)

    problems = canon_refusals(complaint)

    if problems is not None:
        assert problems
        assert all(p.field.startswith("identifiers[") for p in problems)
    else:
        events = sightings_for(
            complaint, caller_district="MH-MUM", key=KEY, received_at=datetime.now(UTC)
        )
        assert 1 <= len(events) <= 2 * len(complaint.identifiers)  # a UPI may add its phone
