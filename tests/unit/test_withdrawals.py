"""An officer's "not linked" in clustering: the identifier joins the complaint no more, and a
gang that link alone held together splits in two; applied again, or after a crash, the same."""

from __future__ import annotations

from schemas.events import CaseRef, IdentifierRef, LinkWithdrawn
from services.matcher.withdrawals import on_link_withdrawn, split_id
from tests.unit.test_clustering import (
    BPL,
    IMEI,
    KOL,
    MUM1,
    NOW,
    PHONE,
    RULES,
    UPI,
    Clustering,
    _Recording,
    case,
)

JAI = case("RJ-JAI", "3")


def withdrawal(of: CaseRef, identifier: IdentifierRef) -> LinkWithdrawn:
    return LinkWithdrawn(withdrawal_id=f"w-{of.complaint_id}-{identifier.token}",
                         identifier=identifier, case=of, reason="wrong_entry", alert_id="a",
                         withdrawn_by="io", withdrawn_at=NOW)  # fmt: skip


def withdraw(clustering: Clustering, of: CaseRef, identifier: IdentifierRef) -> None:
    clustering.offset += 1
    on_link_withdrawn(
        clustering.rows, withdrawal(of, identifier), offset=clustering.offset, rules=RULES
    )


def gang() -> Clustering:
    """Mumbai's complaint bridged to Bhopal's by a phone; Bhopal, Kolkata and Jaipur by a UPI ID."""
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)
    clustering.file(KOL, UPI)
    clustering.file(JAI, UPI)
    return clustering


def test_a_gang_bridged_only_by_the_withdrawn_link_splits_the_larger_part_keeping_its_id() -> None:
    clustering = gang()
    before = clustering.cluster_of(BPL)

    withdraw(clustering, MUM1, PHONE)

    kept, alone = clustering.cluster_of(BPL), clustering.cluster_of(MUM1)
    assert kept.cluster_id == before.cluster_id
    assert (kept.size, kept.districts) == (3, ("MP-BPL", "RJ-JAI", "WB-KOL"))
    assert alone.cluster_id == split_id(before.cluster_id, withdrawal(MUM1, PHONE))
    assert (alone.size, alone.districts) == (1, ("MH-MUM",))
    path = clustering.path_of(BPL)
    assert path
    assert all("MH-MUM" not in (s.earlier.district, s.later.district) for s in path)


def test_the_next_complaint_naming_the_identifier_joins_the_others_not_the_withdrawn_one() -> None:
    clustering = gang()
    withdraw(clustering, MUM1, PHONE)

    later = case("KA-BLR", "5")
    clustering.file(later, PHONE)

    assert clustering.cluster_of(later) == clustering.cluster_of(BPL)
    assert clustering.cluster_of(later).size == 4
    assert clustering.cluster_of(MUM1).size == 1


def test_withdrawing_the_first_complaint_of_an_identifier_keeps_its_others_together() -> None:
    clustering = Clustering()
    for filed in (MUM1, BPL, KOL):
        clustering.file(filed, PHONE)

    withdraw(clustering, MUM1, PHONE)

    assert clustering.cluster_of(BPL) == clustering.cluster_of(KOL)
    assert clustering.cluster_of(KOL).size == 2
    assert clustering.cluster_of(MUM1).size == 1


def test_a_gang_held_together_another_way_stands() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE, IMEI)
    clustering.file(BPL, PHONE, IMEI)
    before = clustering.cluster_of(BPL)

    withdraw(clustering, BPL, PHONE)

    assert clustering.cluster_of(MUM1) == clustering.cluster_of(BPL) == before


def test_a_withdrawal_applied_again_writes_the_same_rows() -> None:
    clustering = gang()
    withdraw(clustering, MUM1, PHONE)
    whole = dict(clustering.rows)

    recording = _Recording(clustering.rows)
    on_link_withdrawn(recording, withdrawal(MUM1, PHONE), offset=clustering.offset, rules=RULES)

    assert dict(recording) == whole
    assert recording.writes  # written again as they are, for a changelog that lost them


def test_a_withdrawal_cut_short_by_a_crash_at_any_write_ends_as_if_whole() -> None:
    whole = gang()
    withdraw(whole, MUM1, PHONE)
    crashed = gang()
    recording = _Recording(crashed.rows)
    on_link_withdrawn(recording, withdrawal(MUM1, PHONE), offset=crashed.offset + 1, rules=RULES)

    for crash_at in range(len(recording.writes)):
        kept = dict(gang().rows)
        kept.update(recording.writes[:crash_at])

        on_link_withdrawn(kept, withdrawal(MUM1, PHONE), offset=crashed.offset + 1, rules=RULES)

        assert kept == whole.rows, f"killed after {crash_at} writes"


