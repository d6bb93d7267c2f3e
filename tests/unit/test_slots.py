"""Delivery slots: one slow district holds its share of the slots, never the others'."""

from __future__ import annotations

from services.notifier.slots import Room


def due(*districts: str) -> list[tuple[str, str]]:
    return [(f"d{i}", district) for i, district in enumerate(districts)]


def test_deliveries_start_in_the_order_they_fell_due_up_to_the_free_slots() -> None:
    room = Room(free=3, per_district=4)

    assert room.fit(due("MH-MUM", "MP-BPL", "WB-KOL", "KA-BLR")) == ["d0", "d1", "d2"]


def test_a_district_with_a_backlog_gets_its_share_and_the_others_get_the_rest() -> None:
    room = Room(free=6, per_district=2)

    chosen = room.fit(due("MH-PUN", "MH-PUN", "MH-PUN", "MH-PUN", "MP-BPL", "WB-KOL"))

    assert chosen == ["d0", "d1", "d4", "d5"]


def test_slots_a_district_already_holds_count_against_its_share() -> None:
    room = Room(free=10, per_district=3, held={"MH-PUN": 2, "MP-BPL": 3})

    assert room.fit(due("MH-PUN", "MH-PUN", "MP-BPL", "WB-KOL")) == ["d0", "d3"]
    assert room.full() == {"MP-BPL"}


def test_no_free_slot_starts_nothing() -> None:
    assert Room(free=0, per_district=4).fit(due("MH-MUM")) == []
