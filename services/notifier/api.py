"""The notifier's HTTP API: each district's inbox, the operators' view, health. Thin: parse,
authenticate, call the store, answer. Every inbox route is scoped to the caller's district."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from crosslink.auth import DistrictDep, OperatorDep
from crosslink.clock import utc_now
from crosslink.i18n import N_
from crosslink.problems import ProblemError, documented_problems
from schemas.api import (
    DISTRICT_CODE_PATTERN,
    ImportProgress,
    InboxAlert,
    InboxPage,
    InboxStatus,
    InboxStatusChange,
    OperatorAlert,
)
from schemas.events import AlertKind
from schemas.lookups import (
    LOOKUPS_PATH,
    WATCHES_PATH,
    LookupAnswer,
    LookupRequest,
    WatchAnswer,
    WatchSubmission,
)
from services.notifier.audit.events import by_key
from services.notifier.dispatcher import Dispatcher
from services.notifier.lifecycle import StatusConflict
from services.notifier.lookups import LOOKED_UP, WATCHED, named, shown_by
from services.notifier.state import NotifierDep
from services.notifier.store.inbox import BadCursor, Inbox, InboxQuery
from services.notifier.store.outbox import Outbox

router = APIRouter()


class AlertNotFound(ProblemError):
    status, slug, title = 404, "alert-not-found", N_("No such alert in your district's inbox")


class StatusConflictProblem(ProblemError):
    status, slug, title = 409, "status-conflict", N_("The alert has moved on")


class InvalidCursor(ProblemError):
    status, slug, title = 422, "invalid-cursor", N_("The paging cursor is invalid")


async def get_inbox(notifier: NotifierDep) -> Inbox:
    return notifier.inbox


async def get_outbox(notifier: NotifierDep) -> Outbox:
    return notifier.outbox


async def get_dispatcher(notifier: NotifierDep) -> Dispatcher:
    return notifier.dispatcher


InboxDep = Annotated[Inbox, Depends(get_inbox)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
_PROBLEMS = documented_problems(401, 403, 404, 409, 422)


@router.get("/v1/inbox/alerts", response_model=InboxPage, responses=_PROBLEMS)
async def list_alerts(
    notifier: NotifierDep,
    district: DistrictDep,
    inbox: InboxDep,
    status: InboxStatus | None = None,
    kind: AlertKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="opaque: the `next` of the page before; any other value is refused "
            "with 422 invalid-cursor",
        ),
    ] = None,
) -> InboxPage:
    """Your district's alerts, newest first, optionally of one status and kind."""
    limit = min(limit, notifier.settings.inbox_page_size_max)
    try:
        items, after = await inbox.page(district.code, InboxQuery(status, kind, limit, cursor))
    except BadCursor as error:
        raise InvalidCursor(str(error)) from None
    return InboxPage(items=items, next=after)


@router.get("/v1/inbox/alerts/{alert_id}", response_model=InboxAlert, responses=_PROBLEMS)
async def get_alert(
    alert_id: str, district: DistrictDep, inbox: InboxDep, notifier: NotifierDep
) -> InboxAlert:
    """One alert in your district's inbox; another district's alert id answers 404."""
    item = await inbox.get(district.code, alert_id)
    if item is None:
        raise AlertNotFound(f"your district's inbox has no alert {alert_id}")
    await notifier.audit.append(
        by_key(district.code, "alert.viewed", at=utc_now(), target=alert_id)
    )
    return item


@router.post("/v1/inbox/alerts/{alert_id}/status", response_model=InboxAlert, responses=_PROBLEMS)
async def change_status(
    alert_id: str,
    change: InboxStatusChange,
    district: DistrictDep,
    inbox: InboxDep,
) -> InboxAlert:
    """Acknowledge an alert, or mark it actioned or closed with a note saying what was done."""
    changed = by_key(
        district.code, "alert.status_changed", at=utc_now(), target=alert_id, status=change.status
    )
    try:
        item = await inbox.move(
            district.code, alert_id, change.status, change.note, now=utc_now(), audited=changed
        )
    except StatusConflict as error:
        raise StatusConflictProblem(str(error)) from None
    if item is None:
        raise AlertNotFound(f"your district's inbox has no alert {alert_id}")
    return item


