"""What an officer does in the console, put on the audit trail (services/notifier/audit)
before the page that shows it is sent: if the trail cannot be written, nothing is shown."""

from __future__ import annotations

from fastapi import Request

from crosslink.clock import utc_now
from services.notifier.audit.events import by_officer
from services.notifier.console.guard import SignedIn
from services.notifier.state import notifier_of


async def record(
    request: Request,
    signed_in: SignedIn,
    action: str,
    *,
    district: str | None = None,
    target: str | None = None,
    **detail: object,
) -> None:
    event = by_officer(
        signed_in.officer, action, at=utc_now(), district=district, target=target, **detail
    )
    await notifier_of(request).audit.append(event)
