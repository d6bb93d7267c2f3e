"""Where a withdrawn link leaves a gang: an officer's "not linked" as clustering applies it. Pure.

The complaint is taken off the identifier's members, and the identifier joins it no more.
Clustering's union-find cannot undo a join, so the gang is walked instead: from the complaint
through its identifiers and their members, to see whether it still reaches the identifier's
other complaints another way. If it does, the gang stands. If not, that link was its only
bridge and it splits in two (or more, for a number whose runs it bridged: recycling.py): the
largest part keeps the gang's id, the others get ids of their own, and each part's row is
counted afresh from its members. The walk costs a read per
complaint of the gang, which an officer's word, rare next to complaints, can afford.

Crash safety: the withdrawal's row is written first with the gang it found, and again, done,
last. A withdrawal applied again after a crash finds the same gang, and every step before the
last is written so that writing it again changes nothing; once done, its rows are written
again as they are (the crash may have kept them from the changelog).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from schemas.events import CaseRef, LinkWithdrawn, in_time_order
from schemas.pseudonyms import stable_id
from services.matcher.clustering import (
    ClusterState,
    FiledRow,
    MemberPage,
    PathSteps,
    Rows,
    TokenLinks,
    filed_key,
    filed_row,
    filed_row_of,
    live_cluster,
    member,
    member_page,
    members_key,
    path_of,
    store_cluster,
    token_key,
    token_links,
    write_again_as_stored,
    write_clusters_again,
)
from services.matcher.matching import MatchingRules
from services.matcher.recycling import Run, run_with, runs_from

Gang = dict[str, FiledRow]  # complaints ("district/complaint id") with their rows


class WithdrawalRow(BaseModel):
    """A withdrawal clustering began (and, once `done`, applied whole)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_id: str | None  # the complaint's live cluster when the withdrawal came
    # Whether the identifier had joined the complaint: one counted while the value was generic
    # was never joined through it, so taking it away splits nothing.
    joined: bool = False
    done: bool = False

    def encoded(self) -> bytes:
        return self.model_dump_json().encode()


def withdrawal_key(withdrawal_id: str) -> str:
    return f"withdrawal:{withdrawal_id}"


def on_link_withdrawn(
    rows: Rows, withdrawal: LinkWithdrawn, *, offset: int, rules: MatchingRules
) -> None:
    """The identifier joins the complaint no more, and the gang splits if this link was the
    only one holding it together. Writes its rows to `rows`, the withdrawal's own row last."""
    key, token, case = (
        withdrawal_key(withdrawal.withdrawal_id),
        withdrawal.identifier.token,
        withdrawal.case,
    )
    recycling = rules.recycling_window(withdrawal.identifier.type)
    stored = rows.get(key)
    begun = None if stored is None else WithdrawalRow.model_validate_json(stored)
    if begun is not None and begun.done:  # applied before a crash
        _write_again(rows, begun, token, case)
        rows[key] = begun.encoded()
        return
    if begun is None:
        filed = filed_row(rows, case) is not None
        joined = member(case) in members(rows, token, token_links(rows, token))
        cluster_id = live_cluster(rows, case).cluster_id if filed else None
        begun = WithdrawalRow(cluster_id=cluster_id, joined=joined)
        rows[key] = begun.encoded()
    _withdraw(rows, token, case, offset, recycling)
    if begun.cluster_id is not None and begun.joined:
        split_off_id = split_id(begun.cluster_id, withdrawal)
        _split(rows, begun.cluster_id, token, case, split_off_id, recycling)
    rows[key] = begun.model_copy(update={"done": True}).encoded()


def split_id(cluster_id: str, withdrawal: LinkWithdrawn) -> str:
    """The id of the part a withdrawal splits off a gang."""
    return stable_id("cluster", cluster_id, "split", withdrawal.withdrawal_id)


def _withdraw(
    rows: Rows, token: str, case: CaseRef, offset: int, recycling: timedelta | None
) -> None:
    """Take the complaint off the identifier's members, its row counting it no more and, if it
    was the identifier's first complaint, naming the next one; an identifier that changes hands
    has its runs counted afresh from the complaints left (the one taken off may have bridged
    two)."""
    links = token_links(rows, token)
    pages = [members_key(token, number) for number in range(links.pages)]
    if member(case) in links.withdrawn:  # taken off before a crash: written again as they are
        write_again_as_stored(rows, *pages, token_key(token))
        return
    for number in range(links.pages):
        page = member_page(rows, token, number)
        if member(case) in page.complaints:
            rest = tuple(m for m in page.complaints if m != member(case))
            rows[members_key(token, number)] = MemberPage(complaints=rest).encoded()
    counted = (filed := filed_row(rows, case)) is not None and token in filed.tokens
    remaining = _cases(rows, members(rows, token, links))
    first = links.first
    if first is not None and first.key == case.key:
        first = remaining[0] if remaining else None
    unlisted = [first] if first and not links.pages else []  # its first, before any join lists it
    rows[token_key(token)] = links.model_copy(
        update={
            "first": first,
            # None left: the next complaint is its first, and its first join lists both anew.
            "pages": links.pages if remaining else 0,
            "complaints": links.complaints - 1 if counted else links.complaints,
            "districts": _districts(remaining) or _districts([first] if first else []),
            "withdrawn": (*links.withdrawn, member(case)),
            "offset": max(links.offset, offset),
            "runs": runs_from(remaining or unlisted, recycling)
            if links.aged and recycling
            else links.runs,
        }
    ).encoded()


def members(rows: Rows, token: str, links: TokenLinks) -> list[str]:
    """Every complaint the identifier joins now, in the order it joined them."""
    listed = (member_page(rows, token, number).complaints for number in range(links.pages))
    return [m for page in listed for m in page if m not in links.withdrawn]


