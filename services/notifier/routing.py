"""Who gets what: one webhook per district involved in an alert, naming its own cases first.

Pure. The payload body and webhook id depend only on the alert and district, so a retried
delivery carries the same id and the same bytes, and a receiver can deduplicate on the id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemas.events import AlertRaised
from schemas.pseudonyms import stable_id


@dataclass(frozen=True)
class Delivery:
    district: str
    webhook_id: str
    body: bytes


def deliveries_for(alert: AlertRaised) -> list[Delivery]:
    """One delivery per district that has a case in `alert`."""
    return [
        Delivery(
            district=district,
            webhook_id=stable_id("msg", alert.alert_id, district),
            body=_payload(alert, district),
        )
        for district in alert.districts
    ]


def _payload(alert: AlertRaised, district: str) -> bytes:
    cases = [case.model_dump(mode="json") for case in alert.cases]
    data: dict[str, Any] = {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "rule": alert.rule,
        "reason": alert.reason,
        "district": district,
        "identifier": alert.identifier.model_dump(mode="json"),
        "your_cases": [case for case in cases if case["district"] == district],
        "other_cases": [case for case in cases if case["district"] != district],
        "trigger": alert.trigger.model_dump(mode="json") if alert.trigger else None,
        "registry": [entry.model_dump(mode="json") for entry in alert.registry],
        "cluster": alert.cluster.model_dump(mode="json") if alert.cluster else None,
    }
    envelope = {
        "type": f"alert.{alert.kind}",
        "timestamp": alert.raised_at.isoformat(),
        "data": data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
