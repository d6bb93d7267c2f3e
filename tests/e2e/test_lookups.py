"""Look-ups on the real pipeline (issue 19): an integrator or an officer in the console asks the
notifier, which relays the typed value to intake, which asks the matcher holding the token.
The answer has the count, the districts and whom to call, and no raw value; each look-up is
on the audit trail before it is answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.testbed import duty_phone
from schemas.topics import IDENTIFIER_SIGHTED
from tests.builders import complaint_body, unique_mobile
from tests.conftest import (
    api_key,
    enrol,
    held_partitions,
    own_broker,
    second_worker,
    wait_for,
    wait_until_processed,
)
from tests.console_client import ConsoleClient
from tests.e2e.conftest import PIPELINE_TIMEOUT_S, Pipeline, running_pipeline, token_of

# Five districts in four states, none another e2e test uses.
DISTRICTS = ("AS-GUW", "OR-BBS", "PB-LDH", "HR-GGN", "BR-PAT")
ASKING = "AS-GUW"
LIMITED = "BR-PAT"  # the one district whose key runs into the look-up limit
WATCHING = "HR-GGN"
BURST = 6
GANG_PHONE = unique_mobile()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The gang's phone named by complaints of all five districts, two of them in Guwahati."""
    workdir = tmp_path_factory.mktemp("lookups")
    settings = {
        "CROSSLINK_LOOKUP_BURST": str(BURST),
        "CROSSLINK_LOOKUPS_PER_HOUR": "1",
        # No warm copies: a worker asked for a token it does not hold has nothing to answer
        # from, so the routing test shows the router at work.
        "CROSSLINK_MATCHER_STANDBY_REPLICAS": "0",
    }
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, DISTRICTS, settings=settings) as pipeline,
    ):
        for number, district in enumerate((*DISTRICTS, ASKING)):
            pipeline.post(
                complaint_body(district, ("phone", GANG_PHONE), complaint_id=f"L-{number}")
            )
        wait_until_processed(broker.access, pipeline.matcher.base_url, IDENTIFIER_SIGHTED.name)
        yield pipeline


def look_up(pipeline: Pipeline, district: str, value: str) -> httpx.Response:
    """The notifier's look-up API, as the district's integrator calls it."""
    return pipeline.http.post(
        f"{pipeline.notifier.base_url}/v1/lookups",
        json={"identifier": {"type": "phone", "value": value}},
        headers={"Authorization": f"Bearer {api_key(district)}"},
    )


def test_a_number_named_in_five_districts_answers_the_count_and_whom_to_call(
    pipeline: Pipeline,
) -> None:
    response = look_up(pipeline, ASKING, GANG_PHONE)

    assert response.status_code == 200, response.text
    (found,) = response.json()["identifiers"]
    assert (found["known"], found["complaints"]) == (True, 6)
    counts = {d["district"]: d["complaints"] for d in found["districts"]}
    assert counts == {"AS-GUW": 2, "OR-BBS": 1, "PB-LDH": 1, "HR-GGN": 1, "BR-PAT": 1}
    assert all(d["duty_phones"] == [duty_phone(d["district"])] for d in found["districts"])
    assert GANG_PHONE.replace(" ", "")[-10:] not in response.text


def test_a_look_up_is_on_the_audit_trail_by_its_masked_form(pipeline: Pipeline) -> None:
    response = look_up(pipeline, ASKING, GANG_PHONE)
    masked = response.json()["identifiers"][0]["masked"]

    entries = [
        e.event for e in pipeline.audit_entries() if e.event.action == "identifier.looked_up"
    ]

    assert entries, "no look-up on the audit trail"
    latest = entries[-1]
    assert (latest.actor, latest.district, latest.target) == (
        f"key:{ASKING}",
        ASKING,
        f"phone {masked}",
    )
    assert GANG_PHONE.replace(" ", "")[-10:] not in latest.detail


