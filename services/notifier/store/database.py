"""Connects to the notifier's database: SQLite (embedded, the default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from services.notifier.store.tables import metadata


def async_url(url: str) -> str:
    """sqlite:///x -> sqlite+aiosqlite:///x; postgresql://... -> postgresql+asyncpg://..."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}[parsed.get_backend_name()]  # fmt: skip
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


async def open_database(url: str) -> AsyncEngine:
    """An engine on `url` with the notifier's tables created if they are missing."""
    parsed = make_url(async_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(parsed, pool_pre_ping=True)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # WAL lets the inbox API read while the dispatcher writes; FULL sync makes a commit
    # durable before the consumer commits the Kafka offset past it.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def insert_ignoring_repeats(engine: AsyncEngine, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: a repeated row (same key) is silently skipped."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(table).on_conflict_do_nothing()
    return statement
