"""Who gets what: one webhook per district involved, naming its own cases and the others."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from schemas.events import AlertRaised, CaseRef, IdentifierRef
from schemas.identifiers import IdentifierType
from services.notifier.routing import deliveries_for

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def case(district: str, complaint_id: str) -> CaseRef:
    return CaseRef(complaint_id=complaint_id, district=district, police_station="PS",
                   registered_at=NOW)  # fmt: skip


def alert(*cases: CaseRef) -> AlertRaised:
    return AlertRaised(
        alert_id="alert_1",
        kind="shared_identifier",
        rule="shared_identifier",
        reason="The same phone was named in complaints.",
        raised_at=NOW,
        identifier=IdentifierRef(
            type=IdentifierType.PHONE, token="t", key_id="k1", masked="+91 98•••••210"
        ),
        trigger=cases[-1],
        cases=cases,
    )


def test_each_district_gets_one_delivery_naming_its_own_cases_and_the_others() -> None:
    raised = alert(case("MH-MUM", "1"), case("MP-BPL", "7"), case("MH-MUM", "2"))

    deliveries = {d.district: json.loads(d.body)["data"] for d in deliveries_for(raised)}

    assert set(deliveries) == {"MH-MUM", "MP-BPL"}
    assert [c["complaint_id"] for c in deliveries["MH-MUM"]["your_cases"]] == ["1", "2"]
    assert [c["complaint_id"] for c in deliveries["MH-MUM"]["other_cases"]] == ["7"]
    assert [c["complaint_id"] for c in deliveries["MP-BPL"]["your_cases"]] == ["7"]


def test_webhook_ids_and_bodies_are_the_same_on_every_retry() -> None:
    raised = alert(case("MH-MUM", "1"), case("MP-BPL", "7"))

    assert deliveries_for(raised) == deliveries_for(raised)


def test_each_district_gets_its_own_webhook_id() -> None:
    ids = [d.webhook_id for d in deliveries_for(alert(case("MH-MUM", "1"), case("MP-BPL", "7")))]

    assert len(set(ids)) == 2


def test_the_payload_follows_the_standard_webhooks_envelope() -> None:
    [delivery, _] = deliveries_for(alert(case("MH-MUM", "1"), case("MP-BPL", "7")))

    envelope = json.loads(delivery.body)

    assert envelope["type"] == "alert.shared_identifier"
    assert envelope["timestamp"] == NOW.isoformat()
    assert envelope["data"]["identifier"]["masked"] == "+91 98•••••210"


def test_operator_alerts_go_to_no_district() -> None:
    raised = alert(case("MH-MUM", "1")).model_copy(update={"audience": "operators"})

    assert deliveries_for(raised) == []
