"""Gang clusters: each filed complaint joins the clusters of its strong identifiers' first
complaints; a group across districts is announced once, with its path."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import (
    AlertRaised,
    CaseRef,
    ComplaintFiled,
    GenericValueDecided,
    IdentifierRef,
    IdentifierSighted,
    PathStep,
)
from schemas.identifiers import IdentifierType, Strength
from services.matcher.clustering import (
    ClusterState,
    TokenLinks,
    case_key,
    first_key,
    firsts_of,
    live_cluster,
    on_complaint_filed,
    on_generic_decided,
    path_of,
    singleton,
    token_key,
    token_links,
)
from services.matcher.matching import MatchingRules, TokenState, on_sighting

NOW = datetime(2026, 11, 23, tzinfo=UTC)
RULES = MatchingRules()


def identifier(name: str, kind: IdentifierType = IdentifierType.PHONE) -> IdentifierRef:
    strength = Strength.WEAK if kind is IdentifierType.IP else Strength.STRONG
    return IdentifierRef(type=kind, token=name * 8, key_id="k1", masked=f"{name}•••",
                         strength=strength)  # fmt: skip


PHONE, UPI, IMEI = identifier("p"), identifier("u", IdentifierType.UPI), identifier("i")
IP = identifier("n", IdentifierType.IP)


def case(district: str, complaint_id: str, *, days_ago: int = 0) -> CaseRef:
    return CaseRef(complaint_id=complaint_id, district=district, police_station="PS",
                   registered_at=NOW - timedelta(days=days_ago))  # fmt: skip


class Clustering:
    """The clusters table as a dict, and the complaints-filed topic's offsets."""

    def __init__(self, rules: MatchingRules = RULES) -> None:
        self.rows: dict[str, bytes] = {}
        self.rules = rules
        self.offset = -1
        self.alerts: list[AlertRaised] = []

    def file(
        self, filed: CaseRef, *identifiers: IdentifierRef, hours: float = 0
    ) -> AlertRaised | None:
        self.offset += 1
        alert = on_complaint_filed(self.rows, complaint(filed, *identifiers, hours=hours),
                                   offset=self.offset, rules=self.rules, now=NOW)  # fmt: skip
        self.alerts += [alert] if alert else []
        return alert

    def decide(self, identifier: IdentifierRef, *, generic: bool) -> None:
        self.offset += 1
        decision = GenericValueDecided(decision_id=f"d{self.offset}", identifier=identifier,
                                       generic=generic, reason="helpline", decided_by="ops",
                                       decided_at=NOW)  # fmt: skip
        on_generic_decided(self.rows, decision, offset=self.offset)

    def cluster_of(self, filed: CaseRef) -> ClusterState:
        return live_cluster(self.rows, filed)

    def path_of(self, filed: CaseRef) -> tuple[PathStep, ...]:
        """The path of a complaint's live cluster, as its rows hold it."""
        return path_of(self.rows, self.cluster_of(filed))


def complaint(filed: CaseRef, *identifiers: IdentifierRef, hours: float = 0) -> ComplaintFiled:
    return ComplaintFiled(event_id=f"f-{filed.complaint_id}", case=filed, identifiers=identifiers,
                          received_at=NOW + timedelta(hours=hours))  # fmt: skip


MUM0 = case("MH-MUM", "0")
MUM1, MUM2, BPL, KOL = (
    case("MH-MUM", "1"),
    case("MH-MUM", "2"),
    case("MP-BPL", "7"),
    case("WB-KOL", "9"),
)


def test_two_complaints_of_one_district_form_a_cluster_without_an_alert() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)

    assert clustering.file(MUM2, PHONE) is None
    cluster = clustering.cluster_of(MUM2)
    assert cluster.size == 2
    assert firsts_of(clustering.rows, cluster) == (MUM1,)
    assert clustering.cluster_of(MUM1) == cluster


def test_a_pair_across_two_districts_is_left_to_its_shared_identifier_alert() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)

    assert clustering.file(BPL, PHONE) is None


