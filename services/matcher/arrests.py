"""Who an arrest or seizure tells, and what: clustering's rule for a recorded arrest. Pure.

An arrest's seized identifiers reach the complaints naming them (for a number that changes
hands, those of the holder's run that reaches the arrest's date: recycling.py), and through
those complaints their whole gangs (the walk of withdrawals.py, a read per complaint, which an
arrest, rare next to complaints, can afford). Every district with such a complaint gets one
alert for the arrest, listing its own complaints, how many name a seized identifier, and whom
to call in the arresting district. A later state of the arrest (bail, a transfer) tells the
districts told before, whether or not they are still linked, and any newly linked.

The arrest's row, under its event key, records the districts told and the offset of the last
state applied: a state replayed after a crash (its offset not above the row's) writes the row
again as it is and raises nothing, the alerts it raised before the crash having been held by
the broker before the row was written (services/matcher/agents.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from crosslink.i18n import translator
from crosslink.reasons import word
from schemas.events import (
    AlertRaised,
    ArrestFacts,
    ArrestRecorded,
    CaseRef,
    ClusterSummary,
    IdentifierRef,
    ReasonFacts,
    SeizedIdentifier,
    in_time_order,
    state_of,
)
from schemas.pseudonyms import stable_id
from services.matcher.clustering import (
    MAX_LISTED,
    Rows,
    filed_row_of,
    live_cluster,
    member,
    path_of,
    strong,
    token_links,
)
from services.matcher.matching import MatchingRules
from services.matcher.withdrawals import gang_of, in_runs, members

RECORDED, STATUS_CHANGED = "arrest_recorded", "arrest_status_changed"


class ArrestRow(BaseModel):
    """An arrest as clustering has applied it: its last state, and every district told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offset: int  # the complaints-filed offset of the last state applied
    event_id: str  # that state's
    told: tuple[str, ...] = ()  # sorted

    def encoded(self) -> bytes:
        return self.model_dump_json().encode()


def on_arrest_recorded(
    rows: Rows, arrest: ArrestRecorded, *, offset: int, rules: MatchingRules, now: datetime
) -> list[AlertRaised]:
    """One alert per district the arrest (or its new state) tells, in district order; the
    arrest's row written. A state posted again unchanged tells nothing more."""
    key = arrest.key
    stored = rows.get(key)
    before = None if stored is None else ArrestRow.model_validate_json(stored)
    if before is not None and stored is not None and before.offset >= offset:
        rows[key] = stored  # replayed after a crash: its alerts are out, its row written again
        return []
    if before is not None and before.event_id == arrest.event_id:
        rows[key] = before.model_copy(update={"offset": offset}).encoded()
        return []
    linked = _Linked.of(rows, arrest, rules)
    told_before = before.told if before else ()
    districts = tuple(sorted({*told_before, *linked.by_district}))
    alerts = [
        linked.alert(arrest, offset, district, districts, told_before, now)
        for district in districts
    ]
    rows[key] = ArrestRow(offset=offset, event_id=arrest.event_id, told=districts).encoded()
    return alerts


