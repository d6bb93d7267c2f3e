"""Intake's routes in-process, over a fake publisher and a fixed clock: who may post what, what
is refused and how (a problem document naming each field, nothing published), and which events
an accepted complaint publishes. tests/integration/test_intake_api.py shows the same events in
a real broker; tests/integration/test_intake_guards.py the guards on the running service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from harness.testbed import OPERATOR_KEY, REGISTRY_ADMIN_KEY, api_key, write_districts_file
from schemas.api import MAX_BATCH
from schemas.events import ArrestRecorded, ComplaintFiled, IdentifierSighted, ImportClosed
from schemas.topics import COMPLAINTS_FILED, GENERIC_VALUE_DECIDED, IDENTIFIER_SIGHTED
from services.intake.app import create_app
from services.intake.config import IntakeSettings
from tests.builders import complaint_body, unique_mobile
from tests.fakes import FakePublisher, FixedClock

Body = dict[str, object]
IST = timezone(timedelta(hours=5, minutes=30))


class Intake:
    """Intake's app on a fake publisher, and a client that posts as a given key."""

    def __init__(self, client: httpx.AsyncClient, publisher: FakePublisher, clock: FixedClock):
        self.client, self.publisher, self.clock = client, publisher, clock

    async def post(self, path: str, body: object, key: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return await self.client.post(path, json=body, headers=headers)

    async def complaint(self, body: Body, key: str | None) -> httpx.Response:
        return await self.post("/v1/complaints", body, key)


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[Intake]:
    districts = write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": None, "MP-BPL": None})
    publisher, clock = FakePublisher(), FixedClock()
    app = create_app(IntakeSettings(districts_file=districts), publisher=publisher, clock=clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield Intake(client, publisher, clock)


async def test_an_accepted_complaint_publishes_one_sighting_per_identifier_and_its_filing(
    intake: Intake,
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), ("upi", "fastloan@ybl"))

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted",
        "complaint_id": body["complaint_id"],
        "district": "MH-MUM",
        "identifiers_accepted": 2,
        "notices": [],
    }
    assert intake.publisher.topics() == [IDENTIFIER_SIGHTED.name] * 2 + [COMPLAINTS_FILED.name]
    *sightings, (_, filed_key, filed) = intake.publisher.published
    for _, key, event in sightings:
        assert isinstance(event, IdentifierSighted)
        assert key == event.identifier.token
        assert event.received_at == intake.clock.now
    assert isinstance(filed, ComplaintFiled)
    assert filed_key == f"MH-MUM/{body['complaint_id']}"


async def test_a_generic_value_is_accepted_and_the_answer_says_it_will_never_link(
    intake: Intake,
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), ("phone", "1600-01-8000"))

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 202
    [notice] = response.json()["notices"]
    assert notice["field"] == "identifiers[1].value"
    assert notice["code"] == "phone.generic"
    assert notice["masked"] == "+91 16•••••000"
    assert "1600 series" in notice["reason"]
    flagged = [e.identifier.generic for _, _, e in intake.publisher.published[:2]]  # type: ignore[attr-defined]
    assert flagged == [False, True]


@pytest.mark.parametrize(
    ("registered_at", "code"),
    [
        ("2026-11-24T06:30:00+00:00", "registered_at.future"),
        ("1999-12-31T23:00:00+05:30", "registered_at.too_early"),
    ],
)
async def test_a_registration_time_that_cannot_be_true_is_refused_naming_the_field(
    intake: Intake, registered_at: str, code: str
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), registered_at=registered_at)

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("registered_at", code)]
    assert intake.publisher.published == []


async def test_an_observation_time_that_cannot_be_true_is_refused_naming_the_identifier(
    intake: Intake,
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), ("ip", "103.21.4.9"))
    body["identifiers"][1]["observed_at"] = "2027-01-01T00:00:00+05:30"

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("identifiers[1].observed_at", "observed_at.future")
    ]
    assert intake.publisher.published == []


