"""Gang clusters: complaints linked through any chain of shared strong identifiers. Pure.

Clustering reads each complaint once, with every identifier it names, in the one order intake
accepted complaints (the one-partition complaints-filed topic), and operators' generic-value
decisions in that same order. So the same complaints make the same gangs and the same cluster
alerts, with the same ids, however the matcher's partitions interleave.

Everything lives in one table of rows under three kinds of key (`Rows`):
- a cluster's row under its id: a union-find whose roots are the live clusters. A live row
  holds its exact size and every district; a cluster absorbed by a merge keeps only a
  forwarding pointer to the one that absorbed it. Each district's first complaint and the
  latest path steps (up to MAX_LISTED) are in rows of their own (`first_key`, `path_key`), so
  that a complaint joining a big gang writes one step and at most one first, not the gang;
- a strong identifier's row (`TokenLinks`): its first complaint, which every later complaint
  naming it joins, its count and districts, an operator's generic-value decision, and the
  complaints officers said it does not link (for a number that changes hands, its runs: each
  later complaint joins the earliest of each run it reaches, services/matcher/recycling.py);
  and its members in pages of `MEMBERS_PER_PAGE`
  (`MemberPage`): every complaint it joined, so that a withdrawn link can split a gang
  (services/matcher/withdrawals.py);
- a complaint's row (`FiledRow`), written last: its cluster, the identifiers counted for it,
  and the offset of the event that filed it.

Crash safety: an event replayed after a crash finds what it had written. A complaint's row at
its offset means it was applied whole: its rows are written again as they are (the crash may
have kept them from the changelog). Without it, the event is applied again: an identifier row
at its offset was counted already; a merge whose clusters are already one writes the rows it
had written again; a merge half written (the live cluster but not the absorbed one's pointer)
only gets its pointer. A cluster's new path steps go where its row's path is not, and the row
written after them makes them its path (`store_cluster`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from crosslink.i18n import translator
from crosslink.reasons import word
from schemas.events import (
    AlertRaised,
    CaseRef,
    ClusterSummary,
    ComplaintFiled,
    GenericValueDecided,
    IdentifierRef,
    PathStep,
    ReasonFacts,
    in_time_order,
    state_of,
)
from schemas.identifiers import IdentifierType, Strength
from schemas.pseudonyms import stable_id
from services.matcher.matching import MatchingRules
from services.matcher.recycling import Run, run_with, runs_after

# A link between just two complaints is already told by its shared_identifier alert.
MIN_CLUSTER_ALERT_SIZE = 3
MAX_LISTED = 100  # path steps kept for alerts; `size` is always exact
MEMBERS_PER_PAGE = 100  # an identifier's members per row: a join rewrites one page, not all
CLUSTER_KEY_PREFIX = "cluster_"  # what every cluster id starts with (stable_id("cluster", ...))


class Rows(Protocol):
    """The clustering table as the rules read and write it (a dict in tests)."""

    def get(self, key: str) -> bytes | None: ...

    def __setitem__(self, key: str, value: bytes) -> None: ...


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def encoded(self) -> bytes:
        # Defaults left out: a big gang's row is rewritten at every join, and its cases' empty
        # fields (observed_at, import_id) were a tenth of its bytes.
        encoded = self.model_dump_json(exclude_defaults=True).encode()
        _RECENT.remember(encoded, self)
        return encoded


RowT = TypeVar("RowT", bound=BaseModel)
PathSteps = tuple[PathStep, ...]


class _RecentRows:
    """The rows clustering wrote or read lately, decoded, by their exact bytes. A big gang's
    rows are read back by every complaint that joins the gang, and decoding them again each
    time was most of clustering's cost. The rows are frozen and hold only tuples, so one
    decoded row serves every read of the same bytes; it is a memo, not state: the table stays
    the only truth."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._rows: OrderedDict[tuple[type[BaseModel], bytes], BaseModel] = OrderedDict()

    def decoded(self, model: type[RowT], stored: bytes) -> RowT:
        key = (model, stored)
        row = self._rows.get(key)
        if row is None:
            row = model.model_validate_json(stored)
            self._keep(key, row)
        else:
            self._rows.move_to_end(key)
        assert isinstance(row, model)
        return row

    def remember(self, encoded: bytes, row: BaseModel) -> None:
        self._keep((type(row), encoded), row)

    def _keep(self, key: tuple[type[BaseModel], bytes], row: BaseModel) -> None:
        self._rows[key] = row
        self._rows.move_to_end(key)
        if len(self._rows) > self._size:
            self._rows.popitem(last=False)


