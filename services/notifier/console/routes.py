"""The console's pages. Thin: check the session (and the form's CSRF token), call the same
Inbox and Outbox the REST API uses, render. A district's routes read only its own alerts."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from typing import cast, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crosslink.clock import utc_now
from crosslink.directory import District, DistrictsDirectory
from crosslink.i18n import N_, Translator
from crosslink.reasons import WITHDRAWAL_REASONS
from schemas.api import DistrictAlert, InboxAlert, InboxMove, InboxStatus, InboxStatusChange
from schemas.events import AlertKind, WithdrawalReason
from services.notifier.accounts import signing_in
from services.notifier.accounts.account import Officer
from services.notifier.accounts.roles import DISTRICT_ROLES, Role
from services.notifier.api import InboxDep, OutboxDep
from services.notifier.audit.chain import AuditEvent
from services.notifier.audit.events import by_officer
from services.notifier.console import sessions
from services.notifier.console.audited import done_by, record
from services.notifier.console.groups import group_of
from services.notifier.console.guard import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_NONCE_LIFETIME_S,
    DistrictSessionDep,
    OperatorSessionDep,
    PageNotFound,
    SignedIn,
    SignedInDep,
    SignInRequired,
    StateSessionDep,
    SupervisorSessionDep,
    check_sign_in_token,
    checked_form,
    get_signed_in,
    open_session,
    read_form,
    session_key,
    set_cookie,
    sign_in_token,
)
from services.notifier.console.languages import TranslatorDep
from services.notifier.console.pages import PREFIX, render, render_text
from services.notifier.console.picture import draw
from services.notifier.lifecycle import StatusConflict
from services.notifier.state import notifier_of
from services.notifier.store.feedback import Outcomes
from services.notifier.store.inbox import BadCursor, InboxQuery
from services.notifier.withdrawing import withdrawal_of

log = logging.getLogger(__name__)
router = APIRouter(prefix=PREFIX, include_in_schema=False)
# What an officer may say "not linked" on: an alert linking complaints through one identifier.
WITHDRAWABLE = ("shared_identifier",)
OUTCOME_FIELDS = {
    "fir_number": N_("FIR number"),
    "arrests": N_("Arrests"),
    "amount_frozen": N_("Amount frozen (₹)"),
    "amount_recovered": N_("Amount recovered (₹)"),
}


class ReportedOutcomes(BaseModel):
    """The confirmed-link form, as typed."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    fir_number: str | None = Field(default=None, max_length=60)
    arrests: int = Field(default=0, ge=0, le=10_000)
    amount_frozen: int = Field(default=0, ge=0, le=10**12)
    amount_recovered: int = Field(default=0, ge=0, le=10**12)


STATUSES: tuple[str, ...] = get_args(InboxStatus)
MOVES: tuple[str, ...] = get_args(InboxMove)
KINDS: tuple[str, ...] = get_args(AlertKind)
INBOX_PAGE_SIZE = 50
OPERATOR_ALERTS_SHOWN = 300
GROUP_ANNOUNCEMENTS_SEARCHED = 100  # the district's newest group alerts
AUDIT_ENTRIES_SHOWN = 200  # the state's newest audit entries
# The operator page's sections, by operator alert kind (services/notifier/metrics.py).
OPERATOR_SECTIONS = {
    "hubs": ("hub_identifier",),
    "generic": ("generic_value",),
    "dead_letters": ("delivery_dead_lettered", "undecodable_alert"),
    "delivery_failures": ("webhook_endpoint_gone", "unknown_district"),
}


@router.get("")
async def home(request: Request) -> RedirectResponse:
    try:
        signed_in = await get_signed_in(request)
    except SignInRequired:
        return _see_other("/sign-in")
    return _see_other(_home_of(signed_in.officer.role))


