"""Intake's HTTP routes. Thin: parse, authenticate, call one service function, answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from crosslink.auth import DistrictDep, LookupRelayDep, OperatorDep, RegistryAdminDep
from crosslink.clock import Clock
from crosslink.i18n import Language, negotiate
from crosslink.problems import (
    INVALID_REQUEST,
    ProblemError,
    documented_problems,
    problem_document,
    problem_of,
    validation_problems,
)
from schemas.api import (
    ArrestAccepted,
    ArrestId,
    ArrestRelayed,
    ArrestSubmission,
    BatchItemResult,
    ComplaintAccepted,
    ComplaintBatch,
    ComplaintBatchAccepted,
    ComplaintSubmission,
    GenericValueAccepted,
    GenericValueSubmission,
    ImportClosedAccepted,
    ImportId,
    MaskedIdentifier,
    RegistryAccepted,
    RegistrySubmission,
)
from schemas.events import IdentifierSighted, ImportClosed, import_marker_key
from schemas.lookups import (
    ARRESTS_RELAYED_PATH,
    LOOKUPS_PATH,
    WATCHES_PATH,
    LookupAnswer,
    LookupRequest,
    WatchAnswer,
    WatchRelayed,
)
from schemas.pseudonyms import PseudonymKey
from schemas.topics import (
    COMPLAINTS_FILED,
    GENERIC_VALUE_DECIDED,
    IDENTIFIER_SIGHTED,
    IMPORT_MARKED,
    REGISTRY_ENTRY_ADDED,
)
from services.intake.arrests import arrest_recorded
from services.intake.complaints import accepted_complaint, complaint_filed
from services.intake.generic_values import generic_value_decided
from services.intake.lookups import look_up
from services.intake.metrics import IntakeMetrics
from services.intake.publisher import Publisher, Record
from services.intake.registry import registry_events_for_all
from services.intake.watches import answer_of, watch_changes, watch_record

router = APIRouter()
COMPLAINTS_PATH = "/v1/complaints"
BATCH_PATH = "/v1/complaints/batch"
IMPORT_CLOSED_PATH = "/v1/imports/{import_id}/closed"
REGISTRY_PATH = "/v1/registry"
GENERIC_VALUES_PATH = "/v1/operator/generic-values"
ARRESTS_PATH = "/v1/arrests/{arrest_id:path}"  # ":path": an id with "/" is refused by name
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    """What intake's routes work with, built once by create_app (services/intake/app.py)."""

    key: PseudonymKey
    publisher: Publisher
    metrics: IntakeMetrics
    clock: Clock
    matcher: httpx.AsyncClient  # for look-ups
    retry_after_s: int
    watch_lasts: timedelta


async def get_intake(request: Request) -> Intake:
    # One dependency rather than one per part: FastAPI solves (and caches) each separately.
    return request.app.state.intake  # type: ignore[no-any-return]


IntakeDep = Annotated[Intake, Depends(get_intake)]

_PROBLEMS = documented_problems(401, 403, 422, 503)


@router.post(
    COMPLAINTS_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ComplaintAccepted,
    responses=_PROBLEMS,
)
async def submit_complaint(
    complaint: ComplaintSubmission,
    caller: DistrictDep,
    intake: IntakeDep,
) -> ComplaintAccepted:
    """Accept a complaint: 202 means every identifier event, and the complaint's own event for
    clustering, is durably in Kafka. `notices` name the identifiers that will never link
    (benign, generic) or are merchants', by their form alone."""
    accepted = accepted_complaint(
        complaint,
        caller_district=caller.code,
        key=intake.key,
        received_at=intake.clock(),
    )
    events = accepted.sightings
    with intake.metrics.publish_seconds.time():
        await intake.publisher.publish(_records(events))
    _count(intake, events)
    log.info(
        "complaint accepted",
        extra={
            "complaint_id": complaint.complaint_id,
            "district": complaint.district,
            "identifiers": len(events),
        },
    )
    return ComplaintAccepted(
        complaint_id=complaint.complaint_id,
        district=complaint.district,
        identifiers_accepted=len(events),
        notices=accepted.notices,
    )


