"""Numbers that change hands: which complaints an ageing identifier links as one person's. Pure.

A mobile number disconnected for 90 days may be given to a new subscriber, so two complaints
naming one number years apart may be about two different people. An identifier type with a
recycling window (`MatchingRules.recycling`; phone numbers by default) links complaints as one
holder's only within a *run*: complaints whose registration dates follow one another with no gap
longer than the window. A complaint in another run of the same number is a lead ("possibly a
recycled number"), never a strong link. A run depends on the dates alone, not on the order
complaints arrive in (a back-fill brings old ones last): a complaint dated between two runs, near
enough to both, makes them one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.events import CaseRef, in_time_order

T = TypeVar("T")


class Run(BaseModel):
    """One holder's run of an ageing identifier: the complaints in it, as clustering keeps them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first: CaseRef  # its earliest registered complaint: the others join its cluster
    since: AwareDatetime  # the earliest registration in the run
    until: AwareDatetime  # the latest
    districts: tuple[str, ...]  # sorted

    def reaches(self, at: datetime, window: timedelta) -> bool:
        """Whether a complaint registered `at` is no further than the window from the run. The
        gaps inside a run are at most the window, so this is being near one of its complaints."""
        return self.since - window <= at <= self.until + window


def runs_after(runs: Sequence[Run], case: CaseRef, window: timedelta) -> tuple[Run, ...]:
    """The runs with one more complaint: it joins every run it reaches, which become one, or
    it starts a run."""
    at = case.registered_at
    reached = [run for run in runs if run.reaches(at, window)]
    joined = Run(
        first=min([case, *(run.first for run in reached)], key=in_time_order),
        since=min([at, *(run.since for run in reached)]),
        until=max([at, *(run.until for run in reached)]),
        districts=tuple(sorted({case.district, *(d for run in reached for d in run.districts)})),
    )
    kept = [run for run in runs if run not in reached]
    return tuple(sorted((*kept, joined), key=lambda run: run.since))


def runs_from(cases: Iterable[CaseRef], window: timedelta) -> tuple[Run, ...]:
    """The runs of these complaints (whatever their order: runs go by dates)."""
    runs: tuple[Run, ...] = ()
    for case in cases:
        runs = runs_after(runs, case, window)
    return runs


def run_with(case: CaseRef, runs: Sequence[Run]) -> Run | None:
    """The run a complaint belongs to, by its date; None if none reaches it."""
    at = case.registered_at
    return next((run for run in runs if run.since <= at <= run.until), None)


def runs_of(items: Sequence[T], at: Callable[[T], datetime], window: timedelta) -> list[list[T]]:
    """Items in runs: sorted by date, a new run wherever the gap to the one before exceeds the
    window. Each run keeps the items' own order."""
    ordered = sorted(range(len(items)), key=lambda i: at(items[i]))
    runs: list[list[int]] = []
    for i in ordered:
        if runs and at(items[i]) - at(items[runs[-1][-1]]) <= window:
            runs[-1].append(i)
        else:
            runs.append([i])
    return [[items[i] for i in sorted(run)] for run in runs]