_RECENT = _RecentRows(size=4096)


def _path_whole(stored: dict[str, Any]) -> dict[str, Any]:
    """A row's fields as stored with its path inline and compact (rows written between
    2026-12-05 and the path's own rows): each complaint the steps name once (`path_cases`), each
    step as the positions of its two complaints in that list with the identifier's type and
    masked form (`path_steps`); with the path as steps again."""
    cases, steps = stored["path_cases"], stored["path_steps"]
    path = [
        {"earlier": cases[first], "later": cases[second]}
        | {"identifier_type": kind, "identifier_masked": masked}
        for first, second, kind, masked in steps
    ]
    rest = {key: value for key, value in stored.items() if key not in _COMPACT_PATH}
    return {**rest, "path": path}


_COMPACT_PATH = ("path_cases", "path_steps")


class ClusterState(_Row):
    """A cluster as its row holds it. Each district's first complaint (`firsts_of`) and its
    latest path steps (up to MAX_LISTED, `path_of`) are in rows of their own, so that a
    complaint joining a big gang writes one step and at most its district's first, not the
    gang's every district and whole path. `store_cluster` writes them, then this row, whose
    `districts` say which firsts are the gang's, and `path_end` and `path_len` which steps are
    its path: the path changes with this row's one write."""

    cluster_id: str
    size: int = 0
    districts: tuple[str, ...] = ()  # every one, sorted
    # Firsts and path steps not in rows of their own: built in memory and not yet stored, or in
    # a row stored before they had rows of their own. `store_cluster` moves them to their rows.
    firsts: tuple[CaseRef, ...] = ()  # each district's earliest complaint, in district order
    path: tuple[PathStep, ...] = ()
    path_end: int = 0  # the path is the steps at positions [path_end - path_len, path_end)
    path_len: int = 0
    merged_into: str | None = None
    absorbed_last: str | None = None  # the cluster the last merge into this one absorbed
    # The districts as they were last told of the cluster as a whole: by a cluster alert, or
    # by one of the matcher's alerts that went to every district of the cluster.
    told: tuple[str, ...] = ()
    told_at: AwareDatetime | None = None  # when what caused the last telling reached crosslink

    @model_validator(mode="before")
    @classmethod
    def _as_stored(cls, stored: Any) -> Any:
        """Rows written before the path had rows of its own hold it inline, whole or compact
        (`_path_whole`); rows written before gang pages also listed the latest 100 complaints
        (`recent`), which nothing read."""
        if not isinstance(stored, dict):
            return stored
        if "path_steps" in stored:
            stored = _path_whole(stored)
        if "recent" in stored:
            stored = {key: value for key, value in stored.items() if key != "recent"}
        return stored

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(sorted({state_of(district) for district in self.districts}))

    def summary(self, path: PathSteps) -> ClusterSummary:
        """The gang as an alert carries it, with its path (`path_of`)."""
        return ClusterSummary(
            cluster_id=self.cluster_id,
            size=self.size,
            districts=self.districts,
            path=path,
            states=self.states,
        )


def first_key(cluster_id: str, district: str) -> str:
    return f"first:{cluster_id}:{district}"


