"""Events on crosslink's topics. Each carries `schema_version`; none carries a raw identifier."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.identifiers import IdentifierType, Strength


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseRef(_Event):
    """One complaint as other districts may see it: where it was registered and when."""

    complaint_id: str
    district: str
    police_station: str
    registered_at: AwareDatetime

    @property
    def key(self) -> tuple[str, str]:
        """Complaint ids are unique within a district, not across districts."""
        return (self.district, self.complaint_id)


class IdentifierRef(_Event):
    """An identifier in pseudonymous form: its type, keyed token and masked display form."""

    type: IdentifierType
    token: str
    key_id: str
    masked: str
    strength: Strength = Strength.STRONG
    benign: bool = False
    derived_from: IdentifierType | None = None


class IdentifierSighted(_Event):
    """A complaint named this identifier. Published by intake, keyed by `identifier.token`."""

    schema_version: Literal[1] = 1
    event_id: str
    case: CaseRef
    identifier: IdentifierRef
    received_at: datetime


class AlertRaised(_Event):
    """Complaints share an identifier. Published by the matcher, keyed by `alert_id`."""

    schema_version: Literal[1] = 1
    alert_id: str
    kind: Literal["shared_identifier"] = "shared_identifier"
    raised_at: datetime
    identifier: IdentifierRef
    trigger: CaseRef
    cases: tuple[CaseRef, ...]

    @property
    def districts(self) -> list[str]:
        """Every district with a case in this alert, each once, in case order."""
        return list(dict.fromkeys(case.district for case in self.cases))
