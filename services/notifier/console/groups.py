"""The gang a complaint belongs to, as far as the district's inbox tells it. Pure.

The matcher announces a group (a `cluster_linked` alert) when it first spans two districts and
three complaints, and again each time it reaches another district; each announcement lists its
latest complaints. The newest announcement naming one of an alert's complaints is the group
those complaints belong to now.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.api import InboxAlert


def group_of(item: InboxAlert, announcements: Iterable[InboxAlert]) -> InboxAlert | None:
    """The newest of `announcements` (given newest first) naming one of `item`'s complaints;
    None if none does, or if `item` is itself the newest."""
    cases = {case.key for case in (*item.alert.your_cases, *item.alert.other_cases)}
    for announcement in announcements:
        alert = announcement.alert
        if alert.cluster and cases & {c.key for c in (*alert.your_cases, *alert.other_cases)}:
            return None if announcement.alert_id == item.alert_id else announcement
    return None