@pytest.mark.parametrize(
    ("identifier", "field", "code"),
    [
        (
            {"type": "phone", "value": "+91 98765 43210", "port": 5060},
            "identifiers[0]",
            "request.value_error",
        ),
        (
            {"type": "ip", "value": "100.64.1.2", "port": True},
            "identifiers[0].port",
            "request.int_type",
        ),
        (
            {"type": "ip", "value": "100.64.1.2", "port": 70000},
            "identifiers[0].port",
            "request.less_than_equal",
        ),
        (
            {"type": "ip", "value": "103.21.4.9", "observed_at": "1999-01-01T00:00:00+05:30"},
            "identifiers[0].observed_at",
            "observed_at.too_early",
        ),
    ],
)
async def test_a_bad_port_or_observation_time_is_refused_naming_it(
    intake: Intake, identifier: dict[str, object], field: str, code: str
) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))
    body["identifiers"] = [identifier]

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


async def test_every_problem_of_a_complaint_is_listed_at_once(intake: Intake) -> None:
    body = complaint_body("MH-MUM", ("phone", "12345"), registered_at="2027-01-01T00:00:00+05:30")

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert [e["code"] for e in response.json()["errors"]] == [
        "registered_at.future",
        "phone.invalid",
    ]


async def test_a_merchant_vpa_is_accepted_and_said_to_be_a_merchants(intake: Intake) -> None:
    body = complaint_body("MH-MUM", ("upi", "Q123456789@ybl"))

    response = await intake.complaint(body, api_key("MH-MUM"))

    [notice] = response.json()["notices"]
    assert (notice["code"], notice["masked"]) == ("upi.merchant", "q1••••••89@ybl (merchant)")


async def test_an_ips_observation_time_travels_with_its_sighting(intake: Intake) -> None:
    body = complaint_body("MH-MUM", ("ip", "100.64.12.7"))
    body["identifiers"][0] |= {"port": 40123, "observed_at": "2026-11-20T14:02:11+05:30"}

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 202
    assert response.json()["notices"] == []
    [(_, _, sighting), _] = intake.publisher.published
    assert isinstance(sighting, IdentifierSighted)
    assert sighting.observed_at is not None
    assert sighting.observed_at.isoformat() == "2026-11-20T14:02:11+05:30"
    assert sighting.identifier.masked == "100.64.•.•:40123 at 2026-11-20T08:32Z"


async def test_a_registration_time_a_few_minutes_ahead_is_clock_skew_and_accepted(
    intake: Intake,
) -> None:
    ahead = (intake.clock.now + timedelta(minutes=5)).isoformat()
    body = complaint_body("MH-MUM", ("phone", unique_mobile()), registered_at=ahead)

    assert (await intake.complaint(body, api_key("MH-MUM"))).status_code == 202


async def test_while_the_broker_is_unreachable_a_complaint_gets_503_with_retry_after(
    intake: Intake,
) -> None:
    intake.publisher.reachable = False

    response = await intake.complaint(
        complaint_body("MH-MUM", ("phone", unique_mobile())), api_key("MH-MUM")
    )

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/broker-unavailable")
    assert intake.publisher.published == []


@pytest.mark.parametrize(("reachable", "status"), [(True, 200), (False, 503)])
async def test_ready_only_while_the_broker_answers(
    intake: Intake, reachable: bool, status: int
) -> None:
    intake.publisher.reachable = reachable

    assert (await intake.client.get("/readyz")).status_code == status


@pytest.mark.parametrize("key", [None, "not-a-known-key"])
async def test_a_missing_or_unknown_key_is_refused_with_401(
    intake: Intake, key: str | None
) -> None:
    response = await intake.complaint(complaint_body("MH-MUM", ("phone", unique_mobile())), key)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"].endswith("/unauthenticated")
    assert intake.publisher.published == []


async def test_a_key_posting_for_another_district_is_refused_with_403(intake: Intake) -> None:
    response = await intake.complaint(
        complaint_body("MP-BPL", ("phone", unique_mobile())), api_key("MH-MUM")
    )

    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"field": "district", "code": "district.not_yours", "reason": "must be MH-MUM"}
    ]
    assert intake.publisher.published == []