def test_a_chain_across_three_districts_alerts_them_all_with_the_explained_path() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)

    alert = clustering.file(KOL, UPI)

    assert alert is not None
    assert alert.kind == "cluster_linked"
    assert alert.districts == ["MH-MUM", "MP-BPL", "WB-KOL"]
    assert alert.trigger == KOL
    assert alert.cluster is not None
    assert (alert.cluster.size, alert.cluster.districts) == (3, ("MH-MUM", "MP-BPL", "WB-KOL"))
    assert [(s.earlier.complaint_id, s.later.complaint_id, s.identifier_type)
            for s in alert.cluster.path] == [("1", "7", "phone"), ("7", "9", "upi")]  # fmt: skip
    assert "3 complaints in 3 districts" in alert.reason
    assert "Complaint 9 (WB-KOL) joined it through the UPI ID u•••" in alert.reason


def test_the_larger_cluster_keeps_its_id_and_the_other_forwards_to_it() -> None:
    clustering = Clustering()
    for n in range(3):
        clustering.file(case("MH-MUM", str(n)), PHONE)
    big = clustering.cluster_of(case("MH-MUM", "0")).cluster_id
    clustering.file(KOL, UPI)
    clustering.file(BPL, UPI)

    clustering.file(case("MH-MUM", "9"), UPI, PHONE)

    assert clustering.cluster_of(KOL).cluster_id == big
    assert clustering.cluster_of(KOL).size == 6


def test_a_complaint_naming_identifiers_of_its_own_cluster_changes_nothing_more() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE, UPI)

    clustering.file(MUM2, PHONE, UPI, IMEI)

    assert clustering.cluster_of(MUM2).size == 2
    assert len(clustering.path_of(MUM2)) == 1


def test_a_complaint_from_a_district_already_in_the_group_raises_no_cluster_alert() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)
    assert clustering.file(KOL, UPI) is not None

    assert clustering.file(MUM2, PHONE) is None
    assert clustering.cluster_of(MUM2).size == 4


def test_a_big_cluster_counts_every_member_but_lists_only_the_latest() -> None:
    clustering = Clustering()
    for n in range(150):
        clustering.file(case("MP-BPL", str(n)), PHONE)

    assert clustering.cluster_of(case("MP-BPL", "0")).size == 150
    assert [step.later.complaint_id for step in clustering.path_of(case("MP-BPL", "0"))] == [
        str(n) for n in range(50, 150)
    ]


def test_weak_identifiers_join_no_clusters() -> None:
    clustering = Clustering()
    clustering.file(MUM1, IP)
    clustering.file(BPL, IP)

    assert clustering.cluster_of(BPL) == singleton(BPL)


def test_a_generic_value_joins_nothing_from_the_decision_on_and_again_once_withdrawn() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.decide(PHONE, generic=True)
    clustering.file(BPL, PHONE)
    assert clustering.cluster_of(BPL) == singleton(BPL)

    clustering.decide(PHONE, generic=False)
    clustering.file(KOL, PHONE)

    assert clustering.cluster_of(KOL).size == 2  # joined the first complaint, MUM1
    assert clustering.cluster_of(KOL) == clustering.cluster_of(MUM1)


def test_a_complaint_posted_again_with_one_more_identifier_joins_through_it_only() -> None:
    clustering = Clustering()
    clustering.file(MUM1, UPI)
    clustering.file(BPL, PHONE)
    clustering.file(MUM2, PHONE)

    clustering.file(MUM2, PHONE, UPI)

    assert clustering.cluster_of(MUM1).size == 3
    clustering.file(KOL, PHONE)
    assert clustering.cluster_of(KOL).size == 4


def test_a_cluster_alert_goes_to_every_district_of_a_large_cluster_the_joining_one_included() -> (
    None
):
    clustering = Clustering()
    for n in range(150):  # far more complaints than an alert lists
        clustering.file(case(("MH-MUM", "MP-BPL")[n % 2], str(n)), PHONE, identifier(f"x{n}"))
    older = case("WB-KOL", "old", days_ago=40)

    alert = clustering.file(older, identifier("x0"))

    assert alert is not None
    assert alert.districts == ["MH-MUM", "MP-BPL", "WB-KOL"]
    assert {c.district for c in alert.cases} == {"MH-MUM", "MP-BPL", "WB-KOL"}
    assert alert.cluster is not None
    assert (alert.cluster.size, alert.cluster.states) == (151, ("MH", "MP", "WB"))


