"""A back-fill's links on a real notifier (SQLite and PostgreSQL): each waits in the inboxes as
historical, delivered nowhere, until every pass of its import's end is in; then each district
gets one digest, by webhook like any alert, whose console page leads to the historical links."""

from __future__ import annotations

import uuid

import pytest

from schemas.events import AlertRaised
from tests.builders import alert_raised
from tests.conftest import OPERATOR_KEY, api_key, wait_for
from tests.integration.notifier.conftest import Notifier, Officer

pytestmark = pytest.mark.integration
OURS, THEIRS = "KA-BLR", "GJ-AMD"


def back_filled(import_id: str) -> AlertRaised:
    return alert_raised(OURS, THEIRS).model_copy(update={"import_id": import_id})


def digests_to(notifier: Notifier, district: str, import_id: str) -> list[dict[str, object]]:
    return [
        w.payload["data"]
        for w in notifier.receiver.processed()
        if w.payload
        and w.payload["data"]["kind"] == "import_digest"
        and w.payload["data"]["district"] == district
        and w.payload["data"]["facts"]["import_id"] == import_id
    ]


def test_a_back_filled_link_waits_as_historical_and_its_digest_comes_with_the_last_pass(
    notifier: Notifier, officer: Officer
) -> None:
    import_id = f"blr-{uuid.uuid4().hex[:8]}"
    links = [back_filled(import_id), back_filled(import_id)]
    notifier.publish(*links)
    for link in links:
        item = notifier.wait_for_inbox(OURS, link.alert_id)
        assert (item["status"], item["deliveries"]) == ("historical", [])

    notifier.pass_import(import_id, district=OURS)

    wait_for(lambda: bool(digests_to(notifier, OURS, import_id)))
    wait_for(lambda: bool(digests_to(notifier, THEIRS, import_id)))
    [digest] = digests_to(notifier, OURS, import_id)
    assert digest["facts"]["links"] == 2  # type: ignore[index]
    assert digest["identifier"] is None
    assert not [
        w
        for w in notifier.receiver.processed()
        if w.payload and w.payload["data"]["alert_id"] in {link.alert_id for link in links}
    ]
    page = officer.http.get(f"/console/alerts/{digest['alert_id']}")
    assert page.status_code == 200
    assert f"Back-fill {import_id} linked 2 of your complaints" in page.text
    assert 'href="/console/inbox?status=historical"' in page.text
    historical = officer.http.get("/console/inbox", params={"status": "historical"})
    assert all(link.alert_id in historical.text for link in links)
    assert "Historical" in historical.text
    listed = notifier.get("/v1/inbox/alerts", api_key(OURS), status="historical").json()
    assert {item["alert_id"] for item in listed["items"]} >= {link.alert_id for link in links}
    progress = notifier.get("/v1/operator/imports", OPERATOR_KEY).json()
    [told] = [p for p in progress if p["import_id"] == import_id]
    assert (told["links"], told["closed_by"], told["passes"]) == (2, OURS, 21)
    assert told["digested_at"] is not None


def test_a_link_of_an_import_already_told_is_delivered_as_any_alert(notifier: Notifier) -> None:
    import_id = f"blr-{uuid.uuid4().hex[:8]}"
    notifier.publish(back_filled(import_id))
    notifier.pass_import(import_id, district=OURS)
    wait_for(lambda: bool(digests_to(notifier, OURS, import_id)))

    late = back_filled(import_id)
    notifier.publish(late)

    delivered = notifier.wait_for_delivery(OURS, late.alert_id, "delivered")
    assert delivered["channel"] == "webhook"
    assert notifier.inbox_item(OURS, late.alert_id).json()["status"] == "new"
