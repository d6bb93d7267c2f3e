"""The gang a complaint belongs to: the newest group announcement naming one of its cases."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.api import InboxAlert
from schemas.events import AlertRaised, CaseRef, ClusterSummary
from services.notifier.console.groups import group_of
from services.notifier.routing import district_view
from tests.builders import alert_raised

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def item(alert: AlertRaised) -> InboxAlert:
    return InboxAlert(
        alert_id=alert.alert_id, kind=alert.kind, status="new", note=None, created_at=NOW,
        updated_at=NOW, acknowledged_at=None, reminders=0,
        alert=district_view(alert, "MH-MUM"), deliveries=[],
    )  # fmt: skip


def announcement(*cases: CaseRef) -> InboxAlert:
    alert = alert_raised("MH-MUM", kind="cluster_linked").model_copy(
        update={
            "cases": cases,
            "cluster": ClusterSummary(
                cluster_id="cl-1", size=len(cases), districts=("MH-MUM", "MP-BPL"), path=()
            ),
        }
    )
    return item(alert)


PAIR = alert_raised("MH-MUM", "MP-BPL")
ELSEWHERE = alert_raised("MH-MUM", "WB-KOL")


def test_a_pair_belongs_to_the_newest_group_naming_one_of_its_complaints() -> None:
    newest = announcement(PAIR.cases[1], *ELSEWHERE.cases)
    older = announcement(*PAIR.cases)

    assert group_of(item(PAIR), [newest, older]) == newest


def test_a_pair_no_group_names_belongs_to_none() -> None:
    assert group_of(item(PAIR), [announcement(*ELSEWHERE.cases)]) is None


def test_the_newest_announcement_is_not_sent_to_itself() -> None:
    newest = announcement(*PAIR.cases)

    assert group_of(newest, [newest]) is None
