"""Test data builders: complaint bodies as integrators send them."""

from __future__ import annotations

import random
import uuid
from typing import Any


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
