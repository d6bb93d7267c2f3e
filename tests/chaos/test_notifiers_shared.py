"""Issue 17, scenario 12: two notifiers on one PostgreSQL share the alerts (one consumer group,
one outbox), and one is SIGKILLed mid-stream. The other takes its partitions over and, once
their leases run out, the deliveries it had claimed: nothing lost, nothing doubled."""

from __future__ import annotations

import signal
from pathlib import Path

from harness.localbroker import LocalBroker
from harness.ports import free_port
from harness.postgres import LocalPostgres
from harness.processes import ServiceProcess
from tests.chaos.conftest import CHAOS_MARKS, Poster, Scenario, Workload, chaos_pipeline, scaled
from tests.conftest import wait_for

pytestmark = CHAOS_MARKS
SEED = 9012
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(
    12, "two notifiers on one PostgreSQL, one SIGKILLed mid-stream", __name__, SEED, COMPLAINTS
)


def test_two_notifiers_share_the_work_and_one_killed_loses_and_doubles_nothing(
    broker: LocalBroker, postgres: LocalPostgres, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    # The longest attempt's time limit bounds a lease (docs/notifier.md).
    settings = {
        "CROSSLINK_DATABASE_URL": postgres.create_database(),
        "CROSSLINK_WEBHOOK_TIMEOUT_S": "3",
        "CROSSLINK_SMTP_TIMEOUT_S": "3",
    }

    with chaos_pipeline(broker, tmp_path, **settings) as pipeline:
        second = ServiceProcess(
            "notifier",
            free_port(),
            pipeline.notifier.env,
            tmp_path / "notifier-2.log",
            pipeline.kafka,
        ).start()
        try:
            second.wait_healthy()
            with Poster(pipeline.intake.base_url, workload.complaints) as poster:
                poster.wait_posted(COMPLAINTS // 2)
                # Killed once it shares the work: on a loaded machine the group may not have
                # given it partitions by the time half the complaints are in.
                wait_for(lambda: delivered(tmp_path / "notifier-2.log") > 0)
                second.process.send_signal(signal.SIGKILL)  # mid-delivery: no shutdown
                killed_with = second.process.wait()
                poster.finish()
            pipeline.wait_until_idle()
            figures = workload.tally(pipeline)
            delivered_by_second = delivered(tmp_path / "notifier-2.log")
        finally:
            second.stop()

    SCENARIO.conclude(
        figures, {"notifiers": 2, "deliveries made by the one killed": delivered_by_second}
    )
    assert killed_with == -signal.SIGKILL
    assert delivered_by_second > 0  # it did share the work before it was killed


def delivered(log: Path) -> int:
    """How many deliveries a notifier's log says it made."""
    return sum(1 for line in log.read_text().splitlines() if '"alert delivered"' in line)
