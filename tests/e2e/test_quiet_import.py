"""A back-fill of 20,000 complaints into a running system, quietly: every district its links
touch gets one digest and no alert per link, the links wait in its inbox as historical and
equal the oracle's, and a complaint posted during the import alerts as usual."""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.oracle import Expectation, expected
from harness.receiver import ReceivedWebhook
from harness.synthetic import DISTRICTS, complaint_stream
from schemas.api import MAX_BATCH
from services.intake.config import IntakeSettings
from tests.conftest import api_key, own_broker
from tests.e2e.conftest import Pipeline, running_pipeline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
    pytest.mark.timeout(1200),  # 20,000 complaints, and some 60,000 inbox items read back
]
SEED = 2027
COMPLAINTS = 20_000
HUB_THRESHOLD = 25
IMPORT_ID = "state-portal-2019-2025"
DISTRICT_KINDS = ("shared_identifier", "registry_hit", "cluster_linked")
Item = dict[str, Any]


@dataclass(frozen=True)
class Imported:
    pipeline: Pipeline
    posted: list[dict[str, Any]]  # in the order intake accepted them, the live one included
    live: dict[str, Any]  # the complaint posted during the import, not part of it


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """Back-fill every district's complaints under one import id, a live complaint posted
    half-way; close the import; wait until the pipeline is idle."""
    workdir = tmp_path_factory.mktemp("quiet-import")
    back_fill = list(itertools.islice(complaint_stream(seed=SEED, gangs=60, tail=1.2), COMPLAINTS))
    by_district: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for body in back_fill:
        by_district[body["district"]].append(body)
    batches = [
        (district, bodies[start : start + MAX_BATCH])
        for district, bodies in sorted(by_district.items())
        for start in range(0, len(bodies), MAX_BATCH)
    ]
    # Posted in the first batch: a complaint naming its identifiers later links to it at once.
    first = batches[0][1][0]
    live = {**first, "complaint_id": "LIVE-1", "district": _another(first["district"])}
    settings = {"CROSSLINK_INBOX_PAGE_SIZE_MAX": "500"}
    with (
        own_broker(workdir) as broker,
        running_pipeline(
            broker, workdir, DISTRICTS, hub_threshold=HUB_THRESHOLD, settings=settings
        ) as pipeline,
    ):
        posted: list[dict[str, Any]] = []
        for n, (district, bodies) in enumerate(batches):
            _post_batch(pipeline, district, bodies)
            posted += bodies
            if n == len(batches) // 2:
                pipeline.post(live)
                posted.append(live)
        _close(pipeline, first["district"])
        pipeline.wait_until_idle()
        yield Imported(pipeline, posted, live)


@pytest.fixture(scope="module")
def inboxes(imported: Imported) -> dict[str, list[Item]]:
    """Every district's inbox, through the inbox API, once the pipeline is idle."""
    return {district: _inbox(imported.pipeline, district) for district in DISTRICTS}


@pytest.fixture(scope="module")
def owed(imported: Imported) -> Expectation:
    return expected(imported.posted, key=IntakeSettings().pseudonym(), hub_threshold=HUB_THRESHOLD)


def test_each_district_its_links_touch_gets_one_digest_counting_them(
    imported: Imported, inboxes: dict[str, list[Item]]
) -> None:
    pipeline = imported.pipeline
    digests = {
        district: [_data(w) for w in receiver.processed() if _kind(w) == "import_digest"]
        for district, receiver in pipeline.receivers.items()
    }
    historical = {
        district: [item for item in items if item["status"] == "historical"]
        for district, items in inboxes.items()
    }

    touched = {district for district, items in historical.items() if items}
    assert len(touched) > 30
    assert {district for district, sent in digests.items() if sent} == touched
    for district in touched:
        [digest] = digests[district]
        assert digest["facts"]["import_id"] == IMPORT_ID
        assert digest["facts"]["links"] == len(historical[district])


def test_no_back_filled_link_is_alerted_and_the_live_complaint_is(imported: Imported) -> None:
    pipeline, live = imported.pipeline, imported.live
    alerted = [
        _data(w)
        for receiver in pipeline.receivers.values()
        for w in receiver.processed()
        if _kind(w) != "import_digest"
    ]

    assert alerted
    assert {alert["trigger"]["complaint_id"] for alert in alerted} == {live["complaint_id"]}
    assert any(live["district"] == alert["district"] for alert in alerted)


def test_the_links_made_equal_the_oracles(
    inboxes: dict[str, list[Item]], owed: Expectation
) -> None:
    owed_links = {(a, d) for a, d in owed.deliveries() if owed.alerts[a].kind in DISTRICT_KINDS}
    made = {
        (item["alert_id"], district)
        for district, items in inboxes.items()
        for item in items
        if item["kind"] in DISTRICT_KINDS
    }

    assert len(owed_links) > 10_000  # a back-fill rich in links
    assert made == owed_links


def _another(district: str) -> str:
    return next(d for d in DISTRICTS if d != district)


def _data(webhook: ReceivedWebhook) -> Item:
    assert webhook.payload is not None
    data: Item = webhook.payload["data"]
    return data


def _kind(webhook: ReceivedWebhook) -> str:
    return str(_data(webhook)["kind"])


def _post_batch(pipeline: Pipeline, district: str, bodies: list[dict[str, Any]]) -> None:
    response = pipeline.http.post(
        f"{pipeline.intake.base_url}/v1/complaints/batch",
        json={"complaints": bodies, "import_id": IMPORT_ID},
        headers={"Authorization": f"Bearer {api_key(district)}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["refused"] == 0, response.text


def _close(pipeline: Pipeline, district: str) -> None:
    response = pipeline.http.post(
        f"{pipeline.intake.base_url}/v1/imports/{IMPORT_ID}/closed",
        headers={"Authorization": f"Bearer {api_key(district)}"},
    )
    assert response.status_code == 202, response.text


def _inbox(pipeline: Pipeline, district: str) -> list[Item]:
    """Every item of the district's inbox, through the inbox API."""
    items: list[Item] = []
    cursor: str | None = None
    while True:
        response = pipeline.http.get(
            f"{pipeline.notifier.base_url}/v1/inbox/alerts",
            params={"limit": 500, **({"cursor": cursor} if cursor else {})},
            headers={"Authorization": f"Bearer {api_key(district)}"},
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items