@router.get("/sign-in")
async def sign_in_page(
    request: Request,
    t: TranslatorDep,
    expired: bool = False,
    signed_out: bool = False,
    password_changed: bool = False,
    single_sign_on: str | None = None,
) -> HTMLResponse:
    nonce = sessions.new_nonce()
    message = None
    if single_sign_on is not None:
        message = _sign_on_refusal(t, single_sign_on)
    elif expired:
        message = t.gettext("Your session has ended. Please sign in again.")
    elif signed_out:
        message = t.gettext("You have signed out.")
    elif password_changed:
        message = t.gettext("Your password is changed. Sign in with it and a new code.")
    sso = notifier_of(request).settings.console_oidc_issuer is not None
    response = render(
        "sign_in.html", t, csrf=sign_in_token(request, nonce), message=message, sso=sso
    )
    set_cookie(request, response, SIGN_IN_COOKIE, nonce, SIGN_IN_NONCE_LIFETIME_S)
    return response


@router.post("/sign-in")
async def sign_in(request: Request, t: TranslatorDep) -> Response:
    form = await read_form(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    check_sign_in_token(request, nonce, form.get("csrf_token"))
    request.app.state.rate_limiter.take(f"console sign-in from {_client(request)}")
    notifier = notifier_of(request)
    try:
        officer = await signing_in.sign_in(
            notifier.officers,
            username=form.get("username", "").strip(),
            password=form.get("password", ""),
            code=form.get("code", ""),
            now=utc_now(),
            lock_after=notifier.settings.console_lock_after_wrong_codes,
        )
    except signing_in.SignInRefused as refused:
        notifier.metrics.sign_ins.labels(result=refused.result).inc()
        if refused.officer is not None:  # after the right password: see _refused_entry
            await notifier.audit.append(_refused_entry(refused.officer, refused.result))
        return render(
            "sign_in.html",
            t,
            status_code=401,
            csrf=sign_in_token(request, nonce),
            message=None,
            sso=notifier.settings.console_oidc_issuer is not None,
            error=_refusal(t, refused.result),
        )
    return await admitted(request, officer, method="password")


async def admitted(request: Request, officer: Officer, *, method: str) -> RedirectResponse:
    """A session for an officer who has just proved who they are (`method`: with password and
    code, or by single sign-on), on the audit trail, and their home page."""
    notifier = notifier_of(request)
    notifier.metrics.sign_ins.labels(result="signed_in").inc()
    await notifier.audit.append(
        by_officer(
            officer, "officer.signed_in", at=utc_now(), district=officer.district, method=method
        )
    )
    session = open_session(request, officer)
    response = _see_other(_home_of(officer.role))
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        sessions.seal(session, session_key(request)),
        notifier.settings.console_session_lifetime_s,
    )
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, signed_in: SignedInDep) -> RedirectResponse:
    await checked_form(request, signed_in)
    session = signed_in.session
    await notifier_of(request).signed_out.add(
        session.session_id, expires_at=session.expires_at, now=time.time()
    )
    await record(request, signed_in, "officer.signed_out", district=signed_in.officer.district)
    response = _see_other("/sign-in?signed_out=true")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/inbox")
async def inbox_page(
    request: Request,
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
    status: str = "",
    kind: str = "",
    cursor: str = "",
) -> HTMLResponse:
    """Newest first; plain links page through it and a small script keeps the first page live."""
    code = _code(signed_in)
    query = _query(status, kind)
    try:
        items, after = await inbox.page(code, replace(query, cursor=cursor or None))
    except BadCursor:
        items, after = await inbox.page(code, query)
    settings = notifier_of(request).settings
    return render(
        "inbox.html",
        t,
        signed_in=signed_in,
        items=items,
        after=after,
        paged=bool(cursor),
        status=query.status or "",
        kind=query.kind or "",
        statuses=STATUSES,
        kinds=KINDS,
        unacknowledged=await inbox.unacknowledged(code),
        poll_ms=int(settings.console_poll_interval_s * 1000),
    )


@router.get("/inbox/updates")
async def inbox_updates(
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
    status: str = "",
    kind: str = "",
) -> JSONResponse:
    """The first page's rows and the unacknowledged count, for the inbox page's script."""
    code = _code(signed_in)
    items, _ = await inbox.page(code, _query(status, kind))
    rows = render_text("_rows.html", t, items=items)
    count = await inbox.unacknowledged(code)
    return JSONResponse(
        {"unacknowledged": count, "rows": rows}, headers={"Cache-Control": "no-store"}
    )


