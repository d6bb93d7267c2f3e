"""Sessions signed out before they expired: a copied cookie is refused from then on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from services.notifier.store.database import Database, insert_ignoring_repeats
from services.notifier.store.tables import console_signed_out


class SignedOut:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, session_id: str, *, expires_at: float, now: float) -> None:
        """Refuse `session_id` until it expires; forget the ones that expired by `now`."""
        async with self._db.write() as db:
            await db.execute(
                delete(console_signed_out).where(console_signed_out.c.expires_at <= _utc(now))
            )
            await db.execute(
                insert_ignoring_repeats(self._db, console_signed_out).values(
                    session_id=session_id, expires_at=_utc(expires_at)
                )
            )

    async def contains(self, session_id: str) -> bool:
        query = select(console_signed_out.c.session_id).where(
            console_signed_out.c.session_id == session_id
        )
        async with self._db.read() as db:
            return (await db.execute(query)).first() is not None


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
