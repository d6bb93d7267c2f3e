"""Bodies of crosslink's REST API, validated at the edge and passed inward as models."""

from __future__ import annotations

from typing import Annotated, Literal, Self

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.events import (
    AlertKind,
    CaseRef,
    ClusterSummary,
    CustodyStatus,
    Footprint,
    IdentifierRef,
    ReasonFacts,
    RegistryRef,
)
from schemas.identifiers import IdentifierType

MAX_IDENTIFIERS_PER_COMPLAINT = 100
DISTRICT_CODE_PATTERN = r"^[A-Z]{2}-[A-Z]{3}$"


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Text with a character that is not whitespace as Python's str.isspace() has it. The published
# JSON Schema says the same with a pattern (ECMA-262's \s lacks \x1c-\x1f and \x85), so the
# schema admits a body exactly when the model does (tests/unit/test_contracts.py).
NotBlank = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"pattern": r"[^\s\x1c-\x1f\x85]"}),
    AfterValidator(_not_blank),
]


def _phone_to_call(value: str) -> str:
    """A police phone as an officer elsewhere dials it: +91 74104 10123 (Indian by default)."""
    try:
        number = phonenumbers.parse(value, "IN")
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number ({error})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


PhoneToCall = Annotated[str, AfterValidator(_phone_to_call)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IdentifierSubmission(_Body):
    # The rule of _port_and_time_for_an_ip_only, in the published schema too.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"type": {"const": "ip"}}, "required": ["type"]},
            "else": {"properties": {"port": {"type": "null"}, "observed_at": {"type": "null"}}},
        }
    )

    type: IdentifierType
    value: Annotated[
        NotBlank,
        Field(
            max_length=512,
            description="as written; checked by the identifier canon for its type "
            "(docs/identifiers.md), which may refuse it with a code (422)",
        ),
    ]
    platform: Annotated[
        str | None,
        Field(max_length=32, description="social only: the platform of an @handle"),
    ] = None
    ifsc: Annotated[
        str | None,
        Field(
            max_length=16,
            description="bank_account: the account's IFSC; transaction_ref: the IFSC or "
            "4-letter code of the bank that issued a 12-digit reference (RRN)",
        ),
    ] = None
    port: Annotated[
        int | None,
        Field(
            strict=True,  # a number, not `true` or "443"
            ge=1,
            le=65535,
            description="ip only: the source port the log shows; a carrier-grade NAT address "
            "(100.64.0.0/10) links only with its port and observed_at",
        ),
    ] = None
    observed_at: Annotated[
        AwareDatetime | None,
        Field(
            description="ip only: when the address was seen (the log's time, with its offset); "
            "its weak-link window counts from here rather than from the complaint's registration"
        ),
    ] = None

    @model_validator(mode="after")
    def _port_and_time_for_an_ip_only(self) -> Self:
        if self.type is not IdentifierType.IP and (self.port, self.observed_at) != (None, None):
            raise ValueError("port and observed_at go with an ip only")
        return self


class RegistryEntrySubmission(IdentifierSubmission):
    """A known perpetrator identifier for the suspect registry, with where it comes from."""

    source: Annotated[NotBlank, Field(max_length=64, examples=["NCRP"])]
    reference: Annotated[NotBlank, Field(max_length=128, examples=["NCRP-2026-18812"])]


MAX_REGISTRY_ENTRIES_PER_REQUEST = 1000


class GenericValueSubmission(IdentifierSubmission):
    """An operator's decision that a value is generic (shared by unrelated people), so that it
    links nothing; `generic: false` withdraws it."""

    generic: bool = True
    reason: Annotated[NotBlank, Field(max_length=500, examples=["SBI's published 1600 number"])]


class MaskedIdentifier(BaseModel):
    """An identifier as crosslink shows it: its type and masked form, never its value."""

    type: IdentifierType
    masked: str


class GenericValueAccepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    generic: bool
    identifier: MaskedIdentifier


class RegistrySubmission(_Body):
    entries: Annotated[
        list[RegistryEntrySubmission],
        Field(min_length=1, max_length=MAX_REGISTRY_ENTRIES_PER_REQUEST),
    ]


class RegistryAccepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    entries_accepted: int


