"""Single sign-on with the state's OpenID Connect provider (docs/console.md#single-sign-on).

The authorization code flow with PKCE, by Authlib's Starlette client: the provider's metadata
from its discovery document, `state` and `nonce` kept in a short-lived signed cookie of their
own, and the ID token checked against the provider's published keys (signature, issuer,
audience, expiry, nonce). The provider says who the person is; the crosslink account linked to
that identity (`crosslink officers link-sign-on`) says what they may see and do, exactly as
after a password and code. An identity linked to no account, or to a disabled one, is refused.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from httpx import HTTPError
from starlette.middleware.sessions import SessionMiddleware

from crosslink.clock import utc_now
from services.notifier.audit.events import by_officer
from services.notifier.config import NotifierSettings
from services.notifier.console.pages import PREFIX
from services.notifier.console.routes import admitted
from services.notifier.state import notifier_of

log = logging.getLogger(__name__)
router = APIRouter(prefix=PREFIX, include_in_schema=False)
STATE_COOKIE = "crosslink_console_sign_on"  # the flow's state, nonce and PKCE verifier
STATE_LIFETIME_S = 600  # from leaving for the provider to coming back
PROVIDER = "state"
# What a sign-on that does not complete raises: Authlib's own (the provider's error, a state
# not ours, an ID token whose signature, issuer, audience, expiry or nonce is wrong), the
# provider unreachable, or its metadata lacking what the flow needs.
SIGN_ON_ERRORS = (AuthlibBaseError, HTTPError, ValueError, RuntimeError, KeyError)


def install_single_sign_on(app: FastAPI, settings: NotifierSettings) -> None:
    """The sign-on routes, if a provider is configured; nothing otherwise."""
    if settings.console_oidc_issuer is None:
        return
    issuer = settings.console_oidc_issuer.rstrip("/")
    secret = settings.console_oidc_client_secret
    oauth = OAuth()
    oauth.register(
        PROVIDER,
        client_id=settings.console_oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
    )
    app.state.single_sign_on = oauth
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.console_session_key.get_secret_value(),
        session_cookie=STATE_COOKIE,
        max_age=STATE_LIFETIME_S,
        path=PREFIX,
        same_site="lax",  # the provider's redirect back is a cross-site top-level GET
        https_only=settings.console_secure_cookies,
    )
    app.include_router(router)


@router.get("/sign-in/sso")
async def leave_for_provider(request: Request) -> Response:
    """To the provider's sign-in, which sends the browser back to the callback below."""
    settings = notifier_of(request).settings
    callback = settings.console_oidc_redirect_url or str(request.url_for("single_sign_on_callback"))
    try:
        return cast(Response, await _provider(request).authorize_redirect(request, callback))
    except SIGN_ON_ERRORS as error:  # its discovery did not answer
        log.error("the sign-on provider cannot be reached", extra={"error": repr(error)})
        return _refused("unavailable")


@router.get("/sign-in/sso/callback", name="single_sign_on_callback")
async def back_from_provider(request: Request) -> Response:
    notifier = notifier_of(request)
    try:
        token = await _provider(request).authorize_access_token(request)
    except SIGN_ON_ERRORS as error:  # refused, replayed, forged, a bad ID token, or down
        log.warning("a sign-on did not complete", extra={"error": repr(error)})
        notifier.metrics.sign_ins.labels(result="sign_on_failed").inc()
        return _refused("failed")
    claims: dict[str, Any] = token.get("userinfo") or {}
    issuer, subject = claims.get("iss"), claims.get("sub")
    configured = (notifier.settings.console_oidc_issuer or "").rstrip("/")
    if not subject or str(issuer).rstrip("/") != configured:
        notifier.metrics.sign_ins.labels(result="sign_on_failed").inc()
        return _refused("failed")
    officer = await notifier.officers.by_sign_on(issuer=configured, subject=str(subject))
    if officer is None:
        log.warning("a sign-on linked to no account", extra={"subject": subject})
        notifier.metrics.sign_ins.labels(result="no_account").inc()
        return _refused("no_account")
    if officer.status != "active":
        notifier.metrics.sign_ins.labels(result=officer.status).inc()
        refused = by_officer(
            officer,
            "officer.sign_in_refused",
            at=utc_now(),
            district=officer.district,
            result=officer.status,
            method="single_sign_on",
        )
        await notifier.audit.append(refused)
        return _refused(officer.status)
    return await admitted(request, officer, method="single_sign_on")


def _provider(request: Request) -> Any:
    oauth: OAuth = request.app.state.single_sign_on
    return oauth.create_client(PROVIDER)


def _refused(why: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/sign-in?single_sign_on={why}", status_code=303)