@router.get("/alerts/{alert_id}")
async def alert_page(
    request: Request,
    alert_id: str,
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
    saved: bool = False,
) -> HTMLResponse:
    item = await _item(inbox, signed_in, alert_id)
    await record(request, signed_in, "alert.viewed", district=_code(signed_in), target=alert_id)
    group = await _group(inbox, signed_in, item)
    return await _alert(request, t, signed_in, item, saved=saved, group=group)


@router.post("/alerts/{alert_id}/status")
async def change_status(
    request: Request,
    alert_id: str,
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
) -> Response:
    form = await checked_form(request, signed_in)
    item = await _item(inbox, signed_in, alert_id)
    try:
        change = InboxStatusChange(status=form.get("status"), note=form.get("note") or None)
        changed = done_by(
            signed_in,
            "alert.status_changed",
            district=_code(signed_in),
            target=alert_id,
            status=change.status,
        )
        moved = await inbox.move(
            _code(signed_in), alert_id, change.status, change.note, now=utc_now(), audited=changed
        )
    except ValidationError:
        return await _alert(
            request,
            t,
            signed_in,
            item,
            error=t.gettext(
                "Write a note saying what was done before marking it actioned or closed."
            ),
            status_code=422,
        )
    except StatusConflict:
        return await _alert(
            request,
            t,
            signed_in,
            item,
            error=t.gettext(
                "Another officer has already moved this alert on; the page shows it now."
            ),
            status_code=409,
        )
    if moved is None:
        raise PageNotFound()
    return _see_other(f"/alerts/{alert_id}?saved=true")


@router.post("/alerts/{alert_id}/not-linked")
async def not_linked(
    request: Request,
    alert_id: str,
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
) -> Response:
    """One of the district's complaints is not linked through the alert's identifier: the
    matcher is told (it links it so no more), then the word and its audit entry are stored."""
    form = await checked_form(request, signed_in)
    item = await _item(inbox, signed_in, alert_id)
    case = next((c for c in item.alert.your_cases if c.complaint_id == form.get("complaint")), None)
    reason = form.get("reason")
    if item.kind not in WITHDRAWABLE or case is None or reason not in WITHDRAWAL_REASONS:
        error = t.gettext("Choose one of your complaints in this alert, and why it is not linked.")
        return await _alert(request, t, signed_in, item, error=error, status_code=422)
    notifier, now = notifier_of(request), utc_now()
    because = cast(WithdrawalReason, reason)  # one of WITHDRAWAL_REASONS, checked above
    withdrawal = withdrawal_of(
        item.alert, case, because, officer=signed_in.officer.username, now=now
    )
    try:
        await notifier.withdrawals.send(withdrawal)
    except Exception:
        log.exception("a withdrawn link could not be sent to the matcher")
        error = t.gettext(
            "crosslink could not confirm that the matcher was told, so nothing was recorded "
            "here. Try again in a minute: saying it twice changes nothing more."
        )
        return await _alert(request, t, signed_in, item, error=error, status_code=503)
    audited = done_by(
        signed_in,
        "link.not_linked",
        district=_code(signed_in),
        target=alert_id,
        complaint=case.complaint_id,
        reason=reason,
    )
    await notifier.feedback.not_linked(
        _code(signed_in),
        alert_id,
        complaint_id=case.complaint_id,
        reason=str(reason),
        withdrawal_id=withdrawal.withdrawal_id,
        officer=signed_in.officer.username,
        now=now,
        audited=audited,
    )
    return _see_other(f"/alerts/{alert_id}?saved=true")


@router.post("/alerts/{alert_id}/confirmed")
async def confirmed(
    request: Request,
    alert_id: str,
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
) -> Response:
    """The link is confirmed, with what it led to (kept up to date: sent again, it replaces)."""
    form = await checked_form(request, signed_in)
    item = await _item(inbox, signed_in, alert_id)
    try:
        reported = ReportedOutcomes.model_validate({k: v for k, v in form.items() if v != ""})
    except ValidationError as invalid:
        field = str(invalid.errors()[0]["loc"][0])
        error = t.gettext("Check “%(field)s”: a whole number of 0 or more, or an FIR number.") % {
            "field": t.gettext(OUTCOME_FIELDS.get(field, field))
        }
        return await _alert(request, t, signed_in, item, error=error, status_code=422)
    outcomes = Outcomes(**reported.model_dump())
    audited = done_by(
        signed_in,
        "link.confirmed",
        district=_code(signed_in),
        target=alert_id,
        fir=outcomes.fir_number or "",
        arrests=outcomes.arrests,
        frozen=outcomes.amount_frozen,
        recovered=outcomes.amount_recovered,
    )
    await notifier_of(request).feedback.confirmed(
        _code(signed_in),
        alert_id,
        outcomes,
        officer=signed_in.officer.username,
        now=utc_now(),
        audited=audited,
    )
    return _see_other(f"/alerts/{alert_id}?saved=true")