def first_in(rows: Rows, cluster: ClusterState, district: str) -> CaseRef | None:
    """A cluster's first complaint from `district`, if the cluster has one."""
    if cluster.firsts:  # not in rows of their own (see ClusterState.firsts)
        return next((case for case in cluster.firsts if case.district == district), None)
    if district not in cluster.districts:  # (a row a split left is not the gang's any more)
        return None
    stored = rows.get(first_key(cluster.cluster_id, district))
    return None if stored is None else _RECENT.decoded(CaseRef, stored)


def firsts_of(rows: Rows, cluster: ClusterState) -> tuple[CaseRef, ...]:
    """Each of a cluster's districts' first complaint, in district order."""
    if cluster.firsts:
        return cluster.firsts
    firsts = (first_in(rows, cluster, district) for district in cluster.districts)
    return tuple(case for case in firsts if case is not None)


# Positions of path steps, modulo: twice the longest path, so that the up to MAX_LISTED steps
# a write adds never fall where the steps of the path as its row says it are.
PATH_SLOTS = 2 * MAX_LISTED


def path_key(cluster_id: str, position: int) -> str:
    return f"path:{cluster_id}:{position % PATH_SLOTS}"


def path_keys(cluster: ClusterState) -> list[str]:
    """The rows of a cluster's path steps, earliest first."""
    return [
        path_key(cluster.cluster_id, at)
        for at in range(cluster.path_end - cluster.path_len, cluster.path_end)
    ]


def path_of(rows: Rows, cluster: ClusterState) -> PathSteps:
    """A cluster's latest path steps, earliest first."""
    if cluster.path:  # not in rows of their own (see ClusterState.path)
        return cluster.path
    stored = (rows.get(key) for key in path_keys(cluster))
    return tuple(_RECENT.decoded(PathStep, step) for step in stored if step is not None)


def store_cluster(
    rows: Rows,
    cluster: ClusterState,
    steps: PathSteps = (),
    firsts: tuple[CaseRef, ...] = (),
) -> ClusterState:
    """Write a cluster: the firsts it holds inline and those it gained (`firsts`, each earlier
    than its district's, or of a new district), each in a row of its own; the steps its path
    gained (after those it holds inline, which replace the path its row had), each in a row of
    its own at the next positions; then its row, which makes them its path. What was written,
    as the row holds it.

    The new steps never fall on the positions of the path as stored (PATH_SLOTS), so a crash
    between them and the row leaves the row and its path as they were, and the event applied
    again writes the same steps again. A first written before such a crash is earlier than the
    one it replaced, which the event applied again finds and keeps."""
    if cluster.merged_into is not None:  # a pointer: no path
        rows[cluster.cluster_id] = cluster.encoded()
        return cluster
    for case in (*cluster.firsts, *firsts):
        rows[first_key(cluster.cluster_id, case.district)] = case.model_dump_json(
            exclude_defaults=True
        ).encode()
    new = (*cluster.path, *steps)[-MAX_LISTED:]
    kept = 0 if cluster.path else cluster.path_len
    for at, step in enumerate(new, start=cluster.path_end):
        rows[path_key(cluster.cluster_id, at)] = step.model_dump_json(
            exclude_defaults=True
        ).encode()
    stored = cluster.model_copy(
        update={
            "firsts": (),
            "path": (),
            "path_end": cluster.path_end + len(new),
            "path_len": min(kept + len(new), MAX_LISTED),
        }
    )
    rows[cluster.cluster_id] = stored.encoded()
    return stored


