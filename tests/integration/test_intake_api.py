"""Intake against a real broker: what an accepted complaint or decision puts in Kafka. Who may
post and what is refused is specified in-process (tests/unit/test_intake_routes.py)."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.localbroker import Brokers
from harness.processes import ServiceProcess
from schemas.events import GenericValueDecided, IdentifierSighted
from schemas.topics import GENERIC_VALUE_DECIDED, IDENTIFIER_SIGHTED
from tests.builders import complaint_body, unique_mobile
from tests.conftest import OPERATOR_KEY, api_key, read_topic

pytestmark = pytest.mark.integration


def post(intake: ServiceProcess, body: object, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{intake.base_url}/v1/complaints", json=body, headers=headers, timeout=30)


def sightings_of(kafka: Brokers, complaint_id: str) -> list[IdentifierSighted]:
    events = [
        IdentifierSighted.model_validate_json(record.value)
        for record in read_topic(kafka.access, IDENTIFIER_SIGHTED.name)
    ]
    return [event for event in events if event.case.complaint_id == complaint_id]


def test_accepts_a_complaint_and_publishes_one_event_per_identifier_keyed_by_token(
    intake: ServiceProcess, kafka: Brokers
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), ("upi", "fastloan@ybl"))

    response = post(intake, body, api_key("MH-MUM"))

    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted",
        "complaint_id": body["complaint_id"],
        "district": "MH-MUM",
        "identifiers_accepted": 2,
        "notices": [],
    }
    records = [
        r for r in read_topic(kafka.access, IDENTIFIER_SIGHTED.name)
        if json.loads(r.value)["case"]["complaint_id"] == body["complaint_id"]
    ]  # fmt: skip
    assert sorted(json.loads(r.value)["identifier"]["type"] for r in records) == ["phone", "upi"]
    for record in records:
        assert record.key.decode() == json.loads(record.value)["identifier"]["token"]


def test_the_same_number_written_two_ways_gets_the_same_token(
    intake: ServiceProcess, kafka: Brokers
) -> None:
    digits = unique_mobile().replace(" ", "").removeprefix("+91")
    first = complaint_body("MH-MUM", ("phone", f"+91 {digits[:5]} {digits[5:]}"))
    second = complaint_body("MP-BPL", ("phone", f"0{digits[:5]}-{digits[5:]}"))

    assert post(intake, first, api_key("MH-MUM")).status_code == 202
    assert post(intake, second, api_key("MP-BPL")).status_code == 202

    [one] = sightings_of(kafka, first["complaint_id"])
    [two] = sightings_of(kafka, second["complaint_id"])
    assert one.identifier.token == two.identifier.token
    assert one.identifier.masked == two.identifier.masked == f"+91 {digits[:2]}•••••{digits[-3:]}"


def test_posting_the_same_complaint_twice_publishes_identical_events(
    intake: ServiceProcess, kafka: Brokers
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))

    assert post(intake, body, api_key("MH-MUM")).status_code == 202
    assert post(intake, body, api_key("MH-MUM")).status_code == 202

    first, second = sightings_of(kafka, body["complaint_id"])
    assert first.event_id == second.event_id
    assert first.identifier == second.identifier


def decide_generic(intake: ServiceProcess, body: object, key: str) -> httpx.Response:
    return httpx.post(f"{intake.base_url}/v1/operator/generic-values", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {key}"})  # fmt: skip


def test_an_operator_marks_a_value_generic_and_only_its_token_reaches_kafka(
    intake: ServiceProcess, kafka: Brokers
) -> None:
    phone = unique_mobile()
    body = {"type": "phone", "value": phone, "reason": "a loan app's support line"}

    as_district = decide_generic(intake, body, api_key("MH-MUM"))
    as_operator = decide_generic(intake, body, OPERATOR_KEY)

    assert as_district.status_code == 403
    assert as_operator.status_code == 202
    answer = as_operator.json()
    assert answer["generic"] is True
    assert answer["identifier"]["type"] == "phone"
    assert phone[-3:] in answer["identifier"]["masked"]
    [decided] = [
        GenericValueDecided.model_validate_json(r.value)
        for r in read_topic(kafka.access, GENERIC_VALUE_DECIDED.name)
        if b"a loan app's support line" in r.value
    ]
    assert (decided.decided_by, decided.generic) == ("Ops desk", True)
    assert decided.identifier.masked == answer["identifier"]["masked"]
    digits = phone.replace(" ", "").removeprefix("+91")
    assert not [r for r in read_topic(kafka.access, GENERIC_VALUE_DECIDED.name)
                if digits.encode() in r.value]  # fmt: skip
