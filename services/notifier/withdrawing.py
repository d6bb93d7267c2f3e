"""An officer's "not linked" as the matcher hears it: the event, and the port it goes out by.

The event goes to the link-withdrawn topic, keyed by the identifier's token like the sightings
it withdraws, and to complaints-filed, where clustering reads it in complaints' order. Its id
depends only on the identifier and the complaint, so saying it again (or a retry after a
failure) changes nothing more in the matcher.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Protocol

from schemas.api import DistrictAlert
from schemas.events import CaseRef, LinkWithdrawn, WithdrawalReason
from schemas.pseudonyms import stable_id
from schemas.topics import COMPLAINTS_FILED, LINK_WITHDRAWN
from services.notifier.producing import KafkaWriter


class LinkWithdrawals(Protocol):
    async def send(self, withdrawal: LinkWithdrawn) -> None:
        """Return once the brokers hold the withdrawal on both topics."""


def withdrawal_of(
    alert: DistrictAlert,
    case: CaseRef,
    reason: WithdrawalReason,
    *,
    officer: str,
    now: datetime,
) -> LinkWithdrawn:
    """The complaint `case`, one of the district's in `alert`, withdrawn from its identifier."""
    identifier = alert.identifier
    if identifier is None:
        raise ValueError(f"alert {alert.alert_id} names no identifier to withdraw a link from")
    return LinkWithdrawn(
        withdrawal_id=stable_id("withdrawn", identifier.token, *case.key),
        identifier=identifier,
        case=case,
        reason=reason,
        alert_id=alert.alert_id,
        withdrawn_by=officer,
        withdrawn_at=now,
    )


class KafkaLinkWithdrawals(KafkaWriter):
    """Connects at the first withdrawal, so the console starts whether or not the brokers
    answer; a send that fails raises, and the officer is asked to try again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._started = asyncio.Lock()
        self._running = False

    async def send(self, withdrawal: LinkWithdrawn) -> None:
        async with self._started:
            if not self._running:
                await self.start()
                self._running = True
        key, value = withdrawal.identifier.token.encode(), withdrawal.model_dump_json().encode()
        sent = [
            await self._producer.send(topic, key=key, value=value)
            for topic in (LINK_WITHDRAWN.name, COMPLAINTS_FILED.name)
        ]
        await asyncio.gather(*sent)

    async def stop(self) -> None:
        if self._running:
            await super().stop()
