"""`crosslink rematch` as a whole, on an in-memory history: refused while the matcher runs, the
news out before the tables, the group moved last, and a run stopped part way finished by the
next without telling anyone twice."""

from __future__ import annotations

import pytest

from cli.rematch import rematch
from schemas.events import ImportClosed, import_marker_key
from schemas.topics import (
    CLUSTERS_CHANGELOG,
    COMPLAINTS_FILED,
    HISTORY,
    IDENTIFIER_SIGHTED,
    STATE_CHANGELOG,
)
from services.matcher.batches import HistoryRecord, Position
from services.matcher.history import MatcherRunning
from services.matcher.matching import MatchingRules
from tests.builders import HISTORY_NOW as NOW
from tests.builders import filed_record, sighting_record
from tests.fakes import Crashed, FakeHistory

RULES = MatchingRules(hub_threshold=3)
APPLIED = ["publish", f"write {STATE_CHANGELOG.name}", f"write {CLUSTERS_CHANGELOG.name}", "move"]


def history() -> FakeHistory:
    """Five complaints naming one phone: sightings and filed complaints, nothing told yet."""
    return FakeHistory(history=[*map(sighting_record, range(5)), *map(filed_record, range(5))])


def test_the_news_goes_out_before_the_tables_and_the_group_moves_last() -> None:
    store = history()

    report = rematch(store, RULES)

    assert store.effects == APPLIED
    assert report.applied
    assert sum(report.raised.values()) == len(store.sent) > 0
    assert store.moved == store.ends(HISTORY)


def test_it_is_refused_while_a_matcher_worker_runs_and_changes_nothing() -> None:
    store = history()
    store.running = 1

    with pytest.raises(MatcherRunning, match="stop every one"):
        rematch(store, RULES)

    assert store.effects == []


def test_a_dry_run_reports_and_changes_nothing() -> None:
    store = history()

    report = rematch(store, RULES, dry_run=True)

    assert store.effects == []
    assert not report.applied
    assert report.rows_written[STATE_CHANGELOG.name] > 0


@pytest.mark.parametrize("crash_at", APPLIED[1:])
def test_run_again_after_stopping_part_way_it_finishes_without_telling_anyone_twice(
    crash_at: str,
) -> None:
    store = history()
    store.crash_at = crash_at
    with pytest.raises(Crashed):
        rematch(store, RULES)
    told = len(store.sent)

    store.crash_at = None
    report = rematch(store, RULES)

    assert len(store.sent) == told  # the news went out before the crash
    assert not report.raised
    assert store.moved is not None
    again = rematch(store, RULES, dry_run=True)
    assert sum(again.rows_written.values()) + sum(again.rows_removed.values()) == 0


def test_every_imports_end_in_the_history_is_passed_on_again_before_the_group_moves() -> None:
    store = history()
    key = import_marker_key("mum-2019").encode()
    for topic, partition in ((IDENTIFIER_SIGHTED.name, 4), (COMPLAINTS_FILED.name, 0)):
        closed = ImportClosed(
            import_id="mum-2019", district="MH-MUM", closed_at=NOW, partition=partition
        )
        position = Position(topic, partition, 9)
        store.history.append(HistoryRecord(position, key, closed.model_dump_json().encode()))

    rematch(store, RULES)

    assert store.effects == APPLIED
    passed = sorted((p.source_topic, p.source_partition, p.alerts_partition) for p in store.passed)
    assert passed == [
        (COMPLAINTS_FILED.name, 0, 0), (COMPLAINTS_FILED.name, 0, 1), (COMPLAINTS_FILED.name, 0, 2),
        (IDENTIFIER_SIGHTED.name, 4, 0), (IDENTIFIER_SIGHTED.name, 4, 1),
        (IDENTIFIER_SIGHTED.name, 4, 2),
    ]  # fmt: skip
