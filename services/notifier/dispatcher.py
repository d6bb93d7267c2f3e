"""Sends what the outbox owes: leases new deliveries as they are stored (in the same
transaction) and claims the others as they fall due, sends each on its channel, records the
result, and raises an operator alert for every delivery that ends anywhere but delivered.

A slow district holds at most `per_district` of the `concurrency` slots (services/notifier/
slots.py), never the others' deliveries. Besides those in flight, the dispatcher holds up to
`WAITING_PER_SLOT` leased deliveries per slot waiting for one (in the same shares), so a burst
of alerts is leased in a few transactions rather than one claim per freed slot; a delivery that
has waited `WAITING_S` is let go unsent, and claimed again once its lease ends.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from functools import partial

from crosslink.clock import Clock, utc_now
from crosslink.directory import LiveDirectory
from schemas.pseudonyms import stable_id
from services.notifier.channels import DeliveryChannel
from services.notifier.metrics import NotifierMetrics
from services.notifier.retries import AttemptResult, Done, RetryAt, RetryPolicy, Verdict
from services.notifier.slots import Room
from services.notifier.store.outbox import (
    Attempted,
    DeliveryStore,
    DueDelivery,
    Finish,
    Lease,
    NewOperatorAlert,
)

log = logging.getLogger(__name__)
IDLE_RECHECK_S = 30.0  # also look now and then, should a wake-up be missed
DATABASE_RETRY_S = 5.0
LEASE_MARGIN_S = 5.0
WAITING_PER_SLOT = 8
WAITING_S = 5.0  # how long a leased delivery may wait for a slot; its lease is this much longer


class Dispatcher:
    def __init__(
        self,
        *,
        outbox: DeliveryStore,
        directory: LiveDirectory,
        channels: Mapping[str, DeliveryChannel],
        policy: RetryPolicy,
        metrics: NotifierMetrics,
        attempt_limits_s: Mapping[str, float],
        concurrency: int,
        per_district: int,
        clock: Clock = utc_now,
    ) -> None:
        self._outbox = outbox
        self._directory = directory
        self._channels = channels
        self._policy = policy
        self._metrics = metrics
        self._attempt_limits_s = attempt_limits_s
        # A lease per channel: a webhook left by a notifier that died is tried again once a
        # webhook attempt would have ended, not after the longest (SMTP) one.
        self._lease_s = {
            channel: WAITING_S + s + LEASE_MARGIN_S for channel, s in attempt_limits_s.items()
        }
        self._concurrency = concurrency
        self._per_district = per_district
        self._clock = clock
        self._rng = random.Random()  # noqa: S311  (jitter, not cryptography)
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # from the claim to the record
        # The slots: delivery id -> district, from the start to the attempt's result.
        self._sending: dict[str, str] = {}
        # Leased, waiting for a slot, in the order leased.
        self._waiting: dict[str, DueDelivery] = {}
        # Held while room is counted and leased: a store and a claim never both lease the same
        # room (on SQLite they wait for the one writer anyway). Starting a waiting delivery
        # takes no lease, so it needs no lock.
        self._slots = asyncio.Lock()
        self._to_record: list[tuple[Attempted, asyncio.Future[tuple[bool, bool]]]] = []
        self._recorder: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New deliveries are stored: look for due ones now."""
        self._wake.set()

    async def store_and_attempt(
        self, store: Callable[[Lease], Awaitable[list[DueDelivery]]], *, planned: int
    ) -> None:
        """Store `planned` new deliveries through `store`, as many as the slots and the
        waiting room have room for leased to this dispatcher: those are attempted as slots
        free, without a claim (a write transaction and a wake-up less on each alert's way).
        The loop claims any others."""
        async with self._slots:
            lease = Lease(self._lease_until(), self._lease_room())
            leased = await store(lease)
            self._take(leased)
        if len(leased) < planned:
            self._wake.set()

    async def run(self) -> None:
        """Send due deliveries until cancelled. A database error pauses the loop; deliveries
        already in flight carry on."""
        try:
            while True:
                self._wake.clear()
                try:
                    wait_s = await self._claim_and_start()
                except Exception:
                    log.exception("cannot read the outbox; trying again shortly")
                    wait_s = DATABASE_RETRY_S
                with suppress(TimeoutError):
                    async with asyncio.timeout(wait_s):
                        await self._wake.wait()
        finally:
            self._waiting.clear()  # their leases run out; a cancelled attempt starts none
            tasks = [*self._in_flight.values(), *([self._recorder] if self._recorder else [])]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def reconcile_endpoints(self) -> None:
        """Re-enable each disabled endpoint whose district now has another webhook URL."""
        for code, url in (await self._outbox.disabled_endpoints()).items():
            district = self._directory.current().get(code)
            if district and district.webhook and str(district.webhook.url) != url:
                resumed = await self._outbox.enable_endpoint(code, now=self._clock())
                log.warning(
                    "webhook endpoint re-enabled: the directory has a new URL",
                    extra={"district": code, "resumed": resumed},
                )

    async def _claim_and_start(self) -> float:
        """Start every due delivery a slot is free for; how long to wait before looking again."""
        async with self._slots:
            room = self._lease_room()
            if room.free <= 0:
                return IDLE_RECHECK_S  # a finishing attempt wakes the loop
            # A read first: most wake-ups (an attempt finished) find nothing due, and a claim
            # would take the write lock for nothing.
            due = await self._outbox.next_due_at(except_districts=room.full())
            if due is not None and due <= self._clock():
                claimed = await self._outbox.claim_due(
                    now=self._clock(),
                    lease_until=self._lease_until(),
                    room=room,
                    busy=[*self._in_flight, *self._waiting],
                )
                self._take(claimed.due)
                for delivery_id in claimed.undecodable:
                    await self._undecodable(delivery_id)
                if claimed.more:
                    return 0.0
                due = await self._outbox.next_due_at(except_districts=self._lease_room().full())
        if due is None:
            return IDLE_RECHECK_S
        return min(max((due - self._clock()).total_seconds(), 0.0), IDLE_RECHECK_S)

    def _lease_until(self) -> dict[str, datetime]:
        """When a lease taken now ends, for each channel."""
        now = self._clock()
        return {channel: now + timedelta(seconds=s) for channel, s in self._lease_s.items()}

    def _slot_room(self) -> Room:
        """The slots free to start an attempt in."""
        held = Counter(self._sending.values())
        return Room(self._concurrency - len(self._sending), self._per_district, held)

    def _lease_room(self) -> Room:
        """How many more deliveries may be leased: a slot each, and the waiting room."""
        scale = 1 + WAITING_PER_SLOT
        held = Counter(self._sending.values())
        held.update(delivery.district for delivery in self._waiting.values())
        free = self._concurrency * scale - len(self._sending) - len(self._waiting)
        return Room(free, self._per_district * scale, held)

    def _take(self, leased: list[DueDelivery]) -> None:
        """Leased deliveries: start those with a slot, the others wait for one."""
        self._waiting.update((delivery.delivery_id, delivery) for delivery in leased)
        self._start_waiting()

    def _start_waiting(self) -> None:
        """Start waiting deliveries in the order leased, as far as the slots go; let go those
        that can no longer finish within their lease."""
        now = self._clock()
        for delivery in list(self._waiting.values()):
            limit_s = self._attempt_limits_s[delivery.channel] + LEASE_MARGIN_S
            if now + timedelta(seconds=limit_s) > delivery.lease_until:
                del self._waiting[delivery.delivery_id]
                log.info(
                    "a delivery waited too long for a free slot (all busy with slow attempts);"
                    " it is claimed again when its lease ends",
                    extra=_context(delivery),
                )
                self._wake.set()  # to claim it when its lease ends
        room = self._slot_room()
        if room.free <= 0 or not self._waiting:
            return
        for delivery_id in room.fit((i, d.district) for i, d in self._waiting.items()):
            delivery = self._waiting.pop(delivery_id)
            task = asyncio.create_task(self._attempt(delivery))
            self._in_flight[delivery_id] = task
            self._sending[delivery_id] = delivery.district
            task.add_done_callback(partial(self._finished, delivery_id))

    def _sent(self, delivery_id: str) -> None:
        """The attempt has its result: its slot is free while the result is recorded (the
        lease keeps the delivery from being claimed meanwhile), for a waiting delivery first.
        The loop leases more once the waiting room is half empty."""
        if self._sending.pop(delivery_id, None) is None:
            return
        self._start_waiting()
        if len(self._waiting) <= self._concurrency * WAITING_PER_SLOT // 2:
            self._wake.set()

    def _finished(self, delivery_id: str, _: asyncio.Task[None]) -> None:
        self._in_flight.pop(delivery_id, None)
        self._sent(delivery_id)

    async def _record(self, attempted: Attempted) -> tuple[bool, bool]:
        """Record through the one recorder, which writes the results queued meanwhile in one
        transaction: one commit for the attempts that finish together."""
        result: asyncio.Future[tuple[bool, bool]] = asyncio.get_running_loop().create_future()
        self._to_record.append((attempted, result))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_queued())
        return await result

    async def _record_queued(self) -> None:
        while self._to_record:
            batch, self._to_record = self._to_record, []
            if len(batch) == 1:
                await _record_into(self._outbox, *batch[0])
                continue
            try:
                outcomes = await self._outbox.record([attempted for attempted, _ in batch])
            except Exception:
                # Whichever result the database refused fails alone: the others are recorded.
                for attempted, result in batch:
                    await _record_into(self._outbox, attempted, result)
                continue
            for (_, result), outcome in zip(batch, outcomes, strict=True):
                if not result.done():
                    result.set_result(outcome)

    async def _attempt(self, delivery: DueDelivery) -> None:
        try:
            try:
                result = await self._send(delivery)
            finally:
                self._sent(delivery.delivery_id)
            now = self._clock()
            step = self._policy.after(
                result, attempts_made=delivery.attempts + 1, now=now, rng=self._rng
            )
            finish = self._consequences(delivery, result, step)
            recorded, raised = await self._record(
                Attempted(delivery, step, result.outcome, now, finish)
            )
        except Exception:
            # Nothing was recorded: the lease runs out and the delivery is tried again.
            log.exception(
                "cannot record a delivery attempt; it will be retried", extra=_context(delivery)
            )
            return
        if not recorded:
            log.warning(
                "attempt outlived its lease; its result is discarded", extra=_context(delivery)
            )
            return
        self._metrics.attempts.labels(
            channel=delivery.channel, district=delivery.district, outcome=result.outcome
        ).inc()
        if raised and finish.operator_alert:
            self._operator_alert_raised(finish.operator_alert)
        self._report(delivery, result, step, now)

    async def _send(self, delivery: DueDelivery) -> AttemptResult:
        """One attempt, within its time limit; any failure becomes a result the policy retries."""
        district = self._directory.current().get(delivery.district)
        if district is None:
            return AttemptResult(Verdict.RETRY, "unknown_district")
        channel = self._channels.get(delivery.channel)
        if channel is None:
            return AttemptResult(Verdict.RETRY, f"{delivery.channel}_channel_off")
        try:
            async with asyncio.timeout(self._attempt_limits_s[delivery.channel]):
                return await channel.send(delivery, district)
        except TimeoutError:
            return AttemptResult(Verdict.RETRY, "attempt_time_limit")
        except Exception as error:
            log.exception("delivery channel failed unexpectedly", extra=_context(delivery))
            return AttemptResult(Verdict.RETRY, f"internal_{type(error).__name__}")

    def _consequences(
        self, delivery: DueDelivery, result: AttemptResult, step: RetryAt | Done
    ) -> Finish:
        """The operator alert and endpoint change this result brings, recorded with it."""
        district, alert_id = delivery.district, delivery.alert.alert_id
        if isinstance(step, Done) and step.status == "dead":
            reason = (
                f"{delivery.channel} delivery of alert {alert_id} to {district} failed "
                f"{delivery.attempts + 1} time(s), last with {result.outcome}; it is dead-lettered"
            )
            return Finish(self._operator_alert(delivery, "delivery_dead_lettered", reason))
        if isinstance(step, Done) and step.status == "held":
            configured = self._directory.current().get(district)
            url = str(configured.webhook.url) if configured and configured.webhook else ""
            reason = (
                f"the webhook endpoint of {district} answered 410 Gone and is disabled; its "
                "webhooks are held until an operator re-enables it or the directory gives "
                "another URL"
            )
            return Finish(self._operator_alert(delivery, "webhook_endpoint_gone", reason), url)
        if result.outcome == "unknown_district" and delivery.attempts == 0:
            reason = (
                f"alert {alert_id} is for district {district}, which is missing from the "
                "districts directory; it is retried on the schedule, then dead-lettered"
            )
            return Finish(self._operator_alert(delivery, "unknown_district", reason))
        return Finish()

    def _operator_alert(self, delivery: DueDelivery, kind: str, reason: str) -> NewOperatorAlert:
        return NewOperatorAlert(
            operator_alert_id=stable_id("operator", kind, delivery.delivery_id),
            kind=kind,
            reason=reason,
            district=delivery.district,
            alert_id=delivery.alert.alert_id,
            delivery_id=delivery.delivery_id,
        )

    def _operator_alert_raised(self, alert: NewOperatorAlert) -> None:
        self._metrics.operator_alerts.labels(kind=alert.kind).inc()
        log.error(
            "operator alert raised",
            extra={
                "kind": alert.kind,
                "reason": alert.reason,
                "alert_id": alert.alert_id,
                "district": alert.district,
            },
        )

    async def _undecodable(self, delivery_id: str) -> None:
        log.error(
            "a stored alert does not decode; its delivery is dead-lettered",
            extra={"delivery_id": delivery_id},
        )
        await self._outbox.mark_undecodable(delivery_id, now=self._clock())
        alert = NewOperatorAlert(
            operator_alert_id=stable_id("operator", "undecodable_alert", delivery_id),
            kind="undecodable_alert",
            reason=f"the stored alert of delivery {delivery_id} no longer decodes",
            delivery_id=delivery_id,
        )
        if await self._outbox.raise_operator_alert(alert, now=self._clock()):
            self._operator_alert_raised(alert)

    def _report(
        self, delivery: DueDelivery, result: AttemptResult, step: RetryAt | Done, now: datetime
    ) -> None:
        context = {**_context(delivery), "outcome": result.outcome}
        if isinstance(step, RetryAt):
            log.warning(
                "delivery failed; retry scheduled",
                extra={**context, "next_attempt_at": step.at.isoformat()},
            )
            return
        self._metrics.deliveries.labels(channel=delivery.channel, result=step.status).inc()
        if step.status == "delivered":
            self._observe_latency(delivery, now)
            log.info("alert delivered", extra=context)
        elif step.status == "dead":
            log.error("delivery dead-lettered: retries exhausted or refused", extra=context)
        else:
            log.error("webhook endpoint answered 410 Gone; disabled", extra=context)

    def _observe_latency(self, delivery: DueDelivery, now: datetime) -> None:
        channel = delivery.channel
        raised = (now - delivery.alert.raised_at).total_seconds()
        self._metrics.delivery_latency.labels(channel=channel).observe(max(raised, 0.0))
        if delivery.purpose == "alert" and delivery.alert.received_at is not None:
            received = (now - delivery.alert.received_at).total_seconds()
            self._metrics.end_to_end_latency.labels(channel=channel).observe(max(received, 0.0))


async def _record_into(
    outbox: DeliveryStore, attempted: Attempted, result: asyncio.Future[tuple[bool, bool]]
) -> None:
    try:
        (outcome,) = await outbox.record([attempted])
    except Exception as error:
        if not result.done():
            result.set_exception(error)
        return
    if not result.done():
        result.set_result(outcome)


def _context(delivery: DueDelivery) -> dict[str, str | int]:
    return {
        "alert_id": delivery.alert.alert_id,
        "delivery_id": delivery.delivery_id,
        "district": delivery.district,
        "channel": delivery.channel,
        "attempt": delivery.attempts + 1,
    }
