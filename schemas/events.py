"""Events on crosslink's topics. Each carries `schema_version`; none carries a raw identifier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas.identifiers import IdentifierType, Strength
from schemas.topics import ALERT_RAISED


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseRef(_Event):
    """One complaint as other districts may see it: where it was registered and when."""

    complaint_id: str
    district: str
    police_station: str
    registered_at: AwareDatetime
    # When the identifier this case is listed under was seen (an IP's log time), if given: a weak
    # identifier's window counts from here rather than from registered_at.
    observed_at: AwareDatetime | None = None
    # The back-fill (`crosslink import-complaints`) that brought this complaint in, if any: the
    # links it makes are told in one digest per district when the import closes (ImportClosed).
    import_id: str | None = None

    @property
    def seen_at(self) -> datetime:
        """When the identifier was seen in this complaint, as near as is known."""
        return self.observed_at or self.registered_at

    @property
    def key(self) -> tuple[str, str]:
        """Complaint ids are unique within a district, not across districts."""
        return (self.district, self.complaint_id)

    @property
    def state(self) -> str:
        """The state of the district: a district code starts with its state's code (MH-MUM)."""
        return state_of(self.district)


class _InDistrict(Protocol):
    @property
    def district(self) -> str: ...


def districts_told(
    audience: str, recipients: tuple[str, ...] | None, cases: Sequence[_InDistrict]
) -> list[str]:
    """Every district an alert goes to, each once: its recipients, or else the districts of its
    cases in case order (none for operators)."""
    if audience == "operators":
        return []
    if recipients is not None:
        return list(recipients)
    return list(dict.fromkeys(case.district for case in cases))


def in_time_order(case: CaseRef) -> tuple[datetime, str, str]:
    """A sort key: complaints by when they were registered, then by district and id."""
    return (case.registered_at, *case.key)


def state_of(district: str) -> str:
    """A district code is its state's ISO 3166-2:IN code, a hyphen, then its own (MH-MUM)."""
    return district.split("-", 1)[0]


class IdentifierRef(_Event):
    """An identifier in pseudonymous form: its type, keyed token and masked display form."""

    type: IdentifierType
    token: str
    key_id: str
    masked: str
    strength: Strength = Strength.STRONG
    benign: bool = False
    derived_from: IdentifierType | None = None
    # Shared by unrelated people by its very form (a bank's 1600 number, a placeholder IMEI).
    generic: bool = False

    @property
    def never_links(self) -> bool:
        """Benign and generic values are counted nowhere and link no complaints."""
        return self.benign or self.generic


class IdentifierSighted(_Event):
    """A complaint named this identifier. Published by intake, keyed by `identifier.token`."""

    schema_version: Literal[1] = 1
    event_id: str
    case: CaseRef
    identifier: IdentifierRef
    received_at: AwareDatetime
    observed_at: AwareDatetime | None = None  # an IP's log time, when the complaint gives it


class RegistryRef(_Event):
    """Where a suspect-registry entry comes from: its source and that source's reference."""

    source: str
    reference: str


class RegistryEntryAdded(_Event):
    """A known perpetrator identifier entered the suspect registry. Keyed by `identifier.token`."""

    schema_version: Literal[1] = 1
    entry_id: str
    identifier: IdentifierRef
    registry: RegistryRef
    added_at: AwareDatetime


class GenericValueDecided(_Event):
    """An operator decided that an identifier is a generic value shared by unrelated people (a
    helpline, a bank's published number, a cloned IMEI), or withdrew that decision. Keyed by
    `identifier.token`; the topic keeps every decision, with who made it."""

    schema_version: Literal[1] = 1
    decision_id: str
    identifier: IdentifierRef
    generic: bool  # False withdraws an earlier decision
    reason: str
    decided_by: str  # the operator's name in the districts directory
    decided_at: AwareDatetime


