"""The dispatcher's decisions, in-process: what each attempt's result leads to (delivered,
retried when, dead-lettered, held), how long a delivery is leased, how many attempts a
district may hold, and that a result whose lease was lost changes nothing. The outbox,
channels and clock are fakes (tests/fakes.py); tests/integration/notifier/ runs the real ones."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from crosslink.directory import LiveDirectory
from harness.testbed import write_districts_file
from schemas.events import AlertRaised
from services.notifier.channels import DeliveryChannel
from services.notifier.dispatcher import LEASE_MARGIN_S, WAITING_S, Dispatcher
from services.notifier.metrics import NotifierMetrics
from services.notifier.retries import AttemptResult, Done, RetryAt, RetryPolicy, Verdict
from services.notifier.routing import PlannedDelivery, delivery_id
from tests.builders import alert_raised
from tests.fakes import FailingChannel, FakeChannel, FakeOutbox, FixedClock, settled

SCHEDULE_S = (0.0, 10.0, 60.0)
WEBHOOK_LIMIT_S = 1.0
DELIVERED = AttemptResult(Verdict.DELIVERED, "delivered")
UNAVAILABLE = AttemptResult(Verdict.RETRY, "http_503")
GONE = AttemptResult(Verdict.GONE, "http_410")


class Notifier:
    """A dispatcher over a fake outbox, with the districts MH-MUM, MP-BPL and WB-KOL."""

    def __init__(
        self,
        tmp_path: Path,
        channel: DeliveryChannel,
        *,
        schedule_s: tuple[float, ...] = SCHEDULE_S,
        per_district: int = 2,
        limits_s: Mapping[str, float] | None = None,
    ) -> None:
        urls = {code: f"https://{code.lower()}.example/hooks" for code in ("MH-MUM", "MP-BPL")}
        districts = write_districts_file(tmp_path / "districts.yaml", {**urls, "WB-KOL": None})
        self.outbox, self.clock = FakeOutbox(), FixedClock()
        self.registry = CollectorRegistry()
        self.dispatcher = Dispatcher(
            outbox=self.outbox,
            directory=LiveDirectory(districts),
            channels={"webhook": channel},
            policy=RetryPolicy(schedule_s=schedule_s, jitter=0.0, retry_after_cap_s=600.0),
            metrics=NotifierMetrics(self.registry),
            attempt_limits_s=limits_s or {"webhook": WEBHOOK_LIMIT_S, "email": 30.0},
            concurrency=4,
            per_district=per_district,
            clock=self.clock,
        )

    async def alert(self, alert: AlertRaised, *districts: str) -> None:
        """Store `alert`'s webhook deliveries to `districts`, as the consumer does."""
        planned = [
            PlannedDelivery(
                delivery_id("webhook", alert.alert_id, d, "alert"),
                alert.alert_id,
                d,
                "webhook",
                "alert",
            )
            for d in districts
        ]
        await self.dispatcher.store_and_attempt(
            lambda lease: self.outbox.store([(alert, planned)], now=self.clock(), lease=lease),
            planned=len(planned),
        )

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


async def test_a_delivered_attempt_is_recorded_done_and_counted(tmp_path: Path) -> None:
    notifier = Notifier(tmp_path, FakeChannel(DELIVERED))

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    await settled()

    [attempt] = notifier.outbox.recorded
    assert attempt.step == Done("delivered")
    assert attempt.now == notifier.clock.now
    labels = {"channel": "webhook", "district": "MH-MUM", "outcome": "delivered"}
    assert notifier.metric("crosslink_notifier_delivery_attempts_total", **labels) == 1
    assert (
        notifier.metric(
            "crosslink_notifier_deliveries_total", channel="webhook", result="delivered"
        )
        == 1
    )


async def test_a_failed_attempt_is_retried_after_the_next_delay_of_the_schedule(
    tmp_path: Path,
) -> None:
    notifier = Notifier(tmp_path, FakeChannel(UNAVAILABLE))

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    [attempt] = await notifier.outbox.wait_recorded(1)

    assert attempt.step == RetryAt(notifier.clock.now + timedelta(seconds=SCHEDULE_S[1]))
    assert attempt.outcome == "http_503"


