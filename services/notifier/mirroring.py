"""The audit trail's copy on Kafka: every entry, once written in the database, is sent to
crosslink.audit-recorded.v1 (acks=all) and only then counted as copied, so a copy may be sent
twice (two notifiers, a crash between the two) but never skipped. Someone who rewrites the
trail in the database cannot rewrite these; `crosslink audit verify --against-kafka` compares."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from schemas.events import AuditEntryRecorded
from schemas.topics import AUDIT_RECORDED
from services.notifier.audit.chain import AuditEntry, Head
from services.notifier.metrics import NotifierMetrics
from services.notifier.producing import KafkaWriter

BATCH = 500


class AuditCopies(Protocol):
    async def send(self, chain: str, entries: Sequence[AuditEntry]) -> None:
        """Every entry copied durably, in order, before returning."""


class MirroredTrail(Protocol):
    """The audit trail as its mirror reads it (services/notifier/store/audit.py)."""

    async def mirror_position(self) -> tuple[str, int]: ...

    async def page(self, *, after: int, limit: int) -> list[AuditEntry]: ...

    async def mirrored(self, seq: int) -> None: ...

    async def head(self) -> Head: ...


class AuditMirror:
    def __init__(
        self,
        *,
        trail: MirroredTrail,
        copies: AuditCopies,
        metrics: NotifierMetrics,
        interval_s: float,
    ) -> None:
        self._trail, self._copies, self._metrics = trail, copies, metrics
        self._interval_s = interval_s

    async def run(self) -> None:
        while True:
            if await self.copy_once() < BATCH:
                await asyncio.sleep(self._interval_s)

    async def copy_once(self) -> int:
        """Copy the next entries not yet copied; how many."""
        chain, copied = await self._trail.mirror_position()
        entries = await self._trail.page(after=copied, limit=BATCH)
        if entries:
            await self._copies.send(chain, entries)
            await self._trail.mirrored(entries[-1].seq)
            copied = entries[-1].seq
        head = await self._trail.head()
        self._metrics.audit_unmirrored.set(head.seq - copied)
        return len(entries)


class KafkaAuditCopies(KafkaWriter):
    """The copies on the audit topic, keyed `<chain>/<seq>`."""

    async def send(self, chain: str, entries: Sequence[AuditEntry]) -> None:
        sent = [
            await self._producer.send(
                AUDIT_RECORDED.name,
                key=f"{chain}/{entry.seq}".encode(),
                value=copy_of(chain, entry).model_dump_json().encode(),
            )
            for entry in entries
        ]
        await asyncio.gather(*sent)


def copy_of(chain: str, entry: AuditEntry) -> AuditEntryRecorded:
    event = entry.event
    return AuditEntryRecorded(
        chain=chain,
        seq=entry.seq,
        entry_id=event.entry_id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        district=event.district,
        target=event.target,
        detail=event.detail,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )
