"""Gang clusters: links join complaints; a group across districts is announced with its path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.events import CaseRef, ComplaintsLinked, IdentifierRef
from schemas.identifiers import IdentifierType
from services.matcher.clustering import ClusterState, merge, singleton
from services.matcher.matching import MatchingRules

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PHONE = IdentifierRef(
    type=IdentifierType.PHONE, token="p" * 64, key_id="k1", masked="+91 98•••••210"
)
UPI = IdentifierRef(type=IdentifierType.UPI, token="u" * 64, key_id="k1", masked="qu•••••sh@ybl")


def case(district: str, complaint_id: str) -> CaseRef:
    return CaseRef(complaint_id=complaint_id, district=district, police_station="PS",
                   registered_at=NOW)  # fmt: skip


def link(earlier: CaseRef, later: CaseRef, identifier: IdentifierRef = PHONE) -> ComplaintsLinked:
    return ComplaintsLinked(link_id=f"l-{earlier.complaint_id}-{later.complaint_id}",
                            identifier=identifier, earlier=earlier, later=later)  # fmt: skip


def join(a: ClusterState, b: ClusterState, by: ComplaintsLinked) -> ClusterState:
    merged = merge(a, b, by, now=NOW)
    assert merged is not None
    return merged.kept


MUM1, MUM2, BPL, KOL = (
    case("MH-MUM", "1"),
    case("MH-MUM", "2"),
    case("MP-BPL", "7"),
    case("WB-KOL", "9"),
)


def test_two_complaints_of_one_district_form_a_cluster_without_an_alert() -> None:
    merged = merge(singleton(MUM1), singleton(MUM2), link(MUM1, MUM2), now=NOW)

    assert merged is not None
    assert merged.kept.size == 2
    assert merged.kept.recent == (MUM1, MUM2)
    assert merged.alert is None


def test_a_pair_across_two_districts_is_left_to_its_shared_identifier_alert() -> None:
    merged = merge(singleton(MUM1), singleton(BPL), link(MUM1, BPL), now=NOW)

    assert merged is not None
    assert merged.alert is None


def test_a_chain_across_three_districts_alerts_them_all_with_the_explained_path() -> None:
    mumbai = join(singleton(MUM1), singleton(BPL), link(MUM1, BPL, PHONE))

    merged = merge(mumbai, singleton(KOL), link(BPL, KOL, UPI), now=NOW)

    assert merged is not None
    assert merged.alert is not None
    alert = merged.alert
    assert alert.kind == "cluster_linked"
    assert alert.districts == ["MH-MUM", "MP-BPL", "WB-KOL"]
    assert alert.cluster is not None
    assert (alert.cluster.size, alert.cluster.districts) == (3, ("MH-MUM", "MP-BPL", "WB-KOL"))
    assert [(s.earlier.complaint_id, s.later.complaint_id, s.identifier_type)
            for s in alert.cluster.path] == [("1", "7", "phone"), ("7", "9", "upi")]  # fmt: skip
    assert "3 complaints in 3 districts" in alert.reason


def test_the_larger_cluster_keeps_its_id_and_the_other_forwards_to_it() -> None:
    big = join(singleton(MUM1), singleton(MUM2), link(MUM1, MUM2))

    merged = merge(singleton(KOL), big, link(MUM2, KOL), now=NOW)

    assert merged is not None
    assert merged.kept.cluster_id == big.cluster_id
    assert merged.absorbed.merged_into == big.cluster_id
    assert merged.absorbed.size == 0


def test_a_link_inside_one_cluster_changes_nothing() -> None:
    cluster = join(singleton(MUM1), singleton(BPL), link(MUM1, BPL))

    assert merge(cluster, cluster, link(MUM1, BPL, UPI), now=NOW) is None


def test_the_same_merge_processed_twice_gives_the_same_alert_id() -> None:
    pair = join(singleton(MUM1), singleton(BPL), link(MUM1, BPL))
    first = merge(pair, singleton(KOL), link(BPL, KOL), now=NOW)
    again = merge(pair, singleton(KOL), link(BPL, KOL), now=datetime(2027, 1, 1, tzinfo=UTC))

    assert first
    assert again
    assert first.alert
    assert again.alert
    assert first.alert.alert_id == again.alert.alert_id


def test_a_big_cluster_counts_every_member_but_lists_only_the_latest() -> None:
    cluster = singleton(case("MH-MUM", "0"))
    for n in range(1, 150):
        newcomer = case("MP-BPL", str(n))
        cluster = join(cluster, singleton(newcomer), link(case("MH-MUM", "0"), newcomer))

    assert cluster.size == 150
    assert len(cluster.recent) == len(cluster.path) == 100


def test_a_complaint_from_a_district_already_in_the_group_raises_no_cluster_alert() -> None:
    group = join(
        join(singleton(MUM1), singleton(BPL), link(MUM1, BPL)), singleton(KOL), link(BPL, KOL)
    )

    merged = merge(group, singleton(MUM2), link(MUM1, MUM2), now=NOW)

    assert merged is not None
    assert merged.alert is None
    assert merged.kept.size == 4


def test_a_merge_replayed_after_a_crash_half_way_through_writing_counts_nobody_twice() -> None:
    """The matcher writes the live cluster, then the absorbed one's pointer: killed in between,
    it reads the link again and finds the absorbed cluster still live."""
    pair = join(singleton(MUM1), singleton(BPL), link(MUM1, BPL))
    written = join(pair, singleton(KOL), link(BPL, KOL))

    replayed = merge(written, singleton(KOL), link(BPL, KOL), now=NOW)

    assert replayed is not None
    assert replayed.kept == written
    assert replayed.kept.size == 3
    assert replayed.absorbed.merged_into == written.cluster_id
    assert replayed.alert is None  # published before anything was written


def told_link(earlier: CaseRef, later: CaseRef, *told: str) -> ComplaintsLinked:
    return link(earlier, later).model_copy(update={"told": told})


def test_a_cluster_alert_goes_to_every_district_of_a_large_cluster_the_joining_one_included() -> (
    None
):
    first = case("MH-MUM", "0")
    cluster = singleton(first)
    for n in range(1, 150):  # far more complaints than an alert lists
        newcomer = case(("MH-MUM", "MP-BPL")[n % 2], str(n))
        cluster = join(cluster, singleton(newcomer), link(first, newcomer))
    older = CaseRef(complaint_id="old", district="WB-KOL", police_station="PS",
                    registered_at=NOW - timedelta(days=400))  # fmt: skip

    merged = merge(cluster, singleton(older), link(first, older), now=NOW)

    assert merged is not None
    assert merged.alert is not None
    assert merged.alert.districts == ["MH-MUM", "MP-BPL", "WB-KOL"]
    assert {c.district for c in merged.alert.cases} == {"MH-MUM", "MP-BPL", "WB-KOL"}
    assert merged.alert.cluster is not None
    assert (merged.alert.cluster.size, merged.alert.cluster.states) == (151, ("MH", "MP", "WB"))


def test_the_districts_a_links_alert_told_hear_of_the_cluster_when_it_reaches_beyond_them() -> None:
    pair = join(singleton(MUM1), singleton(BPL), told_link(MUM1, BPL, "MH-MUM", "MP-BPL"))

    merged = merge(pair, singleton(KOL), told_link(BPL, KOL, "MP-BPL", "WB-KOL"), now=NOW)

    assert merged is not None
    assert merged.alert is not None
    assert merged.alert.districts == ["MH-MUM", "MP-BPL", "WB-KOL"]


def test_a_pair_told_by_its_own_alert_needs_no_cluster_alert_for_a_third_in_its_districts() -> None:
    pair = join(singleton(MUM1), singleton(BPL), told_link(MUM1, BPL, "MH-MUM", "MP-BPL"))

    merged = merge(pair, singleton(MUM2), told_link(MUM1, MUM2, "MH-MUM"), now=NOW)

    assert merged is not None
    assert merged.alert is None


def test_past_the_threshold_a_cluster_alerts_at_once_only_for_a_new_state() -> None:
    rules = MatchingRules(hub_threshold=3, digest_period=timedelta(days=1))
    first = case("MH-MUM", "0")
    cluster = singleton(first)
    alerted = []
    for n, district in enumerate(["MP-BPL", "MH-PUN", "MP-IND", "MH-NGP", "WB-KOL", "WB-HWH"]):
        newcomer = case(district, str(n + 1))
        joined = link(first, newcomer).model_copy(update={"received_at": NOW})
        merged = merge(cluster, singleton(newcomer), joined, now=NOW, rules=rules)
        assert merged is not None
        cluster = merged.kept
        alerted.append(merged.alert is not None)

    assert alerted == [False, True, False, False, True, False]


def test_past_the_threshold_a_new_district_waits_for_the_digest_period() -> None:
    rules = MatchingRules(hub_threshold=2, digest_period=timedelta(days=1))
    first = case("MH-MUM", "0")
    cluster = singleton(first)
    alerted = []
    for n, (district, hours) in enumerate([("MP-BPL", 0), ("MP-IND", 0), ("MP-GWL", 1),
                                           ("MP-JBP", 25), ("MP-JBP", 50)]):  # fmt: skip
        newcomer = case(district, str(n + 1))
        joined = link(first, newcomer).model_copy(
            update={"received_at": NOW + timedelta(hours=hours)}
        )
        merged = merge(cluster, singleton(newcomer), joined, now=NOW, rules=rules)
        assert merged is not None
        cluster = merged.kept
        alerted.append(merged.alert is not None)

    assert alerted == [False, True, False, True, False]
    assert cluster.told == cluster.districts
