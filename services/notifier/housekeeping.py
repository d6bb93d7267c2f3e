"""Periodic work: re-notify alerts nobody acknowledged in time (once each), and refresh the
gauges an on-call operator watches (outbox by status, oldest unacknowledged alert, back-fills
whose digests are not told)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from services.notifier.dispatcher import Dispatcher
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import CHANNELS
from services.notifier.store.imports import Imports
from services.notifier.store.inbox import Inbox
from services.notifier.store.outbox import STATUSES, Outbox, Planner

log = logging.getLogger(__name__)


class Housekeeping:
    def __init__(
        self,
        *,
        outbox: Outbox,
        inbox: Inbox,
        imports: Imports,
        dispatcher: Dispatcher,
        plan_reminder: Planner,
        metrics: NotifierMetrics,
        escalate_after_s: float,
        interval_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._outbox = outbox
        self._inbox = inbox
        self._imports = imports
        self._dispatcher = dispatcher
        self._plan_reminder = plan_reminder
        self._metrics = metrics
        self._escalate_after = timedelta(seconds=escalate_after_s)
        self._interval_s = interval_s
        self._clock = clock

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("housekeeping failed; trying again at the next interval")
            await asyncio.sleep(self._interval_s)

    async def run_once(self) -> None:
        now = self._clock()
        reminded = await self._outbox.schedule_reminders(
            unacknowledged_since=now - self._escalate_after, plan=self._plan_reminder, now=now
        )
        for alert_id, district in reminded:
            log.warning(
                "alert not acknowledged in time; district re-notified",
                extra={"alert_id": alert_id, "district": district},
            )
        if reminded:
            self._metrics.reminders.inc(len(reminded))
            self._dispatcher.wake()
        resumed = await self._outbox.release_orphaned_holds(now=now)
        if resumed:
            log.warning(
                "held webhooks resumed: their endpoint is enabled", extra={"resumed": resumed}
            )
            self._dispatcher.wake()
        counts = await self._outbox.counts()
        for channel, status in itertools.product(CHANNELS, STATUSES):
            self._metrics.outbox.labels(channel=channel, status=status).set(
                counts.get((channel, status), 0)
            )
        oldest = await self._inbox.oldest_unacknowledged()
        age = (now - oldest).total_seconds() if oldest else 0.0
        self._metrics.oldest_unacknowledged.set(max(age, 0.0))
        self._metrics.imports_untold.set(await self._imports.untold())
        self._metrics.housekeeping_runs.inc()
