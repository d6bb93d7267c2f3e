"""The oracle states the matching rules; the matcher's pure rules, run in order, agree with it."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from typing import Any

from harness.oracle import (
    Expectation,
    Tally,
    arrest_reaches,
    expected,
    gangs_not_held_whole,
    tally,
)
from harness.synthetic import complaint_stream, gangs_of, registry_rows
from schemas.identifiers import IdentifierType
from schemas.pseudonyms import stable_id
from services.intake.config import IntakeSettings
from services.matcher.matching import MatchingRules
from tests.builders import complaint_body
from tests.pure_rules import PureRules

KEY = IntakeSettings().pseudonym()
PHONE, OTHER_PHONE, UPI = "9876543210", "9123456780", "gang.boss@ybl"


def oracle(
    *complaints: dict[str, Any], registry: tuple[dict[str, str], ...] = (), hub: int = 25
) -> Expectation:
    return expected(complaints, registry, key=KEY, hub_threshold=hub)


def test_two_complaints_sharing_a_phone_owe_one_alert_to_both_districts() -> None:
    first = complaint_body("MH-PUN", ("phone", PHONE), complaint_id="P1")
    second = complaint_body("MP-BPL", ("phone", f"+91 {PHONE}"), complaint_id="B1")

    result = oracle(first, second)

    (alert,) = result.alerts.values()
    assert (alert.kind, alert.districts, alert.trigger) == (
        "shared_identifier", frozenset({"MH-PUN", "MP-BPL"}), ("MP-BPL", "B1"),
    )  # fmt: skip
    assert result.clusters == [frozenset({("MH-PUN", "P1"), ("MP-BPL", "B1")})]


def test_a_chain_of_shared_identifiers_is_one_cluster() -> None:
    a = complaint_body("MH-PUN", ("phone", PHONE), complaint_id="A")
    b = complaint_body("MP-BPL", ("phone", PHONE), ("upi", UPI), complaint_id="B")
    c = complaint_body("WB-KOL", ("upi", UPI), complaint_id="C")

    assert oracle(a, b, c).cluster_of(("MH-PUN", "A")) == {
        ("MH-PUN", "A"), ("MP-BPL", "B"), ("WB-KOL", "C"),
    }  # fmt: skip


def test_past_the_hub_threshold_each_complaints_district_is_still_owed_an_alert() -> None:
    districts = ["MH-PUN", "MH-PUN", "MH-MUM", "MH-PUN", "MP-BPL", "MH-MUM"]
    complaints = [
        complaint_body(d, ("phone", PHONE), complaint_id=f"H{n}") for n, d in enumerate(districts)
    ]

    result = oracle(*complaints, hub=3)

    owed = sorted((a.trigger or ("", ""), sorted(a.districts)) for a in result.alerts.values())
    assert owed == [
        (("", ""), []),  # operators' alert on the prolific identifier
        (("MH-MUM", "H2"), ["MH-MUM", "MH-PUN"]),  # shared, up to the threshold
        (("MH-MUM", "H5"), ["MH-MUM"]),  # past it: its own district
        (("MH-PUN", "H1"), ["MH-PUN"]),
        (("MH-PUN", "H3"), ["MH-MUM"]),  # the digest as the threshold is passed
        (("MH-PUN", "H3"), ["MH-PUN"]),
        (("MP-BPL", "H4"), ["MH-MUM", "MH-PUN"]),  # the digest for a new state, MP
        (("MP-BPL", "H4"), ["MP-BPL"]),
    ]
    assert result.cluster_of(("MH-PUN", "H0")) == {(d, f"H{n}") for n, d in enumerate(districts)}


def test_a_registry_entry_after_a_prolific_identifier_is_owed_to_each_district_once() -> None:
    complaints = [
        complaint_body(d, ("phone", PHONE), complaint_id=f"H{n}")
        for n, d in enumerate(["MH-PUN", "MP-BPL"] * 3)
    ]
    row = {"type": "phone", "value": PHONE, "source": "NCRP", "reference": "NCRP-1"}

    result = expected(complaints, registry_after=[row], key=KEY, hub_threshold=3)

    hits = [a for a in result.alerts.values() if a.kind == "registry_hit"]
    assert sorted(sorted(a.districts) for a in hits) == [["MH-PUN"], ["MP-BPL"]]


def test_a_registry_identifier_alerts_each_complaint_that_names_it() -> None:
    row = {"type": "phone", "value": PHONE, "source": "NCRP", "reference": "NCRP-1"}
    complaint = complaint_body("JH-JAM", ("phone", PHONE), complaint_id="J1")

    (alert,) = oracle(complaint, registry=(row,)).alerts.values()

    assert (alert.kind, alert.districts) == ("registry_hit", frozenset({"JH-JAM"}))


def test_weak_identifiers_link_only_within_the_window_and_benign_ones_never() -> None:
    near = complaint_body(
        "MH-PUN", ("ip", "103.21.4.9"), ("phone", "1930"), registered_at="2026-11-20T10:00:00+05:30"
    )
    close = complaint_body(
        "MP-BPL", ("ip", "103.21.4.9"), ("phone", "1930"), registered_at="2026-11-20T20:00:00+05:30"
    )
    far = complaint_body("WB-KOL", ("ip", "103.21.4.9"), registered_at="2026-11-25T10:00:00+05:30")

    alerts = oracle(near, close, far).alerts.values()

    assert [(a.kind, a.trigger) for a in alerts] == [
        ("shared_identifier", ("MP-BPL", close["complaint_id"]))
    ]


def test_the_matchers_rules_run_in_order_owe_exactly_the_oracles_deliveries() -> None:
    complaints = list(itertools.islice(complaint_stream(seed=5, gangs=20, overlap=0.7), 2000))
    registry = registry_rows(seed=5, gangs=20)
    before, after = registry[::2], registry[1::2]
    rules = MatchingRules(hub_threshold=10)

    raised = _run_matching_rules(complaints, before, after, rules)

    owed = expected(complaints, before, registry_after=after, key=KEY, hub_threshold=10)
    assert len(owed.ids("shared_identifier")) > 500
    assert len(owed.ids("registry_hit")) > 50
    assert len(owed.ids("hub_identifier")) > 5
    assert len(owed.ids("cluster_linked")) > 10
    assert raised == {a.alert_id: a.districts for a in owed.alerts.values()}


def _run_matching_rules(
    complaints: list[dict[str, Any]],
    before: list[dict[str, str]],
    after: list[dict[str, str]],
    rules: MatchingRules,
) -> dict[str, frozenset[str]]:
    """Registry rows, then complaints, then more registry rows, through the pure rules with
    in-memory tables: every alert id raised, with the districts it goes to."""
    pure = PureRules(rules, KEY)
    alerts = [
        *(a for row in before for a in pure.register(row)),
        *(a for body in complaints for a in pure.post(body)),
        *(a for row in after for a in pure.register(row)),
    ]
    return {alert.alert_id: frozenset(alert.districts) for alert in alerts}


def test_a_tally_counts_lost_misrouted_and_doubled_deliveries() -> None:
    owed = {("a1", "MH-PUN"), ("a1", "MP-BPL"), ("a2", "WB-KOL")}
    processed = [("a1", "MH-PUN"), ("a1", "MH-PUN"), ("a1", "JH-JAM"), ("a2", "WB-KOL")]

    assert tally(owed, processed) == Tally(
        expected=3, delivered=2, lost=1, misrouted=1, duplicated=1
    )
    assert not tally(owed, processed).clean
    assert tally(owed, sorted(owed)).clean


def test_a_gang_is_held_whole_only_by_one_cluster_of_exactly_its_complaints() -> None:
    pune, bhopal, kolkata, ranchi = (
        ("MH-PUN", "1"),
        ("MP-BPL", "2"),
        ("WB-KOL", "3"),
        ("JH-RAN", "4"),
    )
    gangs = [frozenset({pune, bhopal, kolkata}), frozenset({ranchi, ("JH-RAN", "5")})]
    whole = (3, [pune, bhopal, kolkata])

    assert gangs_not_held_whole(gangs, [whole, (2, [ranchi])]) == []  # listing only the latest
    lost_link = [(2, [pune, bhopal]), (2, [ranchi])]
    assert gangs_not_held_whole(gangs, lost_link) == [gangs[0]]
    assert gangs_not_held_whole(gangs, [(5, [pune, ranchi])]) == gangs  # a wrong link joins two


def _gang(name: str, phone: str, districts: list[str]) -> list[dict[str, Any]]:
    """A gang's complaints, each naming the gang's phone or UPI ID (or both) in turn."""
    upi = f"{name}.pay@ybl"
    names = [[("phone", phone)], [("phone", phone), ("upi", upi)], [("upi", upi)]]
    return [complaint_body(district, *names[n % 3], complaint_id=f"{name}-{n}")
            for n, district in enumerate(districts)]  # fmt: skip


def test_two_gangs_posted_interleaved_otherwise_give_the_same_alert_ids_cluster_alerts_too() -> (
    None
):
    one = _gang("rnc", "9431277001", ["JH-RAN", "MH-PUN", "MP-BPL", "WB-KOL", "MH-MUM", "RJ-JAI"])
    other = _gang("jtr", "9829177002", ["RJ-ALW", "MH-PUN", "UP-LKO", "MP-IND", "WB-KOL"])
    orders = [one + other, other + one, [c for pair in itertools.zip_longest(one, other)
                                        for c in pair if c]]  # fmt: skip

    raised = []
    for order in orders:
        pure = PureRules(MatchingRules(hub_threshold=25), KEY)
        raised.append({a.alert_id for body in order for a in pure.post(body)})

    assert raised[0] == raised[1] == raised[2]
    assert raised[0] == oracle(*orders[2]).ids()
    # Each district joining a gang of three or more that no one alert about it told whole.
    assert len(oracle(*orders[0]).ids("cluster_linked")) == 4 + 3


def test_two_complaints_naming_one_phone_30_months_apart_owe_a_lead_not_a_link() -> None:
    then = complaint_body("MH-PUN", ("phone", PHONE), complaint_id="P1",
                          registered_at="2024-05-20T10:15:00+05:30")  # fmt: skip
    now = complaint_body("MP-BPL", ("phone", PHONE), complaint_id="B1")

    result = oracle(then, now)

    (alert,) = result.alerts.values()
    (token,) = result.tokens
    assert alert.alert_id == stable_id("shared_identifier", token, "recycled", "MP-BPL", "B1")
    assert alert.districts == frozenset({"MH-PUN", "MP-BPL"})
    assert result.clusters == []


def test_the_matchers_rules_agree_with_the_oracle_on_numbers_posted_out_of_date_order() -> None:
    """Phones change hands after a short window here, so gangs' numbers fall into many runs,
    and the complaints are posted in no order of date, so back-filled ones bridge runs."""
    complaints = list(itertools.islice(complaint_stream(seed=11, gangs=20, overlap=0.7), 1500))
    random.Random(11).shuffle(complaints)
    window = timedelta(hours=3)
    rules = MatchingRules(hub_threshold=10, recycling=((IdentifierType.PHONE, window),))

    raised = _run_matching_rules(complaints, [], [], rules)

    owed = expected(complaints, key=KEY, hub_threshold=10, recycling={IdentifierType.PHONE: window})
    unaged = expected(complaints, key=KEY, hub_threshold=10, recycling={})
    assert len(owed.ids("shared_identifier") - unaged.ids("shared_identifier")) > 50  # leads
    assert len(owed.clusters) > len(unaged.clusters)
    assert len(owed.ids("cluster_linked")) > 10
    assert raised == {a.alert_id: a.districts for a in owed.alerts.values()}


def arrest_body(seized: list[dict[str, str]], arrested_at: datetime) -> dict[str, Any]:
    return {
        "district": "JH-JAM",
        "police_station": "Cyber PS Jamtara",
        "arrested_at": arrested_at.isoformat(),
        "status": "police_custody",
        "accused": 3,
        "contact_name": "Insp. R. Murmu",
        "contact_phone": "9431100000",
        "seized": seized,
    }


def _told_of_arrest(
    complaints: list[dict[str, Any]],
    seized: list[dict[str, str]],
    at: datetime,
    rules: MatchingRules,
) -> dict[str, tuple[int, set[tuple[str, str]]]]:
    """Each district the pure rules tell of the arrest: its count, and the complaints listed."""
    pure = PureRules(rules, KEY)
    for body in complaints:
        pure.post(body)
    told = {}
    for alert in pure.arrest("JH-0042", arrest_body(seized, at)):
        assert alert.facts is not None
        assert alert.facts.your_complaints is not None
        told[alert.districts[0]] = (alert.facts.your_complaints, {c.key for c in alert.cases})
    return told


def test_an_arrest_tells_exactly_the_districts_and_complaints_the_oracle_computes() -> None:
    complaints = list(itertools.islice(complaint_stream(seed=7, gangs=20, overlap=0.7), 2000))
    gangs = gangs_of(7, 20)
    seized = [
        {"type": "phone", "value": gangs[3].phones[0]},
        {"type": "upi", "value": gangs[7].upis[0]},
        {"type": "imei", "value": gangs[11].imeis[0]},
    ]
    at = datetime.fromisoformat(complaints[-1]["registered_at"]) + timedelta(days=30)

    told = _told_of_arrest(complaints, seized, at, MatchingRules(hub_threshold=10))

    owed = arrest_reaches(expected(complaints, key=KEY, hub_threshold=10), complaints, seized,
                          key=KEY, arrested_at=at)  # fmt: skip
    assert len(owed) > 10
    assert {d: n for d, (n, _) in told.items()} == {d: len(cases) for d, cases in owed.items()}
    assert all(listed == owed[d] for d, (n, listed) in told.items() if n <= 100)


def test_an_arrest_reaches_only_the_runs_of_a_number_near_its_date_as_the_oracle_says() -> None:
    """Phones change hands after three hours here, and complaints come in no order of date: a
    seized phone reaches its holder's run at the arrest, not the runs of its holders before."""
    complaints = list(itertools.islice(complaint_stream(seed=11, gangs=20, overlap=0.7), 1500))
    random.Random(11).shuffle(complaints)
    window = timedelta(hours=3)
    phone = gangs_of(11, 20)[2].phones[0]
    naming = sorted(datetime.fromisoformat(c["registered_at"]) for c in complaints
                    if any(i["value"] == phone for i in c["identifiers"]))  # fmt: skip
    at = naming[len(naming) // 2]
    rules = MatchingRules(hub_threshold=10, recycling=((IdentifierType.PHONE, window),))

    told = _told_of_arrest(complaints, [{"type": "phone", "value": phone}], at, rules)

    recycling = {IdentifierType.PHONE: window}
    owed = arrest_reaches(
        expected(complaints, key=KEY, hub_threshold=10, recycling=recycling), complaints,
        [{"type": "phone", "value": phone}], key=KEY, arrested_at=at, recycling=recycling,
    )  # fmt: skip
    every_run = arrest_reaches(expected(complaints, key=KEY, hub_threshold=10, recycling={}),
                               complaints, [{"type": "phone", "value": phone}], key=KEY,
                               arrested_at=at, recycling={})  # fmt: skip
    assert sum(map(len, owed.values())) < sum(map(len, every_run.values()))
    assert {d: n for d, (n, _) in told.items()} == {d: len(cases) for d, cases in owed.items()}
    assert all(listed == owed[d] for d, (n, listed) in told.items() if n <= 100)
