"""Where a complaint is validated and turned into events: one identifier-sighted event per
identifier (for matching) and one complaint-filed event (for clustering). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from schemas.api import ComplaintSubmission, FieldProblem, IdentifierSubmission
from schemas.events import CaseRef, ComplaintFiled, IdentifierRef, IdentifierSighted
from schemas.identifiers import CanonicalIdentifier, InvalidIdentifier, canonicalise
from schemas.pseudonyms import PseudonymKey, pseudonym_token, stable_id
from services.intake.errors import InvalidComplaint, WrongDistrict

Submitted = TypeVar("Submitted", bound=IdentifierSubmission)
Converted = TypeVar("Converted")


def sightings_for(
    complaint: ComplaintSubmission,
    *,
    caller_district: str,
    key: PseudonymKey,
    received_at: datetime,
) -> list[IdentifierSighted]:
    """One event per distinct identifier of `complaint`, or raise saying what is wrong with it."""
    if complaint.district != caller_district:
        raise WrongDistrict(
            f"this key posts for {caller_district}, not {complaint.district}",
            [
                FieldProblem(
                    field="district", code="district.not_yours", reason=f"must be {caller_district}"
                )
            ],
        )
    case = CaseRef(
        complaint_id=complaint.complaint_id,
        district=complaint.district,
        police_station=complaint.police_station,
        registered_at=complaint.registered_at,
    )
    distinct = {(i.type, i.value): i for i in _canonical_identifiers(complaint)}
    return [_sighting(case, identifier, key, received_at) for identifier in distinct.values()]


def complaint_filed(sightings: Sequence[IdentifierSighted]) -> ComplaintFiled:
    """The complaint's sightings as one event: its case and every identifier it names."""
    first = sightings[0]
    identifiers = tuple(sighting.identifier for sighting in sightings)
    return ComplaintFiled(
        event_id=stable_id("filed", *first.case.key, *sorted(i.token for i in identifiers)),
        case=first.case,
        identifiers=identifiers,
        received_at=first.received_at,
    )


def _canonical_identifiers(complaint: ComplaintSubmission) -> list[CanonicalIdentifier]:
    """Canonicalise every identifier, reporting all bad ones at once rather than the first."""
    result, problems = convert_each(complaint.identifiers, "identifiers", canonical_identifiers_of)
    if problems:
        raise InvalidComplaint(f"{len(problems)} identifier(s) are invalid", problems)
    return result


def convert_each(
    submitted: Sequence[Submitted],
    field: str,
    convert: Callable[[Submitted], Iterable[Converted]],
) -> tuple[list[Converted], list[FieldProblem]]:
    """Apply `convert` to every submitted identifier; collect its results and every refusal."""
    results: list[Converted] = []
    problems: list[FieldProblem] = []
    for index, item in enumerate(submitted):
        try:
            results.extend(convert(item))
        except InvalidIdentifier as error:
            problems.append(
                FieldProblem(
                    field=f"{field}[{index}].value",
                    code=error.code,
                    reason=f"{item.type.value}: {error.message}",
                )
            )
    return results, problems


def canonical_identifiers_of(submitted: IdentifierSubmission) -> tuple[CanonicalIdentifier, ...]:
    """The canon applied to one submitted identifier, with its qualifiers."""
    return canonicalise(
        submitted.type, submitted.value, platform=submitted.platform, ifsc=submitted.ifsc
    )


def identifier_ref(identifier: CanonicalIdentifier, key: PseudonymKey) -> IdentifierRef:
    """The pseudonymous form of a canonical identifier: all that leaves intake."""
    return IdentifierRef(
        type=identifier.type,
        token=pseudonym_token(identifier, key),
        key_id=key.key_id,
        masked=identifier.masked,
        strength=identifier.strength,
        benign=identifier.benign,
        derived_from=identifier.derived_from,
    )


def _sighting(
    case: CaseRef, identifier: CanonicalIdentifier, key: PseudonymKey, received_at: datetime
) -> IdentifierSighted:
    ref = identifier_ref(identifier, key)
    return IdentifierSighted(
        event_id=stable_id("sighting", case.district, case.complaint_id, ref.token),
        case=case,
        identifier=ref,
        received_at=received_at,
    )
