"""Rematch's core: the history replayed into tables, what is news to whom, and what to write."""

from __future__ import annotations

from typing import Any, get_args

from schemas.events import (
    AlertKind,
    AlertRaised,
    GenericValueDecided,
    ImportClosed,
    import_marker_key,
)
from schemas.topics import COMPLAINTS_FILED, GENERIC_VALUE_DECIDED, IDENTIFIER_SIGHTED, STATE_TABLE
from services.matcher.app import create_app
from services.matcher.batches import HistoryRecord, Position
from services.matcher.clustering import CLUSTER_KEY_PREFIX
from services.matcher.config import MatcherSettings
from services.matcher.history import CHANGELOG_KEY_CODEC
from services.matcher.matching import MatchingRules, TokenState
from services.matcher.rematch import (
    _FAMILY,
    Replay,
    Row,
    RowWrite,
    Told,
    news,
    row_changes,
)
from tests.builders import HISTORY_NOW as NOW
from tests.builders import HISTORY_PHONE as PHONE
from tests.builders import alert_raised, filed_record, sighting_record
from tests.unit.test_arrests import arrest

DISTRICTS = ("MH-MUM", "MP-BPL", "WB-KOL")


def decision_record(
    offset: int, *, generic: bool, topic: str = GENERIC_VALUE_DECIDED.name
) -> HistoryRecord:
    decision = GenericValueDecided(decision_id=f"d-{offset}", identifier=PHONE, generic=generic,
                                   reason="a bank's helpline", decided_by="ops",
                                   decided_at=NOW)  # fmt: skip
    position = Position(topic, 4, offset, timestamp_ms=1_000 + offset)
    return HistoryRecord(position, PHONE.token.encode(), decision.model_dump_json().encode())


def replayed_records(records: list[HistoryRecord], threshold: int) -> Replay:
    replay = Replay(MatchingRules(hub_threshold=threshold))
    replay.identifiers(records)
    return replay


def replayed(complaints: int, threshold: int) -> Replay:
    replay = Replay(MatchingRules(hub_threshold=threshold))
    replay.identifiers(sighting_record(n) for n in reversed(range(complaints)))
    return replay


def test_the_history_is_replayed_in_the_order_it_was_written() -> None:
    replay = replayed(6, threshold=10)

    row = TokenState.model_validate_json(replay.tokens[PHONE.token])
    assert [case.complaint_id for case in row.cases] == [f"C-{n}" for n in range(6)]


def test_a_lower_threshold_makes_the_same_history_prolific() -> None:
    under_ten, under_three = replayed(6, threshold=10), replayed(6, threshold=3)

    assert not TokenState.model_validate_json(under_ten.tokens[PHONE.token]).prolific
    rebuilt = TokenState.model_validate_json(under_three.tokens[PHONE.token])
    assert rebuilt.prolific
    assert rebuilt.complaints == 6
    assert {a.rule for a in under_three.alerts} >= {"prolific_identifier", "hub_identifier"}


def test_each_row_lives_in_the_partition_of_its_token() -> None:
    rows = replayed(3, threshold=10).token_rows()

    assert {row.partition for row in rows.values()} == {4}
    assert PHONE.token in rows
    assert f"{PHONE.token}/MH-MUM/C-0" in rows


def test_a_value_generic_now_links_nothing_in_the_rebuilt_tables() -> None:
    replay = Replay(MatchingRules())

    replay.identifiers([sighting_record(0), sighting_record(1), decision_record(0, generic=True)])

    assert TokenState.model_validate_json(replay.tokens[PHONE.token]).generic is not None
    assert not [a for a in replay.alerts if a.kind == "shared_identifier"]


def test_a_decision_withdrawn_since_leaves_the_value_linking() -> None:
    replay = Replay(MatchingRules())
    decisions = [decision_record(0, generic=True), decision_record(1, generic=False)]

    replay.identifiers([*decisions, sighting_record(0), sighting_record(1)])

    assert TokenState.model_validate_json(replay.tokens[PHONE.token]).generic is None
    assert [a.kind for a in replay.alerts] == ["shared_identifier"]


