"""A delivery is leased for its own channel's attempt: a webhook left behind by a notifier that
died mid-attempt is due again once a webhook attempt would have ended, not after the longest
(SMTP) one. On the outbox itself, on SQLite and PostgreSQL, at fixed instants."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.routing import PlannedDelivery, delivery_id
from services.notifier.slots import Room
from services.notifier.store.database import opened_database
from services.notifier.store.outbox import Claimed, Lease, Outbox
from tests.builders import alert_raised

pytestmark = pytest.mark.integration

LEASE_S = {"webhook": 35.0, "email": 95.0}
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ROOM = Room(free=16, per_district=4)


@pytest.fixture
async def outbox(database: str) -> AsyncIterator[Outbox]:
    async with opened_database(database) as opened:
        yield Outbox(opened)


def planned_both_ways(alert_id: str, district: str) -> list[PlannedDelivery]:
    return [
        PlannedDelivery(delivery_id(channel, alert_id, district, "alert"), alert_id, district,
                        channel, "alert")
        for channel in ("webhook", "email")
    ]  # fmt: skip


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def leases_from(now: datetime) -> dict[str, datetime]:
    return {channel: now + timedelta(seconds=s) for channel, s in LEASE_S.items()}


async def test_each_channel_is_leased_for_its_own_attempt_when_stored(outbox: Outbox) -> None:
    alert = alert_raised("KA-BLR")
    until = leases_from(NOW)

    leased = await outbox.store(
        [(alert, planned_both_ways(alert.alert_id, "KA-BLR"))], now=NOW, lease=Lease(until, ROOM)
    )

    assert {d.channel: d.lease_until for d in leased} == until

    # The storer died: the webhook is due again after its own lease, the email still leased.
    def mine(claimed: Claimed) -> list[str]:
        return [d.channel for d in claimed.due if d.alert.alert_id == alert.alert_id]

    assert (
        mine(await outbox.claim_due(now=at(34), lease_until=leases_from(at(34)), room=ROOM)) == []
    )
    assert mine(await outbox.claim_due(now=at(36), lease_until=leases_from(at(36)), room=ROOM)) == [
        "webhook"
    ]


async def test_a_claim_leases_each_channel_for_its_own_attempt(outbox: Outbox) -> None:
    alert = alert_raised("TN-CHE")
    await outbox.store([(alert, planned_both_ways(alert.alert_id, "TN-CHE"))], now=NOW)

    claimed = await outbox.claim_due(now=NOW, lease_until=leases_from(NOW), room=ROOM)

    mine = {d.channel: d.lease_until for d in claimed.due if d.alert.alert_id == alert.alert_id}
    assert mine == {"webhook": at(35), "email": at(95)}
    again = await outbox.claim_due(now=at(36), lease_until=leases_from(at(36)), room=ROOM)
    assert [d.channel for d in again.due if d.alert.alert_id == alert.alert_id] == ["webhook"]
