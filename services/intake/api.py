"""Intake's HTTP routes. Thin: parse, authenticate, call one service function, answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crosslink.directory import District, DistrictsDirectory
from schemas.api import ComplaintAccepted, ComplaintSubmission, Problem
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.intake.errors import Unauthenticated
from services.intake.metrics import IntakeMetrics
from services.intake.publisher import KafkaPublisher

router = APIRouter()
COMPLAINTS_PATH = "/v1/complaints"
_bearer = HTTPBearer(auto_error=False)


def _state(request: Request, name: str) -> object:
    return getattr(request.app.state, name)


def get_settings(request: Request) -> IntakeSettings:
    return _state(request, "settings")  # type: ignore[return-value]


def get_publisher(request: Request) -> KafkaPublisher:
    return _state(request, "publisher")  # type: ignore[return-value]


def get_metrics(request: Request) -> IntakeMetrics:
    return _state(request, "metrics")  # type: ignore[return-value]


def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> District:
    """The district whose integrator key authenticated this request."""
    directory: DistrictsDirectory = request.app.state.directory
    district = directory.district_for_api_key(credentials.credentials) if credentials else None
    if district is None:
        raise Unauthenticated("send 'Authorization: Bearer <api key>' with a key crosslink knows")
    return district


SettingsDep = Annotated[IntakeSettings, Depends(get_settings)]
PublisherDep = Annotated[KafkaPublisher, Depends(get_publisher)]
MetricsDep = Annotated[IntakeMetrics, Depends(get_metrics)]
CallerDep = Annotated[District, Depends(get_caller)]

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (401, 403, 422, 503)
}


@router.post(
    COMPLAINTS_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ComplaintAccepted,
    responses=_PROBLEMS,
)
async def submit_complaint(
    complaint: ComplaintSubmission,
    caller: CallerDep,
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
        await publisher.publish(events)
    for event in events:
        metrics.identifiers.labels(type=event.identifier.type.value).inc()
    return ComplaintAccepted(
        complaint_id=complaint.complaint_id,
        district=complaint.district,
        identifiers_accepted=len(events),
    )


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
