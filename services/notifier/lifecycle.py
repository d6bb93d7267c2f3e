"""An alert's workflow in a district's inbox: new -> acknowledged -> actioned -> closed. Pure.

A link a back-fill made starts as historical instead of new: it waits without reminders or
escalation, since its import's digest (a new alert) tells the district of it.

Officers only move an alert forward (a step may be skipped: closing acknowledges it too).
Asking for the status it already has changes nothing, so a retried request is harmless;
asking to move it back is a conflict, since another officer has moved it on meanwhile.
"""

from __future__ import annotations

from schemas.api import InboxStatus

ORDER: tuple[InboxStatus, ...] = ("historical", "new", "acknowledged", "actioned", "closed")
UNACKNOWLEDGED: InboxStatus = "new"
HISTORICAL: InboxStatus = "historical"


class StatusConflict(ValueError):
    """The requested status is behind the alert's current one."""


def may_move(current: InboxStatus, target: InboxStatus) -> bool:
    """True if `target` moves the alert on; False if it already has that status."""
    if ORDER.index(target) < ORDER.index(current):
        raise StatusConflict(f"the alert is already {current}; it cannot go back to {target}")
    return target != current