async def test_an_invalid_phone_is_refused_with_422_naming_it_and_not_echoing_it(
    intake: Intake,
) -> None:
    body = complaint_body("MH-MUM", ("upi", "fine@ybl"), ("phone", "12345"))

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/invalid-complaint")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("identifiers[1].value", "phone.invalid")
    ]
    assert "phone" in problem["errors"][0]["reason"]
    assert "12345" not in response.text
    assert intake.publisher.published == []


async def test_a_malformed_body_is_refused_with_422_naming_each_field(intake: Intake) -> None:
    body = complaint_body("MH-MUM", ("fax", "123"))
    body["registered_at"] = "yesterday"
    body["victim_name"] = "must never be collected"

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"registered_at", "identifiers[0].type", "victim_name"}
    assert "Traceback" not in response.text


async def test_every_bad_identifier_is_listed_with_its_code(intake: Intake) -> None:
    body = complaint_body(
        "MH-MUM",
        ("imei", "490154203237519"),
        ("upi", "ok@ybl"),
        ("social", "priya_99"),
        ("ip", "192.168.1.10"),
    )

    response = await intake.complaint(body, api_key("MH-MUM"))

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("identifiers[0].value", "imei.bad_check_digit"),
        ("identifiers[2].value", "social.platform_required"),
        ("identifiers[3].value", "ip.not_identifying"),
    ]
    assert intake.publisher.published == []


async def test_metrics_count_complaint_answers_by_status(intake: Intake) -> None:
    await intake.complaint(complaint_body("MH-MUM", ("phone", unique_mobile())), api_key("MH-MUM"))
    await intake.complaint(complaint_body("MH-MUM", ("phone", unique_mobile())), None)
    await intake.complaint(complaint_body("MH-MUM", ("phone", "1")), api_key("MH-MUM"))

    text = (await intake.client.get("/metrics/")).text
    for status in (202, 401, 422):
        assert f'crosslink_intake_complaints_total{{status="{status}"}} 1.0' in text


async def test_the_answer_does_not_reveal_whether_an_identifier_is_already_known(
    intake: Intake,
) -> None:
    known = unique_mobile()
    await intake.complaint(complaint_body("MH-MUM", ("phone", known)), api_key("MH-MUM"))

    matching = await intake.complaint(complaint_body("MP-BPL", ("phone", known)), api_key("MP-BPL"))
    fresh = await intake.complaint(
        complaint_body("MP-BPL", ("phone", unique_mobile())), api_key("MP-BPL")
    )

    assert matching.status_code == fresh.status_code == 202
    assert set(matching.headers) == set(fresh.headers)
    shown = [{k: v for k, v in r.json().items() if k != "complaint_id"} for r in (matching, fresh)]
    assert shown[0] == shown[1]


def registry_body(*entries: tuple[str, str, str]) -> Body:
    return {
        "entries": [
            {"type": kind, "value": value, "source": "NCRP", "reference": reference}
            for kind, value, reference in entries
        ]
    }


async def test_registry_entries_need_a_registry_admin_key(intake: Intake) -> None:
    body = registry_body(("phone", unique_mobile(), "R-1"))

    as_district = await intake.post("/v1/registry", body, api_key("MH-MUM"))
    as_admin = await intake.post("/v1/registry", body, REGISTRY_ADMIN_KEY)

    assert as_district.status_code == 403
    assert as_district.json()["type"].endswith("/not-permitted")
    assert as_admin.status_code == 202
    assert as_admin.json() == {"status": "accepted", "entries_accepted": 1}
    [(_, key, entry)] = intake.publisher.published
    assert key == entry.identifier.token  # type: ignore[attr-defined]


async def test_a_registry_admin_key_may_not_post_complaints(intake: Intake) -> None:
    body = complaint_body("MH-MUM", ("phone", unique_mobile()))

    assert (await intake.complaint(body, REGISTRY_ADMIN_KEY)).status_code == 403


async def test_bad_registry_entries_are_listed_with_their_codes_and_none_is_published(
    intake: Intake,
) -> None:
    body = registry_body(("upi", "fine@ybl", "BAD-1"), ("imei", "490154203237519", "BAD-2"))

    response = await intake.post("/v1/registry", body, REGISTRY_ADMIN_KEY)

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("entries[1].value", "imei.bad_check_digit")
    ]
    assert intake.publisher.published == []


