"""The audit trail's hash chain, in memory: each entry's hash covers the one before, so an
edit, a removal, a move or a cut end is found, and named by the first entry it touches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from services.notifier.audit.chain import (
    GENESIS,
    AuditEntry,
    AuditEvent,
    ChainBroken,
    ChainCheck,
    Head,
    chained,
    detail_of,
)

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def first_break(entries: Iterable[AuditEntry], head: Head) -> ChainBroken | None:
    """What `crosslink audit verify` says of a trail: its first break, or None."""
    check = ChainCheck()
    for entry in entries:
        broken = check.add(entry)
        if broken is not None:
            return broken
    return check.finish(head)


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


def test_a_trail_rewritten_hash_by_hash_with_its_head_is_caught_by_its_copies() -> None:
    """Whoever rewrites every hash after an edit, and the head, leaves a chain that holds; the
    copies on Kafka are what they cannot reach."""
    entries, head = trail(3)
    forged = chained(Head(2, entries[1].hash), replace(entries[2].event, actor="officer:x"))
    rewritten = [*entries[:2], forged]
    copies = {entry.seq: entry.hash for entry in entries}

    assert first_break(rewritten, head) is not None
    assert first_break(rewritten, Head(3, forged.hash)) is None
    check = ChainCheck(copies)
    found = [check.add(entry) for entry in rewritten]
    assert found[:2] == [None, None]
    assert str(found[2]) == "entry 3: differs from its copy on Kafka: rewritten since"


def test_copies_beyond_the_end_of_the_trail_name_the_first_entry_missing() -> None:
    entries, _ = trail(4)
    copies = {entry.seq: entry.hash for entry in entries}
    cut = Head(3, entries[2].hash)

    check = ChainCheck(copies)
    assert all(check.add(entry) is None for entry in entries[:3])
    assert str(check.finish(cut)) == "entry 4: missing: the log ends at 3, Kafka holds 4"


def test_an_entry_stamped_in_ist_hashes_as_the_database_gives_it_back_in_utc() -> None:
    entries, _ = trail(1)
    ist = timezone(timedelta(hours=5, minutes=30))
    stamped = replace(entries[0].event, at=entries[0].event.at.astimezone(ist))

    assert chained(Head(0, GENESIS), stamped).hash == entries[0].hash
