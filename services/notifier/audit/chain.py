"""The audit log's hash chain. Pure.

Entry n's hash is SHA-256 over entry n-1's hash and entry n's own fields, in one canonical
JSON form; the first entry follows GENESIS. Editing an entry changes its hash; removing or
reordering entries breaks the link from the next one; removing the newest ones leaves the log
short of the head, the record of the last entry written. Someone who rewrites every hash from
an edit on, and the head, is caught by the copies on Kafka (services/notifier/mirroring.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """Something a person (or an integrator's key) did with case data."""

    entry_id: str  # the same event recorded twice (a retried consumer) is one entry
    at: datetime
    actor: str  # officer:<username>, key:<holder>, or operator:<name in the directory>
    action: str  # alert.viewed, alert.status_changed, cluster.viewed, officer.signed_in, ...
    district: str | None  # whose case data, when it is one district's
    target: str | None  # the alert id, the account, the masked identifier
    detail: str  # canonical JSON of what else matters (the new status, the reason, ...)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Head:
    """What the log says it holds: the last entry's number and hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainBroken:
    """The first entry that is not as it was written, and how."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def detail_of(**values: object) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, event: AuditEvent) -> str:
    fields = {
        "seq": seq,
        "entry_id": event.entry_id,
        "at": event.at.astimezone(UTC).isoformat(),  # as the database gives it back
        "actor": event.actor,
        "action": event.action,
        "district": event.district,
        "target": event.target,
        "detail": event.detail,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def chained(head: Head, event: AuditEvent) -> AuditEntry:
    """The entry that follows `head`."""
    seq = head.seq + 1
    return AuditEntry(seq, event, head.hash, entry_hash(head.hash, seq, event))


class ChainCheck:
    """Checks entries one at a time, in the order of their numbers (a log of millions is never
    held in memory)."""

    def __init__(self, copies: Mapping[int, str] | None = None) -> None:
        self.last = Head(0, GENESIS)
        self.copies = copies or {}

    def add(self, entry: AuditEntry) -> ChainBroken | None:
        """How `entry` was edited, removed or moved; None if it follows the last one."""
        expected = self.last
        if entry.seq != expected.seq + 1:
            return ChainBroken(expected.seq + 1, "missing: removed from the log")
        if entry.prev_hash != expected.hash:
            return ChainBroken(
                entry.seq, f"does not follow entry {expected.seq}: moved, or one before removed"
            )
        if entry_hash(entry.prev_hash, entry.seq, entry.event) != entry.hash:
            return ChainBroken(entry.seq, "edited: its content no longer matches its hash")
        if self.copies.get(entry.seq, entry.hash) != entry.hash:
            return ChainBroken(entry.seq, "differs from its copy on Kafka: rewritten since")
        self.last = Head(entry.seq, entry.hash)
        return None

    def finish(self, head: Head) -> ChainBroken | None:
        """Whether the entries checked end where the head (and the copies) say it ends."""
        if self.last != head:
            return ChainBroken(
                self.last.seq + 1,
                f"missing: the log ends at {self.last.seq}, {head.seq} were written",
            )
        copied = max(self.copies, default=0)
        if copied > head.seq:
            return ChainBroken(
                head.seq + 1, f"missing: the log ends at {head.seq}, Kafka holds {copied}"
            )
        return None
