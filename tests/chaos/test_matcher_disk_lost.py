"""Issue 17, scenario 11: the matcher's data directory (its RocksDB tables) deleted while it is
stopped, as a worker's disk lost. It comes back, rebuilds its tables from their changelogs, and
nothing is lost, misrouted or doubled; how long the rebuild took is reported."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from harness.localbroker import LocalBroker
from tests.chaos.conftest import CHAOS_MARKS, Poster, Scenario, Workload, chaos_pipeline, scaled

pytestmark = CHAOS_MARKS
SEED = 9011
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(
    11, "the matcher's data directory deleted while it is stopped", __name__, SEED, COMPLAINTS
)


def test_a_matcher_whose_disk_is_lost_rebuilds_its_tables_and_loses_nothing(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)
    data_dir = tmp_path / "matcher"  # CROSSLINK_MATCHER_DATA_DIR (tests/e2e/conftest.py)

    with chaos_pipeline(broker, tmp_path) as pipeline:
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            poster.wait_posted(COMPLAINTS // 2)
            pipeline.matcher.stop()
            tables = sum(1 for path in data_dir.rglob("*") if path.is_file())
            shutil.rmtree(data_dir)
            started = time.monotonic()
            pipeline.matcher.start().wait_healthy("/readyz", timeout_s=600)
            rebuilt_s = time.monotonic() - started
            poster.finish()
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)

    SCENARIO.conclude(
        figures,
        {"files deleted": tables, "back and ready (tables rebuilt) in": f"{rebuilt_s:.1f} s"},
    )
    assert tables > 0