def test_the_districts_the_matchers_alerts_told_hear_of_the_cluster_when_it_reaches_beyond() -> (
    None
):
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)  # PHONE's alert told MH-MUM and MP-BPL of it

    alert = clustering.file(KOL, UPI)  # UPI's alert tells MP-BPL and WB-KOL only

    assert alert is not None
    assert alert.districts == ["MH-MUM", "MP-BPL", "WB-KOL"]


def test_a_complaint_whose_own_alerts_told_every_district_of_its_cluster_needs_none() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE)

    assert clustering.file(KOL, PHONE) is None  # PHONE's alert goes to all three


def _hub(clustering: Clustering) -> list[IdentifierRef]:
    """A first complaint naming six numbers, which later complaints each join through one: each
    number's alert tells two districts, never the whole cluster."""
    numbers = [identifier(f"x{n}") for n in range(1, 7)]
    clustering.file(case("MH-MUM", "0"), *numbers)
    return numbers


def test_past_the_threshold_a_cluster_alerts_at_once_only_for_a_new_state() -> None:
    clustering = Clustering(MatchingRules(hub_threshold=3, digest_period=timedelta(days=1)))
    numbers = _hub(clustering)
    alerted = [
        clustering.file(case(district, str(n)), numbers[n]) is not None
        for n, district in enumerate(["MP-BPL", "MH-PUN", "MP-IND", "MH-NGP", "WB-KOL"])
    ]

    assert alerted == [False, True, False, False, True]


def test_past_the_threshold_a_new_district_waits_for_the_digest_period() -> None:
    clustering = Clustering(MatchingRules(hub_threshold=2, digest_period=timedelta(days=1)))
    numbers = _hub(clustering)
    alerted = [
        clustering.file(case(district, str(n)), numbers[n], hours=hours) is not None
        for n, (district, hours) in enumerate(
            [("MP-BPL", 0), ("MP-IND", 0), ("MP-GWL", 1), ("MP-JBP", 25), ("MP-JBP", 50)]
        )
    ]

    # The first district was told by its own alert at 0 h: the next in a known state waits.
    assert alerted == [False, False, False, True, False]
    cluster = clustering.cluster_of(case("MH-MUM", "0"))
    assert cluster.told == cluster.districts


def test_one_prolific_number_is_told_by_the_matchers_alerts_and_digests_not_clusters() -> None:
    """Past the threshold the complaint's own district gets the prolific alert and, when it
    brings a new state, every other district a digest at once: no cluster alert says more."""
    clustering = Clustering(MatchingRules(hub_threshold=2))
    for n, district in enumerate(["MH-MUM", "MH-PUN", "MH-MUM", "MP-BPL", "MH-NGP", "WB-KOL"]):
        assert clustering.file(case(district, str(n)), PHONE) is None


def test_clustering_counts_as_told_the_districts_the_matchers_alerts_went_to() -> None:
    rules = MatchingRules(hub_threshold=3)
    districts = ["MH-MUM", "MH-PUN", "MH-MUM", "MP-BPL", "MH-NGP", "MP-BPL", "WB-KOL", "MH-PUN"]
    state, links = TokenState(), TokenLinks()
    for n, district in enumerate(districts):
        filed = case(district, str(n))
        sighting = IdentifierSighted(event_id=str(n), case=filed, identifier=PHONE,
                                     received_at=NOW)  # fmt: skip
        outcome = on_sighting(state, sighting, rules=rules, now=NOW)
        assert outcome is not None
        state, links = (
            outcome.state,
            links.counted(filed, n, rules, rules.recycling_window(PHONE.type)),
        )
        told = {d for a in outcome.alerts if a.audience == "districts" for d in a.districts}
        assert set(links.told) == (told or {district}), f"complaint {n} from {district}"


class _Recording(dict[str, bytes]):
    """A table that keeps every write in order."""

    def __init__(self, rows: dict[str, bytes]) -> None:
        super().__init__(rows)
        self.writes: list[tuple[str, bytes]] = []

    def __setitem__(self, key: str, value: bytes) -> None:
        super().__setitem__(key, value)
        self.writes.append((key, value))


