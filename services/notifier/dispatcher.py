"""Sends what the outbox owes: claims due deliveries, sends each on its channel, records the
result, and raises an operator alert for every delivery that ends anywhere but delivered.

A slow district holds one of `concurrency` slots, never the others' deliveries.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime

from crosslink.directory import DistrictsDirectory
from schemas.pseudonyms import stable_id
from services.notifier.channels import DeliveryChannel
from services.notifier.metrics import NotifierMetrics
from services.notifier.retries import AttemptResult, Done, RetryAt, RetryPolicy, Verdict
from services.notifier.store.outbox import DueDelivery, NewOperatorAlert, Outbox

log = logging.getLogger(__name__)
IDLE_RECHECK_S = 30.0  # also look now and then, should a wake-up be missed


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        *,
        outbox: Outbox,
        directory: DistrictsDirectory,
        channels: Mapping[str, DeliveryChannel],
        policy: RetryPolicy,
        metrics: NotifierMetrics,
        lease_s: float,
        concurrency: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._outbox = outbox
        self._directory = directory
        self._channels = channels
        self._policy = policy
        self._metrics = metrics
        self._lease_s = lease_s
        self._concurrency = concurrency
        self._clock = clock
        self._rng = random.Random()  # noqa: S311  (jitter, not cryptography)
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """New deliveries are stored: look for due ones now."""
        self._wake.set()

    async def run(self) -> None:
        """Send due deliveries until cancelled."""
        try:
            while True:
                self._wake.clear()
                free = self._concurrency - len(self._in_flight)
                claimed = []
                if free > 0:
                    claimed = await self._outbox.claim_due(
                        now=self._clock(), lease_s=self._lease_s, limit=free
                    )
                    for delivery in claimed:
                        self._start(delivery)
                if free > 0 and len(claimed) == free:
                    continue  # there may be more due: claim again once a slot is free
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), await self._idle_wait_s())
        finally:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def reconcile_endpoints(self) -> None:
        """Re-enable each disabled endpoint whose district now has another webhook URL."""
        for code, url in (await self._outbox.disabled_endpoints()).items():
            district = self._directory.get(code)
            if district and district.webhook and str(district.webhook.url) != url:
                resumed = await self._outbox.enable_endpoint(code, now=self._clock())
                log.warning("webhook endpoint re-enabled: the directory has a new URL",
                            extra={"district": code, "resumed": resumed})  # fmt: skip

    def _start(self, delivery: DueDelivery) -> None:
        task = asyncio.create_task(self._attempt(delivery))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()

    async def _idle_wait_s(self) -> float:
        if len(self._in_flight) >= self._concurrency:
            return IDLE_RECHECK_S
        due = await self._outbox.next_due_at()
        if due is None:
            return IDLE_RECHECK_S
        return min(max((due - self._clock()).total_seconds(), 0.0), IDLE_RECHECK_S)

    async def _attempt(self, delivery: DueDelivery) -> None:
        try:
            result = await self._send(delivery)
            now = self._clock()
            step = self._policy.after(
                result, attempts_made=delivery.attempts + 1, now=now, rng=self._rng
            )
            await self._outbox.record(delivery, step, outcome=result.outcome, now=now)
            self._metrics.attempts.labels(
                channel=delivery.channel, district=delivery.district, outcome=result.outcome
            ).inc()
            await self._after(delivery, result, step, now)
        except Exception:
            # The lease runs out and the delivery is tried again: nothing is lost.
            log.exception("delivery attempt failed unexpectedly; it will be retried",
                          extra=_context(delivery))  # fmt: skip

    async def _send(self, delivery: DueDelivery) -> AttemptResult:
        district = self._directory.get(delivery.district)
        if district is None:
            await self._raise(delivery, "unknown_district",
                              f"alerts for district {delivery.district} cannot be delivered: it "
                              "is missing from the districts directory; they are retried until "
                              "it is added", once_per_district=True)  # fmt: skip
            return AttemptResult(Verdict.RETRY, "unknown_district")
        return await self._channels[delivery.channel].send(delivery, district)

    async def _after(
        self, delivery: DueDelivery, result: AttemptResult, step: RetryAt | Done, now: datetime
    ) -> None:
        context = {**_context(delivery), "outcome": result.outcome}
        if isinstance(step, RetryAt):
            log.warning("delivery failed; retry scheduled",
                        extra={**context, "next_attempt_at": step.at.isoformat()})  # fmt: skip
            return
        self._metrics.deliveries.labels(channel=delivery.channel, result=step.status).inc()
        if step.status == "delivered":
            self._observe_latency(delivery, now)
            log.info("alert delivered", extra=context)
        elif step.status == "dead":
            log.error("delivery dead-lettered: retries exhausted or refused", extra=context)
            await self._raise(delivery, "delivery_dead_lettered",
                              f"{delivery.channel} delivery of alert {delivery.alert.alert_id} to "
                              f"{delivery.district} failed {delivery.attempts + 1} time(s), last "
                              f"with {result.outcome}; it is dead-lettered")  # fmt: skip
        else:
            await self._endpoint_gone(delivery, now)

    async def _endpoint_gone(self, delivery: DueDelivery, now: datetime) -> None:
        district = self._directory.get(delivery.district)
        url = str(district.webhook.url) if district and district.webhook else ""
        await self._outbox.disable_endpoint(delivery.district, url, now=now)
        log.error("webhook endpoint answered 410 Gone; disabled", extra=_context(delivery))
        await self._raise(delivery, "webhook_endpoint_gone",
                          f"the webhook endpoint of {delivery.district} answered 410 Gone and is "
                          "disabled; its webhooks are held until it is re-enabled or the "
                          "directory gives another URL", once_per_district=True)  # fmt: skip

    async def _raise(
        self, delivery: DueDelivery, kind: str, reason: str, *, once_per_district: bool = False
    ) -> None:
        key = (delivery.district,) if once_per_district else (delivery.delivery_id,)
        alert = NewOperatorAlert(
            operator_alert_id=stable_id("operator", kind, *key),
            kind=kind,
            reason=reason,
            district=delivery.district,
            alert_id=delivery.alert.alert_id,
            delivery_id=delivery.delivery_id,
        )
        if await self._outbox.raise_operator_alert(alert, now=self._clock()):
            self._metrics.operator_alerts.labels(kind=kind).inc()
            log.error("operator alert raised", extra={"kind": kind, "reason": reason})

    def _observe_latency(self, delivery: DueDelivery, now: datetime) -> None:
        channel = delivery.channel
        raised = (now - delivery.alert.raised_at).total_seconds()
        self._metrics.delivery_latency.labels(channel=channel).observe(max(raised, 0.0))
        if delivery.purpose == "alert" and delivery.alert.received_at is not None:
            received = (now - delivery.alert.received_at).total_seconds()
            self._metrics.end_to_end_latency.labels(channel=channel).observe(max(received, 0.0))


def _context(delivery: DueDelivery) -> dict[str, str | int]:
    return {
        "alert_id": delivery.alert.alert_id,
        "delivery_id": delivery.delivery_id,
        "district": delivery.district,
        "channel": delivery.channel,
        "attempt": delivery.attempts + 1,
    }