class ComplaintSubmission(_Body):
    """A complaint as a district's case-management system posts it. No victim data."""

    complaint_id: Annotated[
        str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    ]
    district: Annotated[str, Field(pattern=DISTRICT_CODE_PATTERN, examples=["MH-MUM"])]
    police_station: Annotated[NotBlank, Field(max_length=128)]
    registered_at: AwareDatetime
    identifiers: Annotated[
        list[IdentifierSubmission],
        Field(min_length=1, max_length=MAX_IDENTIFIERS_PER_COMPLAINT),
    ]


class IdentifierNotice(BaseModel):
    """What is true of an accepted identifier's value by its form alone, whatever else crosslink
    holds: it never links complaints (`<type>.benign`, `<type>.generic`), or it is a payment
    merchant's (`upi.merchant`)."""

    field: str
    code: str
    masked: str
    reason: str


class ComplaintAccepted(BaseModel):
    """The same shape whether or not the complaint matches anything (no oracle): notices depend
    on each value's form alone."""

    status: Literal["accepted"] = "accepted"
    complaint_id: str
    district: str
    identifiers_accepted: int
    notices: list[IdentifierNotice] = []


MAX_SEIZED = 100  # identifiers seized in one arrest or seizure
# In the path of PUT /v1/arrests/{id}: no "/" (a case number "42/2026" is put as "42-2026").
ArrestId = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


class ArrestSubmission(_Body):
    """An arrest or seizure as the arresting district records it, or a later state of it: put
    again under the same id with the new status (bail, a transfer). No accused's name: the
    districts told call the contact for what the FIR holds."""

    # The rule of _no_one_arrested_only_for_a_seizure, in the published schema too.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"status": {"const": "seized_only"}}, "required": ["status"]},
            "then": {"properties": {"accused": {"const": 0}}},
            "else": {"properties": {"accused": {"minimum": 1}}},
        }
    )

    district: Annotated[str, Field(pattern=DISTRICT_CODE_PATTERN, examples=["JH-JAM"])]
    police_station: Annotated[NotBlank, Field(max_length=128, examples=["Cyber PS Jamtara"])]
    arrested_at: Annotated[AwareDatetime, Field(description="when the arrest or seizure was made")]
    status: Annotated[
        CustodyStatus,
        Field(description="where the accused are now; seized_only: no one was arrested"),
    ]
    status_since: Annotated[
        AwareDatetime | None, Field(description="when the status began; arrested_at if absent")
    ] = None
    accused: Annotated[int, Field(strict=True, ge=0, le=1000, description="persons arrested")]
    held_at: Annotated[NotBlank | None, Field(max_length=128, examples=["Central Jail, Dumka"])] = (
        None
    )
    contact_name: Annotated[NotBlank, Field(max_length=128, examples=["Insp. R. Murmu"])]
    contact_phone: Annotated[
        PhoneToCall, Field(max_length=32, description="a phone number the districts told can call")
    ]
    seized: Annotated[
        list[IdentifierSubmission],
        Field(
            min_length=1,
            max_length=MAX_SEIZED,
            description="phones, SIMs, IMEIs, accounts, UPI IDs, profiles seized",
        ),
    ]

    @field_validator("accused")
    @classmethod
    def _no_one_arrested_only_for_a_seizure(cls, accused: int, info: ValidationInfo) -> int:
        status = info.data.get("status")  # absent if it was itself invalid
        if status is not None and (status == "seized_only") != (accused == 0):
            raise ValueError("is 0 exactly when the status is seized_only")
        return accused


class ArrestRelayed(ArrestSubmission):
    """An arrest an officer recorded in the console, as the notifier relays it to intake with
    its relay key (it authenticated the officer of `district` and audits it)."""

    arrest_id: ArrestId
    recorded_by: Annotated[str, Field(pattern=r"^officer:.+$", max_length=128)]


class ArrestAccepted(BaseModel):
    """The arrest (or its new state) is durably in Kafka; the districts its seized identifiers
    reach are told by the matcher. The same shape whatever they reach (no oracle)."""

    status: Literal["accepted"] = "accepted"
    arrest_id: str
    district: str
    identifiers_seized: int
    notices: list[IdentifierNotice] = []


class FieldProblem(BaseModel):
    field: str
    code: str
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document; `errors` lists each offending field."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


MAX_BATCH = 500  # complaints in one POST /v1/complaints/batch
# An import's id: letters, digits and . _ - (it names the import in digests and in the console).
ImportId = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