@router.post(
    BATCH_PATH,
    status_code=status.HTTP_200_OK,
    response_model=ComplaintBatchAccepted,
    responses=documented_problems(401, 422, 503),
)
async def submit_complaints(
    batch: ComplaintBatch,
    caller: DistrictDep,
    intake: IntakeDep,
    request: Request,
) -> ComplaintBatchAccepted:
    """Accept up to 500 complaints at once (a back-fill), each as `POST /v1/complaints` would:
    one result per complaint, in order; the good ones are durably in Kafka when this answers,
    the refused ones carry the problem document the single route would have answered and
    changed nothing. Posting a complaint again changes nothing more downstream, so a batch cut
    short can be posted again whole. A 503 means none was accepted."""
    language = negotiate(request.headers.get("accept-language"))
    received_at, results, accepted = intake.clock(), [], []
    for index, item in enumerate(batch.complaints):
        result, sightings = _batch_item(
            index, item, caller.code, intake, received_at, language, batch.import_id
        )
        results.append(result)
        if sightings:
            accepted.append(sightings)
    if accepted:
        with intake.metrics.publish_seconds.time():
            await intake.publisher.publish([r for events in accepted for r in _records(events)])
    for events in accepted:
        _count(intake, events)
    log.info(
        "complaint batch accepted",
        extra={
            "district": caller.code,
            "import_id": batch.import_id,
            "accepted": len(accepted),
            "refused": len(results) - len(accepted),
        },
    )
    return ComplaintBatchAccepted(
        accepted=len(accepted), refused=len(results) - len(accepted), results=results
    )


@router.post(
    IMPORT_CLOSED_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportClosedAccepted,
    responses=documented_problems(401, 422, 503),
)
async def close_import(
    import_id: Annotated[ImportId, Path()],
    caller: DistrictDep,
    intake: IntakeDep,
) -> ImportClosedAccepted:
    """Mark the end of a back-fill posted with this `import_id`: every district its complaints
    linked gets one digest once the matcher has read past the mark. Post it after the last
    batch was accepted; posting it again (a resumed import) tells nothing twice."""
    key, closed_at = import_marker_key(import_id), intake.clock()
    closed = ImportClosed(
        import_id=import_id, district=caller.code, closed_at=closed_at, partition=0
    )
    markers = [
        (spec.name, partition, key, closed.model_copy(update={"partition": partition}))
        for spec in IMPORT_MARKED
        for partition in range(spec.partitions)
    ]
    await intake.publisher.publish([], markers=markers)
    log.info("import closed", extra={"district": caller.code, "import_id": import_id})
    return ImportClosedAccepted(import_id=import_id)


def _batch_item(
    index: int,
    item: dict[str, object],
    district: str,
    intake: Intake,
    received_at: datetime,
    language: Language,
    import_id: str | None,
) -> tuple[BatchItemResult, list[IdentifierSighted]]:
    """One complaint of a batch, as the single route would take it: its result, and its
    sightings if accepted (none if refused)."""
    named = item.get("complaint_id")
    result = BatchItemResult(
        index=index, status="refused", complaint_id=named if isinstance(named, str) else None
    )
    try:
        complaint = ComplaintSubmission.model_validate(item)
        taken = accepted_complaint(
            complaint,
            caller_district=district,
            key=intake.key,
            received_at=received_at,
            import_id=import_id,
        )
    except ValidationError as invalid:
        problem = problem_document(
            status=422,
            slug="invalid-request",
            title=INVALID_REQUEST,
            detail=f"complaint {index}: {invalid.error_count()} field(s) are invalid",
            errors=validation_problems(invalid.errors()),
            language=language,
        )
        return result.model_copy(update={"problem": problem}), []
    except ProblemError as refused:
        return result.model_copy(update={"problem": problem_of(refused, language)}), []
    counted = {"identifiers_accepted": len(taken.sightings), "notices": taken.notices}
    return result.model_copy(update={"status": "accepted", **counted}), list(taken.sightings)


def _records(events: Sequence[IdentifierSighted]) -> list[Record]:
    """A complaint's sightings, each keyed by its token, then the complaint for clustering."""
    filed = complaint_filed(events)
    records: list[Record] = [(IDENTIFIER_SIGHTED.name, e.identifier.token, e) for e in events]
    records.append((COMPLAINTS_FILED.name, "/".join(filed.case.key), filed))
    return records


def _count(intake: Intake, events: Sequence[IdentifierSighted]) -> None:
    for event in events:
        intake.metrics.identifiers.labels(type=event.identifier.type.value).inc()


@router.post(
    REGISTRY_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistryAccepted,
    responses=_PROBLEMS,
)
async def add_registry_entries(
    submission: RegistrySubmission,
    admin: RegistryAdminDep,
    intake: IntakeDep,
) -> RegistryAccepted:
    """Add known perpetrator identifiers to the suspect registry (registry administrators)."""
    events = registry_events_for_all(submission.entries, key=intake.key, added_at=intake.clock())
    records = [(REGISTRY_ENTRY_ADDED.name, e.identifier.token, e) for e in events]
    await intake.publisher.publish(records)
    log.info("registry entries added", extra={"by": admin.name, "entries": len(events)})
    return RegistryAccepted(entries_accepted=len(submission.entries))


