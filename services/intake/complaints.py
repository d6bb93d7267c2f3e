"""Where a complaint is validated and turned into events: one identifier-sighted event per
identifier (for matching) and one complaint-filed event (for clustering). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from schemas.api import ComplaintSubmission, FieldProblem, IdentifierNotice, IdentifierSubmission
from schemas.events import CaseRef, ComplaintFiled, IdentifierRef, IdentifierSighted
from schemas.identifiers import (
    CanonicalIdentifier,
    IdentifierType,
    InvalidIdentifier,
    canonicalise,
)
from schemas.pseudonyms import PseudonymKey, pseudonym_token, stable_id
from services.intake.errors import InvalidComplaint, WrongDistrict

Submitted = TypeVar("Submitted", bound=IdentifierSubmission)
MAX_CLOCK_SKEW = timedelta(minutes=10)  # a case-management system's clock may run this fast
# The Information Technology Act, under which cyber-crime complaints are registered, came into
# force on 17 October 2000: no complaint crosslink links can be older.
EARLIEST_REGISTRATION = datetime(2000, 10, 17, tzinfo=UTC)
Converted = TypeVar("Converted")
Distinct = tuple[IdentifierType, str]  # an identifier's type and canonical value


@dataclass(frozen=True)
class Accepted:
    """A valid complaint: its events, and what the answer says about its identifiers."""

    sightings: list[IdentifierSighted]
    notices: list[IdentifierNotice]


def accepted_complaint(
    complaint: ComplaintSubmission,
    *,
    caller_district: str,
    key: PseudonymKey,
    received_at: datetime,
    import_id: str | None = None,
) -> Accepted:
    """One event per distinct identifier of `complaint`, and a notice for each identifier that
    never links or is a merchant's; or raise saying what is wrong with the complaint.
    `import_id` marks a back-filled complaint (CaseRef.import_id)."""
    if complaint.district != caller_district:
        raise wrong_district(caller_district, complaint.district)
    case = CaseRef(
        complaint_id=complaint.complaint_id,
        district=complaint.district,
        police_station=complaint.police_station,
        registered_at=complaint.registered_at,
        import_id=import_id,
    )
    canonical, notices, observed = _canonical_identifiers(
        complaint, _impossible_times(complaint, received_at)
    )
    distinct = {(i.type, i.value): i for i in canonical}
    sightings = [
        _sighting(case, i, key, received_at, observed.get((i.type, i.value)))
        for i in distinct.values()
    ]
    return Accepted(sightings, notices)


def wrong_district(caller_district: str, posted: str) -> WrongDistrict:
    """A body naming another district than the key's own."""
    return WrongDistrict(
        f"this key posts for {caller_district}, not {posted}",
        [
            FieldProblem(
                field="district", code="district.not_yours", reason=f"must be {caller_district}"
            )
        ],
    )


def sightings_for(
    complaint: ComplaintSubmission,
    *,
    caller_district: str,
    key: PseudonymKey,
    received_at: datetime,
) -> list[IdentifierSighted]:
    """The events of `complaint` (see accepted_complaint)."""
    return accepted_complaint(
        complaint, caller_district=caller_district, key=key, received_at=received_at
    ).sightings


def _impossible_times(complaint: ComplaintSubmission, received_at: datetime) -> list[FieldProblem]:
    """A registration or observation time after the complaint reached intake (beyond clock skew)
    or before any cyber-crime complaint could be registered cannot be true, and would move which
    IP links fall in its window."""
    times = {"registered_at": complaint.registered_at} | {
        f"identifiers[{index}].observed_at": identifier.observed_at
        for index, identifier in enumerate(complaint.identifiers)
        if identifier.observed_at is not None
    }
    return [
        problem
        for field, when in times.items()
        if (problem := impossible_time(field, when, received_at))
    ]


def impossible_time(field: str, when: datetime, received_at: datetime) -> FieldProblem | None:
    name = field.rpartition(".")[2]
    latest = received_at + MAX_CLOCK_SKEW
    if when > latest:
        reason = f"is in the future: after {latest.isoformat(timespec='seconds')}"
        return FieldProblem(field=field, code=f"{name}.future", reason=reason)
    if when < EARLIEST_REGISTRATION:
        reason = f"is before {EARLIEST_REGISTRATION.date()}, when the IT Act came into force"
        return FieldProblem(field=field, code=f"{name}.too_early", reason=reason)
    return None


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


def _canonical_identifiers(
    complaint: ComplaintSubmission, problems_found: list[FieldProblem]
) -> tuple[list[CanonicalIdentifier], list[IdentifierNotice], dict[Distinct, datetime]]:
    """Canonicalise every identifier, reporting all bad ones (and `problems_found`) at once
    rather than the first; with a notice for each that never links or is a merchant's, and when
    each was observed."""
    notices: list[IdentifierNotice] = []
    observed: dict[Distinct, datetime] = {}
    positions = iter(range(len(complaint.identifiers)))  # convert_each goes through them in order

    def noted(submitted: IdentifierSubmission) -> tuple[CanonicalIdentifier, ...]:
        field = f"identifiers[{next(positions)}].value"
        found = canonical_identifiers_of(submitted)
        notices.extend(notice_of(field, identifier) for identifier in found if identifier.note)
        if submitted.observed_at is not None:
            observed.update({(i.type, i.value): submitted.observed_at for i in found})
        return found

    result, problems = convert_each(complaint.identifiers, "identifiers", noted)
    if problems := [*problems_found, *problems]:
        raise InvalidComplaint(f"{len(problems)} value(s) are invalid", problems)
    return result, notices, observed


def notice_of(field: str, identifier: CanonicalIdentifier) -> IdentifierNotice:
    flag = "benign" if identifier.benign else "generic" if identifier.generic else "merchant"
    return IdentifierNotice(
        field=field,
        code=f"{identifier.type.value}.{flag}",
        masked=identifier.masked,
        reason=identifier.note or flag,
    )


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


# A gang's phones, accounts and handles recur across its victims' complaints (in a portal's
# back-fill most identifiers are ones already seen): the canon of a value is computed once and
# kept, in intake's memory only, for the most recent CANON_CACHE distinct values. Canon is a
# pure function of its arguments; a value it refuses is refused again each time (errors are not
# kept).
CANON_CACHE = 65_536
_canonicalise = lru_cache(maxsize=CANON_CACHE)(canonicalise)


def canonical_identifiers_of(submitted: IdentifierSubmission) -> tuple[CanonicalIdentifier, ...]:
    """The canon applied to one submitted identifier, with its qualifiers."""
    return _canonicalise(
        submitted.type,
        submitted.value,
        platform=submitted.platform,
        ifsc=submitted.ifsc,
        port=submitted.port,
        observed_at=submitted.observed_at,
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
        generic=identifier.generic,
    )


def _sighting(
    case: CaseRef,
    identifier: CanonicalIdentifier,
    key: PseudonymKey,
    received_at: datetime,
    observed_at: datetime | None,
) -> IdentifierSighted:
    ref = identifier_ref(identifier, key)
    return IdentifierSighted(
        event_id=stable_id("sighting", case.district, case.complaint_id, ref.token),
        case=case,
        identifier=ref,
        received_at=received_at,
        observed_at=observed_at,
    )