class TokenLinks(_Row):
    """A strong identifier as clustering knows it."""

    first: CaseRef | None = None  # every later complaint naming it joins this one's cluster
    complaints: int = 0
    districts: tuple[str, ...] = ()  # sorted
    generic: bool = False  # an operator's decision: it links nothing while set
    offset: int = -1  # the complaints-filed offset of the last event applied to it
    # The districts the matcher's alerts about the last complaint counted went to.
    told: tuple[str, ...] = ()
    pages: int = 0  # its member pages: the complaints it joined, its first one included
    # Complaints ("district/complaint id") officers said it does not link: it joins them no more.
    withdrawn: tuple[str, ...] = ()
    # An identifier that changes hands (a phone number) keeps its holders' runs, earliest
    # first, and the firsts of the runs the last complaint counted joined: a complaint joins
    # the clusters of its run's, not the identifier's, first (services/matcher/recycling.py).
    # Complaints counted while it is generic are in no run, as they are in no member page.
    runs: tuple[Run, ...] = ()
    joins: tuple[CaseRef, ...] = ()
    aged: bool = False  # it keeps runs (not a row from before runs, nor one whose window went)
    # What it is, as a gang's page shows it (None in a row from before gang pages).
    type: IdentifierType | None = None
    masked: str | None = None

    def counted(
        self, case: CaseRef, offset: int, rules: MatchingRules, recycling: timedelta | None
    ) -> TokenLinks:
        """With one more complaint. The matcher told every district of it up to one past the
        hub threshold (its shared alert; then the prolific alert and the first digest), and
        whenever the complaint brings a new state (the prolific alert and a digest at once);
        otherwise the complaint's own district only (the others wait for the digest)."""
        districts = tuple(sorted({*self.districts, case.district}))
        complaints = self.complaints + 1
        states = {state_of(district) for district in self.districts}
        everyone = complaints <= rules.hub_threshold + 1 or case.state not in states
        counted = self.model_copy(
            update={
                "first": self.first or case,
                "complaints": complaints,
                "districts": districts,
                "offset": offset,
                "told": districts if everyone else (case.district,),
            }
        )
        if recycling is None:
            return counted._window_gone() if self.aged or self.joins else counted
        if self.complaints > 0 and not self.aged:  # from before runs: see _before_runs
            return counted.model_copy(update={"told": (case.district,)})
        return counted._in_runs(self, case, recycling, complaints <= rules.hub_threshold)

    def _in_runs(
        self, before: TokenLinks, case: CaseRef, recycling: timedelta, told_by_run: bool
    ) -> TokenLinks:
        """Up to the threshold, the shared alert of an identifier that changes hands told its
        run's districts only."""
        if self.generic:  # in no run: it joins nothing
            first = before.first  # (None: the first complaint joined is the first)
            return self.model_copy(update={"aged": True, "joins": (), "first": first})
        at = case.registered_at
        runs = runs_after(self.runs, case, recycling)
        update: dict[str, object] = {
            "aged": True,
            "runs": runs,
            "joins": tuple(run.first for run in self.runs if run.reaches(at, recycling)),
        }
        if told_by_run:
            run = run_with(case, runs)
            assert run is not None  # the complaint was just added to the runs
            update["told"] = run.districts
        return self.model_copy(update=update)

    def _window_gone(self) -> TokenLinks:
        """Its type has no recycling window any more: this complaint joins every run, which
        makes them one gang, and the next ones join its first, as for any identifier."""
        return self.model_copy(
            update={"aged": False, "runs": (), "joins": tuple(run.first for run in self.runs)}
        )

    def joining(self, case: CaseRef) -> tuple[CaseRef, ...]:
        """The complaints whose clusters the last complaint counted, `case`, joined.

        A row from before runs (not `aged`, no `joins`) joins every complaint to its first, as
        it did, until `crosslink rematch` counts its runs; meanwhile clustering counts only the
        complaint's own district as told, so a district the matcher's run-bound alert left out
        hears of the gang by a cluster alert."""
        if self.generic or self.first is None:
            return ()
        firsts = self.joins if self.aged or self.joins else (self.first,)
        return tuple(first for first in firsts if first.key != case.key)


class FiledRow(_Row):
    """A complaint clustering has applied: written last, so its presence means all of it."""

    cluster_id: str | None  # its live cluster when written (None: it joined nothing)
    tokens: tuple[str, ...]  # the strong identifiers counted for it
    offset: int
    case: CaseRef | None = None  # None in a row written before gangs could split
    # The runs' first complaints it joined through identifiers that change hands (their rows
    # keep only the runs as they are now, which a later complaint may have made one).
    joined: tuple[CaseRef, ...] = ()