def _stream() -> list[tuple[CaseRef, tuple[IdentifierRef, ...]]]:
    """Two gangs of three districts each, merged by a complaint naming both gangs' numbers."""
    phone2, upi2 = identifier("q"), identifier("v", IdentifierType.UPI)
    return [
        (MUM1, (PHONE,)), (BPL, (PHONE, UPI)), (KOL, (UPI,)),
        (case("RJ-JAI", "1"), (phone2,)), (case("JH-RNC", "1"), (phone2, upi2)),
        (case("WB-HWH", "1"), (upi2,)),
        (MUM2, (PHONE, phone2, UPI, upi2)),
    ]  # fmt: skip


def test_a_complaint_replayed_after_a_crash_at_any_write_ends_as_if_filed_once() -> None:
    """The last complaint merges two gangs: killed after any of its writes reached the table,
    the worker files it again and ends with the same rows, having raised the same alert."""
    whole = Clustering()
    for filed, identifiers in _stream():
        whole.file(filed, *identifiers)
    *before, (last, identifiers) = _stream()
    crashed = Clustering()
    for filed, ids in before:
        crashed.file(filed, *ids)
    recording = _Recording(crashed.rows)
    first = on_complaint_filed(recording, complaint(last, *identifiers), offset=6, rules=RULES,
                               now=NOW)  # fmt: skip
    assert len(recording.writes) > 5

    for crash_at in range(len(recording.writes)):
        kept = dict(crashed.rows)
        kept.update(recording.writes[:crash_at])  # what reached the table before the crash

        again = on_complaint_filed(kept, complaint(last, *identifiers), offset=6, rules=RULES,
                                   now=NOW)  # fmt: skip

        assert kept == whole.rows, f"killed after {crash_at} writes"
        assert {a.alert_id for a in (first, again) if a} == {whole.alerts[-1].alert_id}
    assert whole.alerts[-1].trigger == last


def test_a_complaint_filed_whole_then_replayed_writes_every_row_again_as_it_is() -> None:
    clustering = Clustering()
    for filed, identifiers in _stream():
        clustering.file(filed, *identifiers)
    recording = _Recording(clustering.rows)
    *_, (last, identifiers) = _stream()

    again = on_complaint_filed(recording, complaint(last, *identifiers), offset=6, rules=RULES,
                               now=NOW)  # fmt: skip

    assert again is None
    assert dict(recording) == clustering.rows
    written = [key for key, _ in recording.writes]
    assert written[-1] == case_key(last)
    assert clustering.cluster_of(last).cluster_id in written
    assert len([key for key in written if key.startswith("identifier:")]) == 4 * 2  # and pages


def test_the_same_complaints_in_the_same_order_give_the_same_cluster_alert_ids() -> None:
    runs = []
    for _ in range(2):
        clustering = Clustering()
        for filed, identifiers in _stream():
            clustering.file(filed, *identifiers)
        runs.append([a.alert_id for a in clustering.alerts])

    assert runs[0] == runs[1]
    assert len(runs[0]) == 3  # each gang reaching its third district, then the two as one


def test_ids_do_not_depend_on_the_order_of_identifiers_within_a_complaint() -> None:
    alerts = set()
    for order in itertools.permutations((PHONE, identifier("q"), UPI)):
        clustering = Clustering()
        clustering.file(MUM1, PHONE)
        clustering.file(BPL, identifier("q"))
        clustering.file(KOL, UPI)
        alert = clustering.file(MUM2, *order)
        assert alert is not None
        alerts.add(alert.alert_id)

    assert len(alerts) == 1


def test_a_cluster_alert_raised_by_a_back_filled_complaint_carries_its_import() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)

    alert = clustering.file(KOL.model_copy(update={"import_id": "kol-2019"}), UPI)

    assert alert is not None
    assert alert.import_id == "kol-2019"


