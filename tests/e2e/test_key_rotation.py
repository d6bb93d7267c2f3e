"""A pseudonym key rotation on the real pipeline: complaints posted before the rotation, one
posted while the matcher waits for the rematch, and one after, all naming one phone, all link;
no district is told again of the link it had before the rotation."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.app import app
from harness.localbroker import LocalBroker
from schemas.topics import IDENTIFIER_SIGHTED
from tests.builders import complaint_body
from tests.conftest import own_broker, read_topic, wait_for
from tests.e2e.conftest import PIPELINE_TIMEOUT_S, Pipeline, running_pipeline
from tests.e2e.test_rematch import district_alerts, wait_until_delivered

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
DISTRICTS = ("MH-MUM", "MP-BPL", "WB-KOL")
PHONE = ("phone", "+91 9430200001")
NEW_KEY_ID = "2027-01"


def complaint(complaint_id: str, district: str) -> dict[str, Any]:
    return complaint_body(district, PHONE, complaint_id=complaint_id)


@dataclass
class Rotated:
    pipeline: Pipeline
    rekey_output: str
    before: dict[str, list[dict[str, Any]]]  # each district's alerts before the rotation
    from_rematch: dict[str, list[dict[str, Any]]]
    key_ids: list[str]  # of the phone's sightings, in the order written


def crosslink(broker: LocalBroker, rotations: Path, *args: str) -> str:
    """`crosslink ARGS` as the operator, with intake's key settings; its output."""
    env = {**broker.access.environment(), "CROSSLINK_PSEUDONYM_ROTATIONS_FILE": str(rotations)}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def restart_intake(pipeline: Pipeline, **env: str) -> None:
    """Intake again with `env`, once it reaches the broker."""
    pipeline.intake.stop()
    pipeline.intake.env.update(env)
    pipeline.intake.start().wait_healthy("/readyz")


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rotated]:
    workdir = tmp_path_factory.mktemp("rotation")
    rotations = workdir / "rotations"
    rotations.write_text(f"# key id, key\n{NEW_KEY_ID} {'r' * 40}\n")
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, DISTRICTS) as pipeline,
    ):
        pipeline.post(complaint("ROT-1", "MH-MUM"))
        pipeline.post(complaint("ROT-2", "MP-BPL"))
        pipeline.wait_until_idle()
        before = district_alerts(pipeline)

        pipeline.matcher.stop()
        restart_intake(pipeline, CROSSLINK_PSEUDONYM_ROTATIONS_FILE=str(rotations))
        pipeline.post(complaint("ROT-3", "WB-KOL"))  # waits for the matcher, under the new key
        output = crosslink(broker, rotations, "rekey")
        crosslink(broker, rotations, "rematch")
        wait_until_delivered(pipeline)
        from_rematch = {
            code: alerts[len(before[code]) :] for code, alerts in district_alerts(pipeline).items()
        }

        pipeline.matcher.start().wait_healthy()
        pipeline.post(complaint("ROT-4", "MH-MUM"))
        pipeline.wait_until_idle()
        sightings = [
            json.loads(r.value) for r in read_topic(broker.access, IDENTIFIER_SIGHTED.name)
        ]
        key_ids = [s["identifier"]["key_id"] for s in sightings]
        wait_for(lambda: bool(pipeline.alerts_for("MH-MUM", "ROT-4")), PIPELINE_TIMEOUT_S)
        yield Rotated(pipeline, output, before, from_rematch, key_ids)


def cases_of(alert: dict[str, Any]) -> set[str]:
    return {case["complaint_id"] for case in alert["your_cases"] + alert["other_cases"]}


def test_tokens_change_with_the_key(rotated: Rotated) -> None:
    assert sorted(rotated.key_ids) == [NEW_KEY_ID, NEW_KEY_ID, "dev", "dev"]
    assert "1 tokens mapped to key 2027-01" in rotated.rekey_output


def test_a_complaint_after_the_rotation_links_the_complaints_from_before(rotated: Rotated) -> None:
    [alert] = rotated.pipeline.alerts_for("MH-MUM", "ROT-4")

    assert cases_of(alert) == {"ROT-1", "ROT-2", "ROT-3", "ROT-4"}
    assert alert["identifier"]["key_id"] == NEW_KEY_ID


def test_the_complaint_posted_during_the_rotation_is_linked_by_the_rematch(
    rotated: Rotated,
) -> None:
    for district in DISTRICTS:
        told = [cases_of(a) for a in rotated.from_rematch[district]]
        assert told == [{"ROT-1", "ROT-2", "ROT-3"}], district


def test_no_district_hears_again_of_the_link_it_had_before(rotated: Rotated) -> None:
    for district, alerts in rotated.from_rematch.items():
        for alert in alerts:
            assert "ROT-3" in cases_of(alert), district
