"""The notifier's like-for-like baseline: an aiokafka loop that does the notifier's durable work
on alerts with crosslink's own routing and signing, and nothing else.

Run as its own process by bench/notifier.py, configured from the notifier's own variables (the
broker's access, CROSSLINK_DATABASE_URL, CROSSLINK_DISTRICTS_FILE) and held to the notifier's
default limits (16 webhooks at once, 4 to one district). Per batch of up to 500 alerts (as the
notifier takes them): each alert is decoded and its deliveries planned by crosslink's
`deliveries_for`; one transaction inserts a row per delivery; each webhook's body is
crosslink's `webhook_body`, signed by `signed_headers` and POSTed with the notifier's httpx
client; one transaction records every answer; only then are the batch's offsets committed.
The notifier's drivers and SQLite settings (aiosqlite in WAL with synchronous=FULL, asyncpg).
No retries (the benchmark's receiver takes every webhook), no inbox, leases or alert rows.

It prints `done` when it has processed `--expect` alerts and committed them.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Column, DateTime, MetaData, String, Table, bindparam, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from bench.baseline_task import task
from bench.brokers import loop_clients
from crosslink.directory import DistrictsDirectory, load_directory
from crosslink.settings import from_environment
from schemas.events import AlertRaised
from services.notifier.channels.webhook import classify, webhook_client
from services.notifier.config import NotifierSettings
from services.notifier.routing import PlannedDelivery, deliveries_for, webhook_body
from services.notifier.signing import signed_headers
from services.notifier.store.database import async_url

deliveries = Table(
    "deliveries",
    MetaData(),
    Column("delivery_id", String, primary_key=True),
    Column("alert_id", String, nullable=False),
    Column("district", String, nullable=False),
    Column("status", String, nullable=False),
    Column("attempted_at", DateTime(timezone=True)),
)
ANSWERED = (
    update(deliveries)
    .where(deliveries.c.delivery_id == bindparam("answered_id"))
    .values(status=bindparam("answer"), attempted_at=bindparam("at"))
)


class Sender:
    """POSTs signed webhooks, at most `concurrency` at once and `per_district` to one district."""

    def __init__(
        self, client: httpx.AsyncClient, directory: DistrictsDirectory, settings: NotifierSettings
    ) -> None:
        self._client, self._directory = client, directory
        self._slots = asyncio.Semaphore(settings.max_concurrent_deliveries)
        per_district = settings.max_concurrent_deliveries_per_district
        self._shares: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_district)
        )

    async def send(self, alert: AlertRaised, delivery: PlannedDelivery) -> dict[str, Any]:
        """Send one webhook; its row's new values (status: the outcome, as the notifier has it)."""
        district = self._directory.get(delivery.district)
        webhook = district.webhook if district else None
        assert webhook is not None, f"{delivery.district} has no webhook"
        # The district's share first: a slot is never held waiting for a busy district.
        async with self._shares[delivery.district], self._slots:
            body = webhook_body(alert, delivery.district, delivery.purpose)
            headers = signed_headers(list(webhook.secrets), msg_id=delivery.delivery_id,
                                     timestamp=int(time.time()), body=body)  # fmt: skip
            headers["content-type"] = "application/json"
            at = datetime.now(UTC)
            try:
                response = await self._client.post(str(webhook.url), content=body, headers=headers)
                answer = classify(response.status_code, response.headers.get("retry-after"))
                outcome = answer.outcome
            except httpx.HTTPError as error:
                outcome = type(error).__name__
        return {"answered_id": delivery.delivery_id, "answer": outcome, "at": at}


async def opened(url: str) -> AsyncEngine:
    """The loop's database at `url`, through the notifier's drivers, with its one table."""
    engine = create_async_engine(async_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _as_the_notifier_does)
    async with engine.begin() as db:
        await db.run_sync(deliveries.metadata.create_all)
    return engine


def _as_the_notifier_does(dbapi_connection: Any, _: Any) -> None:
    """WAL, and a commit on disk before the offsets move past it (FULL sync)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _inserting(engine: AsyncEngine) -> Insert:
    """INSERT that skips a repeated delivery (an alert consumed again), as the outbox does."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(deliveries).on_conflict_do_nothing()
    return statement


async def run(settings: NotifierSettings, topic: str, expect: int) -> None:
    directory, engine = load_directory(settings.districts_file), await opened(settings.database_url)
    processed, inserting = 0, _inserting(engine)
    clients = loop_clients(settings.kafka, topic, "bench-notifier-loop", auto_commit=False)
    async with webhook_client(settings.webhook_timeout_s) as client, clients as (consumer, _):
        sender = Sender(client, directory, settings)
        while processed < expect:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            alerts = [AlertRaised.model_validate_json(record.value or b"")
                      for records in batches.values() for record in records]  # fmt: skip
            if not alerts:
                continue
            planned = [(alert, delivery) for alert in alerts
                       for delivery in deliveries_for(alert, directory, email_enabled=False)
                       ]  # fmt: skip
            async with engine.begin() as db:
                await db.execute(inserting, [_pending(delivery) for _, delivery in planned])
            answered = await asyncio.gather(*(sender.send(*each) for each in planned))
            async with engine.begin() as db:
                await db.execute(ANSWERED, answered)
            await consumer.commit()  # only now: every delivery and its result is durable
            processed += len(alerts)
    await engine.dispose()
    print("done", flush=True)


def _pending(delivery: PlannedDelivery) -> dict[str, Any]:
    return {"delivery_id": delivery.delivery_id, "alert_id": delivery.alert_id,
            "district": delivery.district, "status": "pending"}  # fmt: skip


def main() -> None:
    given = task()
    asyncio.run(run(from_environment(NotifierSettings), given.topic, given.expect))


if __name__ == "__main__":
    main()