@router.get("/v1/operator/alerts", response_model=list[OperatorAlert], responses=_PROBLEMS)
async def operator_alerts(
    _: OperatorDep, outbox: OutboxDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[OperatorAlert]:
    """Recent operator alerts: hub identifiers, dead letters, endpoints gone, unknown districts."""
    return await outbox.operator_alerts(limit=limit)


@router.get("/v1/operator/imports", response_model=list[ImportProgress], responses=_PROBLEMS)
async def import_progress(
    _: OperatorDep, notifier: NotifierDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ImportProgress]:
    """Back-fills: links held back as historical, passes of the end in, digests told. One
    with links and never closed (`closed_at` null) waits for its importer to close it; one
    closed with passes missing waits for the matcher (its consumer lag)."""
    return await notifier.imports.progress(limit=limit)


@router.get("/v1/operator/outbox", responses=_PROBLEMS)
async def outbox_status(_: OperatorDep, outbox: OutboxDep) -> dict[str, object]:
    """Deliveries by channel and status, and the webhook endpoints disabled after a 410."""
    counts: dict[str, dict[str, int]] = {}
    for (channel, status), count in (await outbox.counts()).items():
        counts.setdefault(channel, {})[status] = count
    return {"deliveries": counts, "disabled_endpoints": await outbox.disabled_endpoints()}


@router.post("/v1/operator/endpoints/{district}/enable", responses=_PROBLEMS)
async def enable_endpoint(
    district: str, _: OperatorDep, outbox: OutboxDep, dispatcher: DispatcherDep
) -> dict[str, int]:
    """Use a district's webhook endpoint again after a 410; its held webhooks go out at once."""
    resumed = await outbox.enable_endpoint(district, now=utc_now())
    dispatcher.wake()
    return {"resumed": resumed}


@router.post("/v1/operator/deliveries/replay", responses=_PROBLEMS)
async def replay_dead_deliveries(
    _: OperatorDep,
    outbox: OutboxDep,
    dispatcher: DispatcherDep,
    district: Annotated[str | None, Query(pattern=DISTRICT_CODE_PATTERN)] = None,
    channel: Literal["webhook", "email"] | None = None,
) -> dict[str, int]:
    """Send dead-lettered deliveries again, on a fresh retry schedule, once the cause is fixed."""
    replayed = await outbox.replay_dead(now=utc_now(), district=district, channel=channel)
    dispatcher.wake()
    return {"replayed": replayed}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(notifier: NotifierDep) -> JSONResponse:
    """Ready when the alert consumer is running."""
    ready = notifier.consuming.is_set()
    return JSONResponse(
        {"status": "ready" if ready else "consumer not running"},
        status_code=200 if ready else 503,
    )


@router.post(
    LOOKUPS_PATH, response_model=LookupAnswer, responses=documented_problems(401, 403, 422, 503)
)
async def look_up(
    lookup: LookupRequest, district: DistrictDep, notifier: NotifierDep
) -> LookupAnswer:
    """What crosslink knows of one identifier (a suspect's number, before filing anything): in
    how many complaints, which districts and whom to call there; never another district's raw
    data. Written to the audit trail before the answer; held to the key's look-up limit (429).
    Posting a complaint never says whether it matched: only this does, and it is audited."""
    answer = await notifier.lookups.look_up(district.key_actor, lookup)
    await notifier.audit.append(
        by_key(
            district.code,
            LOOKED_UP,
            at=utc_now(),
            target=named(answer.identifiers),
            shown=shown_by(answer),
        )
    )
    return answer


@router.post(
    WATCHES_PATH,
    status_code=202,
    response_model=WatchAnswer,
    responses=documented_problems(401, 403, 422, 503),
)
async def watch(
    watch: WatchSubmission, district: DistrictDep, notifier: NotifierDep
) -> WatchAnswer:
    """Tell the district of each new complaint naming this identifier, as a `watch_hit` alert
    (webhook, email, inbox), for `CROSSLINK_WATCH_DAYS`; `active: false` stops it. Held to the
    key's look-up limit, on the audit trail."""
    key = district.key_actor
    answer = await notifier.lookups.watch(key, district.code, watch)
    await notifier.audit.append(
        by_key(
            district.code,
            WATCHED,
            at=utc_now(),
            target=named(answer.identifiers),
            active=answer.active,
        )
    )
    return answer
