"""Issue 9, scenario 6: one district's webhook receiver down for longer than the retry horizon
while complaints flow. Its webhooks are dead-lettered with an operator alert for each; once it
is back, an operator's replay delivers every one of them, and nothing it already had twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from harness.localbroker import LocalBroker
from harness.processes import metric_value
from harness.receiver import WebhookReceiver
from tests.chaos.conftest import (
    CHAOS_MARKS,
    DISTRICT_KINDS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import webhook_secret
from tests.e2e.conftest import processed_by

pytestmark = CHAOS_MARKS
SEED = 9006
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(
    6, "a receiver down past the retry horizon, then a replay", __name__, SEED, COMPLAINTS
)
FOUR_QUICK_ATTEMPTS = "[0, 0.3, 0.3, 0.3]"  # the retry horizon: about a second


def test_a_receiver_down_past_the_retry_horizon_gets_every_alert_after_a_replay(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    busiest = Counter(district for _, district in workload.owed).most_common(1)[0][0]

    with chaos_pipeline(
        broker, tmp_path, CROSSLINK_RETRY_SCHEDULE_S=FOUR_QUICK_ATTEMPTS
    ) as pipeline:
        down = pipeline.receivers[busiest]
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            poster.wait_posted(COMPLAINTS // 3)
            down.stop()
            poster.finish()
        pipeline.wait_until_idle()  # every delivery to it delivered or dead-lettered
        dead = pipeline.operator("GET", "/v1/operator/outbox")["deliveries"]["webhook"]["dead"]
        dead_letter_alerts = metric_value(
            pipeline.notifier.metrics_url,
            "crosslink_notifier_operator_alerts_total",
            kind="delivery_dead_lettered",
        )

        back = WebhookReceiver({busiest: webhook_secret(busiest)}, port=down.port).start()
        pipeline.receivers[busiest] = back
        replayed = pipeline.operator("POST", f"/v1/operator/deliveries/replay?district={busiest}")
        pipeline.wait_until_idle()
        before_it_went_down = processed_by(busiest, down, *DISTRICT_KINDS)
        figures = workload.tally(pipeline, *before_it_went_down)

    SCENARIO.conclude(figures, {"dead-lettered then replayed": replayed["replayed"]})
    assert dead > 0
    assert dead_letter_alerts == dead  # one operator alert each
    assert replayed == {"replayed": dead}
