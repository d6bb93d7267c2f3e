"""A gang's page (schemas/gangs.py) as the notifier serves it to officers: asked of the
matcher, shown only to an officer whose districts have a complaint in the gang, with the path
of links between any two of its complaints, and exported for the case diary as CSV.

What a page shows is what a district of the gang may see: each complaint's id, district, police
station and registration date (as its alerts already list them), and each identifier's masked
form; never a raw value or a token. Every view and export is on the audit trail."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from crosslink.i18n import N_, TIMEZONE
from crosslink.problems import ProblemError
from schemas.events import CaseRef
from schemas.gangs import MATCHER_GANG_PATH, GangGraph, GangIdentifier

log = logging.getLogger(__name__)
VIEWED, EXPORTED = "gang.viewed", "gang.exported"
# stable_id("cluster", ...), or a part a withdrawal split off a gang (withdrawals.split_id)
CLUSTER_ID = re.compile(r"cluster_[0-9a-f]{32}(\.[0-9]{1,4})?")


class GangUnavailable(ProblemError):
    status, slug, title = (
        503,
        "gang-unavailable",
        N_("The gang's page could not be read; retry shortly"),
    )


@dataclass(frozen=True)
class Gangs:
    """Reads gangs from the matcher (any worker: it routes the request to the one holding the
    clusters table)."""

    matcher: httpx.AsyncClient

    async def graph(self, cluster_id: str, asking: Iterable[str]) -> GangGraph | None:
        """The gang `cluster_id` is now (None if there is none), the `asking` districts'
        complaints listed first if it is too big to list whole; GangUnavailable if the
        matcher does not answer."""
        if not CLUSTER_ID.fullmatch(cluster_id):
            return None
        path = MATCHER_GANG_PATH.format(cluster_id=cluster_id)
        try:
            response = await self.matcher.get(path, params={"for": ",".join(sorted(asking))})
        except httpx.HTTPError as error:
            log.warning("the matcher did not answer a gang's page", extra={"error": str(error)})
            raise GangUnavailable("the matcher did not answer") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("the matcher refused a gang's page", extra={"status": response.status_code})
            raise GangUnavailable("the matcher is recovering or moving partitions")
        try:
            return GangGraph.model_validate_json(response.content)
        except ValidationError as error:
            log.error("the matcher's gang page did not decode", extra={"error": str(error)})
            raise GangUnavailable("the matcher answered something else") from None


def may_see(graph: GangGraph, districts: Iterable[str]) -> bool:
    """Whether an officer seeing these districts' alerts may see the gang: one has a complaint
    in it."""
    return not set(graph.districts).isdisjoint(districts)


@dataclass(frozen=True)
class Step:
    """One link of a path: two complaints of the gang name this identifier."""

    earlier: CaseRef
    identifier: GangIdentifier
    later: CaseRef


def path_between(graph: GangGraph, start: int, end: int) -> list[Step] | None:
    """The fewest links from complaint `start` to complaint `end` (places in the graph's
    complaints): each step two complaints naming one identifier. None if they are not linked
    among the complaints listed."""
    naming: dict[int, list[int]] = {}  # complaint -> the identifiers naming it
    for number, identifier in enumerate(graph.identifiers):
        for place in identifier.members:
            naming.setdefault(place, []).append(number)
    came_from: dict[int, tuple[int, int] | None] = {start: None}
    waiting, used = deque([start]), set()
    while waiting and end not in came_from:
        place = waiting.popleft()
        for number in naming.get(place, []):
            if number in used:
                continue
            used.add(number)
            for other in graph.identifiers[number].members:
                if other not in came_from:
                    came_from[other] = (place, number)
                    waiting.append(other)
    if end not in came_from:
        return None
    steps: list[Step] = []
    place = end
    while (back := came_from[place]) is not None:
        before, number = back
        identifier = graph.identifiers[number]
        steps.append(Step(graph.complaints[before], identifier, graph.complaints[place]))
        place = before
    return steps[::-1]


CSV_COLUMNS = (
    "complaint_id",
    "district",
    "police_station",
    "registered_at",
    "your_district",
    "linked_through",
)


def as_csv(graph: GangGraph, yours: Iterable[str], type_names: dict[str, str]) -> str:
    """The gang's complaints for a case diary, one row each in time order: where and when it
    was registered, whether it is one of `yours`, and the identifiers linking it (masked)."""
    mine = set(yours)
    through: dict[int, list[str]] = {}
    for identifier in graph.identifiers:
        label = labelled(identifier, type_names)
        for place in identifier.members:
            through.setdefault(place, []).append(label)
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark: Excel then reads "•" and Devanagari as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for place, case in enumerate(graph.complaints):
        writer.writerow(
            [
                _cell(case.complaint_id),
                case.district,
                _cell(case.police_station),
                case.registered_at.astimezone(TIMEZONE).isoformat(),  # as the page: IST
                "yes" if case.district in mine else "no",
                _cell("; ".join(through.get(place, []))),
            ]
        )
    return out.getvalue()


def labelled(identifier: GangIdentifier, type_names: dict[str, str]) -> str:
    """ "phone +91 98•••••210": the type's name and the masked form."""
    kind = type_names.get(identifier.type.value, identifier.type.value) if identifier.type else ""
    return f"{kind} {identifier.masked or '?'}".strip()


def _cell(text: str) -> str:
    """Text a spreadsheet will not take for a formula (OWASP's CSV injection advice)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
