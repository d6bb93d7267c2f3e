"""A gang's complaints and the identifiers linking them, read from the clusters table for its
page (schemas/gangs.py). Pure; it reads every complaint of the gang, as a withdrawal's walk
does: a page is asked for by a person, rarely next to complaints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from schemas.events import in_time_order
from schemas.gangs import MAX_GANG_COMPLAINTS, GangGraph, GangIdentifier
from services.matcher.clustering import (
    CLUSTER_KEY_PREFIX,
    ClusterState,
    Rows,
    chain_from,
    firsts_of,
    member,
    token_links,
)
from services.matcher.recycling import Run, run_with
from services.matcher.withdrawals import Gang, gang_of, members


def gang_graph(rows: Rows, cluster_id: str, asking: Collection[str] = ()) -> GangGraph | None:
    """The gang `cluster_id` is (or was merged into); None if there is no such cluster. Past
    MAX_GANG_COMPLAINTS, the complaints of the `asking` districts are listed first."""
    if not cluster_id.startswith(CLUSTER_KEY_PREFIX):  # another kind of row: no gang
        return None
    cluster = _live(rows, cluster_id)
    if cluster is None:
        return None
    gang = gang_of(rows, [member(case) for case in firsts_of(rows, cluster)])
    every = [filed.case for filed in gang.values() if filed.case is not None]
    theirs = [case for case in every if case.district in asking]
    chosen = {case.key for case in sorted(theirs, key=in_time_order)[:MAX_GANG_COMPLAINTS]}
    rest = sorted((case for case in every if case.key not in chosen), key=in_time_order)
    room = MAX_GANG_COMPLAINTS - len(chosen)
    chosen |= {case.key for case in rest[:room]}
    cases = sorted((case for case in every if case.key in chosen), key=in_time_order)
    place = {member(case): number for number, case in enumerate(cases)}
    identifiers = []
    for token in sorted({token for filed in gang.values() for token in filed.tokens}):
        links = token_links(rows, token)
        linked = [m for m in members(rows, token, links) if m in gang]
        runs = links.runs if links.aged else ()
        for part in _by_run(linked, runs, gang):
            listed = [m for m in part if m in place]
            if len(part) > 1:
                identifiers.append(
                    GangIdentifier(
                        type=links.type,
                        masked=links.masked,
                        complaints=links.complaints,
                        in_gang=len(part),
                        members=tuple(sorted(place[m] for m in listed)),
                    )
                )
    identifiers.sort(key=lambda i: (-i.in_gang, i.masked or "", i.members))  # most first
    return GangGraph(
        cluster_id=cluster.cluster_id,
        size=cluster.size,
        districts=cluster.districts,
        complaints=tuple(cases),
        identifiers=tuple(identifiers),
    )


def _live(rows: Rows, cluster_id: str) -> ClusterState | None:
    """The live cluster under `cluster_id`, following the pointers of merged ones."""
    chain = chain_from(rows, cluster_id)
    stored = rows.get(chain[-1]) if chain else None
    cluster = None if stored is None else ClusterState.model_validate_json(stored)
    if cluster is None or cluster.merged_into is not None or cluster.size == 0:
        return None  # none stored, pointers in a circle, or a gang emptied by withdrawals
    return cluster


def _by_run(linked: list[str], runs: Sequence[Run], gang: Gang) -> list[list[str]]:
    """The complaints an identifier links, one part per holder's run for a number that changes
    hands (two runs are two holders: the number does not link them)."""
    if not runs:
        return [linked]
    parts: dict[datetime | None, list[str]] = defaultdict(list)
    for complaint in linked:
        case = gang[complaint].case
        run = run_with(case, runs) if case is not None else None
        parts[run.since if run else None].append(complaint)
    return list(parts.values())
