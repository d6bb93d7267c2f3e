"""Intake against a real broker: who may post, what is refused, and what reaches Kafka."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.processes import ServiceProcess
from schemas.events import GenericValueDecided, IdentifierSighted
from schemas.topics import GENERIC_VALUE_DECIDED, IDENTIFIER_SIGHTED, REGISTRY_ENTRY_ADDED
from tests.builders import complaint_body, unique_mobile
from tests.conftest import OPERATOR_KEY, REGISTRY_ADMIN_KEY, api_key, read_topic

pytestmark = pytest.mark.integration


def post(intake: ServiceProcess, body: object, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{intake.base_url}/v1/complaints", json=body, headers=headers, timeout=30)


def sightings_of(bootstrap: str, complaint_id: str) -> list[IdentifierSighted]:
    events = [
        IdentifierSighted.model_validate_json(record.value)
        for record in read_topic(bootstrap, IDENTIFIER_SIGHTED.name)
    ]
    return [event for event in events if event.case.complaint_id == complaint_id]


def test_accepts_a_complaint_and_publishes_one_event_per_identifier_keyed_by_token(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), ("upi", "fastloan@ybl"))

    response = post(intake, body, api_key("MH-MUM"))

    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted",
        "complaint_id": body["complaint_id"],
        "district": "MH-MUM",
        "identifiers_accepted": 2,
    }
    records = [
        r for r in read_topic(kafka_bootstrap, IDENTIFIER_SIGHTED.name)
        if json.loads(r.value)["case"]["complaint_id"] == body["complaint_id"]
    ]  # fmt: skip
    assert sorted(json.loads(r.value)["identifier"]["type"] for r in records) == ["phone", "upi"]
    for record in records:
        assert record.key.decode() == json.loads(record.value)["identifier"]["token"]


def test_the_same_number_written_two_ways_gets_the_same_token(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    digits = unique_mobile().replace(" ", "").removeprefix("+91")
    first = complaint_body("MH-MUM", ("phone", f"+91 {digits[:5]} {digits[5:]}"))
    second = complaint_body("MP-BPL", ("phone", f"0{digits[:5]}-{digits[5:]}"))

    assert post(intake, first, api_key("MH-MUM")).status_code == 202
    assert post(intake, second, api_key("MP-BPL")).status_code == 202

    [one] = sightings_of(kafka_bootstrap, first["complaint_id"])
    [two] = sightings_of(kafka_bootstrap, second["complaint_id"])
    assert one.identifier.token == two.identifier.token
    assert one.identifier.masked == two.identifier.masked == f"+91 {digits[:2]}•••••{digits[-3:]}"


@pytest.mark.parametrize("key", [None, "not-a-known-key"])
def test_a_missing_or_unknown_key_is_refused_with_401(
    intake: ServiceProcess, key: str | None
) -> None:
    response = post(intake, complaint_body("MH-MUM", ("phone", unique_mobile())), key)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"].endswith("/unauthenticated")


def test_a_key_posting_for_another_district_is_refused_with_403_and_nothing_is_published(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    body = complaint_body("MP-BPL", ("phone", unique_mobile()))

    response = post(intake, body, api_key("MH-MUM"))

    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"field": "district", "code": "district.not_yours", "reason": "must be MH-MUM"}
    ]
    assert sightings_of(kafka_bootstrap, body["complaint_id"]) == []


def test_an_invalid_phone_is_refused_with_422_naming_it_and_nothing_is_published(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    body = complaint_body("MH-MUM", ("upi", "fine@ybl"), ("phone", "12345"))

    response = post(intake, body, api_key("MH-MUM"))

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/invalid-complaint")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("identifiers[1].value", "phone.invalid")
    ]
    assert "phone" in problem["errors"][0]["reason"]
    assert "12345" not in response.text
    assert sightings_of(kafka_bootstrap, body["complaint_id"]) == []


def test_a_malformed_body_is_refused_with_422_naming_each_field(intake: ServiceProcess) -> None:
    body = complaint_body("MH-MUM", ("fax", "123"))
    body["registered_at"] = "yesterday"
    body["victim_name"] = "must never be collected"

    response = post(intake, body, api_key("MH-MUM"))

    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"registered_at", "identifiers[0].type", "victim_name"}
    assert "Traceback" not in response.text


def test_every_bad_identifier_is_listed_with_its_code(intake: ServiceProcess) -> None:
    body = complaint_body(
        "MH-MUM", ("imei", "490154203237519"), ("upi", "ok@ybl"), ("social", "priya_99"),
        ("ip", "192.168.1.10"),
    )  # fmt: skip

    response = post(intake, body, api_key("MH-MUM"))

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("identifiers[0].value", "imei.bad_check_digit"),
        ("identifiers[2].value", "social.platform_required"),
        ("identifiers[3].value", "ip.not_identifying"),
    ]


def test_posting_the_same_complaint_twice_publishes_identical_events(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))

    assert post(intake, body, api_key("MH-MUM")).status_code == 202
    assert post(intake, body, api_key("MH-MUM")).status_code == 202

    first, second = sightings_of(kafka_bootstrap, body["complaint_id"])
    assert first.event_id == second.event_id
    assert first.identifier == second.identifier


def test_the_answer_does_not_reveal_whether_an_identifier_is_already_known(
    intake: ServiceProcess,
) -> None:
    known = unique_mobile()
    assert (
        post(intake, complaint_body("MH-MUM", ("phone", known)), api_key("MH-MUM")).status_code
        == 202
    )

    matching = post(intake, complaint_body("MP-BPL", ("phone", known)), api_key("MP-BPL"))
    fresh = post(intake, complaint_body("MP-BPL", ("phone", unique_mobile())), api_key("MP-BPL"))

    assert matching.status_code == fresh.status_code == 202
    assert set(matching.headers) - {"date"} == set(fresh.headers) - {"date"}
    shown = [{k: v for k, v in r.json().items() if k != "complaint_id"} for r in (matching, fresh)]
    assert shown[0] == shown[1]


def answered(intake: ServiceProcess, status: int) -> float:
    for line in httpx.get(f"{intake.base_url}/metrics/", timeout=5).text.splitlines():
        if line.startswith(f'crosslink_intake_complaints_total{{status="{status}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_metrics_count_complaint_answers_by_status(intake: ServiceProcess) -> None:
    before = {status: answered(intake, status) for status in (202, 401, 422)}

    post(intake, complaint_body("MH-MUM", ("phone", unique_mobile())), api_key("MH-MUM"))
    post(intake, complaint_body("MH-MUM", ("phone", unique_mobile())), None)
    post(intake, complaint_body("MH-MUM", ("phone", "1")), api_key("MH-MUM"))

    assert {status: answered(intake, status) - before[status] for status in before} == {
        202: 1,
        401: 1,
        422: 1,
    }


def test_registry_entries_need_a_registry_admin_key(intake: ServiceProcess) -> None:
    body = {"entries": [{"type": "phone", "value": unique_mobile(), "source": "NCRP",
                         "reference": "R-1"}]}  # fmt: skip

    as_district = httpx.post(f"{intake.base_url}/v1/registry", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {api_key('MH-MUM')}"})  # fmt: skip
    as_admin = httpx.post(f"{intake.base_url}/v1/registry", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {REGISTRY_ADMIN_KEY}"})  # fmt: skip

    assert as_district.status_code == 403
    assert as_district.json()["type"].endswith("/not-permitted")
    assert as_admin.status_code == 202
    assert as_admin.json() == {"status": "accepted", "entries_accepted": 1}


def test_a_registry_admin_key_may_not_post_complaints(intake: ServiceProcess) -> None:
    response = post(
        intake, complaint_body("MH-MUM", ("phone", unique_mobile())), REGISTRY_ADMIN_KEY
    )

    assert response.status_code == 403


def test_bad_registry_entries_are_listed_with_their_codes_and_none_is_published(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    body = {"entries": [
        {"type": "upi", "value": "never.published@ybl", "source": "NCRP", "reference": "BAD-1"},
        {"type": "imei", "value": "490154203237519", "source": "NCRP", "reference": "BAD-2"},
    ]}  # fmt: skip

    response = httpx.post(f"{intake.base_url}/v1/registry", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {REGISTRY_ADMIN_KEY}"})  # fmt: skip

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("entries[1].value", "imei.bad_check_digit")
    ]
    published = read_topic(kafka_bootstrap, REGISTRY_ENTRY_ADDED.name)
    assert not [r for r in published if b"BAD-1" in r.value]


def decide_generic(intake: ServiceProcess, body: object, key: str) -> httpx.Response:
    return httpx.post(f"{intake.base_url}/v1/operator/generic-values", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {key}"})  # fmt: skip


def test_an_operator_marks_a_value_generic_and_only_its_token_reaches_kafka(
    intake: ServiceProcess, kafka_bootstrap: str
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
        for r in read_topic(kafka_bootstrap, GENERIC_VALUE_DECIDED.name)
        if b"a loan app's support line" in r.value
    ]
    assert (decided.decided_by, decided.generic) == ("Ops desk", True)
    assert decided.identifier.masked == answer["identifier"]["masked"]
    digits = phone.replace(" ", "").removeprefix("+91")
    assert not [r for r in read_topic(kafka_bootstrap, GENERIC_VALUE_DECIDED.name)
                if digits.encode() in r.value]  # fmt: skip


def test_an_invalid_generic_value_is_refused_naming_the_field_and_nothing_is_published(
    intake: ServiceProcess, kafka_bootstrap: str
) -> None:
    body = {"type": "imei", "value": "490154203237519", "reason": "never published"}

    response = decide_generic(intake, body, OPERATOR_KEY)

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("value", "imei.bad_check_digit")
    ]
    published = read_topic(kafka_bootstrap, GENERIC_VALUE_DECIDED.name)
    assert not [r for r in published if b"never published" in r.value]


def test_a_generic_value_decision_needs_a_reason(intake: ServiceProcess) -> None:
    response = decide_generic(intake, {"type": "phone", "value": unique_mobile()}, OPERATOR_KEY)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