@pytest.mark.parametrize(("retry_after_s", "waited_s"), [(120.0, 120.0), (86_400.0, 600.0)])
async def test_a_receivers_retry_after_is_honoured_up_to_the_cap(
    tmp_path: Path, retry_after_s: float, waited_s: float
) -> None:
    notifier = Notifier(
        tmp_path, FakeChannel(AttemptResult(Verdict.RETRY, "http_429", retry_after_s))
    )

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    [attempt] = await notifier.outbox.wait_recorded(1)

    assert attempt.step == RetryAt(notifier.clock.now + timedelta(seconds=waited_s))


async def test_a_due_retry_is_claimed_by_the_loop_when_the_clock_reaches_it(tmp_path: Path) -> None:
    notifier = Notifier(tmp_path, FakeChannel(UNAVAILABLE, DELIVERED))
    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    await notifier.outbox.wait_recorded(1)
    notifier.clock.advance(SCHEDULE_S[1])

    loop = asyncio.create_task(notifier.dispatcher.run())
    first, second = await notifier.outbox.wait_recorded(2)
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)

    assert second.delivery.delivery_id == first.delivery.delivery_id
    assert second.delivery.attempts == 1
    assert second.step == Done("delivered")
    lease_until = notifier.outbox.claims[0]
    assert lease_until["webhook"] == notifier.clock.now + timedelta(
        seconds=WAITING_S + WEBHOOK_LIMIT_S + LEASE_MARGIN_S
    )