def test_after_every_member_is_withdrawn_the_next_ones_join_and_can_be_split_again() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE)
    withdraw(clustering, BPL, PHONE)
    withdraw(clustering, MUM1, PHONE)
    later, last = case("WB-KOL", "4"), case("RJ-JAI", "5")
    clustering.file(later, PHONE)
    clustering.file(last, PHONE)
    assert clustering.cluster_of(later) == clustering.cluster_of(last)

    withdraw(clustering, last, PHONE)

    assert clustering.cluster_of(later).size == clustering.cluster_of(last).size == 1
    assert clustering.cluster_of(later) != clustering.cluster_of(last)


def test_withdrawing_a_complaint_the_identifier_never_joined_splits_nothing() -> None:
    clustering = Clustering()
    for filed in (MUM1, BPL):
        clustering.file(filed, PHONE)
    clustering.decide(PHONE, generic=True)
    clustering.file(KOL, PHONE, UPI)  # counted while generic: joined through the UPI ID only
    clustering.file(JAI, UPI)
    before = {c.key: clustering.cluster_of(c) for c in (MUM1, BPL, KOL, JAI)}

    withdraw(clustering, KOL, PHONE)

    assert {c.key: clustering.cluster_of(c) for c in (MUM1, BPL, KOL, JAI)} == before


def test_a_withdrawal_on_a_phone_with_two_runs_splits_within_its_run_and_leaves_the_other() -> None:
    """Two years ago the number was Pune's and Nagpur's; now it is Bhopal's and Indore's."""
    pune, nagpur = case("MH-PUN", "1", days_ago=700), case("MH-NGP", "1", days_ago=690)
    bhopal, indore = case("MP-BPL", "1"), case("MP-IND", "1", days_ago=5)
    clustering = Clustering()
    for filed in (pune, nagpur, bhopal, indore):
        clustering.file(filed, PHONE)
    today = clustering.cluster_of(bhopal)

    withdraw(clustering, nagpur, PHONE)

    assert clustering.cluster_of(pune).size == clustering.cluster_of(nagpur).size == 1
    assert clustering.cluster_of(bhopal) == clustering.cluster_of(indore) == today
    assert today.size == 2


def test_withdrawing_the_complaint_that_bridged_two_runs_splits_the_gang_in_three() -> None:
    pune, nagpur = case("MH-PUN", "1", days_ago=700), case("MH-NGP", "1", days_ago=690)
    bhopal, indore = case("MP-BPL", "1", days_ago=10), case("MP-IND", "1", days_ago=5)
    bridge = case("WB-KOL", "1", days_ago=350)  # a back-filled complaint between the two
    clustering = Clustering()
    for filed in (pune, nagpur, bhopal, indore, bridge):
        clustering.file(filed, PHONE)
    assert clustering.cluster_of(pune).size == 5

    withdraw(clustering, bridge, PHONE)

    parts = {clustering.cluster_of(c).cluster_id: clustering.cluster_of(c) for c in
             (pune, nagpur, bhopal, indore, bridge)}  # fmt: skip
    assert sorted(part.size for part in parts.values()) == [1, 2, 2]
    assert clustering.cluster_of(pune) == clustering.cluster_of(nagpur)
    assert clustering.cluster_of(bhopal) == clustering.cluster_of(indore)
    assert clustering.cluster_of(bhopal).districts == ("MP-BPL", "MP-IND")


def test_a_phone_whose_only_listed_complaint_is_left_keeps_it_in_its_run() -> None:
    """Withdrawn while generic-time complaints were all it had joined, its first stays in
    its run, and a complaint near it in date joins it."""
    clustering = Clustering()
    first = case("MH-PUN", "1", days_ago=1000)
    clustering.file(first, PHONE)
    clustering.decide(PHONE, generic=True)
    held = case("MH-NGP", "1", days_ago=990)
    clustering.file(held, PHONE)
    clustering.decide(PHONE, generic=False)
    withdraw(clustering, held, PHONE)

    near = case("MP-BPL", "1", days_ago=980)
    clustering.file(near, PHONE)

    assert clustering.cluster_of(first) == clustering.cluster_of(near)