def test_a_row_read_back_is_the_row_last_written_under_its_key_however_many_came_between() -> None:
    rows: dict[str, bytes] = {}
    written = [TokenLinks(complaints=n) for n in range(5_000)]  # more than the 4,096 decoded kept
    for n, links in enumerate(written):
        rows[token_key(str(n))] = links.encoded()
    rows[token_key("7")] = TokenLinks(complaints=70).model_dump_json().encode()  # not encoded()

    read = [token_links(rows, str(n)) for n in range(5_000)]

    assert read == [*written[:7], TokenLinks(complaints=70), *written[8:]]


def test_complaints_naming_a_phone_further_apart_than_its_recycling_window_stay_two_gangs() -> None:
    clustering = Clustering()
    then, now = case("MH-PUN", "1", days_ago=900), case("MP-BPL", "2")
    clustering.file(then, PHONE)

    clustering.file(now, PHONE)

    assert clustering.cluster_of(now).size == 1
    assert clustering.cluster_of(then).size == 1


def test_a_back_filled_complaint_between_two_runs_of_a_phone_makes_them_one_gang() -> None:
    clustering = Clustering()
    older, newer = case("MH-PUN", "1", days_ago=700), case("MP-BPL", "2")
    clustering.file(older, PHONE)
    clustering.file(newer, PHONE)
    between = case("WB-KOL", "3", days_ago=350)

    alert = clustering.file(between, PHONE)

    gang = clustering.cluster_of(between)
    assert gang.size == 3
    assert clustering.cluster_of(older) == clustering.cluster_of(newer) == gang
    assert {(step.earlier, step.later) for step in clustering.path_of(between)} == {
        (older, between),
        (newer, between),
    }
    assert alert is None  # the matcher's shared alert about it went to all three
    assert set(token_links(clustering.rows, PHONE.token).told) == set(gang.districts)


def test_a_phone_row_kept_before_runs_goes_on_joining_every_complaint_to_its_first() -> None:
    """Upgraded tables link as they did until a rematch counts the runs."""
    clustering = Clustering()
    then = case("MH-PUN", "1", days_ago=900)
    legacy = TokenLinks(first=then, complaints=1, districts=("MH-PUN",), offset=0)
    clustering.rows[token_key(PHONE.token)] = legacy.encoded()
    clustering.offset = 0

    clustering.file(case("MP-BPL", "2"), PHONE)

    assert clustering.cluster_of(then).size == 2


def test_a_complaint_joining_two_runs_replayed_after_a_crash_ends_as_if_filed_once() -> None:
    stream = [
        (case("MH-PUN", "1", days_ago=700), (PHONE, UPI)),
        (case("MH-NGP", "1", days_ago=690), (UPI,)),
        (case("MP-BPL", "1"), (PHONE,)), (case("MP-IND", "1", days_ago=5), (PHONE,)),
    ]  # fmt: skip
    last, identifiers = case("WB-KOL", "1", days_ago=350), (PHONE,)
    whole, crashed = Clustering(), Clustering()
    for filed, ids in [*stream, (last, identifiers)]:
        whole.file(filed, *ids)
    for filed, ids in stream:
        crashed.file(filed, *ids)
    recording = _Recording(crashed.rows)
    on_complaint_filed(recording, complaint(last, *identifiers), offset=4, rules=RULES, now=NOW)

    for crash_at in range(len(recording.writes)):
        kept = dict(crashed.rows)
        kept.update(recording.writes[:crash_at])

        on_complaint_filed(kept, complaint(last, *identifiers), offset=4, rules=RULES, now=NOW)

        assert kept == whole.rows, f"killed after {crash_at} writes"
    assert whole.cluster_of(last).size == 5


def test_a_complaint_counted_while_the_phone_was_generic_bridges_no_runs() -> None:
    """It joins nothing, so it makes no run of two: a later complaint joins its own run whole."""
    clustering = Clustering()
    pune, nagpur = case("MH-PUN", "1", days_ago=700), case("MH-NGP", "1", days_ago=690)
    bhopal, indore = case("MP-BPL", "1", days_ago=10), case("MP-IND", "1", days_ago=5)
    for filed in (pune, nagpur, bhopal, indore):
        clustering.file(filed, PHONE)
    clustering.decide(PHONE, generic=True)
    clustering.file(case("WB-KOL", "1", days_ago=350), PHONE)
    clustering.decide(PHONE, generic=False)

    later = case("RJ-JAI", "1", days_ago=8)
    clustering.file(later, PHONE)

    assert clustering.cluster_of(later) == clustering.cluster_of(bhopal)
    assert clustering.cluster_of(later).size == 3
    assert clustering.cluster_of(pune).size == 2


