"""Delivers one alert to every district involved, retrying each failed district until it succeeds.

Only the districts still owed a webhook are retried. The consumer commits the alert's offset
after this returns, so a crash part-way re-sends with the same webhook ids (receivers dedupe).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime

from crosslink.directory import DistrictsDirectory
from schemas.events import AlertRaised
from services.notifier.config import NotifierSettings
from services.notifier.metrics import NotifierMetrics
from services.notifier.retries import retry_delay_s
from services.notifier.routing import Delivery, deliveries_for
from services.notifier.webhooks import WebhookChannel

log = logging.getLogger(__name__)


class AlertDeliverer:
    def __init__(
        self,
        *,
        directory: DistrictsDirectory,
        channel: WebhookChannel,
        settings: NotifierSettings,
        metrics: NotifierMetrics,
    ) -> None:
        self._directory = directory
        self._channel = channel
        self._settings = settings
        self._metrics = metrics
        self._rng = random.Random()  # noqa: S311  (jitter, not cryptography)

    async def deliver(self, alert: AlertRaised) -> None:
        """Return once every district involved has accepted its webhook."""
        pending = deliveries_for(alert)
        attempt = 0
        while pending:
            attempt += 1
            results = await asyncio.gather(*(self._attempt(d, alert) for d in pending))
            pending = [d for d, ok in zip(pending, results, strict=True) if not ok]
            if pending:
                await asyncio.sleep(self._backoff(attempt))
        elapsed = (datetime.now(UTC) - alert.raised_at).total_seconds()
        self._metrics.latency.observe(max(elapsed, 0.0))

    async def _attempt(self, delivery: Delivery, alert: AlertRaised) -> bool:
        district = self._directory.get(delivery.district)
        if district is None:
            # Never skipped: the alert waits until the directory names the district.
            log.error(
                "alert names a district missing from the districts directory; holding it",
                extra={"alert_id": alert.alert_id, "district": delivery.district},
            )
            self._metrics.attempts.labels(district="unknown", outcome="unknown_district").inc()
            return False
        result = await self._channel.send(delivery, district)
        self._metrics.attempts.labels(district=district.code, outcome=result.outcome).inc()
        if not result.ok:
            log.warning(
                "webhook delivery failed; will retry",
                extra={"alert_id": alert.alert_id, "district": district.code,
                       "webhook_id": delivery.webhook_id, "outcome": result.outcome},
            )  # fmt: skip
        return result.ok

    def _backoff(self, attempt: int) -> float:
        return retry_delay_s(
            attempt,
            first_s=self._settings.webhook_retry_first_s,
            cap_s=self._settings.webhook_retry_cap_s,
            rng=self._rng,
        )
