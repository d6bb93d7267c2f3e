"""Watches (issue 19): the matcher's rule (a watch tells its district of each new complaint
naming the identifier, from when it was set until it ends), intake's route (one event per
canonical identifier, keyed by token; only the relay key) and the notifier's relay.
tests/e2e/test_lookups.py shows a watch firing on the real pipeline."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from crosslink.limits import RateLimiter
from crosslink.partitioning import partition_of
from harness.testbed import LOOKUP_RELAY_KEY, api_key, write_districts_file
from schemas.events import (
    AlertRaised,
    CaseRef,
    IdentifierRef,
    IdentifierSighted,
    TokenRekeyed,
    WatchChanged,
    watch_key,
)
from schemas.lookups import WatchSubmission
from schemas.topics import IDENTIFIER_SIGHTED
from services.intake.app import create_app
from services.intake.config import IntakeSettings
from services.matcher.batches import DictRows, HistoryRecord, Position, TokenBatch
from services.matcher.matching import (
    MatchingRules,
    TokenState,
    on_sighting,
    on_watch_changed,
)
from services.matcher.rekeying import TokenMap, rekeyed
from services.matcher.rematch import Told
from services.notifier.lookups import Lookups
from tests.fakes import FakeMatcher, FakePublisher, FixedClock

SET_AT = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
PHONE = IdentifierRef(type="phone", token="p" * 64, key_id="dev", masked="+91 98•••••210")


def watch(*, district: str = "MH-MUM", days: int = 90, active: bool = True) -> WatchChanged:
    return WatchChanged(
        watch_id=f"watch-{district}",
        identifier=PHONE,
        district=district,
        watched_by=f"officer:{district.lower()}",
        active=active,
        changed_at=SET_AT,
        until=SET_AT + timedelta(days=days),
    )


def sighting(district: str, n: int, *, received: timedelta) -> IdentifierSighted:
    case = CaseRef(
        complaint_id=f"{district}-{n}",
        district=district,
        police_station="PS",
        registered_at=SET_AT - timedelta(days=30),
    )
    return IdentifierSighted(
        event_id=f"e{n}", case=case, identifier=PHONE, received_at=SET_AT + received
    )


def watched(*changes: WatchChanged) -> TokenState:
    state = TokenState()
    for change in changes:
        outcome = on_watch_changed(state, change)
        assert outcome is not None
        state = outcome.state
    return state


def hits(state: TokenState, *sightings: IdentifierSighted) -> list[AlertRaised]:
    """The watch hits the sightings raise, one after the other."""
    raised = []
    for each in sightings:
        outcome = on_sighting(state, each, rules=MatchingRules(), now=SET_AT)
        assert outcome is not None
        state = outcome.state
        raised += [a for a in outcome.alerts if a.kind == "watch_hit"]
    return raised


# The matcher's rule.


def test_a_new_complaint_naming_a_watched_identifier_tells_the_watching_district() -> None:
    (hit,) = hits(watched(watch()), sighting("WB-KOL", 1, received=timedelta(hours=2)))

    assert (hit.rule, hit.districts) == ("watch_hit", ["MH-MUM"])
    assert [c.complaint_id for c in hit.cases] == ["WB-KOL-1"]
    assert hit.facts is not None
    assert (hit.facts.watched_by, hit.facts.watched_since) == ("officer:mh-mum", SET_AT)
    assert "WB-KOL-1" in hit.reason


def test_each_new_complaint_is_told_under_an_id_of_its_own() -> None:
    later = [sighting("WB-KOL", n, received=timedelta(days=n)) for n in (1, 2)]

    raised = hits(watched(watch()), *later)

    assert len({a.alert_id for a in raised}) == 2


def test_a_complaint_received_before_the_watch_was_set_does_not_fire_it() -> None:
    assert hits(watched(watch()), sighting("WB-KOL", 1, received=-timedelta(minutes=1))) == []


def test_a_watch_past_its_end_fires_no_more_and_leaves_the_row() -> None:
    state = watched(watch(days=30))
    late = sighting("WB-KOL", 1, received=timedelta(days=31))

    outcome = on_sighting(state, late, rules=MatchingRules(), now=SET_AT)

    assert outcome is not None
    assert [a for a in outcome.alerts if a.kind == "watch_hit"] == []
    assert outcome.state.watches == ()


def test_a_removed_watch_fires_no_more() -> None:
    state = watched(watch(), watch(active=False))

    assert state.watches == ()
    assert hits(state, sighting("WB-KOL", 1, received=timedelta(hours=1))) == []


def test_setting_a_watch_again_renews_it_rather_than_doubling_it() -> None:
    renewed = watch(days=180).model_copy(update={"watch_id": "w-renewed"})

    state = watched(watch(days=30), renewed)

    assert [w.until for w in state.watches] == [renewed.until]
    assert len(hits(state, sighting("WB-KOL", 1, received=timedelta(days=60)))) == 1


def test_two_districts_watching_are_each_told() -> None:
    state = watched(watch(district="MH-MUM"), watch(district="MP-BPL"))

    raised = hits(state, sighting("WB-KOL", 1, received=timedelta(hours=1)))

    assert sorted(d for a in raised for d in a.districts) == ["MH-MUM", "MP-BPL"]


def test_a_district_is_told_once_however_many_of_its_officers_watch() -> None:
    second = watch().model_copy(update={"watch_id": "w-2", "watched_by": "officer:ravi"})
    state = watched(watch(), second)

    (hit,) = hits(state, sighting("WB-KOL", 1, received=timedelta(hours=1)))

    assert hit.facts is not None
    assert hit.facts.watched_by == "officer:mh-mum"  # the first to watch


def test_a_district_the_complaint_is_linked_to_already_gets_no_watch_hit_too() -> None:
    own = on_sighting(watched(watch()), sighting("MH-MUM", 1, received=timedelta(hours=1)),
                      rules=MatchingRules(), now=SET_AT)  # fmt: skip
    assert own is not None

    outcome = on_sighting(own.state, sighting("WB-KOL", 2, received=timedelta(hours=2)),
                          rules=MatchingRules(), now=SET_AT)  # fmt: skip

    assert outcome is not None
    assert [a.kind for a in outcome.alerts] == ["shared_identifier"]
    assert "MH-MUM" in outcome.alerts[0].districts


def test_a_back_filled_complaint_fires_no_watch() -> None:
    imported = sighting("WB-KOL", 1, received=timedelta(hours=1))
    imported = imported.model_copy(
        update={"case": imported.case.model_copy(update={"import_id": "portal-2019"})}
    )

    assert hits(watched(watch()), imported) == []


def test_a_watch_hit_carries_the_identifiers_footprint() -> None:
    (hit,) = hits(watched(watch()), sighting("WB-KOL", 1, received=timedelta(hours=1)))

    assert hit.footprint is not None
    assert (hit.footprint.complaints, hit.footprint.districts) == (1, ("WB-KOL",))


def test_renewing_a_running_watch_keeps_when_it_began() -> None:
    later = watch(days=180).model_copy(update={"changed_at": SET_AT + timedelta(days=10)})

    (mark,) = watched(watch(), later).watches

    assert (mark.since, mark.until) == (SET_AT, later.until)


def test_a_watch_is_the_districts_watchers_whatever_key_made_its_token() -> None:
    """After a key rotation the same watcher's watch has another id: it still removes it."""
    rotated = watch(active=False).model_copy(update={"watch_id": "w-under-the-new-key"})

    assert watched(watch(), rotated).watches == ()


