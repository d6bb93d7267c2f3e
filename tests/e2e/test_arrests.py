"""Arrests on the real pipeline (issue 19): Jamtara records an arrest with three seized
identifiers; exactly the districts the oracle computes are told, each of its own complaints
and whom to call in Jamtara; a later bail status reaches the same districts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.oracle import arrest_reaches, expected
from services.intake.config import IntakeSettings
from tests.builders import complaint_body, unique_mobile, unique_upi
from tests.conftest import api_key, enrol, own_broker, wait_for
from tests.console_client import ConsoleClient
from tests.e2e.conftest import PIPELINE_TIMEOUT_S, Pipeline, running_pipeline

ARRESTING = "JH-JAM"
# Districts no other e2e module uses; Bengaluru's complaints are not linked to the arrest.
DISTRICTS = (ARRESTING, "MH-PUN", "MP-IND", "WB-HWH", "RJ-JAI", "KA-BLR")
ARRESTED_AT = datetime.fromisoformat("2026-11-28T06:30:00+05:30")
SEIZED_PHONE, SEIZED_UPI, BRIDGE_UPI = unique_mobile(), unique_upi(), unique_upi()
SEIZED_IMEI = "356938035643809"
SEIZED = [
    {"type": "phone", "value": SEIZED_PHONE},
    {"type": "upi", "value": SEIZED_UPI},
    {"type": "imei", "value": SEIZED_IMEI},
]
COMPLAINTS = [
    # A gang on the seized phone, which Howrah's complaint joins through a UPI ID it shares
    # with Indore's: Howrah names nothing seized, but is in the same gang.
    complaint_body("MH-PUN", ("phone", SEIZED_PHONE), complaint_id="A-1"),
    complaint_body("MP-IND", ("phone", SEIZED_PHONE), ("upi", BRIDGE_UPI), complaint_id="A-2"),
    complaint_body("WB-HWH", ("upi", BRIDGE_UPI), complaint_id="A-3"),
    # Another gang, on the seized UPI ID.
    complaint_body("RJ-JAI", ("upi", SEIZED_UPI), complaint_id="B-1"),
    complaint_body("RJ-JAI", ("upi", SEIZED_UPI), complaint_id="B-2"),
    # The seized handset, in one complaint alone.
    complaint_body("MH-PUN", ("imei", SEIZED_IMEI), complaint_id="C-1"),
    # Not linked: Pune's other complaint, and Bengaluru's naming the seized phone 30 months
    # before the arrest, when it had another holder.
    complaint_body("MH-PUN", ("phone", unique_mobile()), complaint_id="D-1"),
    complaint_body(
        "KA-BLR",
        ("phone", SEIZED_PHONE),
        complaint_id="E-1",
        registered_at="2024-05-20T10:15:00+05:30",
    ),
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    workdir = tmp_path_factory.mktemp("arrests")
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, DISTRICTS) as pipeline,
    ):
        for body in COMPLAINTS:
            pipeline.post(body)
        pipeline.wait_until_idle()
        yield pipeline


def record(pipeline: Pipeline, **changes: Any) -> httpx.Response:
    body = {
        "district": ARRESTING,
        "police_station": "Cyber PS Jamtara",
        "arrested_at": ARRESTED_AT.isoformat(),
        "status": "police_custody",
        "accused": 3,
        "held_at": "Cyber PS Jamtara",
        "contact_name": "Insp. R. Murmu",
        "contact_phone": "9431100000",
        "seized": SEIZED,
    } | changes
    return pipeline.http.put(
        f"{pipeline.intake.base_url}/v1/arrests/JH-0042",
        json=body,
        headers={"Authorization": f"Bearer {api_key(ARRESTING)}"},
    )


def arrest_alerts(pipeline: Pipeline, rule: str) -> dict[str, list[dict[str, Any]]]:
    """Every arrest webhook of `rule` each district processed (its whole payload)."""
    return {
        district: [
            webhook.payload
            for webhook in receiver.processed()
            if webhook.payload and webhook.payload["data"]["rule"] == rule
        ]
        for district, receiver in pipeline.receivers.items()
    }


def owed() -> dict[str, set[str]]:
    """The oracle's districts, each with the complaint ids the arrest reaches there."""
    key = IntakeSettings().pseudonym()
    reached = arrest_reaches(
        expected(COMPLAINTS, key=key), COMPLAINTS, SEIZED, key=key, arrested_at=ARRESTED_AT
    )
    return {district: {case[1] for case in cases} for district, cases in reached.items()}


def told_in(pipeline: Pipeline, rule: str, districts: set[str]) -> dict[str, dict[str, Any]]:
    """The one alert of `rule` each of `districts` gets, once all have; none elsewhere."""

    def arrived() -> bool:
        alerts = arrest_alerts(pipeline, rule)
        return all(alerts[district] for district in districts)

    wait_for(arrived, PIPELINE_TIMEOUT_S)
    pipeline.wait_until_idle()
    alerts = arrest_alerts(pipeline, rule)
    assert {d for d, each in alerts.items() if each} == districts
    assert all(len(alerts[district]) == 1 for district in districts), alerts
    return {district: alerts[district][0]["data"] for district in districts}