class MemberPage(_Row):
    """Up to MEMBERS_PER_PAGE of the complaints an identifier joined ("district/complaint id")."""

    complaints: tuple[str, ...] = ()


def token_key(token: str) -> str:
    return f"identifier:{token}"


def members_key(token: str, page: int) -> str:
    return f"identifier:{token}:members:{page}"


def member(case: CaseRef) -> str:
    """A complaint as an identifier's member pages list it."""
    return f"{case.district}/{case.complaint_id}"


def case_key(case: CaseRef) -> str:
    return filed_key(member(case))


def filed_key(member: str) -> str:
    return f"complaint:{member}"


def singleton(case: CaseRef) -> ClusterState:
    """The cluster of a complaint that nothing has joined yet."""
    return ClusterState(
        cluster_id=stable_id("cluster", *case.key),
        size=1,
        districts=(case.district,),
        firsts=(case,),
    )


@dataclass(frozen=True)
class Merge:
    kept: ClusterState
    absorbed: ClusterState  # now only a forwarding pointer to `kept`
    # What `kept` gained, for store_cluster: the absorbed cluster's path steps then the one
    # joining them, and its firsts earlier than `kept`'s of their districts.
    steps: PathSteps = ()
    firsts: tuple[CaseRef, ...] = ()


def merge(rows: Rows, a: ClusterState, b: ClusterState, step: PathStep) -> Merge | None:
    """Join two clusters through `step`; None if they are already one cluster.

    The larger cluster keeps its id (ties: the smaller id), so ids stay stable as gangs grow
    and forwarding chains stay short.
    """
    if a.cluster_id == b.cluster_id:
        return None
    for kept, absorbed in ((a, b), (b, a)):
        if kept.absorbed_last == absorbed.cluster_id:  # written before a crash, but not all
            return Merge(kept, _pointer(absorbed, kept))
    kept, absorbed = sorted((a, b), key=lambda c: (-c.size, c.cluster_id))
    firsts = tuple(
        case
        for case in firsts_of(rows, absorbed)
        if (mine := first_in(rows, kept, case.district)) is None
        or in_time_order(case) < in_time_order(mine)
    )
    joined = kept.model_copy(
        update={
            "size": kept.size + absorbed.size,
            "districts": tuple(sorted({*kept.districts, *absorbed.districts})),
            "absorbed_last": absorbed.cluster_id,
        }
    )
    steps = (*path_of(rows, absorbed), step)[-MAX_LISTED:]
    return Merge(joined, _pointer(absorbed, joined), steps, firsts)


def _pointer(absorbed: ClusterState, kept: ClusterState) -> ClusterState:
    return ClusterState(cluster_id=absorbed.cluster_id, merged_into=kept.cluster_id)


def on_complaint_filed(
    rows: Rows, filed: ComplaintFiled, *, offset: int, rules: MatchingRules, now: datetime
) -> AlertRaised | None:
    """Join the complaint to the cluster of the first complaint of each strong identifier it
    names (of each run it reaches, for one that changes hands); the cluster alert owed, if
    any. Writes its rows to `rows`, its own row last."""
    case = filed.case
    filed_before = filed_row(rows, case)
    if filed_before is not None and filed_before.offset >= offset:  # replayed after a crash
        _write_again(rows, case, filed_before)
        return None
    counted = list(filed_before.tokens) if filed_before else []
    joining = _Joining(rows, case, offset, rules)
    for identifier in strong(filed.identifiers):
        if identifier.token not in counted:
            counted.append(identifier.token)
            joining.join(identifier)
    cluster, alert = live_cluster(rows, case), None
    if joining.steps:
        told, alert = _cluster_alert_owed(rows, cluster, joining, filed, rules, now)
        if told != cluster:  # written only if changed
            store_cluster(rows, told)
        cluster = told
    row = FiledRow(
        cluster_id=cluster.cluster_id if cluster.size > 1 else None,
        tokens=tuple(sorted(counted)),
        offset=offset,
        case=case,
        joined=tuple(joining.runs_joined),
    )
    rows[case_key(case)] = row.encoded()
    return alert