class _Linked:
    """The complaints an arrest reaches: those naming a seized identifier, then their gangs."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        self.naming: dict[str, IdentifierRef] = {}  # complaint -> the seized identifier it names
        self.by_district: dict[str, list[str]] = {}  # its complaints, naming ones first
        # What an alert is about when none of the district's complaints names a seized
        # identifier: the first that reaches any complaint (or, reaching none now, the first).
        self.about: IdentifierRef | None = None

    @classmethod
    def of(cls, rows: Rows, arrest: ArrestRecorded, rules: MatchingRules) -> _Linked:
        linked = cls(rows)
        for identifier in strong(arrest.identifiers):
            for complaint in _naming(rows, identifier, arrest.arrested_at, rules):
                linked.naming.setdefault(complaint, identifier)
                linked.about = linked.about or identifier
        linked.about = linked.about or arrest.identifiers[0]
        gang = gang_of(rows, linked.naming)
        ordered = sorted(gang, key=lambda complaint: (complaint not in linked.naming, complaint))
        for complaint in ordered:
            linked.by_district.setdefault(complaint.split("/", 1)[0], []).append(complaint)
        return linked

    def alert(
        self,
        arrest: ArrestRecorded,
        offset: int,
        district: str,
        districts: tuple[str, ...],
        told_before: tuple[str, ...],
        now: datetime,
    ) -> AlertRaised:
        assert self.about is not None  # set by `of`
        own = self.by_district.get(district, [])
        cases = self._cases(own)
        naming = [complaint for complaint in own if complaint in self.naming]
        identifier = self.naming[naming[0]] if naming else self.about
        rule = STATUS_CHANGED if district in told_before else RECORDED
        facts = ReasonFacts(
            complaints=sum(len(each) for each in self.by_district.values()),
            districts=districts,
            states=tuple(sorted({state_of(d) for d in districts})),
            district=arrest.district,
            your_complaints=len(own),
            first_complaint_id=cases[0].complaint_id if cases else _first_id(own),
            naming_seized=len(naming),
            arrest=_facts_of(arrest),
        )
        return AlertRaised(
            # The state's place on complaints-filed (the same on replay and in a rematch): a
            # state put back to an earlier one is news under ids of its own.
            alert_id=stable_id("arrest", arrest.key, str(offset), district),
            kind="arrest",
            rule=rule,
            reason=word(rule, identifier, facts, translator("en")),
            facts=facts,
            raised_at=now,
            received_at=arrest.received_at,
            identifier=identifier,
            trigger=None,
            cases=tuple(cases[:MAX_LISTED]),
            cluster=self._cluster(cases),
            recipients=(district,),
        )

    def _cases(self, complaints: list[str]) -> list[CaseRef]:
        """The district's complaints as alerts list them: those naming a seized identifier
        first, each part in time order (a row from before gangs could split has no case)."""
        rows = (filed_row_of(self._rows, complaint) for complaint in complaints)
        cases = [row.case for row in rows if row is not None and row.case is not None]
        naming = [case for case in cases if member(case) in self.naming]
        rest = [case for case in cases if member(case) not in self.naming]
        return sorted(naming, key=in_time_order) + sorted(rest, key=in_time_order)

    def _cluster(self, cases: list[CaseRef]) -> ClusterSummary | None:
        """The gang of the district's first listed complaint, if it is more than that one."""
        if not cases:
            return None
        cluster = live_cluster(self._rows, cases[0])
        return cluster.summary(path_of(self._rows, cluster)) if cluster.size > 1 else None


def _naming(rows: Rows, identifier: IdentifierRef, at: datetime, rules: MatchingRules) -> list[str]:
    """The complaints a seized identifier links now: none while it is held generic; for one
    that changes hands, those of the runs that reach the arrest's date (a holder years before
    may be someone else)."""
    token = identifier.token
    links = token_links(rows, token)
    if links.generic or links.first is None:
        return []
    named = members(rows, token, links)
    if not links.pages and member(links.first) not in links.withdrawn:
        named = [member(links.first)]  # its one complaint: pages begin at its first join
    recycling = rules.recycling_window(identifier.type)
    if links.aged and recycling is not None:
        reached = [run for run in links.runs if run.reaches(at, recycling)]
        named = [complaint for complaint in named if in_runs(rows, complaint, reached)]
    return named


def _first_id(complaints: list[str]) -> str | None:
    """The first complaint's id, from its member string ("district/complaint id"): a row from
    before gangs could split has no case to list."""
    return complaints[0].split("/", 1)[1] if complaints else None


def arrest_key_of(alert: AlertRaised) -> str | None:
    """The arrest an arrest alert tells of, by its key (ArrestRecorded.key); None for others."""
    arrest = alert.facts.arrest if alert.facts else None
    return None if arrest is None else f"arrest:{arrest.district}/{arrest.arrest_id}"


def _facts_of(arrest: ArrestRecorded) -> ArrestFacts:
    return ArrestFacts(
        arrest_id=arrest.arrest_id,
        district=arrest.district,
        police_station=arrest.police_station,
        arrested_at=arrest.arrested_at,
        status=arrest.status,
        status_since=arrest.status_since,
        accused=arrest.accused,
        held_at=arrest.held_at,
        contact_name=arrest.contact_name,
        contact_phone=arrest.contact_phone,
        seized=tuple(
            SeizedIdentifier(type=identifier.type, masked=identifier.masked)
            for identifier in arrest.identifiers
        ),
    )
