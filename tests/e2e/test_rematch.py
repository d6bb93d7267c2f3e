"""`crosslink rematch` on the real pipeline: the hub threshold raised from 5 to 8 after a gang's
phone was named in nine complaints. The tables rebuilt from the history are the oracle's under
the new threshold; the districts hear only of complaints no alert had told them of; and the
matcher, started again, goes on from the rebuilt tables under the new rule."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.app import app
from cli.rematch import rematch
from harness.oracle import Case, Expectation, expected, gangs_not_held_whole
from schemas.topics import ALERT_RAISED, CLUSTERS_CHANGELOG, STATE_CHANGELOG
from services.intake.config import IntakeSettings
from services.matcher.clustering import CLUSTER_KEY_PREFIX, ClusterState, firsts_of, path_of
from services.matcher.history import KafkaHistory, MatcherRunning, matcher_workers, read_table
from services.matcher.matching import MatchingRules, TokenState
from services.matcher.rematch import Row
from tests.builders import complaint_body
from tests.conftest import own_broker, wait_for, wait_until_consumed, wait_until_drained
from tests.e2e.conftest import NOTIFIER_GROUP, PIPELINE_TIMEOUT_S, Pipeline, running_pipeline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
DISTRICTS = ("MH-MUM", "MP-BPL", "WB-KOL")
BEFORE, AFTER = 5, 8  # the hub threshold the matcher ran with, and the one rematched to
START = datetime(2026, 6, 1, tzinfo=UTC)
DISTRICT_KINDS = ("shared_identifier", "registry_hit", "cluster_linked")
Link = tuple[str, str, str]  # identifier token, the district's complaint, one linked to it


def complaint(n: int, district: str, *identifiers: tuple[str, str]) -> dict[str, Any]:
    registered = (START + timedelta(hours=n)).isoformat()
    return complaint_body(district, *identifiers, complaint_id=f"RM-{n:03d}",
                          registered_at=registered)  # fmt: skip


def history() -> list[dict[str, Any]]:
    """Nine complaints naming one phone (prolific past 5, not past 8), three naming another,
    and a gang of four chained by UPI IDs."""
    gang_phone = [complaint(n, DISTRICTS[n % 3], ("phone", "+91 9430100001")) for n in range(9)]
    small = [complaint(10 + n, DISTRICTS[n], ("phone", "+91 9430100002")) for n in range(3)]
    chained = [
        complaint(20 + n, DISTRICTS[n % 2], ("upi", f"rm{n}@okaxis"), ("upi", f"rm{n + 1}@okaxis"))
        for n in range(4)
    ]
    return [*gang_phone, *small, *chained]


def afterwards() -> list[dict[str, Any]]:
    """Posted once the matcher runs under the new threshold: the phone's tenth complaint, and
    seven naming a new phone (prolific past 5, not past 8)."""
    tenth = complaint(9, "MH-MUM", ("phone", "+91 9430100001"))
    new = [complaint(40 + n, DISTRICTS[n % 3], ("phone", "+91 9430100003")) for n in range(7)]
    return [tenth, *new]


@dataclass
class Rematched:
    pipeline: Pipeline
    refused: str  # why a rematch with the matcher running was refused
    dry_run: str  # what a dry run printed
    tables_after_dry_run_unchanged: bool
    tokens: dict[str, Row]
    clusters: dict[str, Row]
    before: dict[str, list[dict[str, Any]]]  # each district's alerts before the rematch
    after: dict[str, list[dict[str, Any]]]  # and those it received from the rematch


def district_alerts(pipeline: Pipeline) -> dict[str, list[dict[str, Any]]]:
    return {
        code: [
            w.payload["data"]
            for w in receiver.processed()
            if w.payload and w.payload["data"]["kind"] in DISTRICT_KINDS
        ]
        for code, receiver in pipeline.receivers.items()
    }


def tables(pipeline: Pipeline) -> tuple[dict[str, Row], dict[str, Row]]:
    """The matcher's two tables as their changelogs hold them."""
    access = pipeline.access
    return read_table(access, STATE_CHANGELOG), read_table(access, CLUSTERS_CHANGELOG)


def wait_until_delivered(pipeline: Pipeline) -> None:
    """Every alert on the topic stored by the notifier, and none left to deliver."""
    wait_until_consumed(pipeline.access, NOTIFIER_GROUP, ALERT_RAISED.name)
    wait_until_drained(pipeline.pending_deliveries, PIPELINE_TIMEOUT_S)