def on_generic_decided(rows: Rows, decision: GenericValueDecided, *, offset: int) -> None:
    """From now on a generic value joins nothing; withdrawn, it joins complaints again. Links
    already made stay (an officer's "not linked" takes one away: withdrawals.py)."""
    key = token_key(decision.identifier.token)
    links = token_links(rows, decision.identifier.token)
    if links.offset < offset:
        links = links.model_copy(update={"generic": decision.generic, "offset": offset})
    rows[key] = links.encoded()  # a replayed decision writes it again as it is


def held_generic(rows: Rows, token: str) -> None:
    """A value operators hold generic when the tables are rebuilt from the history: it joins
    nothing from the first complaint on (a later decision still applies: its offset is higher)."""
    rows[token_key(token)] = TokenLinks(generic=True).encoded()


class _Joining:
    """One complaint joining the clusters of its identifiers' first complaints."""

    def __init__(self, rows: Rows, case: CaseRef, offset: int, rules: MatchingRules) -> None:
        self._rows, self._case, self._offset, self._rules = rows, case, offset, rules
        self.told: list[set[str]] = []  # the districts each of the matcher's alerts about it told
        self.steps: list[tuple[PathStep, IdentifierRef]] = []
        self.runs_joined: list[CaseRef] = []  # the runs' firsts, for identifiers with runs

    def join(self, identifier: IdentifierRef) -> None:
        rows, case = self._rows, self._case
        links = token_links(rows, identifier.token)
        if member(case) in links.withdrawn:  # an officer said it is not linked through it
            return
        replayed = links.offset >= self._offset  # counted by this event before a crash
        if not replayed:
            recycling = self._rules.recycling_window(identifier.type)
            links = links.counted(case, self._offset, self._rules, recycling)
            if links.masked is None:
                links = links.model_copy(
                    update={"type": identifier.type, "masked": identifier.masked}
                )
            if links.first is not None and links.first.key != case.key and not links.generic:
                links = _listed(rows, identifier.token, links, case)
        elif links.pages:  # the page its join wrote, again as it is
            write_again_as_stored(rows, members_key(identifier.token, links.pages - 1))
        rows[token_key(identifier.token)] = links.encoded()
        firsts = links.joining(case)
        if firsts:
            self.told.append(set(links.told))
        if links.joins:  # the runs' firsts (the same source `joining` took them from)
            self.runs_joined += firsts
        for first in firsts:
            step = PathStep(
                earlier=first,
                later=case,
                identifier_type=identifier.type,
                identifier_masked=identifier.masked,
            )
            self.steps.append((step, identifier))
            self._merge(step, replayed)

    def _merge(self, step: PathStep, replayed: bool) -> None:
        rows, first, case = self._rows, step.earlier, step.later
        chains = _chain(rows, first), _chain(rows, case)
        if chains[0] and chains[1] and chains[0][-1] == chains[1][-1]:  # already one cluster
            if replayed:  # merged before a crash: write what that merge wrote again, as it is
                write_clusters_again(rows, *chains[0], *chains[1])
            return
        merged = merge(rows, _live(rows, chains[0], first), _live(rows, chains[1], case), step)
        if merged is not None:
            store_cluster(rows, merged.kept, merged.steps, merged.firsts)
            store_cluster(rows, merged.absorbed)


