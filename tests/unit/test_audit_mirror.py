"""The audit trail's mirror, with its ports faked: entries are counted as copied only once the
copies are sent, in order, a batch at a time; a failed send copies nothing and is tried again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from services.notifier.audit.chain import GENESIS, AuditEntry, AuditEvent, Head, chained
from services.notifier.metrics import NotifierMetrics
from services.notifier.mirroring import BATCH, AuditMirror, copy_of

CHAIN = "c0ffee"


class FakeTrail:
    def __init__(self, count: int) -> None:
        self.entries: list[AuditEntry] = []
        head = Head(0, GENESIS)
        for n in range(1, count + 1):
            event = AuditEvent(
                entry_id=f"e-{n}", at=datetime(2026, 12, 3, tzinfo=UTC), actor="officer:mum.io",
                action="alert.viewed", district="MH-MUM", target=f"a-{n}", detail="{}",
            )  # fmt: skip
            self.entries.append(entry := chained(head, event))
            head = Head(entry.seq, entry.hash)
        self.copied = 0

    async def mirror_position(self) -> tuple[str, int]:
        return CHAIN, self.copied

    async def page(self, *, after: int, limit: int) -> list[AuditEntry]:
        return [e for e in self.entries if e.seq > after][:limit]

    async def mirrored(self, seq: int) -> None:
        self.copied = max(self.copied, seq)

    async def head(self) -> Head:
        last = self.entries[-1]
        return Head(last.seq, last.hash)


class FakeCopies:
    def __init__(self, *, failing: bool = False) -> None:
        self.sent: list[tuple[str, int]] = []
        self.failing = failing

    async def send(self, chain: str, entries: Sequence[AuditEntry]) -> None:
        if self.failing:
            raise ConnectionError("the broker is down")
        self.sent += [(chain, entry.seq) for entry in entries]


def mirror_of(trail: FakeTrail, copies: FakeCopies) -> tuple[AuditMirror, CollectorRegistry]:
    registry = CollectorRegistry()
    mirror = AuditMirror(
        trail=trail, copies=copies, metrics=NotifierMetrics(registry), interval_s=1
    )
    return mirror, registry


async def test_entries_are_copied_in_order_a_batch_at_a_time_then_counted() -> None:
    trail, copies = FakeTrail(BATCH + 3), FakeCopies()
    mirror, registry = mirror_of(trail, copies)

    first, second, third = [await mirror.copy_once() for _ in range(3)]

    assert (first, second, third) == (BATCH, 3, 0)
    assert copies.sent == [(CHAIN, n) for n in range(1, BATCH + 4)]
    assert trail.copied == BATCH + 3
    assert registry.get_sample_value("crosslink_notifier_audit_unmirrored_entries") == 0


async def test_a_failed_send_counts_nothing_as_copied_and_the_next_round_sends_it() -> None:
    trail, down = FakeTrail(4), FakeCopies(failing=True)
    mirror, _ = mirror_of(trail, down)

    with pytest.raises(ConnectionError):
        await mirror.copy_once()
    assert trail.copied == 0

    up = FakeCopies()
    mirror, _ = mirror_of(trail, up)
    assert await mirror.copy_once() == 4
    assert up.sent == [(CHAIN, n) for n in range(1, 5)]


def test_a_copy_carries_the_entry_whole_with_its_chain() -> None:
    entry = FakeTrail(1).entries[0]

    copy = copy_of(CHAIN, entry)

    assert (copy.chain, copy.seq, copy.hash, copy.prev_hash) == (CHAIN, 1, entry.hash, GENESIS)
    assert (copy.actor, copy.action, copy.target) == ("officer:mum.io", "alert.viewed", "a-1")
