"""Who gets what: each district involved in an alert, on each of its channels, its own view.

Pure. Delivery ids and bodies depend only on the alert, the district, the channel and the
purpose, so a retried or re-consumed delivery carries the same id and the same content, and
a receiver can deduplicate on the id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from crosslink.directory import DistrictsDirectory
from schemas.api import DistrictAlert
from schemas.events import AlertRaised
from schemas.pseudonyms import stable_id

Channel = Literal["webhook", "email"]
CHANNELS: tuple[Channel, ...] = ("webhook", "email")
Purpose = Literal["alert", "reminder"]  # a reminder re-notifies an unacknowledged alert


@dataclass(frozen=True)
class PlannedDelivery:
    delivery_id: str
    alert_id: str
    district: str
    channel: Channel
    purpose: Purpose


def delivery_id(channel: Channel, alert_id: str, district: str, purpose: Purpose) -> str:
    """Stable per (alert, district, channel, purpose): the webhook-id and the email Message-ID."""
    if channel == "webhook" and purpose == "alert":
        return stable_id("msg", alert_id, district)
    return stable_id(channel, alert_id, district, purpose)


def deliveries_for(
    alert: AlertRaised,
    directory: DistrictsDirectory,
    *,
    email_enabled: bool,
    purpose: Purpose = "alert",
    districts: list[str] | None = None,
) -> list[PlannedDelivery]:
    """Every delivery owed for `alert` to `districts` (by default, every district involved).

    A district missing from the directory still gets a webhook delivery: it is retried, and
    dead-lettered with an operator alert, rather than dropped.
    """
    planned = []
    for code in alert.districts if districts is None else districts:
        district = directory.get(code)
        channels: list[Channel] = []
        if district is None or district.webhook is not None:
            channels.append("webhook")
        if district is not None and district.email and email_enabled:
            channels.append("email")
        planned += [
            PlannedDelivery(
                delivery_id(c, alert.alert_id, code, purpose), alert.alert_id, code, c, purpose
            )
            for c in channels
        ]
    return planned


def district_view(alert: AlertRaised, district: str) -> DistrictAlert:
    """The alert as `district` sees it: its own cases first, then the other districts' cases."""
    return DistrictAlert(
        alert_id=alert.alert_id,
        kind=alert.kind,
        rule=alert.rule,
        reason=alert.reason,
        facts=alert.facts,
        district=district,
        raised_at=alert.raised_at,
        identifier=alert.identifier,
        your_cases=[case for case in alert.cases if case.district == district],
        other_cases=[case for case in alert.cases if case.district != district],
        trigger=alert.trigger,
        registry=list(alert.registry),
        cluster=alert.cluster,
        footprint=alert.footprint,
    )


def webhook_body(alert: AlertRaised, district: str, purpose: Purpose) -> bytes:
    """The Standard Webhooks payload: `type`, `timestamp` and the district's view as `data`."""
    envelope = {
        "type": "alert.unacknowledged" if purpose == "reminder" else f"alert.{alert.kind}",
        "timestamp": alert.raised_at.isoformat(),
        "data": district_view(alert, district).model_dump(mode="json"),
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