async def test_the_last_attempt_failing_dead_letters_the_delivery_with_an_operator_alert(
    tmp_path: Path,
) -> None:
    notifier = Notifier(tmp_path, FakeChannel(UNAVAILABLE), schedule_s=(0.0,))

    await notifier.alert(alert := alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    await settled()

    [attempt] = notifier.outbox.recorded
    assert attempt.step == Done("dead")
    operator_alert = attempt.finish.operator_alert
    assert operator_alert is not None
    assert operator_alert.kind == "delivery_dead_lettered"
    assert operator_alert.alert_id == alert.alert_id
    assert "failed 1 time(s), last with http_503" in operator_alert.reason
    assert (
        notifier.metric("crosslink_notifier_operator_alerts_total", kind="delivery_dead_lettered")
        == 1
    )


async def test_an_endpoint_gone_holds_its_webhooks_and_names_the_url_to_disable(
    tmp_path: Path,
) -> None:
    notifier = Notifier(tmp_path, FakeChannel(GONE))

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MP-BPL")
    [attempt] = await notifier.outbox.wait_recorded(1)

    assert attempt.step == Done("held")
    assert attempt.finish.disable_url == "https://mp-bpl.example/hooks"
    assert attempt.finish.operator_alert is not None
    assert attempt.finish.operator_alert.kind == "webhook_endpoint_gone"


async def test_an_attempt_over_its_time_limit_is_retried(tmp_path: Path) -> None:
    never = asyncio.Event()
    notifier = Notifier(tmp_path, FakeChannel(DELIVERED, gate=never), limits_s={"webhook": 0.01})

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    [attempt] = await notifier.outbox.wait_recorded(1)

    assert attempt.outcome == "attempt_time_limit"
    assert isinstance(attempt.step, RetryAt)


async def test_a_channel_that_raises_is_retried_and_the_dispatcher_carries_on(
    tmp_path: Path,
) -> None:
    notifier = Notifier(tmp_path, FailingChannel())

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM", "MP-BPL")
    attempts = await notifier.outbox.wait_recorded(2)

    assert {a.outcome for a in attempts} == {"internal_RuntimeError"}
    assert all(isinstance(a.step, RetryAt) for a in attempts)


async def test_a_district_missing_from_the_directory_is_retried_and_operators_told_at_once(
    tmp_path: Path,
) -> None:
    notifier = Notifier(tmp_path, FakeChannel(DELIVERED))

    await notifier.alert(alert_raised("MH-MUM", "KA-BLR"), "KA-BLR")
    [attempt] = await notifier.outbox.wait_recorded(1)

    assert attempt.outcome == "unknown_district"
    assert isinstance(attempt.step, RetryAt)
    assert attempt.finish.operator_alert is not None
    assert attempt.finish.operator_alert.kind == "unknown_district"


async def test_a_result_whose_lease_was_lost_changes_nothing(tmp_path: Path) -> None:
    notifier = Notifier(tmp_path, FakeChannel(DELIVERED))
    alert = alert_raised("MH-MUM", "MP-BPL")
    notifier.outbox.lost_leases.add(delivery_id("webhook", alert.alert_id, "MH-MUM", "alert"))

    await notifier.alert(alert, "MH-MUM")
    await settled()

    assert notifier.outbox.recorded == []
    assert notifier.metric(
        "crosslink_notifier_delivery_attempts_total",
        channel="webhook", district="MH-MUM", outcome="delivered",
    ) == 0  # fmt: skip


async def test_new_deliveries_are_leased_for_a_wait_their_channels_attempt_limit_and_a_margin(
    tmp_path: Path,
) -> None:
    notifier = Notifier(tmp_path, FakeChannel(DELIVERED))

    await notifier.alert(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM")
    await settled()

    [lease] = notifier.outbox.leases
    margin = timedelta(seconds=WAITING_S + LEASE_MARGIN_S)
    assert (
        lease.until["webhook"] == notifier.clock.now + timedelta(seconds=WEBHOOK_LIMIT_S) + margin
    )
    assert lease.until["email"] == notifier.clock.now + timedelta(seconds=30) + margin


async def test_a_slow_district_holds_only_its_share_of_the_slots(tmp_path: Path) -> None:
    gate = asyncio.Event()
    channel = FakeChannel(DELIVERED, gate=gate)
    notifier = Notifier(tmp_path, channel, per_district=1)
    slow = [alert_raised("MH-MUM", "MP-BPL") for _ in range(3)]

    for alert in slow:
        await notifier.alert(alert, "MH-MUM")
    await notifier.alert(other := alert_raised("MP-BPL", "MH-MUM"), "MP-BPL")

    sent = {(d.district, d.alert.alert_id) for d in await channel.wait_sent(2)}
    gate.set()
    await settled()

    # The other two of MH-MUM, stored before MP-BPL's, waited for a slot of their own; leased
    # when stored, they started as MH-MUM's slot freed, in the order stored, with no claim.
    assert sent == {("MH-MUM", slow[0].alert_id), ("MP-BPL", other.alert_id)}
    assert [d.alert.alert_id for d in channel.sent[2:]] == [a.alert_id for a in slow[1:]]
    assert notifier.outbox.claims == []


async def test_a_delivery_that_waited_past_its_start_by_is_let_go_and_claimed_again(
    tmp_path: Path,
) -> None:
    gate = asyncio.Event()
    channel = FakeChannel(DELIVERED, gate=gate)
    notifier = Notifier(tmp_path, channel, per_district=1)
    first, late = alert_raised("MH-MUM", "MP-BPL"), alert_raised("MH-MUM", "MP-BPL")
    await notifier.alert(first, "MH-MUM")
    await notifier.alert(late, "MH-MUM")  # waits for MH-MUM's one slot
    await channel.wait_sent(1)

    notifier.clock.advance(WAITING_S + 0.5)  # too late to start: it might outlive its lease
    gate.set()
    await settled()
    assert [d.alert.alert_id for d in channel.sent] == [first.alert_id]

    notifier.clock.advance(WEBHOOK_LIMIT_S + LEASE_MARGIN_S)  # its lease has ended
    loop = asyncio.create_task(notifier.dispatcher.run())
    _, again = await notifier.outbox.wait_recorded(2)
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)

    assert again.delivery.alert.alert_id == late.alert_id
    assert again.step == Done("delivered")
    assert len(notifier.outbox.claims) == 1
