"""A gang's page: every complaint of one cluster and the identifiers that link them, as the
matcher holds them (`GangGraph`), and never a raw value or a token. The notifier draws the
console's gang page and its case-diary exports from it, for an officer of a district in the gang
(services/notifier/gangs.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.events import CaseRef, state_of
from schemas.identifiers import IdentifierType

# The matcher's page for one cluster (services/matcher/lookups.py), routed to the worker that
# holds the clusters table.
MATCHER_GANG_PATH = "/gangs/{cluster_id}"
MAX_GANG_COMPLAINTS = 2_000  # listed on a gang's page; `size` is always exact


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GangIdentifier(_Answer):
    """An identifier that links complaints of the gang (for a number that changes hands, one
    holder's run of it)."""

    type: IdentifierType | None  # None: its row is from before gang pages kept it
    masked: str | None
    complaints: int  # every complaint naming it, in this gang or not
    in_gang: int  # the gang's complaints it links, listed or not
    members: tuple[int, ...]  # the listed complaints it links: places in GangGraph.complaints


class GangGraph(_Answer):
    """A gang as the matcher holds it now: its complaints in time order and the identifiers
    linking them. Past MAX_GANG_COMPLAINTS, those listed are the asking districts' (`for`),
    then the earliest."""

    cluster_id: str  # the live cluster's (a merged one's id leads to the cluster it joined)
    size: int
    districts: tuple[str, ...]
    complaints: tuple[CaseRef, ...]
    identifiers: tuple[GangIdentifier, ...]

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(sorted({state_of(district) for district in self.districts}))
