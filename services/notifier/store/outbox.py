"""The delivery outbox: every delivery owed, stored before the alert's offset is committed.

Deliveries are claimed with a lease (their next attempt is pushed past the attempt's
timeout), so a notifier that dies mid-attempt leaves the delivery due again once the lease
runs out, with the same id: at-least-once, and receivers deduplicate on the id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.api import OperatorAlert
from schemas.events import AlertRaised
from services.notifier.retries import Done, RetryAt
from services.notifier.routing import Channel, PlannedDelivery, Purpose
from services.notifier.store.database import insert_ignoring_repeats
from services.notifier.store.tables import (
    alerts,
    deliveries,
    disabled_endpoints,
    inbox_items,
    operator_alerts,
)


@dataclass(frozen=True)
class DueDelivery:
    delivery_id: str
    district: str
    channel: Channel
    purpose: Purpose
    attempts: int  # made before this one
    alert: AlertRaised
    received_at: datetime | None


@dataclass(frozen=True)
class NewOperatorAlert:
    operator_alert_id: str
    kind: str
    reason: str
    district: str | None = None
    alert_id: str | None = None
    delivery_id: str | None = None


Planner = Callable[[AlertRaised, str], Sequence[PlannedDelivery]]


class Outbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def store(
        self, batch: Sequence[tuple[AlertRaised, Sequence[PlannedDelivery]]], *, now: datetime
    ) -> None:
        """Store alerts, their inbox items and deliveries in one transaction; repeats are
        ignored by key, so re-consuming an alert after a crash stores nothing twice."""
        if not batch:
            return
        async with self._engine.begin() as db:
            disabled = await self._disabled_districts(db)
            await db.execute(
                insert_ignoring_repeats(self._engine, alerts),
                [_alert_row(alert, now) for alert, _ in batch],
            )
            items = [_inbox_row(a, d, now) for a, _ in batch for d in a.districts]
            if items:
                await db.execute(insert_ignoring_repeats(self._engine, inbox_items), items)
            await self._insert_deliveries(db, [p for _, ps in batch for p in ps], disabled, now)

    async def claim_due(self, *, now: datetime, lease_s: float, limit: int) -> list[DueDelivery]:
        """Deliveries due now, each leased to this caller alone until `lease_s` has passed."""
        query = (
            select(deliveries, alerts.c.event, alerts.c.received_at)
            .join(alerts, alerts.c.alert_id == deliveries.c.alert_id)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at)
            .limit(limit)
        )
        lease_until = now + timedelta(seconds=lease_s)
        claimed = []
        async with self._engine.begin() as db:
            for row in (await db.execute(query)).mappings().all():
                lease = (
                    update(deliveries)
                    .where(deliveries.c.delivery_id == row["delivery_id"],
                           deliveries.c.status == "pending",
                           deliveries.c.next_attempt_at == row["next_attempt_at"])
                    .values(next_attempt_at=lease_until)
                )  # fmt: skip
                if (await db.execute(lease)).rowcount == 1:
                    claimed.append(_due(row))
        return claimed

    async def next_due_at(self) -> datetime | None:
        query = select(func.min(deliveries.c.next_attempt_at)).where(
            deliveries.c.status == "pending"
        )
        async with self._engine.connect() as db:
            when: datetime | None = (await db.execute(query)).scalar_one_or_none()
        return when

    async def record(
        self, delivery: DueDelivery, step: RetryAt | Done, *, outcome: str, now: datetime
    ) -> None:
        """Record an attempt's result: delivered, dead, held, or the time of the next attempt."""
        values: dict[str, Any] = {"attempts": delivery.attempts + 1, "last_outcome": outcome}
        if isinstance(step, RetryAt):
            values["next_attempt_at"] = step.at
        else:
            values |= {"status": step.status, "finished_at": now}
        async with self._engine.begin() as db:
            await db.execute(
                update(deliveries)
                .where(deliveries.c.delivery_id == delivery.delivery_id)
                .values(**values)
            )

    async def disable_endpoint(self, district: str, url: str, *, now: datetime) -> None:
        """Stop using a district's webhook endpoint: its pending webhooks are held, not lost."""
        async with self._engine.begin() as db:
            await db.execute(
                insert_ignoring_repeats(self._engine, disabled_endpoints),
                [{"district": district, "url": url, "disabled_at": now}],
            )
            await db.execute(
                update(deliveries)
                .where(_webhooks_of(district), deliveries.c.status == "pending")
                .values(status="held")
            )

    async def enable_endpoint(self, district: str, *, now: datetime) -> int:
        """Use the district's endpoint again; its held webhooks are due at once. Their number."""
        async with self._engine.begin() as db:
            await db.execute(
                disabled_endpoints.delete().where(disabled_endpoints.c.district == district)
            )
            resumed = await db.execute(
                update(deliveries)
                .where(_webhooks_of(district), deliveries.c.status == "held")
                .values(status="pending", next_attempt_at=now)
            )
        return int(resumed.rowcount)

    async def disabled_endpoints(self) -> dict[str, str]:
        """District code -> the URL that was disabled."""
        async with self._engine.connect() as db:
            rows = await db.execute(select(disabled_endpoints.c.district, disabled_endpoints.c.url))
            return {district: url for district, url in rows.tuples()}

    async def raise_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool:
        """Store an operator alert; False if one with the same id was raised before."""
        async with self._engine.begin() as db:
            result = await db.execute(
                insert_ignoring_repeats(self._engine, operator_alerts),
                [{**alert.__dict__, "raised_at": now}],
            )
        return bool(result.rowcount)

    async def operator_alerts(self, *, limit: int) -> list[OperatorAlert]:
        """The most recent operator alerts, newest first."""
        query = select(operator_alerts).order_by(operator_alerts.c.raised_at.desc()).limit(limit)
        async with self._engine.connect() as db:
            rows = (await db.execute(query)).mappings().all()
        return [OperatorAlert.model_validate(dict(row)) for row in rows]

    async def schedule_reminders(
        self, *, unacknowledged_since: datetime, plan: Planner, now: datetime
    ) -> list[tuple[str, str]]:
        """Re-notify, once, each inbox item still new since before `unacknowledged_since`.
        Returns the (alert id, district) pairs reminded."""
        query = (
            select(inbox_items.c.alert_id, inbox_items.c.district, alerts.c.event)
            .join(alerts, alerts.c.alert_id == inbox_items.c.alert_id)
            .where(inbox_items.c.status == "new", inbox_items.c.reminders == 0,
                   inbox_items.c.created_at <= unacknowledged_since)
            .limit(500)
        )  # fmt: skip
        reminded = []
        async with self._engine.begin() as db:
            disabled = await self._disabled_districts(db)
            for alert_id, district, event in (await db.execute(query)).tuples():
                claim = (
                    update(inbox_items)
                    .where(inbox_items.c.alert_id == alert_id, inbox_items.c.district == district,
                           inbox_items.c.reminders == 0)
                    .values(reminders=1)
                )  # fmt: skip
                if (await db.execute(claim)).rowcount == 1:
                    planned = plan(AlertRaised.model_validate_json(event), district)
                    await self._insert_deliveries(db, planned, disabled, now)
                    reminded.append((alert_id, district))
        return reminded

    async def counts(self) -> dict[tuple[str, str], int]:
        """(channel, status) -> number of deliveries."""
        query = select(deliveries.c.channel, deliveries.c.status, func.count()).group_by(
            deliveries.c.channel, deliveries.c.status
        )
        async with self._engine.connect() as db:
            return {(c, s): n for c, s, n in (await db.execute(query)).tuples()}

    async def _disabled_districts(self, db: AsyncConnection) -> set[str]:
        return set((await db.execute(select(disabled_endpoints.c.district))).scalars())

    async def _insert_deliveries(
        self,
        db: AsyncConnection,
        planned: Sequence[PlannedDelivery],
        disabled: set[str],
        now: datetime,
    ) -> None:
        if not planned:
            return
        rows = [
            {**p.__dict__, "created_at": now, "next_attempt_at": now, "attempts": 0,
             "status": "held" if p.channel == "webhook" and p.district in disabled else "pending"}
            for p in planned
        ]  # fmt: skip
        await db.execute(insert_ignoring_repeats(self._engine, deliveries), rows)


def _webhooks_of(district: str) -> Any:
    return and_(deliveries.c.district == district, deliveries.c.channel == "webhook")


def _alert_row(alert: AlertRaised, now: datetime) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "raised_at": alert.raised_at,
        "received_at": alert.received_at,
        "stored_at": now,
        "event": alert.model_dump_json(),
    }


def _inbox_row(alert: AlertRaised, district: str, now: datetime) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "district": district,
        "kind": alert.kind,
        "status": "new",
        "created_at": now,
        "updated_at": now,
        "reminders": 0,
    }


def _due(row: Any) -> DueDelivery:
    return DueDelivery(
        delivery_id=row["delivery_id"],
        district=row["district"],
        channel=row["channel"],
        purpose=row["purpose"],
        attempts=row["attempts"],
        alert=AlertRaised.model_validate_json(row["event"]),
        received_at=row["received_at"],
    )
