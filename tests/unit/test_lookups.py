"""Look-ups, each service's part on its own: the matcher's footprint of a row, intake's route
over a fake matcher (canon, token, contacts; only the relay key), and the notifier's relay
over a fake intake (the limit per person, intake's refusals passed on, what the audit names).
tests/e2e/test_lookups.py asks the real pipeline."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from crosslink.limits import RateLimiter
from crosslink.lookups import InvalidLookup
from harness.testbed import LOOKUP_RELAY_KEY, api_key, duty_phone, write_districts_file
from schemas.api import ComplaintSubmission
from schemas.events import LinkWithdrawn
from schemas.lookups import LookupAnswer, LookupRequest, TokenFootprint
from schemas.pseudonyms import PseudonymKey
from services.intake.app import create_app
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.matcher.lookups import footprint_of
from services.matcher.matching import MatchingRules, TokenState, on_link_withdrawn, on_sighting
from services.notifier.lookups import (
    LookupLimitReached,
    Lookups,
    LookupsOff,
    LookupUnavailable,
    named,
    shown_by,
)
from tests.builders import complaint_body
from tests.fakes import FakeMatcher, FakePublisher

NOW = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
PHONE = "+91 98765 43210"
KEY = PseudonymKey("dev", b"crosslink-development-pseudonym-key-not-for-real-cases")


def complaint(district: str, number: int, *, days_ago: int) -> ComplaintSubmission:
    registered = (NOW - timedelta(days=days_ago)).isoformat()
    body = complaint_body(
        district,
        ("phone", PHONE),
        complaint_id=f"{district}-{number}",
        police_station=f"PS {number}",
        registered_at=registered,
    )
    return ComplaintSubmission.model_validate(body)


def row_of(*complaints: ComplaintSubmission) -> TokenState:
    """The phone's row once the matcher has counted `complaints`, in order."""
    state = TokenState()
    for submitted in complaints:
        (sighting,) = sightings_for(
            submitted, caller_district=submitted.district, key=KEY, received_at=NOW
        )
        outcome = on_sighting(state, sighting, rules=MatchingRules(), now=NOW)
        assert outcome is not None
        state = outcome.state
    return state


# The matcher: a row's footprint.


def test_the_footprint_counts_each_districts_complaints_and_names_its_first() -> None:
    row = row_of(
        complaint("MH-MUM", 1, days_ago=3),
        complaint("MP-BPL", 2, days_ago=9),
        complaint("MH-MUM", 3, days_ago=7),
    )

    footprint = footprint_of(row)

    assert footprint.complaints == 3
    assert [(d.district, d.complaints, d.first_complaint_id) for d in footprint.districts] == [
        ("MH-MUM", 2, "MH-MUM-3"),
        ("MP-BPL", 1, "MP-BPL-2"),
    ]
    mumbai = footprint.districts[0]
    assert mumbai.first_police_station == "PS 3"
    assert mumbai.first_registered_at == NOW - timedelta(days=7)
    assert mumbai.latest_registered_at == NOW - timedelta(days=3)
    assert (footprint.registry_entries, footprint.generic) == (0, False)


def test_a_complaint_said_not_linked_is_not_in_the_footprint() -> None:
    bhopal = complaint("MP-BPL", 2, days_ago=9)
    row = row_of(complaint("MH-MUM", 1, days_ago=3), bhopal)
    (sighting,) = sightings_for(bhopal, caller_district="MP-BPL", key=KEY, received_at=NOW)
    withdrawal = LinkWithdrawn(
        withdrawal_id="w-1",
        identifier=sighting.identifier,
        case=sighting.case,
        reason="wrong_entry",
        alert_id="a-1",
        withdrawn_by="officer:bpl",
        withdrawn_at=NOW,
    )
    outcome = on_link_withdrawn(row, withdrawal, counted=True, rules=MatchingRules(), now=NOW)
    assert outcome is not None

    footprint = footprint_of(outcome.state)

    assert footprint.complaints == 1
    assert [d.district for d in footprint.districts] == ["MH-MUM"]


def test_a_token_nobody_named_has_an_empty_footprint() -> None:
    assert footprint_of(TokenState()) == TokenFootprint()


# Intake: the route, over a fake matcher.