def _listed(rows: Rows, token: str, links: TokenLinks, case: CaseRef) -> TokenLinks:
    """Add a complaint the identifier joins to its member pages (its first one too, at its
    first join); the identifier's row with its page count. Written before that row, so an
    event applied again after a crash lists it once: it is on the last page already, or the
    page it began is begun again."""
    assert links.first is not None
    if links.pages == 0:
        rows[members_key(token, 0)] = MemberPage(complaints=(member(links.first),)).encoded()
        links = links.model_copy(update={"pages": 1})
    last = links.pages - 1
    page = member_page(rows, token, last)
    if member(case) in page.complaints:
        return links
    if len(page.complaints) >= MEMBERS_PER_PAGE:
        last, page = last + 1, MemberPage()
    rows[members_key(token, last)] = MemberPage(
        complaints=(*page.complaints, member(case))
    ).encoded()
    return links.model_copy(update={"pages": last + 1})


def member_page(rows: Rows, token: str, page: int) -> MemberPage:
    stored = rows.get(members_key(token, page))
    return MemberPage() if stored is None else _RECENT.decoded(MemberPage, stored)


def _cluster_alert_owed(
    rows: Rows,
    cluster: ClusterState,
    joining: _Joining,
    filed: ComplaintFiled,
    rules: MatchingRules,
    now: datetime,
) -> tuple[ClusterState, AlertRaised | None]:
    """The cluster as the districts have now been told of it, and the alert that told them."""
    if any(set(cluster.districts) <= told for told in joining.told):  # one alert told them all
        cluster = cluster.model_copy(
            update={"told": cluster.districts, "told_at": filed.received_at}
        )
    if not _news(cluster, filed.received_at, rules):
        return cluster, None
    alert = _cluster_alert(rows, cluster, filed, joining.steps[0], now)
    told = cluster.model_copy(update={"told": cluster.districts, "told_at": filed.received_at})
    return told, alert


def _news(cluster: ClusterState, received_at: datetime, rules: MatchingRules) -> bool:
    """Alert when a group of three or more complaints has a district that no alert has yet told
    of it (neither its last cluster alert, nor, when it went to all its districts, one of the
    matcher's alerts about the complaint that joined it: that alert says both).

    A complaint joining a group its district is already part of is told by its
    shared_identifier alert; alerting every district at every such join would bury the news
    that matters (a gang reaching another district) in a storm. Past the threshold a new
    district waits for the next digest period unless it brings a new state.
    """
    new = set(cluster.districts) - set(cluster.told)
    if not new or len(cluster.districts) < 2 or cluster.size < MIN_CLUSTER_ALERT_SIZE:
        return False
    if cluster.size <= rules.hub_threshold or cluster.told_at is None:
        return True
    told_states = {state_of(district) for district in cluster.told}
    period_over = received_at - cluster.told_at >= rules.digest_period
    return bool({state_of(district) for district in new} - told_states) or period_over


def _cluster_alert(
    rows: Rows,
    cluster: ClusterState,
    filed: ComplaintFiled,
    first_step: tuple[PathStep, IdentifierRef],
    now: datetime,
) -> AlertRaised:
    """To every district of the cluster, however large, the joining one included; it lists
    each district's first complaint, so each finds its own."""
    step, identifier = first_step
    case = filed.case
    new = [district for district in cluster.districts if district not in cluster.told]
    facts = ReasonFacts(
        complaints=cluster.size,
        districts=cluster.districts,
        states=cluster.states,
        complaint_id=case.complaint_id,
        district=case.district,
        earlier=step.earlier,
        new_districts=tuple(new) if cluster.told else (),
    )
    cases = {c.key: c for c in (*firsts_of(rows, cluster), step.earlier, case)}
    return AlertRaised(
        alert_id=stable_id("cluster_linked", cluster.cluster_id, *case.key),
        kind="cluster_linked",
        rule="cluster_linked",
        reason=word("cluster_linked", identifier, facts, translator("en")),
        facts=facts,
        raised_at=now,
        received_at=filed.received_at,
        identifier=identifier,
        trigger=case,
        cases=tuple(cases.values()),
        cluster=cluster.summary(path_of(rows, cluster)),
        recipients=cluster.districts,
        import_id=case.import_id,
    )


