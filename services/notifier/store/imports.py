"""Back-fills as the notifier keeps them: each pass of an import's end (ImportPassed) and the
links its back-filled complaints made, until every pass is in and its digests are told.

Every transaction that stores a link of an import, a pass of its end, or its digests first
writes the import's row, which locks it until the transaction ends (PostgreSQL's row lock;
SQLite has one writer at a time). So of two notifiers storing the last two passes at once, the
second counts both; and a link is either among those the digests count (their transaction
checks the count it was composed from) or stored after them, and then delivered as any alert.
Nothing a back-fill links is left untold.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.api import ImportProgress
from schemas.events import ImportPassed
from schemas.topics import IMPORT_PASSES
from services.notifier.import_digests import ImportLink
from services.notifier.store.database import Database, insert_ignoring_repeats, upsert
from services.notifier.store.tables import alerts, import_alerts, import_passes, imports


@dataclass(frozen=True)
class DigestOf:
    """The digests of an import, composed from this many of its links."""

    import_id: str
    links: int


class StaleDigest(RuntimeError):
    """A link of the import was stored after its digests were composed: compose them again."""


class ImportTold(RuntimeError):
    """The import's digests were stored already (by another notifier, or before a pass was
    consumed again): nothing more to tell."""


class Imports:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def passed(self, passed: ImportPassed) -> bool:
        """Store one pass of an import's end; True if every pass is now in and the import's
        digests are not yet stored."""
        async with self._db.write() as db:
            await _lock(db, self._db, [passed.import_id])
            row = {
                "import_id": passed.import_id,
                "source_topic": passed.source_topic,
                "source_partition": passed.source_partition,
                "alerts_partition": passed.alerts_partition,
            }
            await db.execute(insert_ignoring_repeats(self._db, import_passes), row)
            this = imports.c.import_id == passed.import_id
            count = (
                await db.execute(
                    select(func.count()).where(import_passes.c.import_id == passed.import_id)
                )
            ).scalar_one()
            closed = {"district": passed.district, "closed_at": passed.closed_at}
            await db.execute(update(imports).where(this).values(passes=count, **closed))
            digested = (await db.execute(select(imports.c.digested_at).where(this))).scalar()
        return int(count) >= IMPORT_PASSES and digested is None

    async def progress(self, *, limit: int) -> list[ImportProgress]:
        """The most recent imports, those not yet digested first."""
        links = (
            select(import_alerts.c.import_id, func.count().label("links"))
            .group_by(import_alerts.c.import_id)
            .subquery()
        )
        query = (
            select(imports, func.coalesce(links.c.links, 0).label("links"))
            .outerjoin(links, links.c.import_id == imports.c.import_id)
            .order_by(imports.c.digested_at.is_not(None), imports.c.closed_at.desc().nulls_first())
            .limit(limit)
        )
        async with self._db.read() as db:
            rows = (await db.execute(query)).mappings().all()
        return [
            ImportProgress(
                import_id=row["import_id"],
                links=row["links"],
                closed_by=row["district"],
                closed_at=row["closed_at"],
                passes=row["passes"],
                passes_needed=IMPORT_PASSES,
                digested_at=row["digested_at"],
            )
            for row in rows
        ]

    async def untold(self) -> int:
        """How many imports hold links whose digests are not stored yet."""
        query = select(func.count(func.distinct(import_alerts.c.import_id))).where(
            import_alerts.c.import_id.in_(
                select(imports.c.import_id).where(imports.c.digested_at.is_(None))
            )
        )
        async with self._db.read() as db:
            count: int = (await db.execute(query)).scalar_one()
        return count

    async def links(self, import_id: str) -> list[ImportLink]:
        """Every link of the import stored so far as historical (counted in its digests)."""
        query = (
            select(alerts.c.event)
            .join(import_alerts, import_alerts.c.alert_id == alerts.c.alert_id)
            .where(import_alerts.c.import_id == import_id)
            .order_by(alerts.c.raised_at, alerts.c.alert_id)
        )
        async with self._db.read() as db:
            events = (await db.execute(query)).scalars().all()
        return [ImportLink.model_validate_json(event) for event in events]


async def quiet_imports(
    db: AsyncConnection, database: Database, import_ids: Collection[str]
) -> set[str]:
    """Of these imports, those whose digests are not yet stored (their links are historical),
    each locked until `db`'s transaction ends."""
    if not import_ids:
        return set()
    await _lock(db, database, import_ids)
    query = select(imports.c.import_id).where(
        imports.c.import_id.in_(import_ids), imports.c.digested_at.is_(None)
    )
    return set((await db.execute(query)).scalars())


async def counted_links(db: AsyncConnection, alert_ids: Collection[str]) -> set[str]:
    """Those of these alerts stored as a back-fill's links (counted in its digests)."""
    if not alert_ids:
        return set()
    query = select(import_alerts.c.alert_id).where(import_alerts.c.alert_id.in_(alert_ids))
    return set((await db.execute(query)).scalars())


async def mark_digested(
    db: AsyncConnection, database: Database, digest: DigestOf, *, now: datetime
) -> None:
    """Mark the import digested in `db`'s transaction, or raise StaleDigest if a link was
    stored since its digests were composed, ImportTold if they were stored already."""
    await _lock(db, database, [digest.import_id])
    this = imports.c.import_id == digest.import_id
    if (await db.execute(select(imports.c.digested_at).where(this))).scalar() is not None:
        raise ImportTold(digest.import_id)
    stored = (
        await db.execute(select(func.count()).where(import_alerts.c.import_id == digest.import_id))
    ).scalar_one()
    if int(stored) != digest.links:
        raise StaleDigest(f"import {digest.import_id}: {stored} links now, {digest.links} counted")
    await db.execute(update(imports).where(this).values(digested_at=now))


async def _lock(db: AsyncConnection, database: Database, import_ids: Collection[str]) -> None:
    """Write each import's row (creating it if need be), in one order so that two
    transactions never wait on each other's."""
    rows = [{"import_id": import_id, "passes": 0} for import_id in sorted(import_ids)]
    await db.execute(upsert(database, imports, updating=("import_id",)), rows)
