"""Signed session cookies and CSRF tokens. Pure: every function takes the key and the time.

A session cookie is `<payload>.<signature>`: the payload (base64url JSON) names the officer
who signed in (and the district, for the page's language), a random session id, the account's
stamp when they signed in (a new stamp ends the session) and when it expires; the signature
is HMAC-SHA256 over the payload with the console's session key. Nothing in it is secret,
nothing in it can be changed without the key.

A CSRF token is the HMAC of a session id (or, before sign-in, of a nonce held in a short
cookie): a page from this site carries it in each form, a page from another site cannot
compute it. Separate purposes are kept apart by a prefix inside the HMAC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass


class BadSession(ValueError):
    """The cookie was not signed with this key, or is not a session at all."""


class SessionExpired(ValueError):
    """The session was genuine but its lifetime is over: sign in again."""


@dataclass(frozen=True)
class Session:
    session_id: str
    username: str
    district: str | None  # the officer's district, if they serve in one
    stamp: str  # the account's stamp at sign-in
    expires_at: float  # seconds since the epoch


def new_session(
    *, username: str, district: str | None, stamp: str, now: float, lifetime_s: float
) -> Session:
    return Session(
        session_id=secrets.token_urlsafe(16),
        username=username,
        district=district,
        stamp=stamp,
        expires_at=now + lifetime_s,
    )


def seal(session: Session, key: bytes) -> str:
    """The cookie value for `session`."""
    payload = _b64(json.dumps(asdict(session), separators=(",", ":")).encode())
    return f"{payload}.{_b64(_mac(key, 'session', payload))}"


def unseal(cookie: str, key: bytes, *, now: float) -> Session:
    """The session in `cookie`; BadSession if it was not signed with `key`, SessionExpired
    if its lifetime is over."""
    payload, _, signature = cookie.partition(".")
    try:
        genuine = hmac.compare_digest(_unb64(signature), _mac(key, "session", payload))
        session = Session(**json.loads(_unb64(payload))) if genuine else None
    except (binascii.Error, ValueError, TypeError):
        session = None
    if session is None:
        raise BadSession("the session cookie is not one this console signed")
    if now >= session.expires_at:
        raise SessionExpired("the session has expired; sign in again")
    return session


def csrf_token(key: bytes, binding: str) -> str:
    """The token forms carry for the session (or sign-in nonce) `binding`."""
    return _b64(_mac(key, "csrf", binding))


def csrf_matches(key: bytes, binding: str, token: str | None) -> bool:
    expected = csrf_token(key, binding).encode()
    return token is not None and hmac.compare_digest(token.encode(), expected)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _mac(key: bytes, purpose: str, message: str) -> bytes:
    return hmac.new(key, f"{purpose}|{message}".encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
