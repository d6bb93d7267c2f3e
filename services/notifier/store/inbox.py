"""Each district's alert inbox. Every query is scoped to one district: there is no way to read
or change another district's item through this class."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.api import DeliveryState, InboxAlert, InboxStatus
from schemas.events import AlertKind, AlertRaised
from services.notifier.audit.chain import AuditEvent
from services.notifier.lifecycle import UNACKNOWLEDGED, may_move
from services.notifier.routing import district_view
from services.notifier.store.audit import append_in
from services.notifier.store.database import Database
from services.notifier.store.tables import alerts, deliveries, inbox_items


class BadCursor(ValueError):
    """The paging cursor was not one this API handed out."""


@dataclass(frozen=True)
class InboxQuery:
    status: InboxStatus | None = None
    kind: AlertKind | None = None
    limit: int = 50
    cursor: str | None = None


class Inbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def page(self, district: str, query: InboxQuery) -> tuple[list[InboxAlert], str | None]:
        """Newest first; the cursor for the next page, or None on the last one."""
        where = [inbox_items.c.district == district]
        if query.status:
            where.append(inbox_items.c.status == query.status)
        if query.kind:
            where.append(inbox_items.c.kind == query.kind)
        if query.cursor:
            created_at, alert_id = decode_cursor(query.cursor)
            where.append(
                or_(
                    inbox_items.c.created_at < created_at,
                    (inbox_items.c.created_at == created_at) & (inbox_items.c.alert_id < alert_id),
                )
            )
        statement = (
            _items()
            .where(*where)
            .order_by(inbox_items.c.created_at.desc(), inbox_items.c.alert_id.desc())
            .limit(query.limit + 1)
        )
        async with self._db.read() as db:
            rows = (await db.execute(statement)).mappings().all()
            states = await _delivery_states(db, district, [r["alert_id"] for r in rows])
        items = [_inbox_alert(row, states) for row in rows[: query.limit]]
        more = len(rows) > query.limit
        return items, encode_cursor(items[-1]) if more else None

    async def get(self, district: str, alert_id: str) -> InboxAlert | None:
        async with self._db.read() as db:
            row = (await db.execute(_items().where(*_key(district, alert_id)))).mappings().first()
            states = await _delivery_states(db, district, [alert_id])
        return _inbox_alert(row, states) if row else None

    async def move(
        self,
        district: str,
        alert_id: str,
        status: InboxStatus,
        note: str | None,
        *,
        now: datetime,
        audited: AuditEvent | None = None,
    ) -> InboxAlert | None:
        """Move the item on (StatusConflict if that would move it back); None if no such item.
        `audited` goes on the audit trail in the same transaction, if anything changed."""
        async with self._db.write() as db:
            # Locked until the transaction ends (PostgreSQL; SQLite's writers are serialised),
            # so two officers acting at once are applied one after the other.
            locked = _items().where(*_key(district, alert_id)).with_for_update(of=inbox_items)
            row = (await db.execute(locked)).mappings().first()
            if row is None:
                return None
            if may_move(row["status"], status) or (note and note != row["note"]):
                values: dict[str, Any] = {"status": status, "updated_at": now}
                if note:
                    values["note"] = note
                if row["acknowledged_at"] is None:
                    values["acknowledged_at"] = now
                await db.execute(
                    update(inbox_items).where(*_key(district, alert_id)).values(**values)
                )
                if audited is not None:  # a move that changes nothing is not one
                    await append_in(db, self._db, audited)
            row = (await db.execute(_items().where(*_key(district, alert_id)))).mappings().one()
            states = await _delivery_states(db, district, [alert_id])
        return _inbox_alert(row, states)

    async def unacknowledged(self, district: str) -> int:
        """How many of the district's alerts nobody has acknowledged yet."""
        query = select(func.count()).where(
            inbox_items.c.district == district, inbox_items.c.status == UNACKNOWLEDGED
        )
        async with self._db.read() as db:
            count: int = (await db.execute(query)).scalar_one()
        return count

    async def overdue(
        self, district: str, *, waiting_since: datetime, limit: int
    ) -> list[InboxAlert]:
        """The district's alerts nobody has acknowledged since `waiting_since` or longer,
        longest waiting first."""
        statement = (
            _items()
            .where(*_waiting(district, waiting_since))
            .order_by(inbox_items.c.created_at, inbox_items.c.alert_id)
            .limit(limit)
        )
        async with self._db.read() as db:
            rows = (await db.execute(statement)).mappings().all()
            states = await _delivery_states(db, district, [r["alert_id"] for r in rows])
        return [_inbox_alert(row, states) for row in rows]

    async def overdue_count(self, district: str, *, waiting_since: datetime) -> int:
        query = select(func.count()).where(*_waiting(district, waiting_since))
        async with self._db.read() as db:
            count: int = (await db.execute(query)).scalar_one()
        return count

    async def oldest_unacknowledged(self) -> datetime | None:
        query = select(func.min(inbox_items.c.created_at)).where(
            inbox_items.c.status == UNACKNOWLEDGED
        )
        async with self._db.read() as db:
            when: datetime | None = (await db.execute(query)).scalar_one_or_none()
        return when


def _items() -> Any:
    return select(inbox_items, alerts.c.event).join(
        alerts, alerts.c.alert_id == inbox_items.c.alert_id
    )


def _waiting(district: str, since: datetime) -> tuple[Any, Any, Any]:
    return (
        inbox_items.c.district == district,
        inbox_items.c.status == UNACKNOWLEDGED,
        inbox_items.c.created_at <= since,
    )


def _key(district: str, alert_id: str) -> tuple[Any, Any]:
    return inbox_items.c.district == district, inbox_items.c.alert_id == alert_id


async def _delivery_states(
    db: AsyncConnection, district: str, alert_ids: list[str]
) -> dict[str, list[DeliveryState]]:
    """Alert id -> its deliveries to `district`, on every channel."""
    query = (
        select(deliveries)
        .where(deliveries.c.district == district, deliveries.c.alert_id.in_(alert_ids))
        .order_by(deliveries.c.created_at, deliveries.c.channel)
    )
    states: dict[str, list[DeliveryState]] = {}
    for row in (await db.execute(query)).mappings():
        states.setdefault(row["alert_id"], []).append(DeliveryState.model_validate(dict(row)))
    return states


def _inbox_alert(row: Any, states: dict[str, list[DeliveryState]]) -> InboxAlert:
    alert = AlertRaised.model_validate_json(row["event"])
    return InboxAlert(
        alert_id=row["alert_id"],
        kind=row["kind"],
        status=row["status"],
        note=row["note"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        acknowledged_at=row["acknowledged_at"],
        reminders=row["reminders"],
        alert=district_view(alert, row["district"]),
        deliveries=states.get(row["alert_id"], []),
    )


def encode_cursor(item: InboxAlert) -> str:
    raw = f"{item.created_at.isoformat()}|{item.alert_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, alert_id = raw.split("|", 1)
        return datetime.fromisoformat(created_at), alert_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor("cursor is not one this API handed out; use the `next` value") from None
