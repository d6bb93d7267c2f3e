"""The audit entries the notifier records, one builder per kind of actor: an officer in the
console, a district's integrator key on the API, an operator's `crosslink` command, an
operator's decision on the alert topic."""

from __future__ import annotations

import uuid
from datetime import datetime

from crosslink.directory import key_actor
from schemas.events import AlertRaised
from services.notifier.accounts.account import Officer
from services.notifier.audit.chain import AuditEvent, detail_of

# A decision's record (services/matcher/matching.py) by the rule the matcher names it with.
DECISIONS = {
    "generic_value_decided": "generic_value.decided",
    "generic_value_withdrawn": "generic_value.withdrawn",
}


def by_officer(
    officer: Officer,
    action: str,
    *,
    at: datetime,
    district: str | None = None,
    target: str | None = None,
    **detail: object,
) -> AuditEvent:
    return _event(officer.actor, action, at, district, target, role=officer.role.value, **detail)


def by_key(
    district: str, action: str, *, at: datetime, target: str | None = None, **detail: object
) -> AuditEvent:
    """A district's integrator key acting on its own district's case data."""
    return _event(key_actor(district), action, at, district, target, **detail)


def by_command_line(
    user: str, action: str, *, at: datetime, target: str | None = None, **detail: object
) -> AuditEvent:
    """An operator's `crosslink` command, named by the login that ran it."""
    return _event(f"cli:{user}", action, at, None, target, **detail)


def _event(
    actor: str,
    action: str,
    at: datetime,
    district: str | None,
    target: str | None,
    **detail: object,
) -> AuditEvent:
    """An entry of its own (a fresh id): something done once, at `at`."""
    return AuditEvent(
        entry_id=uuid.uuid4().hex,
        at=at,
        actor=actor,
        action=action,
        district=district,
        target=target,
        detail=detail_of(**detail),
    )


def decision(alert: AlertRaised) -> AuditEvent | None:
    """An operator's generic-value decision, from the operators' record of it; None for any
    other alert. Its id is the alert's, so a record consumed twice is one entry."""
    action, facts = DECISIONS.get(alert.rule), alert.facts
    if action is None or facts is None:
        return None
    return AuditEvent(
        entry_id=f"decision-{alert.alert_id}",
        at=facts.decided_on or alert.raised_at,
        actor=f"operator:{facts.decided_by}",
        action=action,
        district=None,
        target=f"{alert.about.type} {alert.about.masked}",
        detail=detail_of(reason=facts.note),
    )