def test_an_unknown_number_is_said_to_be_unknown(pipeline: Pipeline) -> None:
    response = look_up(pipeline, ASKING, unique_mobile())

    assert response.status_code == 200
    (found,) = response.json()["identifiers"]
    assert (found["known"], found["complaints"], found["districts"]) == (False, 0, [])


def test_an_invalid_number_is_refused_naming_the_field(pipeline: Pipeline) -> None:
    response = look_up(pipeline, ASKING, "12345")

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["identifier.value"]


def test_an_officer_looks_up_in_the_console(pipeline: Pipeline) -> None:
    database_url = pipeline.notifier.env["CROSSLINK_DATABASE_URL"]
    officer = enrol(database_url, "OR-BBS")
    console = ConsoleClient(pipeline.notifier.base_url)
    assert console.sign_in(officer).status_code == 303
    form = {"type": "phone", "value": GANG_PHONE, "csrf_token": console.csrf("/console/lookup")}

    page = console.http.post("/console/lookup", data=form)

    assert page.status_code == 200
    assert 'id="lookup-answer"' in page.text
    assert all(f"({code})" in page.text for code in DISTRICTS)
    actors = [e.event.actor for e in pipeline.audit_entries() if e.event.action.startswith("ident")]
    assert f"officer:{officer.username}" in actors


def test_each_key_is_held_to_its_look_up_limit(pipeline: Pipeline) -> None:
    answers: list[Any] = [look_up(pipeline, LIMITED, GANG_PHONE) for _ in range(BURST + 1)]

    assert [a.status_code for a in answers] == [200] * BURST + [429]
    assert answers[-1].json()["type"].endswith("/lookup-limit")
    assert int(answers[-1].headers["retry-after"]) > 0
    assert look_up(pipeline, "PB-LDH", GANG_PHONE).status_code == 200


def test_a_watch_fires_on_the_next_complaint_naming_the_number(pipeline: Pipeline) -> None:
    watching = pipeline.http.post(
        f"{pipeline.notifier.base_url}/v1/watches",
        json={"identifier": {"type": "phone", "value": GANG_PHONE}},
        headers={"Authorization": f"Bearer {api_key(WATCHING)}"},
    )
    assert watching.status_code == 202, watching.text

    pipeline.post(complaint_body("PB-LDH", ("phone", GANG_PHONE), complaint_id="L-next"))

    hit = pipeline.wait_for_alert(WATCHING, "L-next", "watch_hit")
    assert [case["complaint_id"] for case in hit["your_cases"] + hit["other_cases"]] == ["L-next"]
    watched = [e.event for e in pipeline.audit_entries() if e.event.action == "identifier.watched"]
    assert [e.actor for e in watched] == [f"key:{WATCHING}"]


def test_an_officer_watches_from_the_look_up_page(pipeline: Pipeline) -> None:
    officer = enrol(pipeline.notifier.env["CROSSLINK_DATABASE_URL"], "OR-BBS")
    console = ConsoleClient(pipeline.notifier.base_url)
    assert console.sign_in(officer).status_code == 303
    form = {
        "type": "phone",
        "value": unique_mobile(),
        "csrf_token": console.csrf("/console/lookup"),
    }

    page = console.http.post("/console/watch", data=form)

    assert page.status_code == 200, page.text
    assert 'id="watching"' in page.text


def test_any_matcher_worker_answers_for_a_token_another_holds(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    """Last in the module: a second worker joins the group and takes some partitions."""
    second = second_worker(pipeline.matcher, tmp_path).start()
    try:
        second.wait_healthy()
        workers = (pipeline.matcher, second)
        wait_for(lambda: all(held_partitions(w) for w in workers), timeout_s=PIPELINE_TIMEOUT_S)
        path = f"/lookups/{token_of(GANG_PHONE)}"

        answers = [httpx.get(f"{w.base_url}{path}", timeout=10) for w in workers]

        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        first, other = (a.json() for a in answers)
        assert first == other
        assert first["complaints"] >= 6  # and the watch's complaint, if it ran before
    finally:
        second.stop()