async def test_a_generic_value_decision_needs_an_operator(intake: Intake) -> None:
    body = {"type": "phone", "value": unique_mobile(), "reason": "a loan app's support line"}

    as_district = await intake.post("/v1/operator/generic-values", body, api_key("MH-MUM"))
    as_operator = await intake.post("/v1/operator/generic-values", body, OPERATOR_KEY)

    assert as_district.status_code == 403
    assert as_operator.status_code == 202
    assert intake.publisher.topics() == [GENERIC_VALUE_DECIDED.name, COMPLAINTS_FILED.name]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"type": "imei", "value": "490154203237519", "reason": "r"},
            [("value", "imei.bad_check_digit")],
        ),
        ({"type": "phone", "value": "+91 98765 43210"}, [("reason", "request.missing")]),
    ],
)
async def test_a_bad_generic_value_decision_is_refused_naming_the_field(
    intake: Intake, body: Body, errors: list[tuple[str, str]]
) -> None:
    response = await intake.post("/v1/operator/generic-values", body, OPERATOR_KEY)

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == errors
    assert intake.publisher.published == []


# POST /v1/complaints/batch: up to 500 complaints, each taken as the single route takes it; a bad
# complaint refuses only itself, with the problem document the single route would answer.
BATCH = "/v1/complaints/batch"


def good(district: str = "MH-MUM") -> dict[str, object]:
    return complaint_body(district, ("phone", unique_mobile()), ("upi", "fastloan@ybl"))


async def post_batch(intake: Intake, complaints: list[dict[str, object]]) -> httpx.Response:
    return await intake.post(BATCH, {"complaints": complaints}, api_key("MH-MUM"))


async def test_a_batch_publishes_each_good_complaint_as_the_single_route_does(
    intake: Intake,
) -> None:
    complaints = [good(), good()]

    response = await post_batch(intake, complaints)

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["refused"]) == (2, 0)
    assert [r["complaint_id"] for r in body["results"]] == [c["complaint_id"] for c in complaints]
    assert [r["identifiers_accepted"] for r in body["results"]] == [2, 2]
    per_complaint = [IDENTIFIER_SIGHTED.name] * 2 + [COMPLAINTS_FILED.name]
    assert intake.publisher.topics() == per_complaint * 2
    filed = [e for _, _, e in intake.publisher.published if isinstance(e, ComplaintFiled)]
    assert [f.case.complaint_id for f in filed] == [c["complaint_id"] for c in complaints]


async def test_bad_complaints_are_refused_by_index_with_their_problems_and_the_rest_go_in(
    intake: Intake,
) -> None:
    no_identifiers = {**good(), "identifiers": []}
    bad_phone = complaint_body("MH-MUM", ("phone", "12345"))
    elsewhere = good("MP-BPL")
    complaints = [good(), no_identifiers, good(), bad_phone, elsewhere]

    response = await post_batch(intake, complaints)

    body = response.json()
    assert (body["accepted"], body["refused"]) == (2, 3)
    refused = {r["index"]: r["problem"] for r in body["results"] if r["status"] == "refused"}
    assert set(refused) == {1, 3, 4}
    assert refused[1]["status"] == 422
    assert refused[1]["errors"][0]["field"] == "identifiers"
    assert refused[3]["type"].endswith("invalid-complaint")
    assert refused[3]["errors"][0]["field"].startswith("identifiers[0]")
    assert refused[4]["status"] == 403
    assert refused[4]["errors"][0]["field"] == "district"
    filed = [e for _, _, e in intake.publisher.published if isinstance(e, ComplaintFiled)]
    assert [f.case.complaint_id for f in filed] == [complaints[0]["complaint_id"],
                                                    complaints[2]["complaint_id"]]  # fmt: skip


async def test_a_batch_over_the_limit_or_empty_is_refused_whole_and_publishes_nothing(
    intake: Intake,
) -> None:
    too_many = await post_batch(intake, [good()] * (MAX_BATCH + 1))
    empty = await post_batch(intake, [])

    assert too_many.status_code == empty.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "complaints"
    assert intake.publisher.published == []


