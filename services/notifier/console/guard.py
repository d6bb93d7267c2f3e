"""Who is signed in to the console, and whether a form really came from one of its pages.

The session cookie is checked on every request: signature and expiry (sessions.py), not
signed out (signouts.py), and the officer's account still active with the stamp it had at
sign-in, so disabling or locking an account ends its sessions at once. What the officer may
see follows the account's role and district or state as they are now (accounts/roles.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request, Response

from crosslink.directory import District, DistrictsDirectory
from services.notifier.accounts.account import Officer
from services.notifier.accounts.roles import DISTRICT_ROLES, OPERATIONS_ROLES, Role, districts_seen
from services.notifier.console import sessions
from services.notifier.console.pages import PREFIX
from services.notifier.console.sessions import Session
from services.notifier.state import notifier_of

SESSION_COOKIE = "crosslink_console"
SIGN_IN_COOKIE = "crosslink_console_sign_in"  # the nonce the sign-in form's CSRF token binds
SIGN_IN_NONCE_LIFETIME_S = 3600


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("sign in")
        self.expired = expired


class FormRejected(Exception):
    """A form without this session's CSRF token: refused with 403, nothing changed."""


class PageNotFound(Exception):
    """No such page for this district (another district's alert included): 404."""


@dataclass(frozen=True)
class SignedIn:
    session: Session
    csrf_token: str
    officer: Officer
    districts: list[District]  # whose alerts the officer sees (accounts/roles.py)

    @property
    def district(self) -> District | None:
        """The district the officer serves in, if their role is a district's."""
        return self.districts[0] if self.officer.role in DISTRICT_ROLES and self.districts else None


def session_key(request: Request) -> bytes:
    settings = notifier_of(request).settings
    return settings.console_session_key.get_secret_value().encode()


async def get_signed_in(request: Request) -> SignedIn:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        raise SignInRequired()
    key = session_key(request)
    try:
        session = sessions.unseal(cookie, key, now=time.time())
    except sessions.SessionExpired:
        raise SignInRequired(expired=True) from None
    except sessions.BadSession:
        raise SignInRequired() from None
    notifier = notifier_of(request)
    if await notifier.signed_out.contains(session.session_id):
        raise SignInRequired()
    officer = await notifier.officers.get(session.username)
    if officer is None or officer.status != "active" or officer.stamp != session.stamp:
        raise SignInRequired()
    directory: DistrictsDirectory = request.app.state.directory.current()
    seen = districts_seen(officer.role, officer.district, officer.state, directory)
    return SignedIn(session, sessions.csrf_token(key, session.session_id), officer, seen)


def open_session(request: Request, officer: Officer) -> Session:
    """A new session for `officer`, who has just signed in."""
    return sessions.new_session(
        username=officer.username,
        district=officer.district,
        stamp=officer.stamp,
        now=time.time(),
        lifetime_s=notifier_of(request).settings.console_session_lifetime_s,
    )


def sign_in_token(request: Request, nonce: str) -> str:
    """The sign-in form's CSRF token, bound to the nonce in the browser's sign-in cookie."""
    return sessions.csrf_token(session_key(request), f"sign-in:{nonce}")


def check_sign_in_token(request: Request, nonce: str, token: str | None) -> None:
    if not nonce or not sessions.csrf_matches(session_key(request), f"sign-in:{nonce}", token):
        raise FormRejected()


async def get_district(signed_in: Annotated[SignedIn, Depends(get_signed_in)]) -> SignedIn:
    if signed_in.district is None:
        raise PageNotFound()
    return signed_in


async def get_operator(signed_in: Annotated[SignedIn, Depends(get_signed_in)]) -> SignedIn:
    if signed_in.officer.role not in OPERATIONS_ROLES:
        raise PageNotFound()
    return signed_in


async def get_accounts_admin(signed_in: Annotated[SignedIn, Depends(get_signed_in)]) -> SignedIn:
    if signed_in.officer.role is not Role.OPERATOR:
        raise PageNotFound()
    return signed_in


async def get_supervisor(signed_in: Annotated[SignedIn, Depends(get_district)]) -> SignedIn:
    if signed_in.officer.role is not Role.DISTRICT_SUPERVISOR:
        raise PageNotFound()
    return signed_in


async def get_state(signed_in: Annotated[SignedIn, Depends(get_signed_in)]) -> SignedIn:
    if signed_in.officer.role is not Role.STATE_NODAL_OFFICER:
        raise PageNotFound()
    return signed_in


async def get_investigator(signed_in: Annotated[SignedIn, Depends(get_signed_in)]) -> SignedIn:
    """An officer who works cases: a district's, or a state nodal officer."""
    role = signed_in.officer.role
    if role not in DISTRICT_ROLES and role is not Role.STATE_NODAL_OFFICER:
        raise PageNotFound()
    return signed_in


SignedInDep = Annotated[SignedIn, Depends(get_signed_in)]
DistrictSessionDep = Annotated[SignedIn, Depends(get_district)]
OperatorSessionDep = Annotated[SignedIn, Depends(get_operator)]
StateSessionDep = Annotated[SignedIn, Depends(get_state)]
SupervisorSessionDep = Annotated[SignedIn, Depends(get_supervisor)]
AccountsAdminSessionDep = Annotated[SignedIn, Depends(get_accounts_admin)]
InvestigatorSessionDep = Annotated[SignedIn, Depends(get_investigator)]


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the body size is already limited)."""
    return dict(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))


async def checked_form(request: Request, signed_in: SignedIn) -> dict[str, str]:
    """The form, if it carries this session's CSRF token; FormRejected if not."""
    form = await read_form(request)
    if not sessions.csrf_matches(
        session_key(request), signed_in.session.session_id, form.get("csrf_token")
    ):
        raise FormRejected()
    return form


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: float) -> None:
    """HttpOnly, SameSite=Lax (a link from an alert email still opens the console), scoped to
    the console, and Secure over https or when the settings say TLS ends at a proxy."""
    settings = notifier_of(request).settings
    response.set_cookie(
        name,
        value,
        max_age=int(max_age),
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=settings.console_secure_cookies or request.url.scheme == "https",
    )