def test_with_its_recycling_window_gone_a_phones_next_complaint_joins_every_run() -> None:
    clustering = Clustering()
    then, recent = case("MH-PUN", "1", days_ago=900), case("MP-BPL", "1", days_ago=10)
    clustering.file(then, PHONE)
    clustering.file(recent, PHONE)
    clustering.rules = replace(RULES, recycling=())

    clustering.file(case("WB-KOL", "1", days_ago=1), PHONE)
    clustering.file(case("RJ-JAI", "1"), PHONE)

    assert clustering.cluster_of(then).size == 4


def test_the_complaint_joining_every_run_once_the_window_is_gone_replays_as_if_filed_once() -> None:
    """With the window removed, the phone's next complaint joins each run's gang; killed after
    any of its writes, the worker files it again and ends with the same rows."""
    stream = [(case("MH-PUN", "1", days_ago=900), (PHONE, UPI)),
              (case("MH-NGP", "1", days_ago=890), (UPI,)),
              (case("MP-BPL", "1", days_ago=10), (PHONE,))]  # fmt: skip
    last = case("WB-KOL", "1", days_ago=1)
    whole, crashed = Clustering(), Clustering()
    for clustering in (whole, crashed):
        for each, ids in stream:
            clustering.file(each, *ids)
    whole.rules = rules = replace(RULES, recycling=())
    whole.file(last, PHONE)
    recording = _Recording(crashed.rows)
    on_complaint_filed(recording, complaint(last, PHONE), offset=3, rules=rules, now=NOW)

    for crash_at in range(len(recording.writes)):
        kept = dict(crashed.rows)
        kept.update(recording.writes[:crash_at])

        on_complaint_filed(kept, complaint(last, PHONE), offset=3, rules=rules, now=NOW)

        assert kept == whole.rows, f"killed after {crash_at} writes"
    assert whole.cluster_of(last).size == 4


@given(
    complaints=st.lists(
        st.tuples(st.integers(0, 1500), st.sets(st.integers(0, 2), min_size=1)),
        min_size=2,
        max_size=9,
    ),
    order=st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None)
def test_gangs_of_numbers_that_change_hands_do_not_depend_on_the_order_complaints_arrive_in(
    complaints: list[tuple[int, set[int]]], order: random.Random
) -> None:
    """Two phones (a year's window) and a UPI ID, complaints dated up to four years apart."""
    pool = (PHONE, identifier("q"), UPI)
    filed = [(case("MH-MUM", str(n), days_ago=days), tuple(pool[i] for i in sorted(named)))
             for n, (days, named) in enumerate(complaints)]  # fmt: skip
    shuffled = order.sample(filed, len(filed))

    assert _gangs(filed) == _gangs(shuffled)


def _gangs(filed: list[tuple[CaseRef, tuple[IdentifierRef, ...]]]) -> set[frozenset[str]]:
    clustering = Clustering()
    for each, identifiers in filed:
        clustering.file(each, *identifiers)
    gangs: dict[str, set[str]] = {}
    for each, _ in filed:
        gangs.setdefault(clustering.cluster_of(each).cluster_id, set()).add(each.complaint_id)
    return {frozenset(gang) for gang in gangs.values()}


def test_a_cluster_row_that_still_lists_the_latest_complaints_reads_as_before() -> None:
    stored = singleton(MUM1).model_dump(mode="json") | {"recent": [MUM1.model_dump(mode="json")]}

    read = ClusterState.model_validate_json(json.dumps(stored))

    assert read == singleton(MUM1)


def test_a_row_is_stored_without_its_defaults_and_reads_back_the_same() -> None:
    cluster = singleton(MUM1)

    encoded = cluster.encoded()

    assert b"observed_at" not in encoded
    assert b"merged_into" not in encoded
    assert ClusterState.model_validate_json(encoded) == cluster