async def test_a_batch_while_the_broker_is_down_accepts_none(intake: Intake) -> None:
    intake.publisher.reachable = False

    response = await post_batch(intake, [good(), good()])

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert intake.publisher.published == []


async def test_a_batch_needs_a_districts_key(intake: Intake) -> None:
    response = await intake.post(BATCH, {"complaints": [good()]}, None)

    assert response.status_code == 401


# A back-fill: its batches carry an import id, and its end is marked behind its complaints.
async def test_a_batch_with_an_import_id_marks_each_complaint_as_back_filled(
    intake: Intake,
) -> None:
    body = {"complaints": [good(), good()], "import_id": "mum-2019-export"}

    response = await intake.post(BATCH, body, api_key("MH-MUM"))

    assert response.status_code == 200
    cases = [e.case for _, _, e in intake.publisher.published if hasattr(e, "case")]
    assert len(cases) == 6
    assert {case.import_id for case in cases} == {"mum-2019-export"}


async def test_a_batch_without_an_import_id_is_live(intake: Intake) -> None:
    await post_batch(intake, [good()])

    cases = [e.case for _, _, e in intake.publisher.published if hasattr(e, "case")]
    assert {case.import_id for case in cases} == {None}


async def test_a_bad_import_id_is_refused_naming_it_and_publishes_nothing(intake: Intake) -> None:
    body = {"complaints": [good()], "import_id": "no spaces/or slashes"}

    response = await intake.post(BATCH, body, api_key("MH-MUM"))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "import_id"
    assert intake.publisher.published == []


async def test_closing_an_import_marks_every_partition_of_sightings_and_filings(
    intake: Intake,
) -> None:
    response = await intake.post("/v1/imports/mum-2019-export/closed", None, api_key("MH-MUM"))

    assert response.status_code == 202
    assert response.json() == {"import_id": "mum-2019-export"}
    published = intake.publisher.published
    assert [topic for topic, _, _ in published] == [IDENTIFIER_SIGHTED.name] * 6 + [
        COMPLAINTS_FILED.name
    ]
    assert {key for _, key, _ in published} == {"import:mum-2019-export"}
    closed = [e for _, _, e in published if isinstance(e, ImportClosed)]
    assert {(e.import_id, e.district) for e in closed} == {("mum-2019-export", "MH-MUM")}
    assert [e.partition for e in closed] == [0, 1, 2, 3, 4, 5, 0]  # each names its partition


async def test_closing_an_import_needs_a_districts_key_and_a_good_id(intake: Intake) -> None:
    anonymous = await intake.post("/v1/imports/mum-2019/closed", None, None)
    registry = await intake.post("/v1/imports/mum-2019/closed", None, REGISTRY_ADMIN_KEY)
    bad = await intake.post("/v1/imports/-starts-badly/closed", None, api_key("MH-MUM"))

    assert (anonymous.status_code, registry.status_code, bad.status_code) == (401, 403, 422)
    assert bad.json()["errors"][0]["field"] == "import_id"
    assert intake.publisher.published == []


# Arrests (PUT /v1/arrests/{id}): the seized identifiers as tokens in one event on
# complaints-filed; a new state a new event.


async def put(
    intake: Intake, arrest_id: str, body: Body, district: str = "MH-MUM"
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api_key(district)}"}
    return await intake.client.put(f"/v1/arrests/{arrest_id}", json=body, headers=headers)


def events(intake: Intake) -> list[ArrestRecorded]:
    assert intake.publisher.topics() == [COMPLAINTS_FILED.name] * len(intake.publisher.published)
    return [event for _, _, event in intake.publisher.published]  # type: ignore[misc]


def arrest_body(intake: Intake, **changes: object) -> Body:
    arrested_at = (intake.clock.now - timedelta(days=2)).isoformat()
    body: Body = {
        "district": "MH-MUM",
        "police_station": "Cyber PS Jamtara",
        "arrested_at": arrested_at,
        "status": "police_custody",
        "accused": 2,
        "held_at": "Cyber PS Jamtara",
        "contact_name": "Insp. R. Murmu",
        "contact_phone": "9431100000",
        "seized": [
            {"type": "phone", "value": unique_mobile()},
            {"type": "upi", "value": "fastloan@ybl"},
            {"type": "imei", "value": "490154203237518"},
        ],
    }
    return body | changes


