"""The delivery outbox: every delivery owed, stored before the alert's offset is committed.

Deliveries are claimed with a lease (their next attempt is pushed past the attempt's time
limit), so a notifier that dies mid-attempt leaves the delivery due again once the lease runs
out, with the same id: at-least-once, and receivers deduplicate on the id. A new delivery may be
stored already leased to the notifier storing it, which attempts it at once. An attempt's result
is recorded only while its lease holds, together with its consequences (endpoint disabled,
operator alert) in one transaction, so no outcome is half-recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import and_, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.api import OperatorAlert
from schemas.events import AlertRaised
from services.notifier.lifecycle import HISTORICAL, UNACKNOWLEDGED
from services.notifier.retries import Done, RetryAt
from services.notifier.routing import Channel, PlannedDelivery, Purpose
from services.notifier.slots import Room
from services.notifier.store.database import Database, insert_ignoring_repeats, upsert
from services.notifier.store.imports import (
    DigestOf,
    counted_links,
    mark_digested,
    quiet_imports,
)
from services.notifier.store.tables import (
    alerts,
    deliveries,
    disabled_endpoints,
    import_alerts,
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
    lease_until: datetime


@dataclass(frozen=True)
class NewOperatorAlert:
    operator_alert_id: str
    kind: str
    reason: str
    district: str | None = None
    alert_id: str | None = None
    delivery_id: str | None = None


@dataclass(frozen=True)
class Finish:
    """What an attempt's result changes besides the delivery itself."""

    operator_alert: NewOperatorAlert | None = None
    disable_url: str | None = None  # the district's webhook endpoint answered 410


@dataclass(frozen=True)
class Lease:
    """Deliveries stored with their first attempt leased to the storer, as many as `room`
    has slots for, each until its channel's lease ends."""

    until: Mapping[str, datetime]  # channel -> end of the lease
    room: Room


@dataclass(frozen=True)
class Claimed:
    """What one claim leased."""

    due: list[DueDelivery]
    undecodable: list[str]  # delivery ids whose stored alert no longer decodes: leased too
    more: bool = False  # deliveries may be due beyond those looked at: claim again


@dataclass(frozen=True)
class Attempted:
    """An attempt's result, to be recorded if its lease still holds."""

    delivery: DueDelivery
    step: RetryAt | Done
    outcome: str
    now: datetime
    finish: Finish = Finish()


_CLAIMED = (
    deliveries.c.delivery_id,
    deliveries.c.alert_id,
    deliveries.c.district,
    deliveries.c.channel,
    deliveries.c.purpose,
    deliveries.c.attempts,
)
Planner = Callable[[AlertRaised, str], Sequence[PlannedDelivery]]
Planned = Sequence[tuple[AlertRaised, Sequence[PlannedDelivery]]]  # alerts and their deliveries
LeaseEnds = Mapping[str, datetime]  # channel -> when a lease taken now ends
STATUSES = ("pending", "delivered", "held", "dead")
# A claim looks at this many due deliveries per free slot: enough that a district at its
# share rarely hides the others' deliveries behind its own (if it does, the claim says `more`).
CANDIDATES_PER_SLOT = 4


class DeliveryStore(Protocol):
    """The outbox as the alert consumer and the dispatcher use it (the port; `Outbox` is the
    database adapter, tests/fakes.py has an in-memory one)."""

    async def store(
        self,
        batch: Planned,
        *,
        now: datetime,
        lease: Lease | None = None,
        digest: DigestOf | None = None,
    ) -> list[DueDelivery]: ...

    async def claim_due(
        self, *, now: datetime, lease_until: LeaseEnds, room: Room, busy: Collection[str] = ()
    ) -> Claimed: ...

    async def next_due_at(self, *, except_districts: Collection[str] = ()) -> datetime | None: ...

    async def record(self, attempts: Sequence[Attempted]) -> list[tuple[bool, bool]]: ...

    async def mark_undecodable(self, delivery_id: str, *, now: datetime) -> None: ...

    async def disabled_endpoints(self) -> dict[str, str]: ...

    async def enable_endpoint(self, district: str, *, now: datetime) -> int: ...

    async def raise_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool: ...

    async def update_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool: ...


class Outbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def store(
        self,
        batch: Planned,
        *,
        now: datetime,
        lease: Lease | None = None,
        digest: DigestOf | None = None,
    ) -> list[DueDelivery]:
        """Store alerts, their inbox items and deliveries in one transaction; repeats are
        ignored by key, so re-consuming an alert after a crash stores nothing twice.

        A back-fill's link (an alert with an import id) is stored as historical, without its
        deliveries, while its import's digests are not yet stored; after them, as any alert.
        With `digest`, the batch is the import's digests, and the import is marked digested in
        the same transaction (StaleDigest if a link came since they were composed).

        With `lease`, up to `lease.limit` of the new deliveries are stored already leased to
        the caller, who attempts them at once without claiming them: they are returned. A
        repeat is never returned (its first copy's lease or result stands)."""
        if not batch and digest is None:
            return []
        async with self._db.write() as db:
            if digest is not None:  # even with no digest to tell (the import linked nothing)
                await mark_digested(db, self._db, digest, now=now)
            if not batch:
                return []
            quiet = await quiet_imports(
                db, self._db, {a.import_id for a, _ in batch if a.import_id}
            )
            # A link re-consumed after its import's digests counted it stays told by them.
            told = await counted_links(db, [a.alert_id for a, _ in batch if a.import_id])
            await db.execute(
                insert_ignoring_repeats(self._db, alerts),
                [_alert_row(alert, now) for alert, _ in batch],
            )
            items = [
                _inbox_row(a, d, now, historical=a.import_id in quiet)
                for a, _ in batch
                for d in a.districts
            ]
            if items:
                await db.execute(insert_ignoring_repeats(self._db, inbox_items), items)
            if links := [
                {"import_id": a.import_id, "alert_id": a.alert_id}
                for a, _ in batch
                if a.import_id in quiet
            ]:
                await db.execute(insert_ignoring_repeats(self._db, import_alerts), links)
            planned = [
                p
                for a, ps in batch
                if a.import_id not in quiet and a.alert_id not in told
                for p in ps
            ]
            leased = await self._insert_deliveries(db, planned, now, lease)
        if lease is None:
            return []
        by_alert = {alert.alert_id: alert for alert, _ in batch}
        return [
            DueDelivery(
                p.delivery_id,
                p.district,
                p.channel,
                p.purpose,
                0,
                by_alert[p.alert_id],
                lease.until[p.channel],
            )
            for p in planned
            if p.delivery_id in leased
        ]

    async def claim_due(
        self, *, now: datetime, lease_until: LeaseEnds, room: Room, busy: Collection[str] = ()
    ) -> Claimed:
        """Deliveries due now (except `busy` ones) that `room` has slots for, each leased to
        this caller alone until its channel's `lease_until`.

        Two statements hold the write lock (the stored alerts are read and decoded after it):
        a claim must not keep the consumer and the recording attempts waiting. The lease only
        takes a row still pending and due, so a row another notifier leased meanwhile is not
        taken twice."""
        window = room.free * CANDIDATES_PER_SLOT
        due = (
            select(deliveries.c.delivery_id, deliveries.c.district, deliveries.c.channel)
            .where(
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at <= now,
                deliveries.c.delivery_id.not_in(list(busy)),
                deliveries.c.district.not_in(room.full()),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.delivery_id)
            .limit(window)
            .with_for_update(skip_locked=True)
        )
        async with self._db.write() as db:
            candidates = (await db.execute(due)).all()
            chosen = set(
                room.fit((delivery_id, district) for delivery_id, district, _ in candidates)
            )
            rows: list[Any] = []
            for channel in sorted({c for d, _, c in candidates if d in chosen}):
                lease = (
                    update(deliveries)
                    .where(
                        deliveries.c.delivery_id.in_(chosen),
                        deliveries.c.channel == channel,
                        deliveries.c.status == "pending",
                        deliveries.c.next_attempt_at <= now,
                    )
                    .values(next_attempt_at=lease_until[channel])
                    .returning(*_CLAIMED)
                )
                rows += (await db.execute(lease)).mappings().all()
        more = len(candidates) == window or len(chosen) == room.free
        if not rows:
            return Claimed([], [], more)
        events = select(alerts.c.alert_id, alerts.c.event).where(
            alerts.c.alert_id.in_({row["alert_id"] for row in rows})
        )
        async with self._db.read() as db:
            # Each alert decoded once, however many of its deliveries are claimed.
            stored = {alert_id: _decoded(event) for alert_id, event in await db.execute(events)}
        claimed = Claimed([], [], more)
        for row in rows:
            alert = stored[row["alert_id"]]
            if alert is None:
                claimed.undecodable.append(row["delivery_id"])
            else:
                claimed.due.append(_due(row, alert, lease_until[row["channel"]]))
        return claimed

    async def next_due_at(self, *, except_districts: Collection[str] = ()) -> datetime | None:
        """When the next pending delivery falls due, leaving out districts with no free slot
        (an attempt of theirs that finishes wakes the dispatcher)."""
        query = select(func.min(deliveries.c.next_attempt_at)).where(
            deliveries.c.status == "pending",
            deliveries.c.district.not_in(list(except_districts)),
        )
        async with self._db.read() as db:
            when: datetime | None = (await db.execute(query)).scalar_one_or_none()
        return when

    async def record(self, attempts: Sequence[Attempted]) -> list[tuple[bool, bool]]:
        """Record attempts' results and their consequences, each only if its lease still
        holds, in one transaction (attempts finishing together share one commit).

        Returns (recorded, operator alert raised) for each: not recorded means the lease ran
        out and another attempt owns the delivery now, so this result must change nothing.
        Three statements for any number of results without consequences: which leases still
        hold (the rows locked on PostgreSQL), then every result in one executemany.
        """
        if not attempts:
            return []
        leases = [(a.delivery.delivery_id, a.delivery.lease_until) for a in attempts]
        holding = (
            select(deliveries.c.delivery_id)
            .where(
                deliveries.c.status == "pending",
                tuple_(deliveries.c.delivery_id, deliveries.c.next_attempt_at).in_(leases),
            )
            .with_for_update()
        )
        async with self._db.write() as db:
            held = set((await db.execute(holding)).scalars())
            ours = [attempt for attempt in attempts if attempt.delivery.delivery_id in held]
            if ours:
                await db.execute(_RECORD, [_result_row(attempt) for attempt in ours])
            raised = {
                attempt.delivery.delivery_id: await self._finish(db, attempt) for attempt in ours
            }
        return [
            (a.delivery.delivery_id in held, raised.get(a.delivery.delivery_id, False))
            for a in attempts
        ]

    async def _finish(self, db: AsyncConnection, attempt: Attempted) -> bool:
        """Record a result's consequences; whether it raised a new operator alert."""
        district, finish, now = attempt.delivery.district, attempt.finish, attempt.now
        if finish.disable_url is not None:
            await self._disable_endpoint(db, district, finish.disable_url, now)
        if finish.operator_alert is None:
            return False
        return await self._raise(db, finish.operator_alert, now)

    async def mark_undecodable(self, delivery_id: str, *, now: datetime) -> None:
        """A stored alert no longer decodes (e.g. after a schema change): stop trying it."""
        async with self._db.write() as db:
            await db.execute(
                update(deliveries)
                .where(deliveries.c.delivery_id == delivery_id)
                .values(status="dead", last_outcome="undecodable_alert", finished_at=now)
            )

    async def enable_endpoint(self, district: str, *, now: datetime) -> int:
        """Use the district's endpoint again; its held webhooks are due at once. Their number."""
        async with self._db.write() as db:
            await db.execute(
                disabled_endpoints.delete().where(disabled_endpoints.c.district == district)
            )
            return await self._resume_held(db, _webhooks_of(district), now)

    async def replay_dead(
        self, *, now: datetime, district: str | None = None, channel: str | None = None
    ) -> int:
        """Give dead-lettered deliveries a fresh schedule (the cause is fixed). Their number.

        Not replayed: alerts that no longer decode, and reminders of alerts acknowledged since.
        Webhooks of a district whose endpoint is disabled are held, not sent to it again.
        """
        acknowledged = select(inbox_items.c.alert_id).where(
            inbox_items.c.alert_id == deliveries.c.alert_id,
            inbox_items.c.district == deliveries.c.district,
            inbox_items.c.status != "new",
        )
        which = [
            deliveries.c.status == "dead",
            deliveries.c.last_outcome != "undecodable_alert",
            ~and_(deliveries.c.purpose == "reminder", acknowledged.exists()),
        ]
        if district:
            which.append(deliveries.c.district == district)
        if channel:
            which.append(deliveries.c.channel == channel)
        disabled = select(disabled_endpoints.c.district)
        async with self._db.write() as db:
            replayed = await db.execute(
                update(deliveries)
                .where(*which)
                .values(status="pending", attempts=0, next_attempt_at=now, finished_at=None)
            )
            await db.execute(
                update(deliveries)
                .where(
                    deliveries.c.status == "pending",
                    deliveries.c.channel == "webhook",
                    deliveries.c.district.in_(disabled),
                )
                .values(status="held")
            )
        return int(replayed.rowcount)

    async def release_orphaned_holds(self, *, now: datetime) -> int:
        """Resume held webhooks of districts whose endpoint is no longer disabled (a delivery
        stored while the endpoint was being re-enabled)."""
        still_disabled = select(disabled_endpoints.c.district)
        async with self._db.write() as db:
            orphaned = and_(
                deliveries.c.channel == "webhook", deliveries.c.district.not_in(still_disabled)
            )
            return await self._resume_held(db, orphaned, now)

    async def disabled_endpoints(self) -> dict[str, str]:
        """District code -> the URL that was disabled."""
        async with self._db.read() as db:
            rows = await db.execute(select(disabled_endpoints.c.district, disabled_endpoints.c.url))
            return {district: url for district, url in rows}

    async def raise_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool:
        """Store an operator alert; False if one with the same id was raised before."""
        async with self._db.write() as db:
            return await self._raise(db, alert, now)

    async def update_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool:
        """Store an operator alert, or give the one with its id this reason and time (the
        matcher's alert on a prolific identifier carries a live count); True if it is new."""
        async with self._db.write() as db:
            known = select(operator_alerts.c.operator_alert_id).where(
                operator_alerts.c.operator_alert_id == alert.operator_alert_id
            )
            new = (await db.execute(known)).first() is None
            statement = upsert(self._db, operator_alerts, updating=("reason", "raised_at"))
            await db.execute(statement, [{**alert.__dict__, "raised_at": now}])
            return new

    async def operator_alerts(self, *, limit: int) -> list[OperatorAlert]:
        """The most recent operator alerts, newest first."""
        query = select(operator_alerts).order_by(operator_alerts.c.raised_at.desc()).limit(limit)
        async with self._db.read() as db:
            rows = (await db.execute(query)).mappings().all()
        return [OperatorAlert.model_validate(dict(row)) for row in rows]

    async def schedule_reminders(
        self, *, unacknowledged_since: datetime, plan: Planner, now: datetime
    ) -> list[tuple[str, str]]:
        """Re-notify, once, each inbox item still new since before `unacknowledged_since`.
        Returns the (alert id, district) pairs reminded."""
        waiting = (inbox_items.c.status == "new", inbox_items.c.reminders == 0)
        query = (
            select(inbox_items.c.alert_id, inbox_items.c.district, alerts.c.event)
            .join(alerts, alerts.c.alert_id == inbox_items.c.alert_id)
            .where(*waiting, inbox_items.c.created_at <= unacknowledged_since)
            .limit(500)
        )
        reminded = []
        async with self._db.write() as db:
            for alert_id, district, event in await db.execute(query):
                claim = (
                    update(inbox_items)
                    .where(
                        inbox_items.c.alert_id == alert_id,
                        inbox_items.c.district == district,
                        *waiting,
                    )
                    .values(reminders=1)
                )
                if (await db.execute(claim)).rowcount == 1:
                    planned = plan(AlertRaised.model_validate_json(event), district)
                    await self._insert_deliveries(db, planned, now)
                    reminded.append((alert_id, district))
        return reminded

    async def counts(self) -> dict[tuple[str, str], int]:
        """(channel, status) -> number of deliveries."""
        query = select(deliveries.c.channel, deliveries.c.status, func.count()).group_by(
            deliveries.c.channel, deliveries.c.status
        )
        async with self._db.read() as db:
            return {(c, s): n for c, s, n in await db.execute(query)}

    async def _disable_endpoint(
        self, db: AsyncConnection, district: str, url: str, now: datetime
    ) -> None:
        await db.execute(
            insert_ignoring_repeats(self._db, disabled_endpoints),
            [{"district": district, "url": url, "disabled_at": now}],
        )
        await db.execute(
            update(deliveries)
            .where(_webhooks_of(district), deliveries.c.status == "pending")
            .values(status="held")
        )

    async def _resume_held(self, db: AsyncConnection, which: Any, now: datetime) -> int:
        resumed = await db.execute(
            update(deliveries)
            .where(which, deliveries.c.status == "held")
            .values(status="pending", next_attempt_at=now)
        )
        return int(resumed.rowcount)

    async def _raise(self, db: AsyncConnection, alert: NewOperatorAlert, now: datetime) -> bool:
        result = await db.execute(
            insert_ignoring_repeats(self._db, operator_alerts),
            [{**alert.__dict__, "raised_at": now}],
        )
        return bool(result.rowcount)

    async def _insert_deliveries(
        self,
        db: AsyncConnection,
        planned: Sequence[PlannedDelivery],
        now: datetime,
        lease: Lease | None = None,
    ) -> set[str]:
        """Insert deliveries, those `lease.room` has slots for leased; the ids of those leased."""
        if not planned:
            return set()
        disabled = set((await db.execute(select(disabled_endpoints.c.district))).scalars())
        rows = [
            {
                **p.__dict__,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "status": "held"
                if p.channel == "webhook" and p.district in disabled
                else "pending",
            }
            for p in planned
        ]
        statement = insert_ignoring_repeats(self._db, deliveries)
        pending = [
            (row["delivery_id"], row["district"]) for row in rows if row["status"] == "pending"
        ]
        if lease is None or not (leased := set(lease.room.fit(pending))):
            await db.execute(statement, rows)
            return set()
        for row in rows:
            if row["delivery_id"] in leased:
                row["next_attempt_at"] = lease.until[row["channel"]]
        # Only the rows inserted now are returned: a repeat is not ours to attempt.
        inserted = await db.execute(statement.returning(deliveries.c.delivery_id), rows)
        return {delivery_id for delivery_id in inserted.scalars() if delivery_id in leased}


