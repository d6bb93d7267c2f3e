"""Prolific gangs on the real pipeline: one phone named in 2,000 complaints from 44 districts, and
a gang cluster of 500 complaints that districts keep joining. Every district involved is told,
none more often than docs/matching.md's bound, and the deliveries are exactly the oracle's."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.oracle import Expectation, Tally, expected, tally
from harness.synthetic import DISTRICTS
from schemas.events import state_of
from schemas.topics import REGISTRY_ENTRY_ADDED
from services.intake.config import IntakeSettings
from tests.builders import complaint_body
from tests.conftest import own_broker, wait_until_processed
from tests.e2e.conftest import Pipeline, running_pipeline, token_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="runs its own local broker"),
]
THRESHOLD = 25
COMPLAINTS = 2000
REGISTERED_FIRST, REGISTERED_LATER = "9431200001", "9431200002"  # two gangs' phones
CHAIN = 500
START = datetime(2026, 1, 1, tzinfo=UTC)
DISTRICT_KINDS = ("shared_identifier", "registry_hit", "cluster_linked")


def registry_row(phone: str) -> dict[str, str]:
    return {"type": "phone", "value": phone, "source": "I4C-JMIS", "reference": f"JH-{phone}"}


def phone_complaints(phone: str) -> list[dict[str, Any]]:
    """`COMPLAINTS` complaints naming `phone` from all 44 districts, the first four (the gang's
    favourite targets) eight times as often as the others."""
    pattern = [*DISTRICTS, *DISTRICTS[:4] * 7]
    return [
        complaint_body(pattern[n % len(pattern)], ("phone", f"+91 {phone}"),
                       complaint_id=f"{phone}-{n:05d}",
                       registered_at=(START + timedelta(hours=n)).isoformat())
        for n in range(COMPLAINTS)
    ]  # fmt: skip


def chain() -> list[dict[str, Any]]:
    """A gang of `CHAIN` complaints in two districts, each sharing a UPI ID with the one before,
    then a third district joining at its newest complaint and a fourth, with a complaint older
    than all of them, at its oldest."""
    links = [
        complaint_body("MH-MUM" if n < 150 else "MP-BPL", ("upi", upi(n)), ("upi", upi(n - 1)),
                       complaint_id=f"CHAIN-{n:04d}",
                       registered_at=(START + timedelta(hours=n)).isoformat())
        for n in range(CHAIN)
    ]  # fmt: skip
    third = complaint_body("WB-KOL", ("upi", upi(CHAIN - 1)), complaint_id="JOINS-NEWEST")
    older = (START - timedelta(days=400)).isoformat()
    fourth = complaint_body("JH-RAN", ("upi", upi(0)), complaint_id="JOINS-OLDEST",
                            registered_at=older)  # fmt: skip
    return [*links, third, fourth]


def upi(n: int) -> str:
    return f"chain{max(n, 0):04d}@okaxis"


def phones() -> list[dict[str, Any]]:
    first, later = phone_complaints(REGISTERED_FIRST), phone_complaints(REGISTERED_LATER)
    return [c for pair in zip(first, later, strict=True) for c in pair]


@pytest.fixture(scope="module")
def prolific(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """One gang's phone registered before its 2,000 complaints, another's registered after;
    the chain gang posted in between, each joining complaint once the one before is done."""
    workdir = tmp_path_factory.mktemp("prolific")
    with (
        own_broker(workdir) as broker,
        running_pipeline(broker, workdir, DISTRICTS, hub_threshold=THRESHOLD) as pipeline,
    ):
        pipeline.add_to_registry(registry_row(REGISTERED_FIRST))
        wait_until_processed(broker.access, pipeline.matcher.base_url, REGISTRY_ENTRY_ADDED.name)
        *gang, third, fourth = chain()
        for complaint in (*phones(), *gang):
            pipeline.post(complaint)
        for joining in (third, fourth):
            pipeline.wait_until_idle()
            pipeline.post(joining)
        pipeline.wait_until_idle()
        pipeline.add_to_registry(registry_row(REGISTERED_LATER))
        pipeline.wait_until_idle()
        yield pipeline


@pytest.fixture(scope="module")
def owed() -> Expectation:
    return expected(
        [*phones(), *chain()],
        [registry_row(REGISTERED_FIRST)],
        registry_after=[registry_row(REGISTERED_LATER)],
        key=IntakeSettings().pseudonym(),
        hub_threshold=THRESHOLD,
    )


def received(pipeline: Pipeline, phone: str, *kinds: str) -> list[dict[str, Any]]:
    """What each district's receiver processed about `phone`, webhook data with the district."""
    token = token_of(phone)
    return [
        webhook.payload["data"]
        for receiver in pipeline.receivers.values()
        for webhook in receiver.processed()
        if webhook.payload
        and webhook.payload["data"]["identifier"]["token"] == token
        and webhook.payload["data"]["kind"] in kinds
    ]


def test_the_districts_receive_exactly_the_oracles_deliveries(
    prolific: Pipeline, owed: Expectation
) -> None:
    owed_to_districts = {
        (a, d) for a, d in owed.deliveries() if owed.alerts[a].kind in DISTRICT_KINDS
    }

    figures = tally(owed_to_districts, prolific.deliveries(*DISTRICT_KINDS))

    assert figures == Tally(figures.expected, figures.expected, lost=0, misrouted=0, duplicated=0)


@pytest.mark.parametrize("phone", [REGISTERED_FIRST, REGISTERED_LATER])
def test_every_district_is_told_the_count_and_none_more_often_than_the_bound(
    prolific: Pipeline, phone: str
) -> None:
    complaints = phone_complaints(phone)
    alerts = received(prolific, phone, "shared_identifier")
    per_district = Counter(a["district"] for a in alerts)
    states = {state_of(c["district"]) for c in complaints}

    for district in DISTRICTS:
        counts = [a["footprint"]["complaints"] for a in alerts if a["district"] == district]
        assert max(counts) > THRESHOLD, f"{district} was never told how prolific it is"
        past = sum(1 for c in complaints[THRESHOLD:] if c["district"] == district)
        # docs/matching.md: shared alerts up to the threshold, one per own complaint past
        # it, one digest as it passes the threshold and one per new state (all within a day).
        bound = (THRESHOLD - 1) + past + 1 + (len(states) - 1)
        assert per_district[district] <= bound, district


def test_a_registry_entry_before_or_after_reaches_every_district_involved(
    prolific: Pipeline,
) -> None:
    before = {a["district"] for a in received(prolific, REGISTERED_FIRST, "registry_hit")}
    after = [a["district"] for a in received(prolific, REGISTERED_LATER, "registry_hit")]

    assert before == set(DISTRICTS)
    assert sorted(after) == sorted(DISTRICTS)  # once each: it names their counts


@pytest.mark.parametrize(
    ("joining", "size", "told"),
    [
        ("JOINS-NEWEST", CHAIN + 1, ["MH-MUM", "MP-BPL", "WB-KOL"]),
        ("JOINS-OLDEST", CHAIN + 2, ["JH-RAN", "MH-MUM", "MP-BPL", "WB-KOL"]),
    ],
)
def test_every_district_of_a_large_cluster_is_told_when_another_joins(
    prolific: Pipeline, joining: str, size: int, told: list[str]
) -> None:
    for district in told:
        alert = prolific.wait_for_alert(district, joining, "cluster_linked")
        assert alert["cluster"]["size"] == size
        assert alert["cluster"]["districts"] == told
        assert alert["your_cases"], f"{district} is not shown its own complaint"