@pytest.fixture(scope="module")
def rematched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rematched]:
    workdir = tmp_path_factory.mktemp("rematch")
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, DISTRICTS, hub_threshold=BEFORE) as pipeline,
    ):
        for body in history():
            pipeline.post(body)
        pipeline.wait_until_idle()
        with pytest.raises(MatcherRunning) as refused:
            rematch(KafkaHistory(broker.access), MatchingRules(hub_threshold=AFTER))
        pipeline.matcher.stop()
        wait_for(lambda: matcher_workers(broker.access) == 0, PIPELINE_TIMEOUT_S)
        before = district_alerts(pipeline)
        old_tables = tables(pipeline)

        env = {**broker.access.environment(), "CROSSLINK_HUB_THRESHOLD": str(AFTER)}
        dry = CliRunner().invoke(app, ["rematch", "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        unchanged = tables(pipeline) == old_tables
        applied = CliRunner().invoke(app, ["rematch"], env=env)
        assert applied.exit_code == 0, applied.output
        tokens, clusters = tables(pipeline)
        wait_until_delivered(pipeline)  # what the rematch raised; the matcher is stopped
        after = {
            code: alerts[len(before[code]) :] for code, alerts in district_alerts(pipeline).items()
        }

        pipeline.matcher.env["CROSSLINK_HUB_THRESHOLD"] = str(AFTER)
        pipeline.matcher.start().wait_healthy()
        for body in afterwards():
            pipeline.post(body)
        pipeline.wait_until_idle()
        yield Rematched(
            pipeline, str(refused.value), dry.output, unchanged, tokens, clusters, before, after
        )


@pytest.fixture(scope="module")
def owed() -> Expectation:
    return expected(history(), key=IntakeSettings().pseudonym(), hub_threshold=AFTER)


def test_a_rematch_is_refused_while_a_matcher_worker_runs(rematched: Rematched) -> None:
    assert "stop every one" in rematched.refused


def test_a_dry_run_reports_and_changes_nothing(rematched: Rematched) -> None:
    assert "dry run: nothing changed" in rematched.dry_run
    assert rematched.tables_after_dry_run_unchanged


def test_the_rebuilt_token_rows_are_the_oracles_under_the_new_threshold(
    rematched: Rematched, owed: Expectation
) -> None:
    rows = {
        token: TokenState.model_validate_json(row.value)
        for token, row in rematched.tokens.items()
        if "/" not in token
    }
    found = {
        token: (row.complaints, row.prolific, tuple(case.key for case in row.cases))
        for token, row in rows.items()
    }
    wanted = {
        token: (row.complaints, row.prolific, row.kept)
        for token, row in owed.tokens.items()
        if row.complaints
    }
    assert found == wanted
    assert [prolific for _, prolific, _ in found.values()].count(True) == 1  # the nine


def test_the_rebuilt_clusters_hold_the_oracles_gangs(
    rematched: Rematched, owed: Expectation
) -> None:
    live = [
        ClusterState.model_validate_json(row.value)
        for key, row in rematched.clusters.items()
        if key.startswith(CLUSTER_KEY_PREFIX)
    ]
    rows = {key: row.value for key, row in rematched.clusters.items()}
    held = [
        (c.size, [case.key for case in (*firsts_of(rows, c), *(s.later for s in path_of(rows, c)))])
        for c in live
        if c.merged_into is None
    ]

    assert not gangs_not_held_whole(owed.clusters, held)
    assert sorted(len(gang) for gang in owed.clusters if len(gang) > 1) == [3, 4, 9]


def links(alert: dict[str, Any]) -> set[Link]:
    """Which of the receiving district's complaints the alert says is linked to which."""
    token = alert["identifier"]["token"] if alert["kind"] != "cluster_linked" else ""
    listed = [case["complaint_id"] for case in alert["your_cases"] + alert["other_cases"]]
    return {
        (token, own["complaint_id"], other)
        for own in alert["your_cases"]
        for other in listed
        if other != own["complaint_id"]
    }


def test_no_district_receives_an_alert_it_already_had(rematched: Rematched) -> None:
    """Each alert the rematch sent tells its district of a link between one of its complaints
    and another that no alert before had told it, and no two tell it the same (the later one
    lists the earlier's too)."""
    for district, alerts in rematched.after.items():
        had = {a["alert_id"] for a in rematched.before[district]}
        known = set().union(*(links(a) for a in rematched.before[district]))
        for alert in alerts:
            assert alert["alert_id"] not in had, (district, alert["rule"])
            assert links(alert) - known, f"{district} was told again what it knew: {alert}"
            others = [links(a) for a in alerts if a is not alert]
            assert not any(links(alert) <= other for other in others), (district, alert)


def test_the_districts_hear_of_the_complaints_the_old_threshold_left_to_a_digest(
    rematched: Rematched,
) -> None:
    """Under 5, the seventh to ninth complaints went to their own districts only (no new
    state, no digest due); under 8, the seventh and eighth are shared with every district,
    and the ninth reaches the others by the first digest."""
    told: set[Case] = {
        (district, case["complaint_id"])
        for district, alerts in rematched.after.items()
        for alert in alerts
        for case in alert["your_cases"] + alert["other_cases"]
    }
    for n in (6, 7, 8):
        for district in DISTRICTS:
            if district != DISTRICTS[n % 3]:
                assert (district, f"RM-{n:03d}") in told


def test_the_matcher_goes_on_from_the_rebuilt_tables_under_the_new_threshold(
    rematched: Rematched,
) -> None:
    owed = expected(
        [*history(), *afterwards()], key=IntakeSettings().pseudonym(), hub_threshold=AFTER
    )
    late = {c["complaint_id"] for c in afterwards()}
    wanted = {
        (a.alert_id, d)
        for a in owed.alerts.values()
        if a.trigger and a.trigger[1] in late and a.kind in DISTRICT_KINDS
        for d in a.districts
    }
    received = {
        (alert["alert_id"], district)
        for district, alerts in district_alerts(rematched.pipeline).items()
        for alert in alerts
        if alert["trigger"] and alert["trigger"]["complaint_id"] in late
    }
    assert received == wanted
    tenth = rematched.pipeline.alerts_for("MH-MUM", "RM-009")
    assert [a["footprint"]["complaints"] for a in tenth] == [10]  # counted on from nine