async def test_an_arrest_is_one_event_on_complaints_filed_with_its_seized_identifiers_as_tokens(
    intake: Intake,
) -> None:
    body = arrest_body(intake)

    response = await put(intake, "JH-0042", body)

    assert response.status_code == 202, response.text
    assert response.json() == {
        "status": "accepted",
        "arrest_id": "JH-0042",
        "district": "MH-MUM",
        "identifiers_seized": 3,
        "notices": [],
    }
    ((_, key, event),) = intake.publisher.published
    assert isinstance(event, ArrestRecorded)
    assert key == "arrest:MH-MUM/JH-0042" == event.key
    assert event.contact_phone == "+91 94311 00000"
    assert event.status_since == event.arrested_at
    assert event.recorded_by == "key:MH-MUM"
    for submitted in body["seized"]:  # type: ignore[attr-defined]
        assert submitted["value"] not in event.model_dump_json()


async def test_a_new_state_is_a_new_event_and_the_same_state_put_again_the_same_one(
    intake: Intake,
) -> None:
    body = arrest_body(intake)
    bail = body | {"status": "on_bail", "held_at": None,
                   "status_since": (intake.clock.now - timedelta(hours=1)).isoformat()}  # fmt: skip

    for each in (body, body, bail):
        assert (await put(intake, "JH-0042", each)).status_code == 202

    first, again, later = events(intake)
    assert first.event_id == again.event_id != later.event_id
    assert later.status == "on_bail"
    assert later.key == first.key


async def test_an_arrest_for_another_district_is_refused(intake: Intake) -> None:
    response = await put(intake, "JH-0042", arrest_body(intake), district="MP-BPL")

    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "district"
    assert intake.publisher.published == []


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"seized": [{"type": "phone", "value": "12"}]}, "seized[0].value", "phone."),
        ({"seized": []}, "seized", ""),
        ({"accused": 0}, "accused", ""),
        ({"contact_phone": "not a phone"}, "contact_phone", ""),
        ({"status_since": "2020-01-01T00:00:00+05:30"}, "status_since", "status_since.early"),
        ({"arrested_at": "2099-01-01T00:00:00+05:30"}, "arrested_at", "arrested_at.future"),
        ({"held_at": "   "}, "held_at", ""),
        ({"status": "seized_only"}, "accused", ""),
    ],
)
async def test_what_is_wrong_with_an_arrest_is_named_and_nothing_is_published(
    intake: Intake, changes: Body, field: str, code: str
) -> None:
    response = await put(intake, "JH-0042", arrest_body(intake, **changes))

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"], problem
    assert any(
        e["field"].startswith(field) and e["code"].startswith(code) for e in problem["errors"]
    ), problem
    assert intake.publisher.published == []


async def test_a_seized_value_that_never_links_is_accepted_with_a_notice(intake: Intake) -> None:
    seized = [{"type": "phone", "value": "1600-01-8000"}]

    response = await put(intake, "JH-0042", arrest_body(intake, seized=seized))

    assert response.status_code == 202
    (notice,) = response.json()["notices"]
    assert notice["field"] == "seized[0].value"


async def test_an_arrest_id_with_a_slash_is_refused_naming_it(intake: Intake) -> None:
    response = await put(intake, "42/2026", arrest_body(intake))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["arrest_id"]
    assert intake.publisher.published == []


async def test_one_instant_written_in_two_offsets_is_the_same_state(intake: Intake) -> None:
    body = arrest_body(intake)
    written = datetime.fromisoformat(str(body["arrested_at"]))
    in_utc = body | {"arrested_at": written.astimezone(UTC).isoformat()}
    in_ist = body | {"arrested_at": written.astimezone(IST).isoformat()}

    for each in (in_utc, in_ist):
        assert (await put(intake, "JH-0042", each)).status_code == 202

    first, second = events(intake)
    assert first.event_id == second.event_id
