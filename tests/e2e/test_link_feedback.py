"""An officer's "not linked" on the real pipeline: said in the console, carried by Kafka to the
matcher, which links the withdrawn complaint no more and splits the gang it alone bridged; the
other district is told why."""

from __future__ import annotations

import time

import pytest

from schemas.topics import CLUSTERS_CHANGELOG, COMPLAINTS_FILED, LINK_WITHDRAWN
from services.matcher.clustering import live_cluster
from services.matcher.history import read_table
from tests.builders import complaint_body, unique_mobile
from tests.conftest import enrol, wait_for, wait_until_processed
from tests.console_client import ConsoleClient
from tests.e2e.conftest import PIPELINE_TIMEOUT_S, Pipeline, case_ids
from tests.unit.test_clustering import case

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_not_linked_unlinks_the_complaint_for_the_next_one_and_splits_the_gang_it_bridged(
    pipeline: Pipeline,
) -> None:
    run, phone, upi = time.time_ns(), unique_mobile(), f"gang{time.time_ns()}@okaxis"
    mumbai = complaint_body("MH-MUM", ("phone", phone), complaint_id=f"MUM-{run}")
    bhopal = complaint_body("MP-BPL", ("phone", phone), ("upi", upi), complaint_id=f"BPL-{run}")
    kolkata = complaint_body("WB-KOL", ("upi", upi), complaint_id=f"KOL-{run}")
    for body in (mumbai, bhopal, kolkata):
        pipeline.post(body)
    shared = pipeline.wait_for_alert("MH-MUM", mumbai["complaint_id"], "shared_identifier")
    pipeline.wait_for_alert("MH-MUM", mumbai["complaint_id"], "cluster_linked")

    # Mumbai's officer: that phone is the victim's own, typed in as the suspect's.
    officer = ConsoleClient(pipeline.notifier.base_url)
    account = enrol(pipeline.notifier.env["CROSSLINK_DATABASE_URL"], "MH-MUM")
    assert officer.sign_in(account).status_code == 303
    said = officer.not_linked(shared["alert_id"], mumbai["complaint_id"], "victims_own")
    assert said.status_code == 303, said.text
    told = pipeline.wait_for_alert("MP-BPL", mumbai["complaint_id"], "link_withdrawn")
    assert "the victim's own" in told["reason"]
    wait_until_processed(pipeline.access, pipeline.matcher.base_url, LINK_WITHDRAWN.name)
    wait_until_processed(pipeline.access, pipeline.matcher.base_url, COMPLAINTS_FILED.name)

    later = complaint_body("WB-KOL", ("phone", phone), complaint_id=f"KOL-LATER-{run}")
    pipeline.post(later)
    alert = pipeline.wait_for_alert("WB-KOL", later["complaint_id"], "shared_identifier")
    pipeline.wait_until_idle()

    assert [c["complaint_id"] for c in alert["other_cases"]] == [bhopal["complaint_id"]]
    assert not [
        w for w in pipeline.receivers["MH-MUM"].processed() if later["complaint_id"] in case_ids(w)
    ]

    def split() -> bool:
        rows = {k: row.value for k, row in read_table(pipeline.access, CLUSTERS_CHANGELOG).items()}
        alone = live_cluster(rows, case("MH-MUM", mumbai["complaint_id"]))
        gang = live_cluster(rows, case("MP-BPL", bhopal["complaint_id"]))
        return alone.size == 1 and gang.size == 3 and alone.cluster_id != gang.cluster_id

    wait_for(split, PIPELINE_TIMEOUT_S)
    officer.close()