def test_complaints_joined_only_through_a_value_generic_now_stay_apart() -> None:
    replay = Replay(MatchingRules())
    decided = decision_record(2, generic=True, topic=COMPLAINTS_FILED.name)

    replay.complaints([filed_record(0), filed_record(1), decided])

    assert not [key for key in replay.clusters if key.startswith(CLUSTER_KEY_PREFIX)]


def test_every_kind_of_alert_has_a_family_of_links() -> None:
    # An import's digest is the notifier's: never on the alerts topic a rematch reads.
    assert set(_FAMILY) == set(get_args(AlertKind)) - {"import_digest"}


def test_after_a_rebuild_under_a_higher_threshold_no_new_alert_repeats_an_id_sent() -> None:
    """Digests are numbered by the complaint that sent them, not by a count a rebuild
    changes: the notifier would take a repeated id for the alert it had."""
    # Live, past 2: a digest as it passes, and one at each new state (three); rebuilt past 4:
    # one, as it passes. The next state's digest is the rebuilt row's second.
    states = ["MH-MUM", "MH-PUN", "MH-MUM", "MP-BPL", "WB-KOL"]
    history = [sighting_record(n, district=d) for n, d in enumerate(states)]
    live = replayed_records(history, threshold=2)
    rebuilt = replayed_records(history, threshold=4)
    sent = {a.alert_id for a in live.alerts if a.audience == "districts"}

    rebuilt.alerts.clear()
    rebuilt.identifiers([sighting_record(5, district="JH-RAN")])

    raised = {a.alert_id: a.rule for a in rebuilt.alerts if a.audience == "districts"}
    assert "prolific_identifier_digest" in raised.values()
    assert not set(raised) & sent


def test_an_undecodable_record_is_skipped_and_counted() -> None:
    replay = Replay(MatchingRules())
    broken = HistoryRecord(Position(IDENTIFIER_SIGHTED.name, 0, 0), b"k", b"{not json")

    replay.identifiers([broken, sighting_record(1)])

    assert replay.undecodable == 1
    assert PHONE.token in replay.tokens


def test_an_imports_end_in_the_history_changes_nothing_and_is_not_undecodable() -> None:
    closed = ImportClosed(import_id="mum-2019", district="MH-MUM", closed_at=NOW, partition=4)
    key, value = import_marker_key("mum-2019").encode(), closed.model_dump_json().encode()
    plain, marked = Replay(MatchingRules()), Replay(MatchingRules())

    plain.identifiers([sighting_record(0), sighting_record(1)])
    plain.complaints([filed_record(0), filed_record(1)])
    marked.identifiers([
        sighting_record(0), HistoryRecord(Position(IDENTIFIER_SIGHTED.name, 4, 5), key, value),
        sighting_record(1),
    ])  # fmt: skip
    marked.complaints(
        [filed_record(0), HistoryRecord(Position(COMPLAINTS_FILED.name, 0, 9), key, value),
         filed_record(1)]
    )  # fmt: skip

    assert marked.undecodable == plain.undecodable == 0
    assert plain.alerts
    assert [a.alert_id for a in marked.alerts] == [a.alert_id for a in plain.alerts]
    assert marked.clusters == plain.clusters


def test_an_alert_listing_only_complaints_a_district_knows_is_not_news() -> None:
    sent = alert_raised("MH-MUM", "MP-BPL", "WB-KOL")
    again = sent.model_copy(update={"alert_id": "other", "cases": sent.cases[:2]})

    assert Told([sent]).news(again, Told()) is None


def test_a_weak_link_between_two_complaints_told_apart_before_is_news() -> None:
    """A weak identifier links pairs: x~a and b~z told does not tell MH-MUM that b~x."""
    x, a = alert_raised("MH-MUM", "MP-BPL").cases
    b, z = alert_raised("MH-MUM", "WB-KOL").cases
    sent = alert_raised("MH-MUM")
    told = Told(
        [sent.model_copy(update={"cases": (x, a)}), sent.model_copy(update={"cases": (b, z)})]
    )

    fresh = told.news(sent.model_copy(update={"alert_id": "bx", "cases": (b, x)}), Told())

    assert fresh is not None
    assert fresh.districts == ["MH-MUM"]


