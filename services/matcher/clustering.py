"""Gang clusters: complaints linked through any chain of shared identifiers. Pure.

A union-find whose roots are cluster ids. A live cluster row holds its size, districts and the
latest complaints and path steps (bounded, so a row stays small as a gang grows); a cluster
absorbed by a merge keeps only a forwarding pointer to the one that absorbed it. A lookup
follows pointers to the live cluster, so a stale shortcut is harmless, and re-processing a
link after a crash finds its two complaints already together. A crash can also come between
writing the live cluster and the absorbed one's pointer: the live row names the cluster its
last merge absorbed, so the replayed merge writes the pointer and counts nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.events import AlertRaised, CaseRef, ClusterSummary, ComplaintsLinked, PathStep
from schemas.pseudonyms import stable_id

# A link between just two complaints is already told by its shared_identifier alert.
MIN_CLUSTER_ALERT_SIZE = 3
MAX_LISTED = 100  # complaints and path steps kept for alerts; `size` is always exact


class ClusterState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_id: str
    size: int = 0
    districts: tuple[str, ...] = ()
    recent: tuple[CaseRef, ...] = ()
    path: tuple[PathStep, ...] = ()
    merged_into: str | None = None
    absorbed_last: str | None = None  # the cluster the last merge into this one absorbed


def case_key(case: CaseRef) -> str:
    return f"{case.district}/{case.complaint_id}"


def singleton(case: CaseRef) -> ClusterState:
    """The cluster of a complaint that no link has reached yet."""
    return ClusterState(
        cluster_id=stable_id("cluster", *case.key),
        size=1,
        districts=(case.district,),
        recent=(case,),
    )


@dataclass(frozen=True)
class Merge:
    kept: ClusterState
    absorbed: ClusterState  # now only a forwarding pointer to `kept`
    alert: AlertRaised | None


def merge(
    a: ClusterState, b: ClusterState, link: ComplaintsLinked, *, now: datetime
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
    joined = ClusterState(
        cluster_id=kept.cluster_id,
        size=kept.size + absorbed.size,
        districts=tuple(sorted({*kept.districts, *absorbed.districts})),
        recent=tuple(sorted(kept.recent + absorbed.recent, key=_in_time_order))[-MAX_LISTED:],
        path=(*kept.path, *absorbed.path, step)[-MAX_LISTED:],
        absorbed_last=absorbed.cluster_id,
    )
    return Merge(
        joined,
        _pointer(absorbed, joined),
        _cluster_alert(joined, link, now) if _news(kept, joined) else None,
    )


def _pointer(absorbed: ClusterState, kept: ClusterState) -> ClusterState:
    return ClusterState(cluster_id=absorbed.cluster_id, merged_into=kept.cluster_id)


def _news(kept: ClusterState, joined: ClusterState) -> bool:
    """Alert when a merge brings a new district into a group of three or more complaints.

    A complaint joining a group its district is already part of is told by its
    shared_identifier alert; alerting every district at every such merge would bury the
    news that matters (a gang reaching another district) in a storm.
    """
    new_district = set(joined.districts) != set(kept.districts)
    return new_district and len(joined.districts) >= 2 and joined.size >= MIN_CLUSTER_ALERT_SIZE


def _in_time_order(case: CaseRef) -> tuple[datetime, str, str]:
    return (case.registered_at, *case.key)


def _cluster_alert(cluster: ClusterState, link: ComplaintsLinked, now: datetime) -> AlertRaised:
    districts = ", ".join(cluster.districts)
    reason = (
        f"{cluster.size} complaints in {len(cluster.districts)} districts ({districts}) "
        f"are linked through shared identifiers into one group. The newest link is the "
        f"{link.identifier.type.value} {link.identifier.masked} shared by complaints "
        f"{link.earlier.complaint_id} ({link.earlier.district}) and "
        f"{link.later.complaint_id} ({link.later.district})."
    )
    return AlertRaised(
        alert_id=stable_id("cluster_linked", cluster.cluster_id, link.link_id),
        kind="cluster_linked",
        rule="cluster_linked",
        reason=reason,
        raised_at=now,
        received_at=link.received_at,
        identifier=link.identifier,
        trigger=link.later,
        cases=cluster.recent,
        cluster=ClusterSummary(
            cluster_id=cluster.cluster_id,
            size=cluster.size,
            districts=cluster.districts,
            path=cluster.path,
        ),
    )