def live_cluster(rows: Rows, case: CaseRef) -> ClusterState:
    """A complaint's live cluster, following forwarding pointers of merged clusters."""
    return _live(rows, _chain(rows, case), case)


def _live(rows: Rows, chain: list[str], case: CaseRef) -> ClusterState:
    stored = rows.get(chain[-1]) if chain else None
    return singleton(case) if stored is None else _RECENT.decoded(ClusterState, stored)


def _chain(rows: Rows, case: CaseRef) -> list[str]:
    """The ids of the stored clusters from a complaint's shortcut to its live cluster (the
    last); none for a complaint nothing has joined."""
    filed = filed_row(rows, case)
    return chain_from(
        rows, filed.cluster_id if filed and filed.cluster_id else singleton(case).cluster_id
    )


def chain_from(rows: Rows, cluster_id: str) -> list[str]:
    """The ids of the stored clusters from `cluster_id`, through the forwarding pointers of
    merged ones, to the live one (the last); none if no cluster is stored under it."""
    chain: list[str] = []
    while (stored := rows.get(cluster_id)) is not None and cluster_id not in chain:
        chain.append(cluster_id)
        merged_into = _RECENT.decoded(ClusterState, stored).merged_into  # the last: _live's
        if merged_into is None:
            break
        cluster_id = merged_into
    return chain


def _write_again(rows: Rows, case: CaseRef, filed: FiledRow) -> None:
    """Every row an applied complaint wrote, as it is now, its own row last: its identifiers'
    rows, and the clusters from each of their first complaints (and from itself) to the live
    one, which hold every cluster its filing absorbed."""
    links = {token: token_links(rows, token) for token in filed.tokens}
    firsts = [*(row.first for row in links.values()), *filed.joined]
    chains = [_chain(rows, first) for first in (*firsts, case) if first is not None]
    write_again_as_stored(
        rows,
        *(members_key(token, row.pages - 1) for token, row in links.items() if row.pages),
        *map(token_key, filed.tokens),
    )
    write_clusters_again(rows, *dict.fromkeys(key for chain in chains for key in chain))
    rows[case_key(case)] = filed.encoded()


def write_again_as_stored(rows: Rows, *keys: str) -> None:
    for key in keys:
        if (stored := rows.get(key)) is not None:
            rows[key] = stored


def write_clusters_again(rows: Rows, *cluster_ids: str) -> None:
    """Clusters' rows as they are now, each after its firsts' and its path's."""
    for cluster_id in cluster_ids:
        if (stored := rows.get(cluster_id)) is not None:
            cluster = _RECENT.decoded(ClusterState, stored)
            firsts = () if cluster.firsts else cluster.districts
            write_again_as_stored(
                rows,
                *(first_key(cluster_id, district) for district in firsts),
                *path_keys(cluster),
            )
            rows[cluster_id] = stored


def strong(identifiers: tuple[IdentifierRef, ...]) -> list[IdentifierRef]:
    """The identifiers that join clusters, once each, in token order. A weak identifier (an IP
    address) joins nothing: its matches stay leads, and two gangs behind one carrier-grade NAT
    address stay two gangs."""
    strong = {
        i.token: i for i in identifiers if i.strength is Strength.STRONG and not i.never_links
    }
    return [strong[token] for token in sorted(strong)]


def token_links(rows: Rows, token: str) -> TokenLinks:
    stored = rows.get(token_key(token))
    return TokenLinks() if stored is None else _RECENT.decoded(TokenLinks, stored)


def filed_row(rows: Rows, case: CaseRef) -> FiledRow | None:
    return filed_row_of(rows, member(case))


def filed_row_of(rows: Rows, complaint: str) -> FiledRow | None:
    """A complaint's row, the complaint named as member pages name it."""
    stored = rows.get(filed_key(complaint))
    return None if stored is None else _RECENT.decoded(FiledRow, stored)