def _split(
    rows: Rows,
    cluster_id: str,
    token: str,
    case: CaseRef,
    split_off_id: str,
    recycling: timedelta | None,
) -> None:
    """Split the gang if the complaint no longer reaches the identifier's others: in two, or,
    for an identifier that changes hands whose runs the complaint bridged, in one part per run
    left apart. Its others are those of the runs now in reach of its date."""
    stored = rows.get(cluster_id)
    links = token_links(rows, token)
    others = members(rows, token, links)
    if links.aged and recycling:
        at = case.registered_at
        reached = [run for run in links.runs if run.reaches(at, recycling)]
        others = [m for m in others if in_runs(rows, m, reached)]
    if stored is None or not others:
        return
    own_side = gang_of(rows, [member(case)])
    if any(other in own_side for other in others):  # joined to them another way: it stands
        return
    parts = [own_side]
    for other in others:
        if not any(other in part for part in parts):
            parts.append(gang_of(rows, [other]))
    gang = ClusterState.model_validate_json(stored)
    path = path_of(rows, gang)
    kept, *split_off = sorted(parts, key=lambda g: (-len(g), min(g)))
    for number, part in enumerate(split_off):
        # Each part split off first, counted from the gang's row as it was; if a crash came
        # after, it is there already (its id is this withdrawal's alone), and the gang's row
        # may not be.
        part_id = split_off_id if number == 0 else f"{split_off_id}.{number}"
        if rows.get(part_id) is None:
            store_cluster(rows, _part(gang, path, part_id, part))
        else:
            write_clusters_again(rows, part_id)
        for complaint, filed in part.items():
            rows[filed_key(complaint)] = filed.model_copy(update={"cluster_id": part_id}).encoded()
    store_cluster(rows, _part(gang, path, cluster_id, kept))  # the same, counted again


def gang_of(rows: Rows, starts: Iterable[str]) -> Gang:
    """The complaints reachable from `starts` through identifiers that join them now."""
    gang: Gang = {}
    seen: set[str] = set()  # identifiers walked (and runs, of one that changes hands)
    # Each identifier's row and members, read once: a number that changes hands is looked at
    # again by every complaint of each of its runs.
    read: dict[str, tuple[TokenLinks, list[str], set[str]]] = {}
    waiting = list(starts)
    while waiting:
        complaint = waiting.pop()
        if complaint in gang or (filed := filed_row_of(rows, complaint)) is None:
            continue
        gang[complaint] = filed
        for token in filed.tokens:
            if token in seen:
                continue
            if token not in read:
                links = token_links(rows, token)
                listed = members(rows, token, links)
                read[token] = (links, listed, set(listed))
            links, joined, joining = read[token]
            if complaint not in joining:  # withdrawn, or counted while generic
                continue
            if not links.aged:
                seen.add(token)
                waiting += joined
                continue
            # An identifier that changes hands joins its run's complaints only.
            run = run_with(filed.case, links.runs) if filed.case else None
            if run is not None and (walked := f"{token}@{run.since}") not in seen:
                seen.add(walked)
                waiting += [m for m in joined if in_runs(rows, m, [run])]
    return gang


def in_runs(rows: Rows, complaint: str, runs: list[Run]) -> bool:
    filed = filed_row_of(rows, complaint)
    case = filed.case if filed else None
    return case is not None and run_with(case, runs) is not None


def _part(gang: ClusterState, path: PathSteps, cluster_id: str, part: Gang) -> ClusterState:
    """One part of a split gang, counted afresh from its members; the steps of the gang's
    `path` it keeps are those between two of them. The gang's own part keeps its path where it
    is if it keeps all of it (so that a split done again changes nothing); otherwise the steps
    go after the positions the gang's path took, which stay its path until the row is
    written (clustering.store_cluster)."""
    cases = sorted((f.case for f in part.values() if f.case is not None), key=in_time_order)
    firsts: dict[str, CaseRef] = {}
    for case in cases:
        firsts.setdefault(case.district, case)
    districts = tuple(sorted({complaint.split("/", 1)[0] for complaint in part}))
    steps = tuple(
        step for step in path if member(step.earlier) in part and member(step.later) in part
    )
    unmoved = cluster_id == gang.cluster_id and steps == path
    return ClusterState(
        cluster_id=cluster_id,
        size=len(part),
        districts=districts,
        firsts=tuple(firsts[d] for d in sorted(firsts)),
        path=gang.path if unmoved else steps,
        path_end=gang.path_end,
        path_len=gang.path_len if unmoved else 0,
        told=tuple(d for d in gang.told if d in districts),
        told_at=gang.told_at,
    )


def _districts(cases: list[CaseRef]) -> tuple[str, ...]:
    return tuple(sorted({case.district for case in cases}))


def _cases(rows: Rows, complaints: list[str]) -> list[CaseRef]:
    filed = (filed_row_of(rows, complaint) for complaint in complaints)
    return [row.case for row in filed if row is not None and row.case is not None]


def _write_again(rows: Rows, begun: WithdrawalRow, token: str, case: CaseRef) -> None:
    """Every row a withdrawal wrote but its own, as it is now: the identifier's, its pages,
    the gang's parts and their complaints."""
    links = token_links(rows, token)
    others = members(rows, token, links)
    gang = gang_of(rows, [member(case), *others])
    clusters = {row.cluster_id for row in gang.values() if row.cluster_id is not None}
    write_again_as_stored(
        rows,
        *(members_key(token, number) for number in range(links.pages)),
        token_key(token),
    )
    write_clusters_again(
        rows, *sorted(clusters | ({begun.cluster_id} if begun.cluster_id else set()))
    )
    write_again_as_stored(rows, *map(filed_key, gang))
