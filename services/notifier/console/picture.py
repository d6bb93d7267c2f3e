"""The cluster picture: complaints and the identifiers that link them, laid out for an SVG.
Pure.

Drawn from what the alert carries: a cluster alert's explained path (each step: two
complaints and the identifier they share), or, for an alert without a cluster, its cases
around its one identifier. Complaints sit on the top row, grouped by district; identifiers
on the bottom row, each under the middle of the complaints it links (fewer crossings).
Path steps carry an identifier's type and masked form but not its token, so two different
identifiers with the same masked form would be drawn as one node.
"""

from __future__ import annotations

from dataclasses import dataclass

from crosslink.i18n import Translator
from crosslink.reasons import type_name
from schemas.api import DistrictAlert
from schemas.events import CaseRef

# Okabe-Ito's colours, told apart by people with the common colour-vision deficiencies, with
# its orange and sky blue darkened so that each has at least 3:1 contrast against white
# (WCAG 1.4.11). A district's code is written under each of its nodes and the legend names
# it, so colour is never the only cue.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#8F6A00", "#CC79A7", "#7B3294", "#000000")
SPACING = 210
MARGIN = 110
IDENTIFIER_WIDTH = 196  # room for a masked UPI id or email at 13 px
COMPLAINT_Y = 70
IDENTIFIER_Y = 250
HEIGHT = 320


@dataclass(frozen=True)
class ComplaintNode:
    complaint_id: str
    district: str
    police_station: str
    colour: str
    yours: bool
    x: float
    y: float = COMPLAINT_Y


@dataclass(frozen=True)
class IdentifierNode:
    label: str  # "phone +91 98•••••210": the masked form only
    x: float
    y: float = IDENTIFIER_Y


@dataclass(frozen=True)
class Edge:
    complaint: ComplaintNode
    identifier: IdentifierNode


@dataclass(frozen=True)
class Picture:
    complaints: tuple[ComplaintNode, ...]
    identifiers: tuple[IdentifierNode, ...]
    edges: tuple[Edge, ...]
    legend: tuple[tuple[str, str], ...]  # (district code, colour)
    width: float
    height: float = HEIGHT
    identifier_width: float = IDENTIFIER_WIDTH


def links_of(alert: DistrictAlert, t: Translator) -> list[tuple[CaseRef, str]]:
    """(complaint, identifier label) pairs: the path's steps, or the alert's cases and its
    identifier when it carries no cluster."""
    if alert.cluster is not None and alert.cluster.path:
        return [
            (case, f"{type_name(step.identifier_type, t)} {step.identifier_masked}")
            for step in alert.cluster.path
            for case in (step.earlier, step.later)
        ]
    if alert.identifier is None:  # an import digest: about many links, it pictures none
        return []
    label = f"{type_name(alert.identifier.type, t)} {alert.identifier.masked}"
    return [(case, label) for case in (*alert.your_cases, *alert.other_cases)]


def draw(alert: DistrictAlert, t: Translator) -> Picture:
    """The picture of what links `alert`'s complaints, its identifiers named in `t`'s language."""
    pairs = links_of(alert, t)
    links = list(dict.fromkeys((case.key, label) for case, label in pairs))
    cases = {case.key: case for case, _ in pairs}
    districts = sorted({district for district, _ in cases}, key=lambda d: (d != alert.district, d))
    colours = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(districts)}
    ordered = sorted(cases.values(), key=lambda c: (districts.index(c.district), c.registered_at))
    complaints = {
        case.key: ComplaintNode(
            complaint_id=case.complaint_id,
            district=case.district,
            police_station=case.police_station,
            colour=colours[case.district],
            yours=case.district == alert.district,
            x=MARGIN + i * SPACING,
        )
        for i, case in enumerate(ordered)
    }
    identifiers = _identifier_row([(complaints[key], label) for key, label in links])
    edges = tuple(Edge(complaints[key], identifiers[label]) for key, label in links)
    # An alert listing none of the district's complaints (an arrest none of them is linked to
    # any more) pictures nothing.
    rightmost = max(
        [c.x for c in complaints.values()] + [i.x for i in identifiers.values()], default=0
    )
    return Picture(
        complaints=tuple(complaints.values()),
        identifiers=tuple(identifiers.values()),
        edges=edges,
        legend=tuple(colours.items()),
        width=rightmost + MARGIN,
    )


def _identifier_row(links: list[tuple[ComplaintNode, str]]) -> dict[str, IdentifierNode]:
    """Each identifier under the mean position of its complaints, then spread so that no two
    are closer than SPACING (their order kept)."""
    xs: dict[str, list[float]] = {}
    for complaint, label in links:
        xs.setdefault(label, []).append(complaint.x)
    wanted = sorted((sum(v) / len(v), label) for label, v in xs.items())
    placed: dict[str, IdentifierNode] = {}
    next_free = float(MARGIN)
    for x, label in wanted:
        placed[label] = IdentifierNode(label=label, x=max(x, next_free))
        next_free = placed[label].x + SPACING
    return placed