def test_a_new_alert_telling_everyone_something_goes_out_as_it_is() -> None:
    alert = alert_raised("MH-MUM", "MP-BPL")

    assert Told([alert_raised("WB-KOL")]).news(alert, Told()) == alert


def test_an_alert_with_an_id_sent_before_goes_only_to_whom_it_is_news_under_an_id_of_its_own() -> (
    None
):
    sent = alert_raised("MH-MUM", "MP-BPL")
    more = alert_raised("WB-KOL").cases
    grown = sent.model_copy(update={"cases": (*sent.cases, *more), "recipients": DISTRICTS})
    told = Told([sent, grown.model_copy(update={"alert_id": "x", "recipients": ("WB-KOL",)})])

    fresh = told.news(grown, Told())

    assert fresh is not None
    assert fresh.alert_id != sent.alert_id
    assert fresh.recipients == ("MH-MUM", "MP-BPL")  # WB-KOL knew all it lists
    assert told.news(grown, Told()) == fresh  # the same news gets the same id


def operators(alert: AlertRaised, complaints: int) -> AlertRaised:
    facts = alert.facts.model_copy(update={"complaints": complaints}) if alert.facts else None
    return alert.model_copy(update={"audience": "operators", "facts": facts})


def test_an_operators_alert_is_news_once_per_id_and_the_last_count_is_told() -> None:
    hub = alert_raised("MH-MUM")
    replay = [operators(hub, 26), operators(hub, 30)]

    assert news(replay, Told()) == [replay[-1]]
    assert news(replay, Told([replay[0]])) == []


def test_news_a_later_alert_carries_too_is_sent_once_in_the_later_alert() -> None:
    earlier = alert_raised("MH-MUM", "MP-BPL")
    later = earlier.model_copy(
        update={"alert_id": "later", "cases": (*earlier.cases, *alert_raised("MH-MUM").cases)}
    )
    told = Told()

    assert news([earlier, later], told) == [later]
    assert news([earlier, later], told) == []  # told now, as a rematch run again finds it


def test_only_rows_that_differ_are_written_and_rows_gone_are_tombstoned() -> None:
    old = {
        "same": Row(0, b"1"),
        "changed": Row(1, b"1"),
        "gone": Row(2, b"1"),
        "moved": Row(3, b"1"),
    }
    new = {
        "same": Row(0, b"1"),
        "changed": Row(1, b"2"),
        "moved": Row(4, b"1"),
        "new": Row(5, b"1"),
    }

    assert row_changes(old, new) == [
        RowWrite(2, "gone", None),
        RowWrite(3, "moved", None),
        RowWrite(1, "changed", b"2"),
        RowWrite(4, "moved", b"1"),
        RowWrite(5, "new", b"1"),
    ]


def test_rows_are_written_with_the_key_codec_faust_reads_the_changelog_with() -> None:
    table: Any = create_app(MatcherSettings()).tables[STATE_TABLE]

    assert table.key_serializer == CHANGELOG_KEY_CODEC


def test_a_link_where_only_a_possibly_recycled_lead_was_told_is_news() -> None:
    """A rematch under a wider recycling window links what was a lead: that is news."""
    lead = alert_raised("MH-MUM", "MP-BPL").model_copy(update={"rule": "possibly_recycled_number"})
    link = lead.model_copy(update={"alert_id": "link", "rule": "shared_identifier"})

    assert Told([lead]).news(link, Told()) == link


def test_an_arrest_in_the_history_tells_its_districts_once_and_not_again() -> None:
    seized = arrest(PHONE)
    complaints = [filed_record(n) for n in range(3)]
    arrested = HistoryRecord(Position(COMPLAINTS_FILED.name, 0, 3, timestamp_ms=1_003),
                             seized.key.encode(), seized.model_dump_json().encode())  # fmt: skip
    replay = Replay(MatchingRules())

    replay.complaints([*complaints, arrested])

    arrests = [alert for alert in replay.alerts if alert.kind == "arrest"]
    assert [alert.districts for alert in arrests] == [["MH-MUM"], ["MP-BPL"], ["WB-KOL"]]
    assert news(arrests, Told(arrests)) == []