def test_a_big_gang_s_row_reads_back_as_the_row_it_was_after_every_join() -> None:
    clustering = Clustering()
    for n in range(130):
        clustering.file(case("MP-BPL" if n % 3 else "MH-MUM", str(n)), PHONE)
        cluster = clustering.cluster_of(case("MH-MUM", "0"))
        encoded = cluster.encoded()

        assert ClusterState.model_validate_json(encoded) == cluster


def test_a_complaint_joining_a_big_gang_writes_one_step_and_one_first_not_the_whole_gang() -> None:
    clustering = Clustering()
    for n in range(150):
        clustering.file(case("MP-BPL" if n % 3 else "MH-MUM", str(n)), PHONE)
    recording = _Recording(clustering.rows)

    on_complaint_filed(recording, complaint(case("WB-KOL", "150"), PHONE), offset=150,
                       rules=RULES, now=NOW)  # fmt: skip

    steps = [value for key, value in recording.writes if key.startswith("path:")]
    assert [PathStep.model_validate_json(step).later.complaint_id for step in steps] == ["150"]
    gang = clustering.cluster_of(MUM0)
    assert [key for key, _ in recording.writes if key.startswith("first:")] == [
        first_key(gang.cluster_id, "WB-KOL")  # a new district's; the others' are as they were
    ]
    clustering.rows.update(recording.writes)
    gang = clustering.cluster_of(MUM0)
    assert (gang.size, gang.firsts, gang.path, gang.path_len) == (151, (), (), 100)
    assert [step.later.complaint_id for step in clustering.path_of(MUM0)] == [
        str(n) for n in range(51, 151)
    ]
    assert firsts_of(clustering.rows, gang) == (MUM0, case("MP-BPL", "1"), case("WB-KOL", "150"))


def _inline(path: tuple[PathStep, ...]) -> dict[str, Any]:
    """A path as rows before 2026-12-05 held it (whole), and then until its rows of their own
    (each complaint once, each step by their positions)."""
    cases = list(
        {step.earlier.model_dump_json(exclude_defaults=True): None for step in path}
        | {step.later.model_dump_json(exclude_defaults=True): None for step in path}
    )
    at = {case: n for n, case in enumerate(cases)}
    return {"path_cases": [json.loads(case) for case in cases],
            "path_steps": [[at[step.earlier.model_dump_json(exclude_defaults=True)],
                            at[step.later.model_dump_json(exclude_defaults=True)],
                            step.identifier_type.value, step.identifier_masked]
                           for step in path]}  # fmt: skip


@pytest.mark.parametrize("form", ["whole", "compact"])
def test_a_gang_stored_in_one_row_reads_and_moves_its_firsts_and_path_to_rows_of_their_own(
    form: str,
) -> None:
    clustering = Clustering()
    for n in range(5):
        clustering.file(case("MP-BPL" if n % 2 else "MH-MUM", str(n)), PHONE)
    gang, path = clustering.cluster_of(MUM0), clustering.path_of(MUM0)
    firsts = firsts_of(clustering.rows, gang)
    old = gang.model_dump(mode="json", exclude={"path_end", "path_len", "path", "firsts"})
    old["firsts"] = [first.model_dump(mode="json") for first in firsts]
    old |= (
        {"path": [step.model_dump(mode="json") for step in path]}
        if form == "whole"
        else _inline(path)
    )
    clustering.rows = {key: value for key, value in clustering.rows.items()
                       if not key.startswith(("path:", "first:"))}  # fmt: skip
    clustering.rows[gang.cluster_id] = json.dumps(old).encode()

    assert (len(path), firsts) == (4, (MUM0, case("MP-BPL", "1")))
    assert clustering.path_of(MUM0) == path
    assert firsts_of(clustering.rows, clustering.cluster_of(MUM0)) == firsts
    clustering.file(case("WB-KOL", "5"), PHONE)

    gang = clustering.cluster_of(MUM0)
    assert (gang.firsts, gang.path) == ((), ())
    assert [step.later.complaint_id for step in clustering.path_of(MUM0)] == list("12345")
    assert firsts_of(clustering.rows, gang) == (*firsts, case("WB-KOL", "5"))
