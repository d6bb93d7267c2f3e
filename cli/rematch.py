"""`crosslink rematch`: the matcher's tables rebuilt from the history under the current rules,
districts told only what is news to them, and the matcher switched over to the new tables.

Run with every matcher worker stopped. In order: the history is read to the end it has now;
replayed into tables in memory; the alerts that are news published (first: a rematch stopped
after them, run again, finds them told); the rows that differ written to the changelogs; the
matcher's group offsets set to the end of what was replayed. Started again, each worker loads
the new rows from the changelogs and goes on with what arrived since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas.events import AlertRaised, ImportPassed, TokenRekeyed
from schemas.topics import CLUSTERS_CHANGELOG, COMPLAINTS_FILED, HISTORY, STATE_CHANGELOG, TopicSpec
from services.matcher.batches import HistoryRecord
from services.matcher.history import MatcherRunning
from services.matcher.matching import MatchingRules
from services.matcher.rekeying import TokenMap
from services.matcher.rematch import (
    Replay,
    Row,
    RowWrite,
    Told,
    arrests_told,
    import_passes,
    news,
    row_changes,
)

Ends = Mapping[Any, int]  # each partition's end offset, by (topic, partition)


class MatcherHistory(Protocol):
    """The history and the matcher's tables as a rematch reads and writes them: on Kafka,
    `services.matcher.history.KafkaHistory`; in memory, tests/fakes.py's `FakeHistory`."""

    def workers(self) -> int: ...

    def ends(self, specs: Sequence[TopicSpec]) -> Ends: ...

    def records(self, ends: Ends) -> list[HistoryRecord]: ...

    def rekeyed(self) -> list[TokenRekeyed]: ...

    def alerts(self) -> tuple[list[AlertRaised], int]: ...

    def table(self, changelog: TopicSpec) -> dict[str, Row]: ...

    def publish(self, alerts: Sequence[AlertRaised], passes: Sequence[ImportPassed] = ()) -> None:
        """Send the alerts, keyed by id, then each pass to its alerts partition; wait until
        the broker holds every one."""

    def write(self, changelog: TopicSpec, writes: Sequence[RowWrite]) -> None: ...

    def move(self, ends: Ends) -> None: ...


@dataclass
class RematchReport:
    records: int = 0  # history records replayed
    undecodable: int = 0  # skipped, as the matcher set them aside
    alerts_undecodable: int = 0  # on the alerts topic: what they told is not known
    replayed_alerts: int = 0  # alerts the replay raised
    raised: Counter[str] = field(default_factory=Counter)  # news published, by kind
    # Identifiers replayed, by the key id of their token after every rotation's map: more than
    # one, and `crosslink rekey` has not mapped them all (they match nothing across).
    key_ids: Counter[str] = field(default_factory=Counter)
    rows_written: dict[str, int] = field(default_factory=dict)  # by changelog
    rows_removed: dict[str, int] = field(default_factory=dict)
    applied: bool = False  # False for a dry run


def rematch(
    history: MatcherHistory, rules: MatchingRules, *, dry_run: bool = False
) -> RematchReport:
    """Rebuild the matcher's tables under `rules`; with `dry_run`, only say what would change."""
    if workers := history.workers():
        raise MatcherRunning(
            f"{workers} matcher worker(s) are running: stop every one (the rematch rewrites "
            "the tables they hold), run it again, then start them"
        )
    ends = history.ends(HISTORY)
    records = history.records(ends)
    rotations = TokenMap(history.rekeyed())
    replay = Replay(rules, rotations=rotations)
    replay.identifiers(r for r in records if r.message.topic != COMPLAINTS_FILED.name)
    sent, unreadable = history.alerts()
    replay.complaints(
        (r for r in records if r.message.topic == COMPLAINTS_FILED.name), arrests_told(sent)
    )
    fresh = news(replay.alerts, Told(sent, rotations))
    changes = [
        (STATE_CHANGELOG, row_changes(history.table(STATE_CHANGELOG), replay.token_rows())),
        (CLUSTERS_CHANGELOG, row_changes(history.table(CLUSTERS_CHANGELOG), replay.cluster_rows())),
    ]
    report = RematchReport(
        records=len(records),
        undecodable=replay.undecodable,
        alerts_undecodable=unreadable,
        replayed_alerts=len(replay.alerts),
        raised=Counter(alert.kind for alert in fresh),
        key_ids=replay.key_ids,
        rows_written={c.name: sum(w.value is not None for w in ws) for c, ws in changes},
        rows_removed={c.name: sum(w.value is None for w in ws) for c, ws in changes},
    )
    if dry_run:
        return report
    # The group moves past every import's end read here: pass each on again, behind the news
    # (the notifier tells an import once, whatever passes it holds twice).
    history.publish(fresh, import_passes(records))
    for changelog, writes in changes:
        history.write(changelog, writes)
    history.move(ends)
    report.applied = True
    return report
