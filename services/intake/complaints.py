"""Where a complaint is validated and turned into identifier-sighted events. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from schemas.api import ComplaintSubmission, FieldProblem
from schemas.events import CaseRef, IdentifierRef, IdentifierSighted
from schemas.identifiers import CanonicalIdentifier, InvalidIdentifier, canonicalise
from schemas.pseudonyms import pseudonym_token, stable_id
from services.intake.errors import InvalidComplaint, WrongDistrict


def sightings_for(
    complaint: ComplaintSubmission,
    *,
    caller_district: str,
    pseudonym_key: bytes,
    received_at: datetime,
) -> list[IdentifierSighted]:
    """One event per distinct identifier of `complaint`, or raise saying what is wrong with it."""
    if complaint.district != caller_district:
        raise WrongDistrict(
            f"this key posts for {caller_district}, not {complaint.district}",
            [FieldProblem(field="district", reason=f"must be {caller_district}")],
        )
    identifiers = _canonical_identifiers(complaint)
    case = CaseRef(
        complaint_id=complaint.complaint_id,
        district=complaint.district,
        police_station=complaint.police_station,
        registered_at=complaint.registered_at,
    )
    return [
        _sighting(case, identifier, pseudonym_key, received_at)
        for identifier in dict.fromkeys(identifiers)  # one event per distinct identifier
    ]


def _canonical_identifiers(complaint: ComplaintSubmission) -> list[CanonicalIdentifier]:
    """Canonicalise every identifier, reporting all bad ones at once rather than the first."""
    result: list[CanonicalIdentifier] = []
    problems: list[FieldProblem] = []
    for index, submitted in enumerate(complaint.identifiers):
        try:
            result.append(canonicalise(submitted.type, submitted.value))
        except InvalidIdentifier as error:
            reason = f"invalid {submitted.type.value}: {error}"
            problems.append(FieldProblem(field=f"identifiers[{index}].value", reason=reason))
    if problems:
        raise InvalidComplaint(f"{len(problems)} identifier(s) are invalid", problems)
    return result


def _sighting(
    case: CaseRef, identifier: CanonicalIdentifier, key: bytes, received_at: datetime
) -> IdentifierSighted:
    token = pseudonym_token(identifier, key)
    return IdentifierSighted(
        event_id=stable_id("sighting", case.district, case.complaint_id, token),
        case=case,
        identifier=IdentifierRef(type=identifier.type, token=token, masked=identifier.masked),
        received_at=received_at,
    )