def test_removing_a_watch_nobody_set_changes_nothing() -> None:
    assert on_watch_changed(TokenState(), watch(active=False)) is None


def test_a_complaint_seen_before_fires_no_watch_again() -> None:
    once = sighting("WB-KOL", 1, received=timedelta(hours=1))
    first = on_sighting(watched(watch()), once, rules=MatchingRules(), now=SET_AT)
    assert first is not None

    assert on_sighting(first.state, once, rules=MatchingRules(), now=SET_AT) is None


def test_a_rematch_does_not_tell_a_watch_hit_again() -> None:
    (hit,) = hits(watched(watch()), sighting("WB-KOL", 1, received=timedelta(hours=1)))

    assert Told([hit]).news(hit, Told()) is None


# Intake: the route.


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakePublisher]]:
    districts = write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": None})
    publisher = FakePublisher()
    app = create_app(
        IntakeSettings(districts_file=districts, watch_days=30),
        publisher=publisher,
        matcher=FakeMatcher().client(),
        clock=FixedClock(SET_AT),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client, publisher


def relayed(value: str = "+91 98765 43210", **fields: object) -> dict[str, object]:
    identifier = {"type": "phone", "value": value}
    return {"identifier": identifier, "district": "MH-MUM", "watched_by": "officer:asha", **fields}


async def post(client: httpx.AsyncClient, body: object, key: str) -> httpx.Response:
    return await client.post("/v1/watches", json=body, headers={"Authorization": f"Bearer {key}"})


async def test_a_watch_is_one_event_keyed_by_the_token_until_the_watch_days(
    intake: tuple[httpx.AsyncClient, FakePublisher],
) -> None:
    client, publisher = intake

    response = await post(client, relayed(), LOOKUP_RELAY_KEY)

    assert response.status_code == 202, response.text
    assert response.json()["until"] == (SET_AT + timedelta(days=30)).isoformat().replace(
        "+00:00", "Z"
    )
    ((topic, key, event),) = publisher.published
    assert topic == IDENTIFIER_SIGHTED.name  # in one order with the token's complaints
    assert isinstance(event, WatchChanged)
    assert key == watch_key(event.identifier.token)
    assert (event.district, event.watched_by, event.active) == ("MH-MUM", "officer:asha", True)
    assert "98765" not in event.model_dump_json()


async def test_the_same_watcher_watching_again_keeps_one_watch_id(
    intake: tuple[httpx.AsyncClient, FakePublisher],
) -> None:
    client, publisher = intake

    for active in (True, True, False):
        await post(client, relayed(active=active), LOOKUP_RELAY_KEY)

    ids = {event.watch_id for _, _, event in publisher.published if isinstance(event, WatchChanged)}
    assert len(ids) == 1


async def test_an_invalid_value_is_refused_and_nothing_is_published(
    intake: tuple[httpx.AsyncClient, FakePublisher],
) -> None:
    client, publisher = intake

    response = await post(client, relayed("12345"), LOOKUP_RELAY_KEY)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["identifier.value"]
    assert publisher.published == []


async def test_only_the_relay_key_may_set_a_watch(
    intake: tuple[httpx.AsyncClient, FakePublisher],
) -> None:
    client, publisher = intake

    response = await post(client, relayed(), api_key("MH-MUM"))

    assert response.status_code == 403
    assert publisher.published == []


# The notifier: the relay.


async def test_the_relay_names_the_district_and_who_watches() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        body = {"identifiers": [{"type": "phone", "masked": "98•••••210"}], "active": True,
                "until": "2027-03-01T06:30:00Z"}  # fmt: skip
        return httpx.Response(202, json=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://intake")
    lookups = Lookups(client, RateLimiter(per_minute=1, burst=1))
    submission = WatchSubmission.model_validate({"identifier": {"type": "phone", "value": "1"}})

    watching = await lookups.watch("officer:asha", "MH-MUM", submission)

    assert watching.active
    (request,) = sent
    assert request.url.path == "/v1/watches"
    body = json.loads(request.content)
    assert (body["district"], body["watched_by"], body["active"]) == (
        "MH-MUM",
        "officer:asha",
        True,
    )


# The matcher's batch and the history.


def record(offset: int, key: str, event: WatchChanged | IdentifierSighted) -> HistoryRecord:
    partition = partition_of(PHONE.token, IDENTIFIER_SIGHTED.partitions)
    position = Position(IDENTIFIER_SIGHTED.name, partition, offset)
    return HistoryRecord(position, key.encode(), event.model_dump_json().encode())


def test_a_batch_applies_a_watch_and_then_the_complaint_after_it_in_its_partition() -> None:
    batch = TokenBatch(DictRows({}))
    complaint = sighting("WB-KOL", 1, received=timedelta(hours=1))

    batch.apply(record(0, watch_key(PHONE.token), watch()), MatchingRules())
    outcome = batch.apply(record(1, PHONE.token, complaint), MatchingRules())

    assert outcome is not None
    assert [a.kind for a in outcome.alerts] == ["watch_hit"]


def test_a_watch_in_the_history_moves_with_its_token_to_the_new_key() -> None:
    new = "q" * 64
    rotation = TokenRekeyed(token=PHONE.token, key_id="dev", rotated=new, rotated_key_id="2027")

    moved = rekeyed(record(3, watch_key(PHONE.token), watch()), TokenMap([rotation]))

    assert moved.key == watch_key(new).encode()
    assert moved.message.partition == partition_of(new, IDENTIFIER_SIGHTED.partitions)
    assert WatchChanged.model_validate_json(moved.value or b"").identifier.token == new