class WatchChanged(_Event):
    """An officer (or a district's integrator) asked to be told when a new complaint names this
    identifier, until `until`; or, with `active` false, no longer. Published by intake on the
    sightings topic, in its token's partition under the key `watch:<token>`, so the matcher reads
    it in one order with the token's complaints. A district's watcher holds one watch per
    identifier: setting it again renews it."""

    schema_version: Literal[1] = 1
    watch_id: str
    identifier: IdentifierRef
    district: str  # the district told
    watched_by: str  # "officer:<username>" or "key:<district>"
    active: bool = True
    changed_at: AwareDatetime
    until: AwareDatetime


WithdrawalReason = Literal["victims_own", "wrong_entry", "generic_value"]


class LinkWithdrawn(_Event):
    """An officer said a complaint of their district is not linked to others through this
    identifier: it is the victim's own, it was entered wrongly, or it is a generic value. The
    matcher stops linking the complaint through it and splits a gang that this link alone held
    together. Published by the notifier keyed by `identifier.token`, to the link-withdrawn topic
    and, for clustering, to complaints-filed; one id per (identifier, complaint)."""

    schema_version: Literal[1] = 1
    withdrawal_id: str
    identifier: IdentifierRef
    case: CaseRef
    reason: WithdrawalReason
    alert_id: str  # the alert the officer said it on
    withdrawn_by: str  # the officer's account
    withdrawn_at: AwareDatetime


class TokenRekeyed(_Event):
    """A key rotation: what a token of the history becomes under the new key. Written by
    `crosslink rekey` (which holds intake's keys), keyed by the old token; `crosslink rematch`
    reads it to rebuild the tables under the new tokens. Holds no raw value."""

    schema_version: Literal[1] = 1
    token: str
    key_id: str  # the key `token` was made under
    rotated: str
    rotated_key_id: str


class ComplaintFiled(_Event):
    """A complaint and every identifier it names, in pseudonymous form. Published by intake on a
    one-partition topic, keyed by "district/complaint id": clustering reads complaints in the one
    order intake accepted them, so the same complaints make the same gangs and cluster alerts
    however the matcher's partitions interleave."""

    schema_version: Literal[1] = 1
    event_id: str
    case: CaseRef
    identifiers: tuple[IdentifierRef, ...]
    received_at: AwareDatetime


CustodyStatus = Literal[
    "seized_only",  # identifiers seized, no one arrested
    "police_custody",
    "judicial_custody",
    "on_bail",
    "transferred",  # to another district's or state's custody
    "released",
]


class ArrestRecorded(_Event):
    """An arrest or seizure an officer recorded, or a later state of it (bail, a transfer):
    the seized phones, SIMs, handsets, accounts, UPI IDs and profiles in pseudonymous form,
    where and by whom, and whom to call. Published by intake on complaints-filed, keyed
    "arrest:<district>/<arrest id>", so clustering reads it in one order with the complaints;
    each state of one arrest is its own event (`event_id` names the arrest, the status and
    since when), and tells the districts the arrest told before, and any newly linked."""

    schema_version: Literal[1] = 1
    event_id: str
    arrest_id: str  # unique within the arresting district, as complaint ids are
    district: str  # the arresting district
    police_station: str
    arrested_at: AwareDatetime  # when the arrest or seizure was made
    status: CustodyStatus
    status_since: AwareDatetime
    accused: int  # persons arrested (0 for a seizure alone); no names: they are in the FIR
    held_at: str | None = None  # where the accused are held (a police station, a jail)
    contact_name: str  # the arresting district's officer to call
    contact_phone: str
    identifiers: Annotated[tuple[IdentifierRef, ...], Field(min_length=1)]  # seized
    recorded_by: str  # "officer:<username>" or "key:<district>"
    received_at: AwareDatetime

    @property
    def key(self) -> str:
        """Its key on complaints-filed: no complaint's key ("district/id") begins with it."""
        return f"arrest:{self.district}/{self.arrest_id}"


class SeizedIdentifier(_Event):
    """A seized identifier as a district is told of it: its type and masked form."""

    type: IdentifierType
    masked: str