# One attempt's result, for an executemany: the parameters are named apart from the columns.
_RECORD = (
    update(deliveries)
    .where(deliveries.c.delivery_id == bindparam("b_delivery_id"))
    .values(
        attempts=bindparam("b_attempts"),
        last_outcome=bindparam("b_last_outcome"),
        status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        finished_at=bindparam("b_finished_at"),
    )
)


def _result_row(attempt: Attempted) -> dict[str, Any]:
    delivery, step = attempt.delivery, attempt.step
    row = {
        "b_delivery_id": delivery.delivery_id,
        "b_attempts": delivery.attempts + 1,
        "b_last_outcome": attempt.outcome,
    }
    if isinstance(step, RetryAt):
        return row | {"b_status": "pending", "b_next_attempt_at": step.at, "b_finished_at": None}
    return row | {
        "b_status": step.status,
        "b_next_attempt_at": delivery.lease_until,  # as it was
        "b_finished_at": attempt.now,
    }


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


def _inbox_row(
    alert: AlertRaised, district: str, now: datetime, *, historical: bool
) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "district": district,
        "kind": alert.kind,
        # A back-fill's link waits in the inbox without reminders: its import's digest tells it.
        "status": HISTORICAL if historical else UNACKNOWLEDGED,
        "created_at": now,
        "updated_at": now,
        "reminders": 0,
    }


def _decoded(event: str) -> AlertRaised | None:
    """A stored alert, or None if it no longer decodes."""
    try:
        return AlertRaised.model_validate_json(event)
    except ValidationError:
        return None


def _due(row: Any, alert: AlertRaised, lease_until: datetime) -> DueDelivery:
    return DueDelivery(
        delivery_id=row["delivery_id"],
        district=row["district"],
        channel=row["channel"],
        purpose=row["purpose"],
        attempts=row["attempts"],
        alert=alert,
        lease_until=lease_until,
    )