@router.get("/alerts/{alert_id}/cluster")
async def cluster_page(
    request: Request,
    alert_id: str,
    signed_in: DistrictSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
) -> HTMLResponse:
    item = await _item(inbox, signed_in, alert_id)
    await record(request, signed_in, "cluster.viewed", district=_code(signed_in), target=alert_id)
    group = await _group(inbox, signed_in, item)
    return render(
        "cluster.html", t, signed_in=signed_in, item=item, picture=draw(item.alert, t), group=group
    )


@router.get("/operator")
async def operator_page(
    signed_in: OperatorSessionDep, outbox: OutboxDep, t: TranslatorDep
) -> HTMLResponse:
    """Hub identifiers, dead letters and delivery failures: the operator API, as a page."""
    alerts = await outbox.operator_alerts(limit=OPERATOR_ALERTS_SHOWN)
    sections = {
        name: [alert for alert in alerts if alert.kind in kinds]
        for name, kinds in OPERATOR_SECTIONS.items()
    }
    return render(
        "operator.html",
        t,
        signed_in=signed_in,
        sections=sections,
        counts=sorted((await outbox.counts()).items()),
        disabled=sorted((await outbox.disabled_endpoints()).items()),
    )


@router.get("/overdue")
async def overdue_page(
    request: Request, signed_in: SupervisorSessionDep, inbox: InboxDep, t: TranslatorDep
) -> HTMLResponse:
    """A supervisor's: the district's alerts escalated to them, nobody having acknowledged
    them in time; longest waiting first."""
    since = utc_now() - timedelta(seconds=notifier_of(request).settings.escalate_after_s)
    items = await inbox.overdue(_code(signed_in), waiting_since=since, limit=INBOX_PAGE_SIZE)
    return render("overdue.html", t, signed_in=signed_in, items=items)


@router.get("/state")
async def state_page(
    request: Request, signed_in: StateSessionDep, inbox: InboxDep, t: TranslatorDep
) -> HTMLResponse:
    """The state's districts, each with the alerts it has not yet acknowledged, and those
    escalated to the state (unacknowledged for longer than the second escalation time)."""
    notifier = notifier_of(request)
    since = utc_now() - timedelta(seconds=notifier.settings.escalate_to_state_after_s)
    tallies = await notifier.feedback.tallies(
        [d.code for d in signed_in.districts],
        in_time=timedelta(seconds=notifier.settings.escalate_after_s),
    )
    districts, escalated = [], []
    for district in signed_in.districts:
        unacknowledged = await inbox.unacknowledged(district.code)
        overdue = await inbox.overdue_count(district.code, waiting_since=since)
        districts.append((district, unacknowledged, overdue, tallies[district.code]))
        waiting = await inbox.overdue(district.code, waiting_since=since, limit=INBOX_PAGE_SIZE)
        escalated += [(district, item) for item in waiting]
    return render("state.html", t, signed_in=signed_in, districts=districts, escalated=escalated)


def _refused_entry(officer: Officer, result: str) -> AuditEvent:
    """A sign-in refused after the right password (a wrong code, a locked or disabled account)
    on that account's trail. A wrong password is only counted: writing it for a name that
    exists, and not for one that does not, would tell by its time which names exist."""
    refusal = "officer.sign_in_refused"
    return by_officer(officer, refusal, at=utc_now(), district=officer.district, result=result)


@router.get("/audit")
async def audit_page(
    request: Request, signed_in: StateSessionDep, t: TranslatorDep
) -> HTMLResponse:
    """The newest audit entries about the state's districts' case data: who did what, when."""
    codes = [district.code for district in signed_in.districts]
    await record(request, signed_in, "audit.viewed", state=signed_in.officer.state)
    entries = await notifier_of(request).audit.recent(codes, limit=AUDIT_ENTRIES_SHOWN)
    return render("audit.html", t, signed_in=signed_in, entries=entries)


