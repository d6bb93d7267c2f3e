"""A look-up: what crosslink knows of one identifier an officer types, and never a raw value;
and a watch: to be told when a new complaint names it.

The officer's console (or a district's integrator) asks the notifier, which relays the typed
value to intake, the only service that may hold it. Intake takes the canon and the token and
asks the matcher, which answers for the token from its table (`TokenFootprint`); intake adds
each district's name and duty phone, whom to call (`LookupAnswer`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.api import DISTRICT_CODE_PATTERN, IdentifierSubmission, MaskedIdentifier
from schemas.identifiers import IdentifierType

LOOKUPS_PATH = "/v1/lookups"
WATCHES_PATH = "/v1/watches"
ARRESTS_RELAYED_PATH = "/v1/relayed/arrests"  # intake's, for arrests officers record
# The matcher's page for one token (services/matcher/lookups.py), routed to its partition's owner.
MATCHER_LOOKUP_PATH = "/lookups/{token}"


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LookupRequest(BaseModel):
    """One identifier as an officer typed it, with the qualifiers its type may take."""

    model_config = ConfigDict(extra="forbid")

    identifier: IdentifierSubmission


class DistrictCount(_Answer):
    """One district's complaints naming the identifier: how many, and its first (the earliest
    registered): the complaint to ask its cell about."""

    district: str
    complaints: int
    first_complaint_id: str
    first_police_station: str
    first_registered_at: AwareDatetime
    latest_registered_at: AwareDatetime


class TokenFootprint(_Answer):
    """What the matcher holds for one token: the complaints still linked through it (an
    officer's "not linked" takes one out), by district; the registry entries naming it; and
    whether operators hold it a generic value, which links nothing."""

    complaints: int = 0
    districts: tuple[DistrictCount, ...] = ()
    registry_entries: int = 0
    generic: bool = False


class DistrictToCall(DistrictCount):
    """A district's count, with its name, state and the cell's duty phones from the directory."""

    name: str
    state: str
    duty_phones: tuple[str, ...] = ()


class IdentifierFound(_Answer):
    """One canonical identifier of the typed value (a value can yield more than one, such as a
    UPI ID whose handle is a mobile number): its masked form, never the value."""

    type: IdentifierType
    masked: str
    known: bool = Field(description="named in a complaint or a registry entry")
    complaints: int
    districts: tuple[DistrictToCall, ...]
    registry_entries: int
    generic: bool


class LookupAnswer(_Answer):
    identifiers: Annotated[tuple[IdentifierFound, ...], Field(min_length=1)]

    @property
    def known(self) -> bool:
        return any(found.known for found in self.identifiers)


class WatchSubmission(LookupRequest):
    """Tell my district of each new complaint naming this identifier (for `CROSSLINK_WATCH_DAYS`
    from now: setting it again renews it), or, with `active` false, no longer."""

    active: bool = True


class WatchRelayed(WatchSubmission):
    """A watch as the notifier relays it to intake: for which district, set by whom."""

    district: Annotated[str, Field(pattern=DISTRICT_CODE_PATTERN)]
    watched_by: Annotated[str, Field(min_length=1, max_length=200)]


class WatchAnswer(_Answer):
    """What is now watched (each canonical identifier of the value, masked), and until when."""

    identifiers: tuple[MaskedIdentifier, ...]
    active: bool
    until: AwareDatetime
