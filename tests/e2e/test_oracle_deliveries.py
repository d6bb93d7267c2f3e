"""A registry file and a thousand synthetic complaints from 44 districts through the whole
pipeline: every district receives exactly the alerts the oracle owes it (cluster alerts
included), each once, and every gang cluster it hears of is one the oracle also finds."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.oracle import Expectation, Tally, expected, tally
from harness.synthetic import DISTRICTS, complaint_stream, registry_rows
from schemas.topics import REGISTRY_ENTRY_ADDED
from services.intake.config import IntakeSettings
from tests.conftest import OPERATOR_KEY, own_broker, wait_until_processed
from tests.e2e.conftest import Pipeline, running_pipeline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
SEED = 2026
COMPLAINTS = 1000
HUB_THRESHOLD = 12
DISTRICT_KINDS = ("shared_identifier", "registry_hit", "cluster_linked")
Delivered = tuple[Pipeline, set[str]]  # the pipeline after the run, and the operator alert ids


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivered]:
    """Run the stream once; the tests below read what each district and operator received."""
    workdir = tmp_path_factory.mktemp("oracle")
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, DISTRICTS, hub_threshold=HUB_THRESHOLD) as pipeline,
    ):
        pipeline.add_to_registry(*registry_rows(seed=SEED, gangs=30))
        # The registry is entered before the complaints arrive, as the oracle assumes.
        wait_until_processed(broker.access, pipeline.matcher.base_url, REGISTRY_ENTRY_ADDED.name)
        for body in complaints():
            pipeline.post(body)
        pipeline.wait_until_idle()
        yield pipeline, operator_alert_ids(pipeline)


def complaints() -> list[dict[str, Any]]:
    stream = complaint_stream(seed=SEED, gangs=30, overlap=0.6, tail=1.2)  # prolific gangs too
    return list(itertools.islice(stream, COMPLAINTS))


@pytest.fixture(scope="module")
def owed() -> Expectation:
    return expected(
        complaints(),
        registry_rows(seed=SEED, gangs=30),
        key=IntakeSettings().pseudonym(),
        hub_threshold=HUB_THRESHOLD,
    )


def operator_alert_ids(pipeline: Pipeline) -> set[str]:
    response = httpx.get(
        f"{pipeline.notifier.base_url}/v1/operator/alerts",
        headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
        params={"limit": 500},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {alert["alert_id"] for alert in response.json()}


def test_each_district_receives_exactly_the_alerts_the_oracle_owes_it(
    delivered: Delivered, owed: Expectation
) -> None:
    pipeline, _ = delivered
    owed_to_districts = {
        (a, d) for a, d in owed.deliveries() if owed.alerts[a].kind in DISTRICT_KINDS
    }

    figures = tally(owed_to_districts, pipeline.deliveries(*DISTRICT_KINDS))

    assert figures.expected > 1000  # a stream rich in matches and registry hits
    assert len(owed.ids("cluster_linked")) > 20
    assert figures == Tally(figures.expected, figures.expected, lost=0, misrouted=0, duplicated=0)


def test_operators_hear_of_exactly_the_oracles_hub_identifiers(
    delivered: Delivered, owed: Expectation
) -> None:
    _, operator_alerts = delivered

    assert owed.ids("hub_identifier")
    assert operator_alerts == owed.ids("hub_identifier")


def test_every_cluster_alert_describes_part_of_one_oracle_cluster(
    delivered: Delivered, owed: Expectation
) -> None:
    pipeline, _ = delivered
    cluster_alerts = [
        (webhook.payload["data"]["cluster"], district)
        for district, receiver in pipeline.receivers.items()
        for webhook in receiver.processed()
        if webhook.payload and webhook.payload["data"]["kind"] == "cluster_linked"
    ]

    assert cluster_alerts
    for cluster, district in cluster_alerts:
        cases = {
            (c["district"], c["complaint_id"])
            for step in cluster["path"]
            for c in (step["earlier"], step["later"])
        }
        gang = owed.cluster_of(next(iter(cases)))
        assert cases <= gang, "a cluster joins complaints the oracle does not link"
        assert cluster["size"] <= len(gang)
        assert district in cluster["districts"]
        assert set(cluster["districts"]) <= {d for d, _ in gang}