class ComplaintBatch(_Body):
    """Up to 500 complaints in one request, for a back-fill: each is one `POST /v1/complaints`
    body, validated on its own, so one bad complaint refuses only itself."""

    complaints: Annotated[list[dict[str, object]], Field(min_length=1, max_length=MAX_BATCH)]
    # A back-fill's id: its complaints link and cluster as usual, but the districts are told of
    # their links in one digest when the import is closed (POST /v1/imports/{id}/closed).
    import_id: ImportId | None = None


class ImportClosedAccepted(BaseModel):
    """The import's end is marked behind its complaints on every partition: each district with
    links from it gets its digest once the matcher has read that far."""

    import_id: str


class BatchItemResult(BaseModel):
    """What became of one complaint of a batch, by its place in it."""

    index: int
    status: Literal["accepted", "refused"]
    complaint_id: str | None = None  # as posted, if it had one
    identifiers_accepted: int = 0
    notices: list[IdentifierNotice] = []
    problem: Problem | None = None  # why it was refused, as the single route would answer


class ComplaintBatchAccepted(BaseModel):
    """Every complaint accepted is durably in Kafka, as with `POST /v1/complaints`; the refused
    ones changed nothing and can be posted again once corrected."""

    accepted: int
    refused: int
    results: list[BatchItemResult]


class DistrictAlert(BaseModel):
    """An alert as one district sees it (webhook `data`, email, inbox): its cases first."""

    model_config = ConfigDict(frozen=True)

    alert_id: str
    kind: AlertKind
    rule: str
    reason: str  # in English; `facts` holds what it states (docs/webhooks.md)
    facts: ReasonFacts | None = None
    district: str
    raised_at: AwareDatetime
    identifier: IdentifierRef | None  # None only on an import digest, which is about many links
    your_cases: list[CaseRef]
    other_cases: list[CaseRef]
    trigger: CaseRef | None
    registry: list[RegistryRef]
    cluster: ClusterSummary | None
    # An identifier's exact spread (complaints, districts, states, the earliest complaint).
    footprint: Footprint | None = None


# "historical": a link a back-fill made, told in its import's digest (never reminded).
InboxStatus = Literal["historical", "new", "acknowledged", "actioned", "closed"]
InboxMove = Literal["acknowledged", "actioned", "closed"]  # where an officer may move one
NOTE_MAX_LENGTH = 2000


NEEDS_A_NOTE = ("actioned", "closed")


class InboxStatusChange(_Body):
    """Move an alert on in the district's workflow. Actioned and closed need a note."""

    # The rule below, in the published schema too: JSON Schema's if/then.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {"status": {"enum": list(NEEDS_A_NOTE)}},
                "required": ["status"],
            },
            "then": {"properties": {"note": {"type": "string"}}, "required": ["note"]},
        }
    )

    status: InboxMove
    note: Annotated[NotBlank, Field(max_length=NOTE_MAX_LENGTH)] | None = None

    @model_validator(mode="after")
    def _note_for_actioned_and_closed(self) -> InboxStatusChange:
        if self.status in NEEDS_A_NOTE and self.note is None:
            raise ValueError(f"a note saying what was done is required to mark it {self.status}")
        return self


class DeliveryState(BaseModel):
    """How one channel's delivery of an alert (or of its reminder) to the district went."""

    channel: Literal["webhook", "email"]
    purpose: Literal["alert", "reminder"]
    status: Literal["pending", "delivered", "held", "dead"]
    attempts: int
    last_outcome: str | None


class InboxAlert(BaseModel):
    """One alert in a district's inbox, with where the district's officers are on it."""

    alert_id: str
    kind: AlertKind
    status: InboxStatus
    note: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    acknowledged_at: AwareDatetime | None
    reminders: int
    alert: DistrictAlert
    deliveries: list[DeliveryState]


class InboxPage(BaseModel):
    """A page of a district's inbox, newest first; pass `next` as `cursor` for the next page."""

    items: list[InboxAlert]
    next: str | None


class ImportProgress(BaseModel):
    """A back-fill as the notifier sees it: its links held back as historical, how far its end
    has passed (every pass in: its digests can be told), and when they were."""

    import_id: str
    links: int  # alerts held back as historical, counted in its digests
    closed_by: str | None  # the district that closed it; None while not closed
    closed_at: AwareDatetime | None
    passes: int
    passes_needed: int
    digested_at: AwareDatetime | None


class OperatorAlert(BaseModel):
    """Something the operations team must look at (not a district's alert)."""

    operator_alert_id: str
    kind: str
    reason: str
    district: str | None
    alert_id: str | None
    delivery_id: str | None
    raised_at: AwareDatetime
