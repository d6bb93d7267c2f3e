"""The audit trail on SQLite and PostgreSQL: entries numbered one after the other however many
write at once, refused UPDATE and DELETE from the application, and `verify` naming the first
entry someone edited, removed or moved directly in the database (with the guard dropped)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from services.notifier.audit.chain import AuditEvent, detail_of
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import Database, opened_database

pytestmark = pytest.mark.integration
AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
WRITTEN = 6  # the last one is entry 6


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A database of its own per test: the tests tamper with it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('audit') / 'notifier.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    async with opened_database(url) as opened:
        yield opened


def viewed(n: int) -> AuditEvent:
    return AuditEvent(
        entry_id=f"entry-{n}",
        at=AT + timedelta(seconds=n),
        actor="officer:mum.io",
        action="alert.viewed",
        district="MH-MUM",
        target=f"alert-{n}",
        detail=detail_of(role="investigating_officer"),
    )


@pytest.fixture
async def trail(database: Database) -> AuditLog:
    log = AuditLog(database)
    for n in range(1, WRITTEN + 1):
        await log.append(viewed(n))
    return log


async def tampered(database: Database, *statements: str) -> None:
    """Run `statements` as someone who can drop the guard (the database's owner)."""
    async with database.write() as db:
        if database.dialect == "postgresql":
            await db.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            await db.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            await db.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        for statement in statements:
            await db.exec_driver_sql(statement)


async def broken(trail: AuditLog) -> str:
    _, found = await trail.verify()
    assert found is not None
    return str(found)


async def test_an_untouched_trail_verifies_with_every_entry_in_order(trail: AuditLog) -> None:
    head, found = await trail.verify()

    assert found is None
    assert head.seq == WRITTEN
    assert [entry.seq async for entry in trail.entries()] == list(range(1, WRITTEN + 1))


async def test_an_entry_recorded_twice_is_one_entry(trail: AuditLog) -> None:
    assert await trail.append(viewed(1)) is None
    assert (await trail.head()).seq == WRITTEN


async def test_entries_written_at_once_are_numbered_one_after_the_other(
    database: Database,
) -> None:
    writers = [AuditLog(database), AuditLog(database)]

    await asyncio.gather(*(writers[n % 2].append(viewed(n)) for n in range(1, 21)))

    head, found = await writers[0].verify()
    assert found is None
    assert head.seq == 20


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'officer:someone-else' WHERE seq = 2",
     "DELETE FROM audit_log WHERE seq = 2"],
)  # fmt: skip
async def test_the_application_cannot_change_or_remove_an_entry(
    database: Database, trail: AuditLog, statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.write() as db:
            await db.exec_driver_sql(statement)

    assert (await trail.verify())[1] is None


async def test_verify_names_an_edited_entry(database: Database, trail: AuditLog) -> None:
    await tampered(database, "UPDATE audit_log SET actor = 'officer:someone-else' WHERE seq = 3")

    assert await broken(trail) == "entry 3: edited: its content no longer matches its hash"


async def test_verify_names_a_removed_entry(database: Database, trail: AuditLog) -> None:
    await tampered(database, "DELETE FROM audit_log WHERE seq = 4")

    assert await broken(trail) == "entry 4: missing: removed from the log"


async def test_verify_names_the_newest_entry_removed(database: Database, trail: AuditLog) -> None:
    await tampered(database, "DELETE FROM audit_log WHERE seq = 6")

    assert await broken(trail) == "entry 6: missing: the log ends at 5, 6 were written"


async def test_verify_names_entries_moved_out_of_order(database: Database, trail: AuditLog) -> None:
    await tampered(
        database,
        "UPDATE audit_log SET seq = -1 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = -1",
    )

    assert await broken(trail) == ("entry 2: does not follow entry 1: moved, or one before removed")
