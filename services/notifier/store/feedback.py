"""Officers' word on alerts' links in the notifier's database: which complaints a district said
are not linked, and the outcomes it confirmed; and each district's tally for the state view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.audit.chain import AuditEvent
from services.notifier.store.audit import append_in
from services.notifier.store.database import Database
from services.notifier.store.tables import import_alerts, inbox_items, link_feedback

NOT_LINKED, CONFIRMED = "not_linked", "confirmed"


@dataclass(frozen=True)
class Outcomes:
    """What a district reports a confirmed link led to."""

    fir_number: str | None = None
    arrests: int = 0
    amount_frozen: int = 0  # rupees
    amount_recovered: int = 0  # rupees


@dataclass(frozen=True)
class NotLinked:
    complaint_id: str
    reason: str
    officer: str
    at: datetime


@dataclass(frozen=True)
class AlertFeedback:
    """A district's word on one alert so far."""

    not_linked: tuple[NotLinked, ...] = ()
    confirmed: Outcomes | None = None
    confirmed_by: str | None = None


@dataclass(frozen=True)
class DistrictTally:
    """A district's alerts and what became of them, for the state view."""

    alerts: int = 0
    acknowledged_in_time: int = 0
    confirmed: int = 0
    not_linked: int = 0
    firs: int = 0
    arrests: int = 0
    amount_frozen: int = 0
    amount_recovered: int = 0


class Feedback:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def not_linked(
        self,
        district: str,
        alert_id: str,
        *,
        complaint_id: str,
        reason: str,
        withdrawal_id: str,
        officer: str,
        now: datetime,
        audited: AuditEvent,
    ) -> None:
        """Record that the complaint is not linked (once: said again, it changes nothing)."""
        row = {
            **_key(alert_id, district, NOT_LINKED, complaint_id),
            "reason": reason,
            "withdrawal_id": withdrawal_id,
            "officer": officer,
            "at": now,
        }
        try:
            async with self._db.write() as db:
                await db.execute(link_feedback.insert().values(row))
                await append_in(db, self._db, audited)
        except IntegrityError:  # said before (or at the same moment): its row, and its entry, stand
            return

    async def confirmed(
        self,
        district: str,
        alert_id: str,
        outcomes: Outcomes,
        *,
        officer: str,
        now: datetime,
        audited: AuditEvent,
    ) -> None:
        """Record the link confirmed with its outcomes, replacing what was reported before."""
        key = _key(alert_id, district, CONFIRMED, "")
        values = {
            "fir_number": outcomes.fir_number,
            "arrests": outcomes.arrests,
            "amount_frozen": outcomes.amount_frozen,
            "amount_recovered": outcomes.amount_recovered,
            "officer": officer,
            "at": now,
        }
        async with self._db.write() as db:
            if await _exists(db, key):
                await db.execute(link_feedback.update().where(*_where(key)).values(values))
            else:
                await db.execute(link_feedback.insert().values({**key, **values}))
            await append_in(db, self._db, audited)

    async def of_alert(self, district: str, alert_id: str) -> AlertFeedback:
        query = select(link_feedback).where(
            link_feedback.c.alert_id == alert_id, link_feedback.c.district == district
        )
        async with self._db.read() as db:
            rows = [row._mapping for row in await db.execute(query)]
        mine = [
            NotLinked(r["complaint_id"], r["reason"], r["officer"], r["at"])
            for r in rows
            if r["verdict"] == NOT_LINKED
        ]
        confirmed = next((r for r in rows if r["verdict"] == CONFIRMED), None)
        if confirmed is None:
            return AlertFeedback(not_linked=tuple(mine))
        outcomes = Outcomes(
            fir_number=confirmed["fir_number"],
            arrests=confirmed["arrests"] or 0,
            amount_frozen=confirmed["amount_frozen"] or 0,
            amount_recovered=confirmed["amount_recovered"] or 0,
        )
        return AlertFeedback(tuple(mine), outcomes, confirmed["officer"])

    async def tallies(
        self, districts: Sequence[str], *, in_time: timedelta
    ) -> dict[str, DistrictTally]:
        """Each district's alerts, those acknowledged within `in_time`, and its word on them.
        A back-fill's links are not counted: they were told by their import's digest (which
        is), never one by one, so no time to acknowledge them ran."""
        async with self._db.read() as db:
            # Times compared here, not in SQL: date arithmetic differs between the databases.
            alerts = await db.execute(
                select(
                    inbox_items.c.district, inbox_items.c.created_at, inbox_items.c.acknowledged_at
                ).where(
                    inbox_items.c.district.in_(districts),
                    inbox_items.c.alert_id.not_in(select(import_alerts.c.alert_id)),
                )
            )
            counted: dict[str, dict[str, Any]] = {d: {} for d in districts}
            for district, created_at, acknowledged_at in alerts:
                tally = counted[district]
                tally["alerts"] = tally.get("alerts", 0) + 1
                if acknowledged_at is not None and acknowledged_at - created_at <= in_time:
                    tally["acknowledged_in_time"] = tally.get("acknowledged_in_time", 0) + 1
            words = await db.execute(
                select(
                    link_feedback.c.district,
                    link_feedback.c.verdict,
                    func.count(),
                    func.count(link_feedback.c.fir_number),
                    func.coalesce(func.sum(link_feedback.c.arrests), 0),
                    func.coalesce(func.sum(link_feedback.c.amount_frozen), 0),
                    func.coalesce(func.sum(link_feedback.c.amount_recovered), 0),
                )
                .where(link_feedback.c.district.in_(districts))
                .group_by(link_feedback.c.district, link_feedback.c.verdict)
            )
            for district, verdict, count, firs, arrests, frozen, recovered in words:
                tally = counted[district]
                if verdict == NOT_LINKED:
                    tally["not_linked"] = count
                    continue
                tally.update(
                    confirmed=count,
                    firs=firs,
                    arrests=arrests,
                    amount_frozen=frozen,
                    amount_recovered=recovered,
                )
        return {district: DistrictTally(**tally) for district, tally in counted.items()}


def _key(alert_id: str, district: str, verdict: str, complaint_id: str) -> dict[str, str]:
    return {
        "alert_id": alert_id,
        "district": district,
        "verdict": verdict,
        "complaint_id": complaint_id,
    }


def _where(key: dict[str, str]) -> list[Any]:
    return [link_feedback.c[column] == value for column, value in key.items()]


async def _exists(db: AsyncConnection, key: dict[str, str]) -> bool:
    found = await db.execute(select(link_feedback.c.alert_id).where(and_(*_where(key))))
    return found.first() is not None
