"""An officer's two factors: a password, kept as an argon2id hash, and a time-based one-time
code (TOTP, RFC 6238: six digits, 30 s steps) from an authenticator app. Pure but for the
random secrets; each function takes the time it checks against."""

from __future__ import annotations

import hmac
import secrets
import unicodedata

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
ISSUER = "crosslink"
STEP_S = 30
CODE_DIGITS = 6
# A code from the step before or after is accepted too: a phone's clock a little off, or a
# code typed as it turned over.
DRIFT_STEPS = 1

# argon2-cffi's defaults: argon2id with RFC 9106's low-memory parameters.
_HASHER = PasswordHasher()
# Verified against when the account does not exist, so a wrong name takes as long as a wrong
# password and the answer's timing does not say which names exist.
_UNKNOWN_ACCOUNT_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A password too short to be the first of two factors."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from; None (no such account)
    costs the same time and is never a match."""
    try:
        return _HASHER.verify(password_hash or _UNKNOWN_ACCOUNT_HASH, password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app takes (typed in, or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def accepted_step(secret: str, code: str, *, now: float, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is the account's code near `now` and from a
    step later than the last one accepted (a code is used once); None otherwise."""
    digits = ascii_digits(code.strip())
    if digits is None or len(digits) != CODE_DIGITS:
        return None
    totp, current = pyotp.TOTP(secret), int(now // STEP_S)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        fresh = last_step is None or step > last_step
        if fresh and hmac.compare_digest(totp.at(step * STEP_S), digits):
            return step
    return None


def ascii_digits(text: str) -> str | None:
    """`text` with any script's digits (०१२ on a Hindi keyboard) as 0-9; None if it holds
    anything but digits."""
    values = [unicodedata.decimal(char, None) for char in text]
    if any(value is None for value in values):
        return None
    return "".join(str(value) for value in values)


def code_at(secret: str, now: float) -> str:
    """The code an authenticator app holding `secret` shows at `now` (for tests and demos)."""
    return pyotp.TOTP(secret).at(now)