@dataclass
class Intake:
    client: httpx.AsyncClient
    matcher: FakeMatcher
    publisher: FakePublisher

    async def look_up(
        self, identifier: dict[str, str], key: str = LOOKUP_RELAY_KEY
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return await self.client.post(
            "/v1/lookups", json={"identifier": identifier}, headers=headers
        )


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[Intake]:
    districts = write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": None, "MP-BPL": None})
    matcher, publisher = FakeMatcher(), FakePublisher()
    app = create_app(
        IntakeSettings(districts_file=districts), publisher=publisher, matcher=matcher.client()
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield Intake(client, matcher, publisher)


def phone_token() -> str:
    (sighting,) = sightings_for(
        complaint("MH-MUM", 1, days_ago=1), caller_district="MH-MUM", key=KEY, received_at=NOW
    )
    return sighting.identifier.token


async def test_a_look_up_answers_the_count_the_districts_and_whom_to_call(intake: Intake) -> None:
    row = row_of(complaint("MH-MUM", 1, days_ago=3), complaint("MP-BPL", 2, days_ago=9))
    intake.matcher.footprints[phone_token()] = footprint_of(row)

    response = await intake.look_up({"type": "phone", "value": "098765 43210"})

    assert response.status_code == 200, response.text
    (found,) = LookupAnswer.model_validate_json(response.content).identifiers
    assert (found.type, found.known, found.complaints) == ("phone", True, 2)
    assert PHONE.replace(" ", "")[-10:] not in response.text
    assert [(d.district, d.name, d.duty_phones) for d in found.districts] == [
        ("MH-MUM", "MH-MUM", (duty_phone("MH-MUM"),)),
        ("MP-BPL", "MP-BPL", (duty_phone("MP-BPL"),)),
    ]
    assert intake.matcher.asked == [f"/lookups/{phone_token()}"]
    assert intake.publisher.published == []


async def test_a_value_nobody_named_is_not_known(intake: Intake) -> None:
    response = await intake.look_up({"type": "upi", "value": "nobody.here@ybl"})

    assert response.status_code == 200
    (found,) = LookupAnswer.model_validate_json(response.content).identifiers
    assert (found.known, found.complaints, found.districts) == (False, 0, ())


async def test_an_invalid_value_is_refused_naming_the_field_and_nothing_is_asked(
    intake: Intake,
) -> None:
    response = await intake.look_up({"type": "phone", "value": "12345"})

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/invalid-lookup")
    assert [error["field"] for error in problem["errors"]] == ["identifier.value"]
    assert intake.matcher.asked == []


async def test_only_the_relay_key_may_look_up(intake: Intake) -> None:
    response = await intake.look_up({"type": "phone", "value": PHONE}, key=api_key("MH-MUM"))

    assert response.status_code == 403
    assert intake.matcher.asked == []


async def test_a_matcher_that_does_not_answer_is_a_503_with_when_to_retry(intake: Intake) -> None:
    intake.matcher.up = False

    response = await intake.look_up({"type": "phone", "value": PHONE})

    assert response.status_code == 503
    assert response.json()["type"].endswith("/matcher-unavailable")
    assert response.headers["retry-after"] == "5"


# The notifier: the relay, over a fake intake.


ANSWER = {
    "identifiers": [
        {
            "type": "phone",
            "masked": "98•••••210",
            "known": True,
            "complaints": 2,
            "districts": [
                {
                    "district": "MP-BPL",
                    "complaints": 2,
                    "first_complaint_id": "MP-BPL-2",
                    "first_police_station": "PS 2",
                    "first_registered_at": "2026-11-20T10:15:00+05:30",
                    "latest_registered_at": "2026-11-21T10:15:00+05:30",
                    "name": "Bhopal",
                    "state": "MP",
                    "duty_phones": ["+91 74104 10123"],
                }
            ],
            "registry_entries": 0,
            "generic": False,
        }
    ]
}
LOOKUP = LookupRequest.model_validate({"identifier": {"type": "phone", "value": PHONE}})


class FakeIntake:
    """Intake's look-up route: answers `status` with `body`, and keeps what it was sent."""

    def __init__(self, status: int = 200, body: object = ANSWER) -> None:
        self.status, self.body = status, body
        self.requests: list[httpx.Request] = []

    def lookups(self, *, burst: int = 3) -> Lookups:
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(self._answer),
            base_url="http://intake",
            headers={"Authorization": f"Bearer {LOOKUP_RELAY_KEY}"},
        )
        return Lookups(client, RateLimiter(per_minute=1, burst=burst, clock=lambda: 0.0))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


async def test_the_relay_sends_the_typed_value_to_intake_with_its_key() -> None:
    intake = FakeIntake()

    answer = await intake.lookups().look_up("officer:asha", LOOKUP)

    assert answer == LookupAnswer.model_validate(ANSWER)
    (sent,) = intake.requests
    assert sent.url.path == "/v1/lookups"
    assert sent.headers["authorization"] == f"Bearer {LOOKUP_RELAY_KEY}"
    assert json.loads(sent.content)["identifier"]["value"] == PHONE


async def test_each_person_is_held_to_the_limit_and_others_are_not() -> None:
    lookups = FakeIntake().lookups(burst=2)
    for _ in range(2):
        await lookups.look_up("officer:asha", LOOKUP)

    with pytest.raises(LookupLimitReached) as refused:
        await lookups.look_up("officer:asha", LOOKUP)

    assert refused.value.headers["Retry-After"] == "60"
    await lookups.look_up("officer:ravi", LOOKUP)


async def test_intakes_refusal_is_passed_on_with_its_fields() -> None:
    problem = {
        "type": "https://crosslink.invalid/problems/invalid-lookup",
        "title": "The identifier looked up is invalid",
        "status": 422,
        "detail": "the value is not a valid identifier of its type",
        "errors": [{"field": "identifier.value", "code": "phone.length", "reason": "too short"}],
    }
    lookups = FakeIntake(422, problem).lookups()

    with pytest.raises(InvalidLookup) as refused:
        await lookups.look_up("officer:asha", LOOKUP)

    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("identifier.value", "phone.length")
    ]


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_an_intake_that_does_not_answer_is_a_503(status: int) -> None:
    with pytest.raises(LookupUnavailable):
        await FakeIntake(status, {}).lookups().look_up("officer:asha", LOOKUP)


async def test_without_a_relay_key_look_ups_are_off() -> None:
    lookups = Lookups(None, RateLimiter(per_minute=1, burst=1))

    with pytest.raises(LookupsOff):
        await lookups.look_up("officer:asha", LOOKUP)


def test_the_audit_entry_names_the_masked_identifier_and_what_was_shown() -> None:
    answer = LookupAnswer.model_validate(ANSWER)

    assert named(answer.identifiers) == "phone 98•••••210"
    assert shown_by(answer) == {"known": True, "complaints": 2, "districts": ["MP-BPL"]}
