"""Connects to the notifier's database: SQLite (embedded, the default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from services.notifier.store.tables import metadata


@dataclass(frozen=True)
class Database:
    """Transactions that write, and connections that only read.

    On SQLite they come from two engines. Writers take the write lock when they begin, and
    share one connection: they queue for it in the event loop and are woken the moment it is
    free, where with several connections each would wait in SQLite's busy handler, which
    sleeps in steps of up to 100 ms (a third of the end-to-end p99, docs/bench/tuning.md).
    Readers keep WAL's concurrent reads. On PostgreSQL both are one engine.
    """

    writer: AsyncEngine
    reader: AsyncEngine

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.writer.begin()

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.reader.connect()

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


@asynccontextmanager
async def opened_database(url: str) -> AsyncIterator[Database]:
    """The database at `url` (as open_database makes it), disposed of on leaving: for a
    command or a test that uses it once."""
    database = await open_database(url)
    try:
        yield database
    finally:
        await database.dispose()


def async_url(url: str) -> str:
    """sqlite:///x -> sqlite+aiosqlite:///x; postgresql://... -> postgresql+asyncpg://..."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


async def open_database(url: str) -> Database:
    """The database at `url`, with the notifier's tables created if they are missing."""
    parsed = make_url(async_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer = _sqlite_engine(parsed, "BEGIN IMMEDIATE", pool_size=1, max_overflow=0)
        database = Database(writer, _sqlite_engine(parsed))
    else:
        engine = create_async_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
        database = Database(engine, engine)
    async with database.write() as connection:
        if database.dialect == "postgresql":  # notifiers starting together: one at a time
            await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        await connection.run_sync(metadata.create_all)
        for statement in APPEND_ONLY[database.dialect]:
            await connection.exec_driver_sql(statement)
    return database


SCHEMA_LOCK = 0x63726F73  # any constant: PostgreSQL's advisory lock for creating the tables


# The audit log refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) from any session that has
# not first dropped these triggers: the application never can, by mistake or through a bug.
# Its head row may move on, but is never deleted and never changes its chain id (the name its
# copies on Kafka carry).
_REFUSAL = "the audit log is append-only"
_SQLITE_GUARDS = {
    "audit_log_no_update": "UPDATE ON audit_log",
    "audit_log_no_delete": "DELETE ON audit_log",
    "audit_head_no_delete": "DELETE ON audit_head",
    "audit_head_chain_kept": "UPDATE OF chain ON audit_head",
}
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        for name, event in _SQLITE_GUARDS.items()
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION crosslink_audit_append_only() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
        "CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION crosslink_audit_append_only()",
        "CREATE OR REPLACE TRIGGER audit_log_not_truncated BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION crosslink_audit_append_only()",
        "CREATE OR REPLACE TRIGGER audit_head_kept BEFORE DELETE OR UPDATE OF chain ON "
        "audit_head FOR EACH ROW EXECUTE FUNCTION crosslink_audit_append_only()",
        "CREATE OR REPLACE TRIGGER audit_head_not_truncated BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION crosslink_audit_append_only()",
    ],
}


def _sqlite_engine(url: URL, begin: str = "BEGIN", **pool: int) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": 30}, pool_timeout=30, **pool)

    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)

    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # The driver's own BEGIN is turned off: each engine emits its own (see Database).
    dbapi_connection.isolation_level = None
    # WAL lets the inbox API read while the dispatcher writes; FULL sync makes a commit
    # durable before the consumer commits the Kafka offset past it.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def insert_ignoring_repeats(database: Database, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: a repeated row (same key) is silently skipped."""
    dialect = postgresql if database.dialect == "postgresql" else sqlite
    statement: Insert = dialect.insert(table).on_conflict_do_nothing()
    return statement


def upsert(database: Database, table: Table, *, updating: tuple[str, ...]) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE: a repeated row (same key) sets `updating` anew."""
    dialect = postgresql if database.dialect == "postgresql" else sqlite
    statement = dialect.insert(table)
    keys = [column.name for column in table.primary_key]
    new = {name: statement.excluded[name] for name in updating}
    updated: Insert = statement.on_conflict_do_update(index_elements=keys, set_=new)
    return updated
