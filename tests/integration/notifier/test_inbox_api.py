"""Each district's inbox: only its own alerts, filtered and paginated, acknowledged and closed
with a note; another district's alert answers 404 whatever the route."""

from __future__ import annotations

import itertools

import httpx
import pytest

from schemas.events import AlertRaised
from tests.builders import alert_raised
from tests.conftest import OPERATOR_KEY, REGISTRY_ADMIN_KEY, api_key
from tests.integration.notifier.conftest import Notifier

pytestmark = pytest.mark.integration
DISTRICTS = ("KA-BLR", "GJ-AMD", "KL-TVM")


@pytest.fixture(scope="module")
def alerts(notifier: Notifier) -> dict[str, AlertRaised]:
    """One alert per district, involving that district alone."""
    published = {district: alert_raised(district) for district in DISTRICTS}
    notifier.publish(*published.values())
    for district, alert in published.items():
        notifier.wait_for_inbox(district, alert.alert_id)
    return published


def move(
    notifier: Notifier, district: str, alert_id: str, status: str, note: str | None = None
) -> httpx.Response:
    body = {"status": status, **({"note": note} if note else {})}
    return notifier.post(f"/v1/inbox/alerts/{alert_id}/status", api_key(district), body)


def test_a_district_sees_its_alert_with_its_own_view(
    notifier: Notifier, alerts: dict[str, AlertRaised]
) -> None:
    item = notifier.inbox_item("KA-BLR", alerts["KA-BLR"].alert_id).json()

    assert item["status"] == "new"
    assert item["alert"]["district"] == "KA-BLR"
    assert [c["district"] for c in item["alert"]["your_cases"]] == ["KA-BLR"]
    assert item["alert"]["identifier"]["masked"] == "+91 98•••••210"


@pytest.mark.parametrize(("caller", "owner"), list(itertools.permutations(DISTRICTS, 2)))
def test_another_districts_alert_answers_404_on_every_route(
    notifier: Notifier, alerts: dict[str, AlertRaised], caller: str, owner: str
) -> None:
    alert_id = alerts[owner].alert_id

    read = notifier.inbox_item(caller, alert_id)
    moved = move(notifier, caller, alert_id, "closed", "not ours")

    for response in (read, moved):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/alert-not-found")
    listed = notifier.get("/v1/inbox/alerts", api_key(caller), limit=500).json()["items"]
    assert alert_id not in {item["alert_id"] for item in listed}
    assert notifier.inbox_item(owner, alert_id).json()["status"] != "closed"


def test_acknowledge_then_close_is_reflected_in_the_list(notifier: Notifier) -> None:
    alert = alert_raised("GJ-AMD")
    notifier.publish(alert)
    notifier.wait_for_inbox("GJ-AMD", alert.alert_id)

    acknowledged = move(notifier, "GJ-AMD", alert.alert_id, "acknowledged")
    closed = move(notifier, "GJ-AMD", alert.alert_id, "closed", "Called Bhopal; same gang.")

    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_at"] is not None
    assert closed.json()["status"] == "closed"
    assert closed.json()["note"] == "Called Bhopal; same gang."
    listed = notifier.get("/v1/inbox/alerts", api_key("GJ-AMD"), status="closed").json()
    assert alert.alert_id in [item["alert_id"] for item in listed["items"]]
    still_new = notifier.get("/v1/inbox/alerts", api_key("GJ-AMD"), status="new").json()
    assert alert.alert_id not in [item["alert_id"] for item in still_new["items"]]


def test_a_closed_alert_cannot_be_moved_back_and_repeating_a_move_is_harmless(
    notifier: Notifier,
) -> None:
    alert = alert_raised("KL-TVM")
    notifier.publish(alert)
    notifier.wait_for_inbox("KL-TVM", alert.alert_id)
    move(notifier, "KL-TVM", alert.alert_id, "closed", "FIR registered.")

    again = move(notifier, "KL-TVM", alert.alert_id, "closed", "FIR registered.")
    back = move(notifier, "KL-TVM", alert.alert_id, "acknowledged")

    assert again.status_code == 200
    assert back.status_code == 409
    assert back.json()["type"].endswith("/status-conflict")


def test_closing_without_a_note_is_refused_naming_the_field(
    notifier: Notifier, alerts: dict[str, AlertRaised]
) -> None:
    response = move(notifier, "KA-BLR", alerts["KA-BLR"].alert_id, "closed")

    assert response.status_code == 422
    assert "note" in response.json()["errors"][0]["reason"]
    assert notifier.inbox_item("KA-BLR", alerts["KA-BLR"].alert_id).json()["status"] != "closed"


def test_the_inbox_pages_newest_first_without_repeats(notifier: Notifier) -> None:
    published = [alert_raised("KL-TVM", kind="registry_hit") for _ in range(5)]
    for alert in published:
        notifier.publish(alert)
        notifier.wait_for_inbox("KL-TVM", alert.alert_id)

    seen, cursor = [], None
    while True:
        params = {"kind": "registry_hit", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = notifier.get("/v1/inbox/alerts", api_key("KL-TVM"), **params).json()
        seen += [item["alert_id"] for item in page["items"]]
        if not (cursor := page["next"]):
            break

    assert seen[:5] == [alert.alert_id for alert in reversed(published)]
    assert len(seen) == len(set(seen))


def test_a_forged_cursor_is_refused(notifier: Notifier) -> None:
    response = notifier.get("/v1/inbox/alerts", api_key("KA-BLR"), cursor="bm90LWEtY3Vyc29y")

    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-cursor")


@pytest.mark.parametrize("key", ["unknown-key", REGISTRY_ADMIN_KEY, OPERATOR_KEY])
def test_only_a_districts_key_reads_an_inbox(notifier: Notifier, key: str) -> None:
    response = notifier.get("/v1/inbox/alerts", key)

    assert response.status_code == (401 if key == "unknown-key" else 403)
    assert response.headers["content-type"] == "application/problem+json"


def test_a_districts_key_may_not_read_operations_data(notifier: Notifier) -> None:
    assert notifier.get("/v1/operator/alerts", api_key("KA-BLR")).status_code == 403
    assert (
        notifier.post("/v1/operator/endpoints/KA-BLR/enable", api_key("KA-BLR")).status_code == 403
    )
