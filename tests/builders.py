"""Test data builders: complaint bodies as integrators send them, alerts as the matcher
publishes them."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from crosslink.directory import District, DistrictsDirectory
from crosslink.i18n import translator
from crosslink.reasons import word
from schemas.events import (
    AlertKind,
    AlertRaised,
    CaseRef,
    ComplaintFiled,
    IdentifierRef,
    IdentifierSighted,
    ReasonFacts,
)
from schemas.identifiers import IdentifierType
from schemas.topics import COMPLAINTS_FILED, IDENTIFIER_SIGHTED
from services.matcher.batches import HistoryRecord, Position
from services.notifier.accounts.account import Officer
from services.notifier.accounts.enrolment import new_account
from services.notifier.accounts.roles import Role


def complaint_body(
    district: str,
    *identifiers: tuple[str, str],
    complaint_id: str | None = None,
    police_station: str = "Cyber Police Station",
    registered_at: str = "2026-11-20T10:15:00+05:30",
) -> dict[str, Any]:
    return {
        "complaint_id": complaint_id or f"C-{uuid.uuid4().hex[:12]}",
        "district": district,
        "police_station": police_station,
        "registered_at": registered_at,
        "identifiers": [{"type": kind, "value": value} for kind, value in identifiers],
    }


def unique_mobile() -> str:
    """A valid Indian mobile number no other test uses, written the way officers type it."""
    digits = f"9{random.randrange(10**8, 10**9)}"
    return f"+91 {digits[:5]} {digits[5:]}"


def unique_upi() -> str:
    return f"gang{uuid.uuid4().hex[:10]}@ybl"


def unique_public_ip() -> str:
    """An address in 49.0.0.0/8 (allocated to Indian carriers): public, so the canon accepts it."""
    return f"49.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def alert_raised(*districts: str, kind: AlertKind = "shared_identifier") -> AlertRaised:
    """An alert as the matcher publishes it, with one case in each of `districts`."""
    now = datetime.now(UTC)
    cases = tuple(
        CaseRef(complaint_id=f"C-{uuid.uuid4().hex[:8]}", district=district,
                police_station=f"Cyber PS {district}", registered_at=now)
        for district in districts
    )  # fmt: skip
    identifier = IdentifierRef(
        type=IdentifierType.PHONE,
        token=f"tok_{uuid.uuid4().hex}",
        key_id="k1",
        masked="+91 98•••••210",
    )
    # A shared-identifier alert carries its facts as the matcher's do; the other kinds only an
    # English reason, as alerts raised before facts existed.
    facts = ReasonFacts(complaints=len(cases), districts=tuple(dict.fromkeys(districts)))
    shared = kind == "shared_identifier"
    return AlertRaised(
        alert_id=f"alert_{uuid.uuid4().hex[:16]}",
        kind=kind,
        rule=kind,
        reason=word(kind, identifier, facts, translator("en"))
        if shared
        else f"The same phone was named in complaints in {', '.join(districts)}.",
        facts=facts if shared else None,
        raised_at=now,
        received_at=now,
        identifier=identifier,
        trigger=cases[-1],
        cases=cases,
    )


HISTORY_NOW = datetime(2026, 11, 23, tzinfo=UTC)
HISTORY_PHONE = IdentifierRef(
    type=IdentifierType.PHONE, token="a" * 64, key_id="k1", masked="+91 9•••"
)
HISTORY_DISTRICTS = ("MH-MUM", "MP-BPL", "WB-KOL")


def history_case(n: int) -> CaseRef:
    """Complaint `n` of a history: the districts in turn, an hour apart."""
    return CaseRef(complaint_id=f"C-{n}", district=HISTORY_DISTRICTS[n % 3], police_station="PS",
                   registered_at=HISTORY_NOW + timedelta(hours=n))  # fmt: skip


def sighting_record(n: int, *, partition: int = 4, district: str | None = None) -> HistoryRecord:
    """The sighting of complaint `n` naming HISTORY_PHONE, as read back from its partition."""
    case = history_case(n)
    case = case if district is None else case.model_copy(update={"district": district})
    sighting = IdentifierSighted(event_id=f"e-{n}", case=case, identifier=HISTORY_PHONE,
                                 received_at=HISTORY_NOW)  # fmt: skip
    position = Position(IDENTIFIER_SIGHTED.name, partition, offset=n, timestamp_ms=n)
    return HistoryRecord(
        position, HISTORY_PHONE.token.encode(), sighting.model_dump_json().encode()
    )


def filed_record(n: int) -> HistoryRecord:
    """Complaint `n` filed naming HISTORY_PHONE, at offset `n` of the complaints topic."""
    filed = ComplaintFiled(event_id=f"f-{n}", case=history_case(n), identifiers=(HISTORY_PHONE,),
                           received_at=HISTORY_NOW)  # fmt: skip
    return HistoryRecord(
        Position(COMPLAINTS_FILED.name, 0, n), b"k", filed.model_dump_json().encode()
    )


OFFICER_PASSWORD = "correct horse battery staple"


def officer_account(
    username: str = "mum.io",
    *,
    role: Role = Role.INVESTIGATING_OFFICER,
    district: str | None = "MH-MUM",
    state: str | None = None,
    password: str = OFFICER_PASSWORD,
) -> Officer:
    """An active account that has never signed in (made as `crosslink officers add` makes one,
    against a directory holding just the place it serves)."""
    place = District(code=district or "MH-MUM", name="Somewhere", state=state or "Maharashtra")
    return new_account(
        username=username,
        name=f"Officer {username}",
        role=role,
        district=district,
        state=state,
        password=password,
        directory=DistrictsDirectory(districts=(place,)),
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