def test_an_arrest_tells_exactly_the_oracles_districts_of_their_own_complaints(
    pipeline: Pipeline,
) -> None:
    response = record(pipeline)
    assert response.status_code == 202, response.text

    districts = owed()
    assert districts == {"MH-PUN": {"A-1", "C-1"}, "MP-IND": {"A-2"}, "WB-HWH": {"A-3"},
                         "RJ-JAI": {"B-1", "B-2"}}  # fmt: skip
    alerts = told_in(pipeline, "arrest_recorded", set(districts))
    for district, alert in alerts.items():
        assert alert["kind"] == "arrest"
        assert {case["complaint_id"] for case in alert["your_cases"]} == districts[district]
        assert alert["other_cases"] == []
        arrest = alert["facts"]["arrest"]
        assert (arrest["district"], arrest["contact_phone"]) == (ARRESTING, "+91 94311 00000")
        assert "Call Insp. R. Murmu on +91 94311 00000." in alert["reason"]
        raw = str(alert)
        assert all(seized["value"] not in raw for seized in SEIZED)
    assert alerts["WB-HWH"]["facts"]["naming_seized"] == 0
    assert alerts["MH-PUN"]["facts"]["naming_seized"] == 2


BAIL = {
    "status": "on_bail",
    "status_since": (ARRESTED_AT + timedelta(days=4)).isoformat(),
    "held_at": None,
}


def test_a_later_bail_status_reaches_the_same_districts(pipeline: Pipeline) -> None:
    assert record(pipeline).status_code == 202  # recorded already if the test above ran
    first = told_in(pipeline, "arrest_recorded", set(owed()))

    response = record(pipeline, **BAIL)
    assert response.status_code == 202, response.text

    bail = told_in(pipeline, "arrest_status_changed", set(first))
    for alert in bail.values():
        assert alert["facts"]["arrest"]["status"] == "on_bail"
        assert "on bail since" in alert["reason"]


def test_the_same_state_put_again_tells_no_one_again(pipeline: Pipeline) -> None:
    assert record(pipeline, **BAIL).status_code == 202
    told_in(pipeline, "arrest_status_changed", set(owed()))

    assert record(pipeline, **BAIL).status_code == 202  # a retry, say
    pipeline.wait_until_idle()

    told_in(pipeline, "arrest_status_changed", set(owed()))  # still one each


def test_an_officer_records_an_arrest_in_the_console_and_its_districts_are_told(
    pipeline: Pipeline,
) -> None:
    officer = enrol(pipeline.notifier.env["CROSSLINK_DATABASE_URL"], ARRESTING)
    console = ConsoleClient(pipeline.notifier.base_url)
    assert console.sign_in(officer).status_code == 303
    form = {
        "arrest_id": "JH-0043",
        "police_station": "Cyber PS Jamtara",
        "arrested_at": "2026-11-29T18:00",
        "status": "seized_only",
        "accused": "0",
        "contact_name": "SI A. Soren",
        "contact_phone": "9431100001",
        "seized_type_0": "imei",
        "seized_value_0": SEIZED_IMEI,
        "csrf_token": console.csrf("/console/arrests"),
    }

    page = console.http.post("/console/arrests", data=form)

    assert page.status_code == 200, page.text
    assert 'id="arrest-recorded"' in page.text
    assert SEIZED_IMEI not in page.text

    def told() -> list[dict[str, Any]]:
        return [
            webhook.payload["data"]
            for webhook in pipeline.receivers["MH-PUN"].processed()
            if webhook.payload and webhook.payload["data"]["kind"] == "arrest"
            and webhook.payload["data"]["facts"]["arrest"]["arrest_id"] == "JH-0043"
        ]  # fmt: skip

    wait_for(lambda: bool(told()), PIPELINE_TIMEOUT_S)
    (alert,) = told()
    assert [case["complaint_id"] for case in alert["your_cases"]] == ["C-1"]
    assert "Call SI A. Soren on +91 94311 00001." in alert["reason"]
    entries = [e.event for e in pipeline.audit_entries() if e.event.action == "arrest.recorded"]
    assert [(e.actor, e.target) for e in entries] == [(f"officer:{officer.username}", "JH-0043")]
    assert SEIZED_IMEI not in entries[0].detail


def test_an_arrest_the_form_gets_wrong_is_refused_naming_the_field_and_tells_no_one(
    pipeline: Pipeline,
) -> None:
    console = ConsoleClient(pipeline.notifier.base_url)
    assert (
        console.sign_in(
            enrol(pipeline.notifier.env["CROSSLINK_DATABASE_URL"], ARRESTING)
        ).status_code
        == 303
    )
    form = {
        "arrest_id": "JH-0044", "police_station": "Cyber PS Jamtara",
        "arrested_at": "2026-11-29T18:00", "status": "police_custody", "accused": "1",
        "contact_name": "SI A. Soren", "contact_phone": "9431100001",
        "seized_type_0": "phone", "seized_value_0": "12",
        "csrf_token": console.csrf("/console/arrests"),
    }  # fmt: skip

    page = console.http.post("/console/arrests", data=form)

    assert page.status_code == 422
    assert "seized[0].value" in page.text
    assert 'id="arrest-recorded"' not in page.text