class ArrestFacts(_Event):
    """An arrest as an alert tells it (ArrestRecorded without tokens or who recorded it)."""

    arrest_id: str
    district: str
    police_station: str
    arrested_at: AwareDatetime
    status: CustodyStatus
    status_since: AwareDatetime
    accused: int
    held_at: str | None
    contact_name: str
    contact_phone: str
    seized: tuple[SeizedIdentifier, ...]


class PathStep(_Event):
    """One step of an explained path: these two complaints share this identifier."""

    earlier: CaseRef
    later: CaseRef
    identifier_type: IdentifierType
    identifier_masked: str


class ClusterSummary(_Event):
    """A gang's footprint: complaints linked through any chain of shared identifiers."""

    cluster_id: str
    size: int
    districts: tuple[str, ...]
    path: tuple[PathStep, ...]
    states: tuple[str, ...] = ()


class Footprint(_Event):
    """How far one identifier has spread, exactly, however many complaints name it."""

    complaints: int
    districts: tuple[str, ...]
    states: tuple[str, ...]
    earliest: CaseRef


class ReasonFacts(_Event):
    """What an alert's reason states, as data, so each reader words it in its own language
    (`crosslink.reasons`); `reason` is the English wording. `rule` says which sentence; each rule
    fills the fields its sentence names (docs/webhooks.md), the others stay empty."""

    complaints: int | None = None  # complaints naming the identifier, or in the group
    districts: tuple[str, ...] = ()  # the districts involved
    states: tuple[str, ...] = ()  # their states
    complaint_id: str | None = None  # the complaint the alert is about
    district: str | None = None  # its district
    earlier: CaseRef | None = None  # the earliest complaint, or the one it links to
    your_complaints: int | None = None  # the receiving district's complaints naming it
    first_complaint_id: str | None = None  # the first of them
    new_districts: tuple[str, ...] = ()  # districts new since the last alert or summary
    new_states: tuple[str, ...] = ()  # states new since the last summary
    new_complaints: int | None = None  # complaints new since the last summary
    threshold: int | None = None  # the prolific-identifier threshold, when it was just passed
    window_hours: float | None = None  # a weak identifier's matching window
    recycling_days: int | None = None  # the gap past which a number may have a new holder
    period_hours: float | None = None  # the least time between two summaries
    registry: tuple[str, ...] = ()  # suspect registry entries, "source reference"
    decided_by: str | None = None  # the operator who decided a generic value
    decided_on: AwareDatetime | None = None
    note: str | None = None  # the operator's reason, in their words
    districts_told: int | None = None  # districts told of a generic-value decision
    withdrawn_because: WithdrawalReason | None = None  # why an officer said "not linked"
    weak: bool = False  # a weak identifier (an IP shared by many): a lead, not a fact
    import_id: str | None = None  # the back-fill an import digest is about
    links: int | None = None  # the back-fill's links told to the district
    gangs: int | None = None  # the gangs those links are in
    watched_by: str | None = None  # who set the watch a new complaint fired
    watched_since: AwareDatetime | None = None
    arrest: ArrestFacts | None = None  # the arrest or seizure an arrest alert tells
    naming_seized: int | None = None  # the district's complaints naming a seized identifier


AlertKind = Literal[
    "shared_identifier",
    "registry_hit",
    "hub_identifier",
    "cluster_linked",
    "generic_value",
    "link_withdrawn",
    "import_digest",
    "watch_hit",
    "arrest",
]


