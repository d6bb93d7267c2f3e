"""Issue 9, scenario 3: the notifier SIGKILLed between a receiver's 2xx and recording it, again
and again while complaints flow. The restarted notifier re-sends those webhooks under the same
webhook-id; the districts' deduplicating receivers process each alert once.

Each kill is aimed: the receiver of a chosen delivery freezes the notifier (SIGSTOP) before
answering 2xx and kills it (SIGKILL) once the answer is sent, so the notifier never reads it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from harness.localbroker import LocalBroker
from harness.receiver import Reply
from services.notifier.routing import delivery_id
from tests.chaos.conftest import (
    CHAOS_MARKS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.e2e.conftest import Pipeline

pytestmark = CHAOS_MARKS
SEED = 9003
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(
    3, "notifier SIGKILLed between a receiver's 2xx and recording it", __name__, SEED, COMPLAINTS
)
KILLS = scaled(2, 5)


def test_a_notifier_killed_after_each_of_several_2xx_resends_them_and_doubles_nothing(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    segment = COMPLAINTS // (KILLS + 2)
    aimed = _deliveries_raised_in_segments(workload, segment, KILLS)
    # The longest attempt's time limit bounds a lease: a killed notifier's leased deliveries
    # are claimed again after it (docs/notifier.md).
    short_leases = {"CROSSLINK_WEBHOOK_TIMEOUT_S": "3", "CROSSLINK_SMTP_TIMEOUT_S": "3"}

    with chaos_pipeline(broker, tmp_path, **short_leases) as pipeline:
        for district, webhook_id in aimed:
            pipeline.receivers[district].script(webhook_id, _answer_then_kill(pipeline))
        # Each aimed delivery is raised by a complaint of the next segment of the stream, let
        # through only once the notifier is back: never two kills of one process.
        with Poster(pipeline.intake.base_url, workload.complaints, allowed=2 * segment) as poster:
            for _ in aimed:
                assert pipeline.notifier.process.wait(timeout=300) == -signal.SIGKILL
                pipeline.notifier.start().wait_healthy()
                poster.allow(segment)
            poster.allow()
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)
        resent = {
            webhook_id: pipeline.receivers[district].requests_for(webhook_id)
            for district, webhook_id in aimed
        }

    SCENARIO.conclude(figures, {"kills": KILLS})
    for webhook_id, requests in resent.items():
        assert len(requests) >= 2, f"{webhook_id} was not re-sent"
        assert [r.processed for r in requests].count(True) == 1


def _deliveries_raised_in_segments(
    workload: Workload, segment: int, count: int
) -> list[tuple[str, str]]:
    """(district, webhook-id) of one owed delivery raised by a complaint of each of the
    segments 1 to `count` of the stream (segment 0 flows before the first kill is armed)."""
    position = {(c["district"], c["complaint_id"]): i for i, c in enumerate(workload.complaints)}
    raised_at = sorted(
        (position[alert.trigger], district, alert_id)
        for alert_id, district in workload.owed
        if (alert := workload.expectation.alerts[alert_id]).trigger is not None
    )
    chosen = [
        next(d for d in raised_at if segment * k <= d[0] < segment * (k + 1))
        for k in range(1, count + 1)
    ]
    return [(district, delivery_id("webhook", a, district, "alert")) for _, district, a in chosen]


def _answer_then_kill(pipeline: Pipeline) -> Reply:
    def freeze() -> None:
        os.kill(pipeline.notifier.process.pid, signal.SIGSTOP)

    def kill() -> None:
        os.kill(pipeline.notifier.process.pid, signal.SIGKILL)

    return Reply(204, before=freeze, after=kill)
