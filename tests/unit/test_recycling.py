"""Runs of a number that changes hands: a function of the complaints' dates, not their order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from schemas.events import CaseRef
from services.matcher.recycling import Run, runs_after, runs_of

WINDOW = timedelta(days=365)
START = datetime(2019, 1, 1, tzinfo=UTC)


def case(n: int, days: int) -> CaseRef:
    return CaseRef(complaint_id=str(n), district="MH-MUM", police_station="PS",
                   registered_at=START + timedelta(days=days))  # fmt: skip


def arrived(cases: list[CaseRef]) -> tuple[Run, ...]:
    runs: tuple[Run, ...] = ()
    for each in cases:
        runs = runs_after(runs, each, WINDOW)
    return runs


def test_a_gap_longer_than_the_window_starts_a_new_run() -> None:
    runs = arrived([case(1, 0), case(2, 300), case(3, 700)])

    assert [(run.since, run.until) for run in runs] == [
        (case(1, 0).registered_at, case(2, 300).registered_at),
        (case(3, 700).registered_at, case(3, 700).registered_at),
    ]


def test_a_complaint_dated_between_two_runs_near_both_makes_them_one() -> None:
    runs = arrived([case(1, 700), case(2, 0), case(3, 350)])

    [run] = runs
    assert run.first == case(2, 0)  # the earliest registered
    assert (run.since, run.until) == (case(2, 0).registered_at, case(1, 700).registered_at)


def test_runs_are_the_same_whatever_order_the_complaints_arrive_in() -> None:
    rng = random.Random(7)
    cases = [case(n, rng.randrange(6000)) for n in range(60)]
    by_date = runs_of(cases, lambda c: c.registered_at, WINDOW)
    expected = [(min(run, key=lambda c: c.registered_at), len(run)) for run in by_date]
    assert len(expected) > 1

    for _ in range(20):
        rng.shuffle(cases)
        runs = arrived(cases)

        counts = [sum(run.since <= c.registered_at <= run.until for c in cases) for run in runs]
        assert list(zip([run.first for run in runs], counts, strict=True)) == expected