class AlertRaised(_Event):
    """Something a district (or an operator) must know. Published by the matcher, keyed by id.

    `rule` names the matching rule that fired and `reason` explains it in plain English;
    `facts` holds what the reason states, for a reader to word it in another language.
    Operator alerts (`audience: operators`) go to the operations team, not to districts.
    """

    schema_version: Literal[1] = 1
    alert_id: str
    kind: AlertKind
    rule: str
    reason: str
    facts: ReasonFacts | None = None  # the reason as data (absent on alerts before it existed)
    audience: Literal["districts", "operators"] = "districts"
    raised_at: AwareDatetime
    # When intake received the complaint or registry entry that caused this alert: the start
    # of the end-to-end latency the notifier measures to each delivery.
    received_at: AwareDatetime | None = None
    identifier: IdentifierRef | None  # None only on an import digest, which is about many
    trigger: CaseRef | None
    cases: tuple[CaseRef, ...]
    registry: tuple[RegistryRef, ...] = ()
    cluster: ClusterSummary | None = None
    footprint: Footprint | None = None
    # Who is told, when not every district with a case listed (a digest lists a sample of a
    # prolific identifier's complaints; a cluster alert goes to every district of the cluster).
    recipients: tuple[str, ...] | None = None
    # Raised by a back-filled complaint of this import: stored in the inboxes as historical,
    # and told in the import's digest rather than one by one.
    import_id: str | None = None

    @property
    def about(self) -> IdentifierRef:
        """The identifier the alert is about: every alert the matcher raises has one."""
        if self.identifier is None:
            raise ValueError(f"alert {self.alert_id} ({self.kind}) is about no one identifier")
        return self.identifier

    @property
    def districts(self) -> list[str]:
        """Every district this alert goes to, each once: its recipients, or else the districts
        of its cases in case order (none for operators)."""
        return districts_told(self.audience, self.recipients, self.cases)


IMPORT_MARKER_PREFIX = "import:"


def import_marker_key(import_id: str) -> str:
    """The key of an import's markers: no token, complaint or alert id begins with it."""
    return IMPORT_MARKER_PREFIX + import_id


def is_import_marker(key: bytes | None) -> bool:
    return key is not None and key.startswith(IMPORT_MARKER_PREFIX.encode())


WATCH_KEY_PREFIX = "watch:"


def watch_key(token: str) -> str:
    """The key of a watch on the sightings topic: no token begins with it."""
    return WATCH_KEY_PREFIX + token


def is_watch(key: bytes | None) -> bool:
    return key is not None and key.startswith(WATCH_KEY_PREFIX.encode())


class ImportClosed(_Event):
    """An importer's word that every complaint of a back-fill has been posted.

    Intake writes it to every partition of the sightings and complaints-filed topics, keyed
    `import:<id>`, behind the import's complaints: whatever the matcher reads after it on a
    partition, it has read every complaint of the import that went there.
    """

    schema_version: Literal[1] = 1
    import_id: str
    district: str  # the importing district
    closed_at: AwareDatetime
    # The partition it was written to: where it sits, unless a dead letter was sent back.
    partition: int


class ImportPassed(_Event):
    """The matcher's word, on one partition of the alerts topic, that every alert the import's
    complaints on one source partition raised is before it there. The notifier tells the
    import's digest once it has one from every source partition on every alerts partition."""

    schema_version: Literal[1] = 1
    import_id: str
    district: str
    closed_at: AwareDatetime
    source_topic: str
    source_partition: int
    alerts_partition: int  # the alerts partition it was written to


def passes_of(closed: ImportClosed, topic: str) -> list[ImportPassed]:
    """The passes of an import's end read on `topic`, one for each alerts partition in turn."""
    return [
        ImportPassed(
            import_id=closed.import_id,
            district=closed.district,
            closed_at=closed.closed_at,
            source_topic=topic,
            source_partition=closed.partition,
            alerts_partition=partition,
        )
        for partition in range(ALERT_RAISED.partitions)
    ]


# The complaints-filed topic's records: a filed complaint, an arrest, or a generic-value
# decision or a withdrawn link again.
FiledEvent = ComplaintFiled | ArrestRecorded | GenericValueDecided | LinkWithdrawn | ImportClosed
FILED_EVENT: TypeAdapter[FiledEvent] = TypeAdapter(FiledEvent)


class AuditEntryRecorded(_Event):
    """A copy of one entry of the audit trail (services/notifier/audit), made after it was
    written in the notifier's database. Keyed by `chain` and `seq`; `chain` names the database's
    trail, so copies of different databases' trails never mix. Holds no raw identifier."""

    schema_version: Literal[1] = 1
    chain: str
    seq: int
    entry_id: str
    at: AwareDatetime
    actor: str
    action: str
    district: str | None
    target: str | None
    detail: str
    prev_hash: str
    hash: str