def _home_of(role: Role) -> str:
    if role in DISTRICT_ROLES:
        return "/inbox"
    return "/state" if role is Role.STATE_NODAL_OFFICER else "/operator"


def _refusal(t: Translator, result: signing_in.SignInResult) -> str:
    """What the sign-in page says; a wrong name and a wrong password read the same."""
    if result == "wrong_code":
        return t.gettext(
            "The code is not right. Type the six digits your authenticator app shows now."
        )
    if result == "locked":
        return t.gettext(
            "This account is locked after too many wrong codes. Ask your administrator to "
            "unlock it."
        )
    if result == "disabled":
        return t.gettext("This account is disabled. Ask your administrator.")
    return t.gettext("The username or password is not right. Check them and try again.")


def _sign_on_refusal(t: Translator, why: str) -> str:
    """What the sign-in page says when single sign-on did not sign the officer in."""
    if why == "no_account":
        return t.gettext(
            "Your state sign-on worked, but no crosslink account is linked to it. Ask your "
            "administrator to link it, or sign in with your password and code."
        )
    if why in ("disabled", "locked"):
        return t.gettext("This account is disabled. Ask your administrator.")
    return t.gettext(
        "The state sign-on did not complete, so you are not signed in. Try again, or sign in "
        "with your password and code."
    )


async def _alert(
    request: Request,
    t: Translator,
    signed_in: SignedIn,
    item: InboxAlert,
    *,
    saved: bool = False,
    error: str | None = None,
    status_code: int = 200,
    group: InboxAlert | None = None,
) -> HTMLResponse:
    directory: DistrictsDirectory = request.app.state.directory.current()
    others = dict.fromkeys(_to_call(item.alert, _code(signed_in)))
    contacts: list[tuple[str, District | None]] = [(code, directory.get(code)) for code in others]
    feedback = await notifier_of(request).feedback.of_alert(_code(signed_in), item.alert_id)
    withdrawn = {word.complaint_id for word in feedback.not_linked}
    return render(
        "alert.html",
        t,
        status_code=status_code,
        signed_in=signed_in,
        item=item,
        contacts=contacts,
        saved=saved,
        error=error,
        group=group,
        actions=[s for s in MOVES if STATUSES.index(s) > STATUSES.index(item.status)],
        feedback=feedback,
        linked=[c for c in item.alert.your_cases if c.complaint_id not in withdrawn],
        may_withdraw=item.kind in WITHDRAWABLE,
        reasons=WITHDRAWAL_REASONS,
    )


def _to_call(alert: DistrictAlert, own: str) -> list[str]:
    """The other districts an alert names: those of its other complaints, and the district
    that made the arrest an arrest alert tells."""
    arrest = alert.facts.arrest if alert.facts else None
    named = [case.district for case in alert.other_cases] + ([arrest.district] if arrest else [])
    return [district for district in named if district != own]


async def _item(inbox: InboxDep, signed_in: SignedIn, alert_id: str) -> InboxAlert:
    """The alert in this district's inbox; another district's alert is PageNotFound, as in
    the REST API."""
    item = await inbox.get(_code(signed_in), alert_id)
    if item is None:
        raise PageNotFound()
    return item


async def _group(inbox: InboxDep, signed_in: SignedIn, item: InboxAlert) -> InboxAlert | None:
    """The newest group announcement in this district's inbox naming one of item's cases."""
    query = InboxQuery(kind="cluster_linked", limit=GROUP_ANNOUNCEMENTS_SEARCHED)
    announcements, _ = await inbox.page(_code(signed_in), query)
    return group_of(item, announcements)


def _code(signed_in: SignedIn) -> str:
    assert signed_in.district is not None  # DistrictSessionDep guarantees it
    return signed_in.district.code


def _query(status: str, kind: str) -> InboxQuery:
    """The inbox filters; an empty or unknown value means any."""
    return InboxQuery(
        status=status if status in STATUSES else None,  # type: ignore[arg-type]
        kind=kind if kind in KINDS else None,  # type: ignore[arg-type]
        limit=INBOX_PAGE_SIZE,
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)
