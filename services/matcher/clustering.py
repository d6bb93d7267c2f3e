"""Gang clusters: complaints linked through any chain of shared identifiers. Pure.

A union-find whose roots are cluster ids. A live cluster row holds its exact size and every
district (with its first complaint), and the latest complaints and path steps (bounded, so a
row stays small as a gang grows, bounded by the number of districts); a cluster
absorbed by a merge keeps only a forwarding pointer to the one that absorbed it. A lookup
follows pointers to the live cluster, so a stale shortcut is harmless, and re-processing a
link after a crash finds its two complaints already together. A crash can also come between
writing the live cluster and the absorbed one's pointer: the live row names the cluster its
last merge absorbed, so the replayed merge writes the pointer and counts nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.events import (
    AlertRaised,
    CaseRef,
    ClusterSummary,
    ComplaintsLinked,
    PathStep,
    in_time_order,
    state_of,
)
from schemas.pseudonyms import stable_id
from services.matcher.matching import MatchingRules

# A link between just two complaints is already told by its shared_identifier alert.
MIN_CLUSTER_ALERT_SIZE = 3
MAX_LISTED = 100  # complaints and path steps kept for alerts; `size` is always exact

DEFAULT_RULES = MatchingRules()


class ClusterState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_id: str
    size: int = 0
    districts: tuple[str, ...] = ()  # every one, sorted
    firsts: tuple[CaseRef, ...] = ()  # each district's earliest complaint, in district order
    recent: tuple[CaseRef, ...] = ()
    path: tuple[PathStep, ...] = ()
    merged_into: str | None = None
    absorbed_last: str | None = None  # the cluster the last merge into this one absorbed
    told: tuple[str, ...] = ()  # the districts as the last cluster alert named them
    told_at: AwareDatetime | None = None  # when what caused that alert reached crosslink
    # Kept by the clustering agent, never read by the rules: the links-topic offset of the last
    # link merged into this row, and of the latest clusters of two or more it absorbed, so that
    # a link replayed after a crash can write again what the crash may have kept from the
    # changelog.
    offset: int = -1
    absorbed_at: tuple[tuple[int, str], ...] = ()

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(sorted({state_of(district) for district in self.districts}))


def case_key(case: CaseRef) -> str:
    return f"{case.district}/{case.complaint_id}"


def singleton(case: CaseRef) -> ClusterState:
    """The cluster of a complaint that no link has reached yet."""
    return ClusterState(
        cluster_id=stable_id("cluster", *case.key),
        size=1,
        districts=(case.district,),
        firsts=(case,),
        recent=(case,),
    )


@dataclass(frozen=True)
class Merge:
    kept: ClusterState
    absorbed: ClusterState  # now only a forwarding pointer to `kept`
    alert: AlertRaised | None


def merge(
    a: ClusterState,
    b: ClusterState,
    link: ComplaintsLinked,
    *,
    now: datetime,
    rules: MatchingRules = DEFAULT_RULES,
) -> Merge | None:
    """Join the clusters of a link's two complaints; None if they are already one cluster.

    The larger cluster keeps its id (ties: the smaller id), so ids stay stable as gangs grow
    and forwarding chains stay short.
    """
    if a.cluster_id == b.cluster_id:
        return None
    for kept, absorbed in ((a, b), (b, a)):
        if kept.absorbed_last == absorbed.cluster_id:  # written before a crash, but not all
            return Merge(kept, _pointer(absorbed, kept), alert=None)  # the alert went first
    kept, absorbed = sorted((a, b), key=lambda c: (-c.size, c.cluster_id))
    step = PathStep(
        earlier=link.earlier,
        later=link.later,
        identifier_type=link.identifier.type,
        identifier_masked=link.identifier.masked,
    )
    firsts = {
        case.district: case
        for case in sorted(absorbed.firsts + kept.firsts, key=in_time_order, reverse=True)
    }
    joined = ClusterState(
        cluster_id=kept.cluster_id,
        size=kept.size + absorbed.size,
        districts=tuple(sorted({*kept.districts, *absorbed.districts})),
        firsts=tuple(firsts[district] for district in sorted(firsts)),
        recent=tuple(sorted(kept.recent + absorbed.recent, key=in_time_order))[-MAX_LISTED:],
        path=(*kept.path, *absorbed.path, step)[-MAX_LISTED:],
        absorbed_last=absorbed.cluster_id,
        told=kept.told,
        told_at=kept.told_at,
        offset=kept.offset,
        absorbed_at=kept.absorbed_at,
    )  # fmt: skip
    if not set(joined.districts) - set(link.told):  # the link's own alert told them all
        joined = joined.model_copy(update={"told": joined.districts})
    if not _news(joined, link, rules):
        return Merge(joined, _pointer(absorbed, joined), alert=None)
    alert = _cluster_alert(joined, link, now)
    told = joined.model_copy(update={"told": joined.districts, "told_at": link.received_at})
    return Merge(told, _pointer(absorbed, told), alert)


def _pointer(absorbed: ClusterState, kept: ClusterState) -> ClusterState:
    return ClusterState(cluster_id=absorbed.cluster_id, merged_into=kept.cluster_id)


def _news(joined: ClusterState, link: ComplaintsLinked, rules: MatchingRules) -> bool:
    """Alert when a group of three or more complaints has a district that no alert has yet told
    of it (neither its last cluster alert, nor, when they are all its districts, the alert of
    the link that joined it).

    A complaint joining a group its district is already part of is told by its
    shared_identifier alert; alerting every district at every such merge would bury the
    news that matters (a gang reaching another district) in a storm. Past the threshold a new
    district waits for the next digest unless it brings a new state.
    """
    new = set(joined.districts) - set(joined.told)
    if not new or len(joined.districts) < 2 or joined.size < MIN_CLUSTER_ALERT_SIZE:
        return False
    if joined.size <= rules.hub_threshold or joined.told_at is None:
        return True
    told_states = {state_of(district) for district in joined.told}
    period_over = link.received_at is not None and (
        link.received_at - joined.told_at >= rules.digest_period
    )
    return bool({state_of(district) for district in new} - told_states) or period_over


def _cluster_alert(cluster: ClusterState, link: ComplaintsLinked, now: datetime) -> AlertRaised:
    """To every district of the cluster, however large, the joining one included; it lists
    each district's first complaint, so each finds its own."""
    districts = ", ".join(cluster.districts)
    new = [district for district in cluster.districts if district not in cluster.told]
    reason = (
        f"{cluster.size} complaints in {len(cluster.districts)} districts ({districts}) "
        f"are linked through shared identifiers into one group"
        + (f"; new since the last alert: {', '.join(new)}" if cluster.told else "")
        + f". The newest link is the "
        f"{link.identifier.type.value} {link.identifier.masked} shared by complaints "
        f"{link.earlier.complaint_id} ({link.earlier.district}) and "
        f"{link.later.complaint_id} ({link.later.district})."
    )
    cases = {case.key: case for case in (*cluster.firsts, link.earlier, link.later)}
    return AlertRaised(
        alert_id=stable_id("cluster_linked", cluster.cluster_id, link.link_id),
        kind="cluster_linked",
        rule="cluster_linked",
        reason=reason,
        raised_at=now,
        received_at=link.received_at,
        identifier=link.identifier,
        trigger=link.later,
        cases=tuple(cases.values()),
        cluster=ClusterSummary(
            cluster_id=cluster.cluster_id,
            size=cluster.size,
            districts=cluster.districts,
            path=cluster.path,
            states=cluster.states,
        ),
        recipients=cluster.districts,
    )
