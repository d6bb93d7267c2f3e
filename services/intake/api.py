"""Intake's HTTP routes. Thin: parse, authenticate, call one service function, answer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from crosslink.auth import DistrictDep, RegistryAdminDep
from crosslink.problems import documented_problems
from schemas.api import (
    ComplaintAccepted,
    ComplaintSubmission,
    RegistryAccepted,
    RegistrySubmission,
)
from schemas.topics import IDENTIFIER_SIGHTED, REGISTRY_ENTRY_ADDED
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.intake.metrics import IntakeMetrics
from services.intake.publisher import KafkaPublisher
from services.intake.registry import registry_events_for_all

router = APIRouter()
COMPLAINTS_PATH = "/v1/complaints"
REGISTRY_PATH = "/v1/registry"
log = logging.getLogger(__name__)


def _state(request: Request, name: str) -> object:
    return getattr(request.app.state, name)


async def get_settings(request: Request) -> IntakeSettings:
    return _state(request, "settings")  # type: ignore[return-value]


async def get_publisher(request: Request) -> KafkaPublisher:
    return _state(request, "publisher")  # type: ignore[return-value]


async def get_metrics(request: Request) -> IntakeMetrics:
    return _state(request, "metrics")  # type: ignore[return-value]


SettingsDep = Annotated[IntakeSettings, Depends(get_settings)]
PublisherDep = Annotated[KafkaPublisher, Depends(get_publisher)]
MetricsDep = Annotated[IntakeMetrics, Depends(get_metrics)]

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
    settings: SettingsDep,
    publisher: PublisherDep,
    metrics: MetricsDep,
) -> ComplaintAccepted:
    """Accept a complaint: 202 means every identifier event is durably in Kafka."""
    events = sightings_for(
        complaint,
        caller_district=caller.code,
        key=settings.pseudonym(),
        received_at=datetime.now(UTC),
    )
    with metrics.publish_seconds.time():
        await publisher.publish([(IDENTIFIER_SIGHTED.name, e.identifier.token, e) for e in events])
    for event in events:
        metrics.identifiers.labels(type=event.identifier.type.value).inc()
    log.info("complaint accepted", extra={"complaint_id": complaint.complaint_id,
             "district": complaint.district, "identifiers": len(events)})  # fmt: skip
    return ComplaintAccepted(
        complaint_id=complaint.complaint_id,
        district=complaint.district,
        identifiers_accepted=len(events),
    )


@router.post(
    REGISTRY_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistryAccepted,
    responses=_PROBLEMS,
)
async def add_registry_entries(
    submission: RegistrySubmission,
    admin: RegistryAdminDep,
    settings: SettingsDep,
    publisher: PublisherDep,
) -> RegistryAccepted:
    """Add known perpetrator identifiers to the suspect registry (registry administrators)."""
    events = registry_events_for_all(
        submission.entries, key=settings.pseudonym(), added_at=datetime.now(UTC)
    )
    await publisher.publish([(REGISTRY_ENTRY_ADDED.name, e.identifier.token, e) for e in events])
    log.info("registry entries added", extra={"by": admin.name, "entries": len(events)})
    return RegistryAccepted(entries_accepted=len(submission.entries))


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(publisher: PublisherDep) -> JSONResponse:
    """Ready when the broker answers a metadata request."""
    ready = await publisher.broker_reachable()
    return JSONResponse(
        {"status": "ready" if ready else "broker unreachable"},
        status_code=200 if ready else 503,
    )
