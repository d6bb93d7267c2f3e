"""Where an arrest or seizure is validated and turned into an event: the seized identifiers
through the canon to tokens, one ArrestRecorded for clustering (services/matcher/arrests.py).
Pure: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.api import ArrestSubmission, FieldProblem, IdentifierNotice
from schemas.events import ArrestRecorded
from schemas.pseudonyms import PseudonymKey, stable_id
from services.intake.complaints import (
    canonical_identifiers_of,
    convert_each,
    identifier_ref,
    impossible_time,
    notice_of,
    wrong_district,
)
from services.intake.errors import InvalidArrest


def arrest_recorded(
    arrest: ArrestSubmission,
    *,
    arrest_id: str,
    caller_district: str,
    recorded_by: str,
    key: PseudonymKey,
    received_at: datetime,
) -> tuple[ArrestRecorded, list[IdentifierNotice]]:
    """The arrest's event, and a notice for each seized identifier that never links or is a
    merchant's; or raise saying what is wrong with it (every problem at once)."""
    if arrest.district != caller_district:
        raise wrong_district(caller_district, arrest.district)
    canonical, problems = convert_each(arrest.seized, "seized", canonical_identifiers_of)
    status_since = arrest.status_since or arrest.arrested_at
    problems = [*_impossible_times(arrest, status_since, received_at), *problems]
    if problems:
        raise InvalidArrest(f"{len(problems)} value(s) are invalid", problems)
    distinct = {(i.type, i.value): i for i in canonical}
    identifiers = tuple(identifier_ref(i, key) for i in distinct.values())
    notices = [
        notice_of(f"seized[{index}].value", identifier)
        for index, submitted in enumerate(arrest.seized)
        for identifier in canonical_identifiers_of(submitted)
        if identifier.note
    ]
    state = (
        arrest.police_station,
        arrest.arrested_at.astimezone(UTC).isoformat(),  # one instant, however it was written
        arrest.status,
        status_since.astimezone(UTC).isoformat(),
        str(arrest.accused),
        arrest.held_at or "",
        arrest.contact_name,
        arrest.contact_phone,
        *sorted(i.token for i in identifiers),
    )
    return (
        ArrestRecorded(
            event_id=stable_id("arrest", arrest.district, arrest_id, *state),
            arrest_id=arrest_id,
            district=arrest.district,
            police_station=arrest.police_station,
            arrested_at=arrest.arrested_at,
            status=arrest.status,
            status_since=status_since,
            accused=arrest.accused,
            held_at=arrest.held_at,
            contact_name=arrest.contact_name,
            contact_phone=arrest.contact_phone,
            identifiers=identifiers,
            recorded_by=recorded_by,
            received_at=received_at,
        ),
        notices,
    )


def _impossible_times(
    arrest: ArrestSubmission, status_since: datetime, received_at: datetime
) -> list[FieldProblem]:
    """An arrest after it reached intake, or a status begun before the arrest, cannot be."""
    problems = [
        problem
        for field, when in (("arrested_at", arrest.arrested_at), ("status_since", status_since))
        if (problem := impossible_time(field, when, received_at))
    ]
    if status_since < arrest.arrested_at:
        reason = "is before arrested_at: a custody status begins with the arrest or after it"
        problems.append(
            FieldProblem(field="status_since", code="status_since.early", reason=reason)
        )
    return problems
