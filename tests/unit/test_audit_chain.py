"""The audit trail's hash chain, in memory: each entry's hash covers the one before, so an
edit, a removal, a move or a cut end is found, and named by the first entry it touches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.notifier.audit.chain import (
    GENESIS,
    AuditEntry,
    AuditEvent,
    Head,
    chained,
    detail_of,
    first_break,
)

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def trail(count: int) -> tuple[list[AuditEntry], Head]:
    entries, head = [], Head(0, GENESIS)
    for n in range(1, count + 1):
        event = AuditEvent(
            entry_id=f"e-{n}", at=AT + timedelta(seconds=n), actor="officer:mum.io",
            action="alert.viewed", district="MH-MUM", target=f"alert-{n}",
            detail=detail_of(role="investigating_officer"),
        )  # fmt: skip
        entry = chained(head, event)
        entries.append(entry)
        head = Head(entry.seq, entry.hash)
    return entries, head


def test_an_untouched_trail_has_no_break_and_an_empty_one_neither() -> None:
    entries, head = trail(5)

    assert first_break(entries, head) is None
    assert first_break([], Head(0, GENESIS)) is None


def test_each_entry_follows_the_hash_of_the_one_before() -> None:
    entries, _ = trail(3)

    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert len({e.hash for e in entries}) == 3


def test_an_edit_to_any_field_is_named_by_its_entry() -> None:
    entries, head = trail(5)
    for change in ({"actor": "officer:x"}, {"detail": "{}"}, {"at": AT}, {"district": None}):
        edited = [*entries]
        edited[2] = replace(entries[2], event=replace(entries[2].event, **change))

        assert str(first_break(edited, head)) == (
            "entry 3: edited: its content no longer matches its hash"
        )


def test_a_removed_entry_a_moved_one_and_a_cut_end_are_each_named() -> None:
    entries, head = trail(5)
    moved = [entries[0], replace(entries[2], seq=2), replace(entries[1], seq=3), *entries[3:]]

    assert str(first_break([*entries[:2], *entries[3:]], head)) == (
        "entry 3: missing: removed from the log"
    )
    assert str(first_break(moved, head)) == (
        "entry 2: does not follow entry 1: moved, or one before removed"
    )
    assert str(first_break(entries[:4], head)) == (
        "entry 5: missing: the log ends at 4, 5 were written"
    )


def test_a_whole_trail_rewritten_from_an_edit_on_is_caught_only_by_the_head() -> None:
    """Whoever rewrites every hash after an edit must also rewrite the head; the Kafka mirror
    is the copy they cannot reach."""
    entries, head = trail(3)
    rewritten, _ = trail(2)
    forged = chained(Head(2, rewritten[1].hash), replace(entries[2].event, actor="officer:x"))

    assert first_break([*rewritten, forged], head) is not None
    assert first_break([*rewritten, forged], Head(3, forged.hash)) is None
