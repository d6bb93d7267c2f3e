"""A gang's page drawn: its timeline (complaints by district over time, with arrests) and a map
of India's states shaded by its complaints, laid out for inline SVG. Pure.

The map is an offline SVG of the states and union territories (india_states.json, from
@svg-maps/india under CC BY 4.0: its source and licence are in the file); no tile server is
asked, so the page works on a police network with no Internet."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TypedDict

from crosslink.i18n import Translator
from schemas.events import ArrestFacts, state_of
from schemas.gangs import GangGraph

WIDTH, LEFT, RIGHT, TOP, ROW = 960, 124, 64, 28, 26  # room for labels at either end
TICKS = 6
# A sequential blue scale with white text contrast for its darker half; a state with none of
# the gang's complaints stays pale grey. Counts are written in each state's title and in the
# list beside the map, so the shade is never the only cue.
SHADES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NONE_SHADE = "#f2f2f2"


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    complaint_id: str
    district: str
    police_station: str
    day: str
    yours: bool


@dataclass(frozen=True)
class Row:
    y: float
    district: str
    complaints: int
    yours: bool


@dataclass(frozen=True)
class Mark:
    """An arrest on the timeline."""

    x: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    left: float  # where time starts; district labels sit before it
    right: float  # where it ends
    rows: tuple[Row, ...]
    dots: tuple[Dot, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[Tick, ...]


def timeline(
    graph: GangGraph, arrests: Sequence[ArrestFacts], yours: set[str], t: Translator
) -> Timeline:
    """One row per district (in the order each joined the gang), a dot per complaint at its
    registration, a line per arrest."""
    cases = graph.complaints
    order = list(dict.fromkeys(case.district for case in cases))
    counts = Counter(case.district for case in cases)
    y_of = {district: TOP + ROW * (number + 0.5) for number, district in enumerate(order)}
    moments = [case.registered_at for case in cases] + [a.arrested_at for a in arrests]
    start = min(moments, default=datetime.now().astimezone())
    span = max(max(moments, default=start) - start, timedelta(days=1))

    def x_of(moment: datetime) -> float:
        return LEFT + (moment - start) / span * (WIDTH - LEFT - RIGHT)

    return Timeline(
        width=WIDTH,
        height=TOP + ROW * len(order) + 30,
        left=LEFT,
        right=WIDTH - RIGHT,
        rows=tuple(Row(y_of[d], d, counts[d], d in yours) for d in order),
        dots=tuple(
            Dot(
                x_of(c.registered_at),
                y_of[c.district],
                c.complaint_id,
                c.district,
                c.police_station,
                t.date(c.registered_at),
                c.district in yours,
            )
            for c in cases
        ),
        marks=tuple(Mark(x_of(a.arrested_at), f"{a.arrest_id} ({a.district})") for a in arrests),
        ticks=tuple(
            Tick(x_of(start + span * n / (TICKS - 1)), t.date(start + span * n / (TICKS - 1)))
            for n in range(TICKS)
        ),
    )


@dataclass(frozen=True)
class StateShape:
    path: str
    name: str
    complaints: int
    fill: str


@dataclass(frozen=True)
class StateMap:
    view_box: str
    states: tuple[StateShape, ...]
    counts: tuple[tuple[str, int], ...]  # (state code, complaints), most first


def state_map(graph: GangGraph) -> StateMap:
    """India's states, each shaded by how many of the gang's complaints its districts hold."""
    counts = Counter(state_of(case.district) for case in graph.complaints)
    most = max(counts.values(), default=0)
    drawing = _drawing()
    shapes = []
    for state in drawing["states"]:
        n = sum(counts.get(code, 0) for code in state["codes"])
        shapes.append(StateShape(state["path"], state["name"], n, _shade(n, most)))
    return StateMap(
        view_box=drawing["viewBox"],
        states=tuple(shapes),
        counts=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
    )


def _shade(n: int, most: int) -> str:
    if n == 0 or most == 0:
        return NONE_SHADE
    return SHADES[min(len(SHADES) - 1, (n * len(SHADES) - 1) // most)]


class _State(TypedDict):
    codes: list[str]  # the ISO 3166-2:IN codes a district code of the state may start with
    name: str
    path: str


class _Drawing(TypedDict):
    viewBox: str
    states: list[_State]


@cache
def _drawing() -> _Drawing:
    loaded: _Drawing = json.loads((Path(__file__).parent / "india_states.json").read_text())
    return loaded