@router.post(
    GENERIC_VALUES_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=GenericValueAccepted,
    responses=_PROBLEMS,
)
async def decide_generic_value(
    submission: GenericValueSubmission,
    operator: OperatorDep,
    intake: IntakeDep,
) -> GenericValueAccepted:
    """Mark a value generic (shared by unrelated people) so that it links nothing from now on,
    and the districts it linked are told; `generic: false` withdraws the decision (operators)."""
    decision = generic_value_decided(
        submission, key=intake.key, decided_by=operator.name, decided_at=intake.clock()
    )
    token = decision.identifier.token  # to the matcher, and to clustering in complaints' order
    await intake.publisher.publish(
        [(GENERIC_VALUE_DECIDED.name, token, decision), (COMPLAINTS_FILED.name, token, decision)]
    )
    log.warning(
        "generic value decided",
        extra={
            "by": operator.name,
            "generic": decision.generic,
            "identifier": decision.identifier.masked,
            "reason": decision.reason,
        },
    )
    identifier = MaskedIdentifier(type=decision.identifier.type, masked=decision.identifier.masked)
    return GenericValueAccepted(generic=decision.generic, identifier=identifier)


@router.put(
    ARRESTS_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ArrestAccepted,
    responses=_PROBLEMS,
)
async def record_arrest(
    arrest_id: Annotated[ArrestId, Path()],
    arrest: ArrestSubmission,
    caller: DistrictDep,
    intake: IntakeDep,
) -> ArrestAccepted:
    """Record an arrest or seizure made by the caller's district, or its new state: put it
    again under the same id with the new status (bail, a transfer). Every district with a
    complaint naming a seized identifier, or in the same gang, is told, with its own
    complaints and whom to call; a new state tells the same districts. 202: the arrest is
    durably in Kafka, in one order with the complaints. Putting the same state again tells
    nothing more."""
    return await _recorded(intake, arrest, arrest_id, caller.code, caller.key_actor)


@router.post(
    ARRESTS_RELAYED_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ArrestAccepted,
    responses=documented_problems(401, 403, 422, 503),
)
async def record_relayed_arrest(
    arrest: ArrestRelayed, relay: LookupRelayDep, intake: IntakeDep
) -> ArrestAccepted:
    """An arrest (or its new state) an officer of `district` recorded in the console, as
    `PUT /v1/arrests/{id}` takes it. Only for the notifier's relay key, which authenticated
    and audits the officer."""
    return await _recorded(intake, arrest, arrest.arrest_id, arrest.district, arrest.recorded_by)


async def _recorded(
    intake: Intake, arrest: ArrestSubmission, arrest_id: str, district: str, recorded_by: str
) -> ArrestAccepted:
    """The arrest durably in Kafka, in one order with the complaints."""
    event, notices = arrest_recorded(
        arrest,
        arrest_id=arrest_id,
        caller_district=district,
        recorded_by=recorded_by,
        key=intake.key,
        received_at=intake.clock(),
    )
    await intake.publisher.publish([(COMPLAINTS_FILED.name, event.key, event)])
    log.info(
        "arrest recorded",
        extra={
            "district": event.district,
            "arrest_id": arrest_id,
            "by": recorded_by,
            "status": event.status,
            "identifiers": len(event.identifiers),
        },
    )
    return ArrestAccepted(
        arrest_id=arrest_id,
        district=event.district,
        identifiers_seized=len(event.identifiers),
        notices=notices,
    )


@router.post(LOOKUPS_PATH, response_model=LookupAnswer, responses=_PROBLEMS)
async def look_up_identifier(
    lookup: LookupRequest, relay: LookupRelayDep, intake: IntakeDep, request: Request
) -> LookupAnswer:
    """What crosslink knows of one identifier: in how many complaints, which districts and whom
    to call there; never a raw value. Only for the notifier's relay key: officers and
    integrators look up through the notifier, which limits and audits them. Changes nothing."""
    return await look_up(
        lookup,
        key=intake.key,
        matcher=intake.matcher,
        directory=request.app.state.directory.current(),
        retry_after_s=intake.retry_after_s,
    )


@router.post(
    WATCHES_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WatchAnswer,
    responses=documented_problems(401, 403, 422, 503),
)
async def change_watch(
    watch: WatchRelayed, relay: LookupRelayDep, intake: IntakeDep
) -> WatchAnswer:
    """Set (or renew, or with `active` false remove) a district's watch on one identifier: the
    matcher tells the district of each new complaint naming it until the watch ends. Only for
    the notifier's relay key, which authenticated and audits the officer. 202: the watch is
    durably in Kafka, in one order with the identifier's complaints."""
    changes = watch_changes(watch, key=intake.key, now=intake.clock(), lasts=intake.watch_lasts)
    await intake.publisher.publish([], markers=[watch_record(change) for change in changes])
    log.info(
        "watch changed",
        extra={"district": watch.district, "active": watch.active, "identifiers": len(changes)},
    )
    return answer_of(changes)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(intake: IntakeDep) -> JSONResponse:
    """Ready when the broker answers a metadata request."""
    ready = await intake.publisher.broker_reachable()
    return JSONResponse(
        {"status": "ready" if ready else "broker unreachable"},
        status_code=200 if ready else 503,
    )
