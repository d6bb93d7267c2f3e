"""Whether an officer may sign in: the right password, an active account, and a fresh code
from the account's authenticator. Wrong codes after a right password are counted, and lock
the account when they run on. And an officer changing their own password."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from services.notifier.accounts.account import Officer
from services.notifier.accounts.credentials import accepted_step, hash_password, password_matches
from services.notifier.accounts.enrolment import USERNAME
from services.notifier.audit.chain import AuditEvent
from services.notifier.store.officers import Officers

# How a sign-in ended (the console's metric label, docs/metrics.md).
SignInResult = Literal["signed_in", "wrong_password", "wrong_code", "locked", "disabled"]


class SignInRefused(Exception):
    """Why a sign-in was refused, and the account, when the right password proved whose it
    was (None after a wrong password or name: nothing about the account is told then)."""

    def __init__(self, result: SignInResult, officer: Officer | None = None) -> None:
        super().__init__(result)
        self.result, self.officer = result, officer


async def sign_in(
    officers: Officers,
    *,
    username: str,
    password: str,
    code: str,
    now: datetime,
    lock_after: int,
) -> Officer:
    """The officer, signed in; SignInRefused saying why not. An unknown name is refused as a
    wrong password is, and only the holder of the password learns the account's state."""
    # A name no account could have is not looked up (PostgreSQL refuses some characters).
    officer = await officers.get(username) if USERNAME.match(username) else None
    matches = password_matches(officer.password_hash if officer else None, password)
    if officer is None or not matches:
        raise SignInRefused("wrong_password")
    if officer.status != "active":
        raise SignInRefused(officer.status, officer)
    step = accepted_step(
        officer.totp_secret, code, now=now.timestamp(), last_step=officer.last_code_step
    )
    if step is None or not await officers.signed_in(username, step, now=now):
        counted = await officers.code_refused(username, lock_after=lock_after, now=now)
        raise SignInRefused("locked" if counted.status == "locked" else "wrong_code", counted)
    return officer


class WrongPassword(ValueError):
    """The current password given to change it is not the account's."""


async def change_password(
    officers: Officers,
    officer: Officer,
    *,
    current: str,
    new: str,
    now: datetime,
    audited: AuditEvent,
) -> None:
    """Set `new` (WeakPassword if too short) once `current` is proven; every session of the
    account ends, this one included: the officer signs in again with a fresh code."""
    if not password_matches(officer.password_hash, current):
        raise WrongPassword("the current password is not right")
    await officers.set_password(officer.username, hash_password(new), now=now, audited=audited)
