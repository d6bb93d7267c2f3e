"""What each district is told when a back-fill ends: one digest instead of one alert per link.

Pure. A district's digest counts the links the import's complaints made that it was told of
(each waits in its inbox as historical), its own complaints among them, the other districts
they link to, and the gangs they are in. Its id is the import's and the district's, so a digest
composed twice (a re-consumed pass, two notifiers) is stored and delivered once. The links are
read back as `ImportLink`: only what a digest counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from crosslink.i18n import translator
from crosslink.reasons import IMPORT_DIGEST, word
from schemas.events import AlertRaised, ReasonFacts, districts_told
from schemas.pseudonyms import stable_id


class _Counted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _LinkedCase(_Counted):
    complaint_id: str
    district: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.district, self.complaint_id)


class _LinkedGang(_Counted):
    cluster_id: str


class ImportLink(_Counted):
    """A back-fill's link (a stored AlertRaised) as its digests count it: whom it told, the
    complaints it lists, its gang. The rest of the alert (its reason, facts, a gang's path of
    up to 100 steps) is skipped unread: decoding whole alerts was nearly all the time a big
    import's digests took."""

    audience: Literal["districts", "operators"] = "districts"
    recipients: tuple[str, ...] | None = None
    cases: tuple[_LinkedCase, ...] = ()
    cluster: _LinkedGang | None = None

    @property
    def districts(self) -> list[str]:
        return districts_told(self.audience, self.recipients, self.cases)


@dataclass
class _Tally:
    links: int = 0
    yours: set[tuple[str, str]] = field(default_factory=set)
    others: set[str] = field(default_factory=set)
    gangs: set[str] = field(default_factory=set)


def import_digests(
    import_id: str, links: Sequence[ImportLink], *, now: datetime
) -> list[AlertRaised]:
    """One digest per district told of any of `links` (the alerts the import raised)."""
    tallies: dict[str, _Tally] = {}
    for alert in links:
        for district in alert.districts:
            tally = tallies.setdefault(district, _Tally())
            tally.links += 1
            tally.yours |= {case.key for case in alert.cases if case.district == district}
            tally.others |= {case.district for case in alert.cases if case.district != district}
            if alert.cluster is not None:
                tally.gangs.add(alert.cluster.cluster_id)
    return [_digest(import_id, district, tally, now) for district, tally in sorted(tallies.items())]


def _digest(import_id: str, district: str, tally: _Tally, now: datetime) -> AlertRaised:
    facts = ReasonFacts(
        import_id=import_id,
        your_complaints=len(tally.yours),
        districts=tuple(sorted(tally.others)),
        links=tally.links,
        gangs=len(tally.gangs),
    )
    return AlertRaised(
        alert_id=stable_id(IMPORT_DIGEST, import_id, district),
        kind="import_digest",
        rule=IMPORT_DIGEST,
        reason=word(IMPORT_DIGEST, None, facts, translator("en")),
        facts=facts,
        raised_at=now,
        identifier=None,
        trigger=None,
        cases=(),
        recipients=(district,),
    )
