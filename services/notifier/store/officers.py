"""Officers' accounts in the notifier's database. Nothing here decides who may sign in
(services/notifier/accounts/signing_in.py does); this keeps the rows and changes them whole."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import RowMapping, case, select, update
from sqlalchemy.exc import IntegrityError

from services.notifier.accounts.account import AccountStatus, Officer, new_stamp
from services.notifier.accounts.roles import Role
from services.notifier.audit.chain import AuditEvent
from services.notifier.store.audit import append_in
from services.notifier.store.database import Database
from services.notifier.store.tables import officer_sign_ons, officers


class AccountExists(ValueError):
    """An account with that username is already there."""


class NoSuchAccount(LookupError):
    """No account has that username."""


class Officers:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, officer: Officer, *, audited: AuditEvent | None = None) -> None:
        """AccountExists if the username is taken. `audited`, if given, goes on the audit
        trail in the same transaction (as with every change below)."""
        row = {**asdict(officer), "updated_at": officer.created_at}
        try:
            async with self._db.write() as db:
                await db.execute(officers.insert().values(row))
                if audited is not None:
                    await append_in(db, self._db, audited)
        except IntegrityError:
            raise AccountExists(f"there is already an account named {officer.username}") from None

    async def get(self, username: str) -> Officer | None:
        async with self._db.read() as db:
            row = (
                await db.execute(select(officers).where(officers.c.username == username))
            ).first()
        return _officer(row._mapping) if row is not None else None

    async def all(self) -> list[Officer]:
        async with self._db.read() as db:
            rows = await db.execute(select(officers).order_by(officers.c.username))
        return [_officer(row._mapping) for row in rows]

    async def set_status(
        self,
        username: str,
        status: AccountStatus,
        *,
        now: datetime,
        audited: AuditEvent | None = None,
    ) -> None:
        """Disable, lock or re-enable an account; every session it has ends (a new stamp).
        NoSuchAccount if there is none."""
        values = {"status": status, "stamp": new_stamp(), "updated_at": now}
        if status == "active":
            values["failed_codes"] = 0
        await self._update(username, values, audited)

    async def set_password(
        self,
        username: str,
        password_hash: str,
        *,
        now: datetime,
        audited: AuditEvent | None = None,
    ) -> None:
        """A new password; every session of the account ends (a new stamp)."""
        values = {"password_hash": password_hash, "stamp": new_stamp(), "updated_at": now}
        await self._update(username, values, audited)

    async def code_refused(self, username: str, *, lock_after: int, now: datetime) -> Officer:
        """Count a wrong second factor after a right password; the account is locked at
        `lock_after` in a row (its password is known to someone who lacks the phone)."""
        async with self._db.write() as db:
            failed = officers.c.failed_codes + 1
            await db.execute(
                update(officers)
                .where(officers.c.username == username)
                .values(
                    failed_codes=failed,
                    status=case((failed >= lock_after, "locked"), else_=officers.c.status),
                    updated_at=now,
                )
            )
        officer = await self.get(username)
        if officer is None:
            raise NoSuchAccount(username)
        return officer

    async def signed_in(self, username: str, step: int, *, now: datetime) -> bool:
        """Record a sign-in with the code of time step `step`; False if another sign-in used
        that step (or a later one) first, so a code seen over a shoulder is worth nothing."""
        fresh = (officers.c.last_code_step.is_(None)) | (officers.c.last_code_step < step)
        async with self._db.write() as db:
            result = await db.execute(
                update(officers)
                .where(officers.c.username == username, officers.c.status == "active", fresh)
                .values(failed_codes=0, last_code_step=step, last_sign_in_at=now, updated_at=now)
            )
        return result.rowcount == 1

    async def link_sign_on(
        self,
        username: str,
        *,
        issuer: str,
        subject: str,
        now: datetime,
        audited: AuditEvent | None = None,
    ) -> None:
        """Let the provider's `subject` sign in as the account (replacing its link, if any).
        NoSuchAccount if there is none; AccountExists if the subject signs in as another."""
        try:
            async with self._db.write() as db:
                known = select(officers.c.username).where(officers.c.username == username)
                if (await db.execute(known)).first() is None:
                    raise NoSuchAccount(f"there is no account named {username}")
                await db.execute(
                    officer_sign_ons.delete().where(officer_sign_ons.c.username == username)
                )
                row = {"issuer": issuer, "subject": subject, "username": username}
                await db.execute(officer_sign_ons.insert().values({**row, "linked_at": now}))
                if audited is not None:
                    await append_in(db, self._db, audited)
        except IntegrityError:
            raise AccountExists(f"{subject} already signs in as another account") from None

    async def by_sign_on(self, *, issuer: str, subject: str) -> Officer | None:
        """The account the provider's `subject` signs in as, if one is linked."""
        query = (
            select(officers)
            .join(officer_sign_ons, officer_sign_ons.c.username == officers.c.username)
            .where(officer_sign_ons.c.issuer == issuer, officer_sign_ons.c.subject == subject)
        )
        async with self._db.read() as db:
            row = (await db.execute(query)).first()
        return _officer(row._mapping) if row is not None else None

    async def _update(
        self, username: str, values: dict[str, object], audited: AuditEvent | None
    ) -> None:
        async with self._db.write() as db:
            result = await db.execute(
                update(officers).where(officers.c.username == username).values(values)
            )
            if result.rowcount != 1:  # raised inside: nothing of it commits
                raise NoSuchAccount(f"there is no account named {username}")
            if audited is not None:
                await append_in(db, self._db, audited)


def _officer(row: RowMapping) -> Officer:
    return Officer(
        **{name: row[name] for name in Officer.__dataclass_fields__ if name != "role"},
        role=Role(row["role"]),
    )
