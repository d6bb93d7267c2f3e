"""The accounts page: an operator lists officers' accounts, creates one (its second-factor
secret shown once) and disables or enables one, with the same checks as `crosslink officers`
(accounts/enrolment.py). And every officer's own password page. Every change goes on the
audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crosslink.clock import utc_now
from crosslink.directory import DistrictsDirectory
from crosslink.i18n import Translator
from services.notifier.accounts import signing_in
from services.notifier.accounts.account import AccountStatus, Officer
from services.notifier.accounts.credentials import WeakPassword, provisioning_uri
from services.notifier.accounts.enrolment import BadUsername, new_account
from services.notifier.accounts.roles import BadScope, Role
from services.notifier.console.audited import done_by
from services.notifier.console.guard import (
    SESSION_COOKIE,
    AccountsAdminSessionDep,
    SignedIn,
    SignedInDep,
    checked_form,
)
from services.notifier.console.languages import TranslatorDep
from services.notifier.console.pages import PREFIX, render
from services.notifier.state import notifier_of
from services.notifier.store.officers import AccountExists, NoSuchAccount

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/officers")
async def accounts_page(
    request: Request, signed_in: AccountsAdminSessionDep, t: TranslatorDep
) -> HTMLResponse:
    return await _page(request, t, signed_in)


@router.post("/officers")
async def create_account(
    request: Request, signed_in: AccountsAdminSessionDep, t: TranslatorDep
) -> HTMLResponse:
    form = await checked_form(request, signed_in)
    try:
        officer = new_account(
            username=form.get("username", "").strip(),
            name=form.get("name", "").strip(),
            role=Role(form.get("role", "")),
            district=form.get("district") or None,
            state=form.get("state") or None,
            password=form.get("password", ""),
            directory=_directory(request),
            now=utc_now(),
        )
        created = done_by(
            signed_in,
            "officer.created",
            district=officer.district,
            target=officer.username,
            account_role=officer.role.value,
            account_state=officer.state,
        )
        await notifier_of(request).officers.add(officer, audited=created)
    except (BadUsername, BadScope, WeakPassword, AccountExists, ValueError) as error:
        return await _page(request, t, signed_in, error=str(error), status_code=422)
    return await _page(request, t, signed_in, created=officer)


@router.post("/officers/{username}/status")
async def change_account_status(
    request: Request, username: str, signed_in: AccountsAdminSessionDep, t: TranslatorDep
) -> Response:
    form = await checked_form(request, signed_in)
    status: AccountStatus = "active" if form.get("status") == "active" else "disabled"
    unchanged = t.gettext("Nothing was changed.")
    if form.get("status") != status or username == signed_in.officer.username:
        return await _page(request, t, signed_in, error=unchanged, status_code=422)
    action = "officer.enabled" if status == "active" else "officer.disabled"
    try:
        await notifier_of(request).officers.set_status(
            username, status, now=utc_now(), audited=done_by(signed_in, action, target=username)
        )
    except NoSuchAccount:
        return await _page(request, t, signed_in, error=unchanged, status_code=404)
    return RedirectResponse(f"{PREFIX}/officers", status_code=303)


@router.get("/password")
async def password_page(signed_in: SignedInDep, t: TranslatorDep) -> HTMLResponse:
    return render("password.html", t, signed_in=signed_in, error=None)


@router.post("/password")
async def change_password(request: Request, signed_in: SignedInDep, t: TranslatorDep) -> Response:
    form = await checked_form(request, signed_in)
    notifier = notifier_of(request)
    error = None
    if form.get("new") != form.get("repeat"):
        error = t.gettext("The two new passwords are not the same. Nothing was changed.")
    else:
        try:
            await signing_in.change_password(
                notifier.officers,
                signed_in.officer,
                current=form.get("current", ""),
                new=form.get("new", ""),
                now=utc_now(),
                audited=done_by(
                    signed_in, "officer.password_changed", target=signed_in.officer.username
                ),
            )
        except signing_in.WrongPassword:
            error = t.gettext("The current password is not right. Nothing was changed.")
        except WeakPassword:
            error = t.gettext("A password has at least 12 characters. Nothing was changed.")
    if error is not None:
        return render("password.html", t, status_code=422, signed_in=signed_in, error=error)
    response = RedirectResponse(f"{PREFIX}/sign-in?password_changed=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def _page(
    request: Request,
    t: Translator,
    signed_in: SignedIn,
    *,
    created: Officer | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    directory = _directory(request)
    return render(
        "officers.html",
        t,
        status_code=status_code,
        signed_in=signed_in,
        accounts=await notifier_of(request).officers.all(),
        roles=[role.value for role in Role],
        districts=directory.districts,
        states=sorted({district.state for district in directory.districts}),
        created=created,
        uri=provisioning_uri(created.totp_secret, created.username) if created else None,
        error=error,
    )


def _directory(request: Request) -> DistrictsDirectory:
    directory: DistrictsDirectory = request.app.state.directory.current()
    return directory
