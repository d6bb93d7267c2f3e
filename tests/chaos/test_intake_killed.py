"""Issue 9, scenario 4: intake SIGKILLed in a loop while an integrator keeps posting. A 202
means every identifier event of the complaint is in Kafka; a post cut off by a kill gets no
202, and the integrator's retry of the same complaint publishes the same events again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from harness.localbroker import LocalBroker
from schemas.api import ComplaintSubmission
from schemas.events import IdentifierSighted
from schemas.topics import IDENTIFIER_SIGHTED
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from tests.chaos.conftest import (
    CHAOS_MARKS,
    Poster,
    Scenario,
    Workload,
    chaos_pipeline,
    scaled,
)
from tests.conftest import read_topic

pytestmark = CHAOS_MARKS
SEED = 9004
COMPLAINTS = scaled(400, 2_000)
SCENARIO = Scenario(4, "intake SIGKILLed in a loop under load", __name__, SEED, COMPLAINTS)
KILLS = scaled(8, 20)


def test_every_complaint_accepted_by_an_intake_killed_in_a_loop_has_all_its_events_in_kafka(
    broker: LocalBroker, tmp_path: Path
) -> None:
    workload = Workload.synthetic(SEED, COMPLAINTS)

    with chaos_pipeline(broker, tmp_path) as pipeline:
        with Poster(pipeline.intake.base_url, workload.complaints) as poster:
            for _ in range(KILLS):
                poster.wait_posted(COMPLAINTS // (KILLS + 1))
                pipeline.intake.process.kill()
                pipeline.intake.process.wait()
                pipeline.intake.start().wait_healthy("/readyz")
            poster.finish()
        in_kafka = {
            IdentifierSighted.model_validate_json(record.value).event_id
            for record in read_topic(broker.access, IDENTIFIER_SIGHTED.name)
        }
        pipeline.wait_until_idle()
        figures = workload.tally(pipeline)

    missing = {
        body["complaint_id"] for body in workload.complaints if not _event_ids(body) <= in_kafka
    }
    SCENARIO.conclude(
        figures,
        {
            "kills": KILLS,
            "posts cut off mid-request": poster.answers["connection dropped"],
            "accepted complaints missing an event": len(missing),
        },
    )
    assert poster.answers["202"] == COMPLAINTS  # a retry after a 202 would hide a lost event
    assert not missing


def _event_ids(body: dict[str, object]) -> set[str]:
    """The ids of the events intake publishes for a complaint (deterministic: no clock)."""
    complaint = ComplaintSubmission.model_validate(body)
    events = sightings_for(
        complaint,
        caller_district=complaint.district,
        key=IntakeSettings().pseudonym(),
        received_at=datetime.now(UTC),
    )
    return {event.event_id for event in events}
