"""Who gets what: each district involved, on each of its channels, its own view of the alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crosslink.directory import District, DistrictsDirectory, Webhook
from schemas.events import AlertRaised, CaseRef, IdentifierRef
from schemas.identifiers import IdentifierType
from services.notifier.routing import deliveries_for, district_view, webhook_body

NOW = datetime(2026, 11, 23, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


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


def district(code: str, *, webhook: bool = True, email: tuple[str, ...] = ()) -> District:
    hook = Webhook.model_validate({"url": f"http://x/{code}", "secrets": [SECRET]})
    return District(code=code, name=code, state=code[:2], webhook=hook if webhook else None,
                    email=email)  # fmt: skip


DIRECTORY = DistrictsDirectory(
    districts=(
        district("MH-MUM"),
        district("MP-BPL", webhook=False, email=("cell@bhopal.example",)),
        district("WB-KOL", email=("cell@kolkata.example",)),
    )
)


def test_each_district_gets_its_own_view_naming_its_own_cases_and_the_others() -> None:
    raised = alert(case("MH-MUM", "1"), case("MP-BPL", "7"), case("MH-MUM", "2"))

    mumbai, bhopal = district_view(raised, "MH-MUM"), district_view(raised, "MP-BPL")

    assert [c.complaint_id for c in mumbai.your_cases] == ["1", "2"]
    assert [c.complaint_id for c in mumbai.other_cases] == ["7"]
    assert [c.complaint_id for c in bhopal.your_cases] == ["7"]


def test_each_district_gets_a_delivery_on_each_of_its_channels() -> None:
    raised = alert(case("MH-MUM", "1"), case("MP-BPL", "7"), case("WB-KOL", "9"))

    planned = deliveries_for(raised, DIRECTORY, email_enabled=True)

    assert {(p.district, p.channel) for p in planned} == {
        ("MH-MUM", "webhook"),
        ("MP-BPL", "email"),
        ("WB-KOL", "webhook"),
        ("WB-KOL", "email"),
    }


def test_no_email_is_planned_while_email_is_off() -> None:
    raised = alert(case("MP-BPL", "7"), case("WB-KOL", "9"))

    planned = deliveries_for(raised, DIRECTORY, email_enabled=False)

    assert {(p.district, p.channel) for p in planned} == {("WB-KOL", "webhook")}


def test_a_district_missing_from_the_directory_still_gets_a_webhook_delivery() -> None:
    planned = deliveries_for(alert(case("UP-LKO", "3")), DIRECTORY, email_enabled=True)

    assert [(p.district, p.channel) for p in planned] == [("UP-LKO", "webhook")]


def test_delivery_ids_are_stable_and_differ_by_district_channel_and_purpose() -> None:
    raised = alert(case("MH-MUM", "1"), case("WB-KOL", "9"))

    first = deliveries_for(raised, DIRECTORY, email_enabled=True)
    again = deliveries_for(raised, DIRECTORY, email_enabled=True)
    reminders = deliveries_for(raised, DIRECTORY, email_enabled=True, purpose="reminder")

    assert first == again
    ids = [p.delivery_id for p in first + reminders]
    assert len(set(ids)) == len(ids) == 6


def test_the_payload_follows_the_standard_webhooks_envelope() -> None:
    envelope = json.loads(webhook_body(alert(case("MH-MUM", "1")), "MH-MUM", "alert"))

    assert envelope["type"] == "alert.shared_identifier"
    assert envelope["timestamp"] == NOW.isoformat()
    assert envelope["data"]["identifier"]["masked"] == "+91 98•••••210"


def test_a_reminder_says_the_alert_is_unacknowledged() -> None:
    envelope = json.loads(webhook_body(alert(case("MH-MUM", "1")), "MH-MUM", "reminder"))

    assert envelope["type"] == "alert.unacknowledged"
    assert envelope["data"]["alert_id"] == "alert_1"


def test_operator_alerts_go_to_no_district() -> None:
    raised = alert(case("MH-MUM", "1")).model_copy(update={"audience": "operators"})

    assert deliveries_for(raised, DIRECTORY, email_enabled=True) == []
