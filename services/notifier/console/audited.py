"""What an officer does in the console, on the audit trail (services/notifier/audit): a view
recorded before the page that shows it is sent (if the trail cannot be written, nothing is
shown); a change recorded in the same transaction as the change (`done_by`)."""

from __future__ import annotations

from fastapi import Request

from crosslink.clock import utc_now
from services.notifier.audit.chain import AuditEvent
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
    event = done_by(signed_in, action, district=district, target=target, **detail)
    await notifier_of(request).audit.append(event)


def done_by(
    signed_in: SignedIn,
    action: str,
    *,
    district: str | None = None,
    target: str | None = None,
    **detail: object,
) -> AuditEvent:
    """The entry for what the signed-in officer does, to be written with the change."""
    return by_officer(
        signed_in.officer, action, at=utc_now(), district=district, target=target, **detail
    )
