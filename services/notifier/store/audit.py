"""The audit trail in the notifier's database: entries appended in one chain across every
notifier sharing the database (the head row is locked while one is added), read in order."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.audit.chain import (
    GENESIS,
    AuditEntry,
    AuditEvent,
    ChainBroken,
    ChainCheck,
    Head,
    chained,
)
from services.notifier.store.database import Database, insert_ignoring_repeats
from services.notifier.store.tables import audit_head, audit_log

HEAD_ID = 1
READ_BATCH = 5_000


class AuditLog:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def append(self, event: AuditEvent) -> AuditEntry | None:
        """Add `event` after the last entry; None if an entry with its id is already there."""
        async with self._db.write() as db:
            return await append_in(db, self._db, event)

    async def head(self) -> Head:
        async with self._db.read() as db:
            row = (await db.execute(select(audit_head).where(audit_head.c.id == HEAD_ID))).first()
        return Head(row.seq, row.hash) if row is not None else Head(0, GENESIS)

    async def mirror_position(self) -> tuple[str, int]:
        """This trail's chain id, and the last entry copied to Kafka (0: none yet). Read
        without the write lock, which is taken only the once the head row is to be made."""
        query = select(audit_head).where(audit_head.c.id == HEAD_ID)
        async with self._db.read() as db:
            row = (await db.execute(query)).first()
        if row is None:
            async with self._db.write() as db:
                await _ensure_head(db, self._db)
                row = (await db.execute(query)).one()
        return row.chain, row.mirrored_seq

    async def mirrored(self, seq: int) -> None:
        """Every entry up to `seq` is copied (never moves back: another notifier may copy too)."""
        async with self._db.write() as db:
            await db.execute(
                update(audit_head)
                .where(audit_head.c.id == HEAD_ID, audit_head.c.mirrored_seq < seq)
                .values(mirrored_seq=seq)
            )

    async def page(self, *, after: int, limit: int) -> list[AuditEntry]:
        """Up to `limit` entries after number `after`, in order."""
        statement = (
            select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(limit)
        )
        return await self._read(statement)

    async def entries(self, *, after: int = 0) -> AsyncIterator[AuditEntry]:
        """Every entry after number `after`, in order, read a batch at a time."""
        while True:
            batch = await self.page(after=after, limit=READ_BATCH)
            for entry in batch:
                yield entry
            if len(batch) < READ_BATCH:
                return
            after = batch[-1].seq

    async def verify(
        self, copies: Mapping[int, str] | None = None
    ) -> tuple[Head, ChainBroken | None]:
        """The head, and the first entry up to it that is not as it was written (entries
        appended while it reads are left for the next check). Given `copies` (entry number
        to hash, as mirrored to Kafka), every entry must also match its copy."""
        head, check = await self.head(), ChainCheck(copies)
        async for entry in self.entries():
            if entry.seq > head.seq:
                break
            broken = check.add(entry)
            if broken is not None:
                return head, broken
        return head, check.finish(head)

    async def recent(self, districts: Sequence[str], *, limit: int) -> list[AuditEntry]:
        """The newest entries about these districts' case data, newest first."""
        statement = (
            select(audit_log)
            .where(audit_log.c.district.in_(districts))
            .order_by(audit_log.c.seq.desc())
            .limit(limit)
        )
        return await self._read(statement)

    async def _read(self, statement: Select[Any]) -> list[AuditEntry]:
        async with self._db.read() as db:
            return [_entry(row._mapping) for row in await db.execute(statement)]


async def append_in(
    db: AsyncConnection, database: Database, event: AuditEvent
) -> AuditEntry | None:
    """Add `event` after the last entry, in the transaction `db` is in (the change it records
    commits with it, or neither does); None if an entry with its id is already there."""
    await _ensure_head(db, database)
    locked = select(audit_head).where(audit_head.c.id == HEAD_ID).with_for_update()
    row = (await db.execute(locked)).one()
    known = select(audit_log.c.seq).where(audit_log.c.entry_id == event.entry_id)
    if (await db.execute(known)).first() is not None:
        return None
    entry = chained(Head(row.seq, row.hash), event)
    await db.execute(audit_log.insert().values(_row(entry)))
    await db.execute(
        update(audit_head).where(audit_head.c.id == HEAD_ID).values(seq=entry.seq, hash=entry.hash)
    )
    return entry


async def _ensure_head(db: AsyncConnection, database: Database) -> None:
    """The head row, made with a new chain id the first time the trail is used."""
    first = insert_ignoring_repeats(database, audit_head).values(
        id=HEAD_ID, chain=secrets.token_hex(16), seq=0, hash=GENESIS, mirrored_seq=0
    )
    await db.execute(first)


def _row(entry: AuditEntry) -> dict[str, object]:
    event = entry.event
    return {
        "seq": entry.seq,
        "entry_id": event.entry_id,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "district": event.district,
        "target": event.target,
        "detail": event.detail,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry(row: RowMapping) -> AuditEntry:
    event = AuditEvent(
        entry_id=row["entry_id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        district=row["district"],
        target=row["target"],
        detail=row["detail"],
    )
    return AuditEntry(row["seq"], event, row["prev_hash"], row["hash"])
