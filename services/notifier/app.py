"""The notifier's composition root: database, channels, consumer, dispatcher, housekeeping, API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, start_http_server

from crosslink.clock import utc_now
from crosslink.directory import LiveDirectory
from crosslink.guards import install_guards, reload_on_sighup
from crosslink.limits import RateLimiter
from crosslink.problems import install_problem_handlers
from crosslink.provisioning import NOTIFIER, require_topics, topics_of
from schemas.events import AlertRaised
from services.notifier.api import router
from services.notifier.channels import DeliveryChannel
from services.notifier.channels.email import EmailChannel, SmtpServer
from services.notifier.channels.webhook import WebhookChannel, webhook_client
from services.notifier.config import NotifierSettings
from services.notifier.console.install import install_console
from services.notifier.console.languages import check_fonts
from services.notifier.console.signouts import SignedOut
from services.notifier.consumer import AlertConsumer, KafkaDeadLetters
from services.notifier.dispatcher import Dispatcher
from services.notifier.gangs import Gangs
from services.notifier.housekeeping import Housekeeping
from services.notifier.lookups import Lookups, relay_client
from services.notifier.metrics import NotifierMetrics
from services.notifier.mirroring import AuditMirror, KafkaAuditCopies
from services.notifier.retries import RetryPolicy
from services.notifier.routing import PlannedDelivery, deliveries_for
from services.notifier.state import Notifier
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import opened_database
from services.notifier.store.feedback import Feedback
from services.notifier.store.imports import Imports
from services.notifier.store.inbox import Inbox
from services.notifier.store.officers import Officers
from services.notifier.store.outbox import Outbox
from services.notifier.storing import AlertsIntoOutbox
from services.notifier.withdrawing import KafkaLinkWithdrawals

log = logging.getLogger(__name__)
RESTART_DELAY_S = 5.0


def create_app(settings: NotifierSettings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = NotifierMetrics(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reload_on_sighup(directory)
        check_fonts(settings.console_fonts_dir)
        async with AsyncExitStack() as stack:
            _serve_metrics(settings, registry, stack)
            notifier = await _assembled(settings, directory, metrics, stack)
            app.state.notifier = notifier
            tasks = [
                asyncio.create_task(_forever(name, run))
                for name, run in _workers(notifier, directory, metrics).items()
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(title="crosslink notifier", version="1", lifespan=lifespan)
    directory = install_guards(app, settings)
    app.include_router(router)
    install_console(app, settings)
    install_problem_handlers(app)
    return app


def _serve_metrics(
    settings: NotifierSettings, registry: CollectorRegistry, stack: AsyncExitStack
) -> None:
    """/metrics on the monitoring port, stopped with `stack`."""
    host, port = settings.notifier_metrics_host, settings.notifier_metrics_port
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise RuntimeError(
            f"the notifier cannot serve its metrics on {host}:{port} ({error}); set "
            "CROSSLINK_NOTIFIER_METRICS_PORT to a free port"
        ) from error
    stack.callback(thread.join, 5)
    stack.callback(server.server_close)
    stack.callback(server.shutdown)


async def _assembled(
    settings: NotifierSettings,
    directory: LiveDirectory,
    metrics: NotifierMetrics,
    stack: AsyncExitStack,
) -> Notifier:
    """The database, the stores, the channels and the dispatcher, closed with `stack`."""
    database = await stack.enter_async_context(opened_database(settings.database_url))
    client = await stack.enter_async_context(webhook_client(settings.webhook_timeout_s))
    outbox = Outbox(database)
    dispatcher = _dispatcher(settings, directory, outbox, metrics, WebhookChannel(client))
    await dispatcher.reconcile_endpoints()
    withdrawals = KafkaLinkWithdrawals(
        settings.kafka, client_id=f"{settings.notifier_group_id}-withdrawals"
    )
    stack.push_async_callback(withdrawals.stop)
    return Notifier(
        settings=settings,
        outbox=outbox,
        inbox=Inbox(database),
        dispatcher=dispatcher,
        signed_out=SignedOut(database),
        officers=Officers(database),
        audit=AuditLog(database),
        feedback=Feedback(database),
        imports=Imports(database),
        withdrawals=withdrawals,
        lookups=await _lookups(settings, stack),
        gangs=Gangs(
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=str(settings.matcher_url), timeout=settings.lookup_timeout_s
                )
            )
        ),
        metrics=metrics,
        consuming=asyncio.Event(),
    )


async def _lookups(settings: NotifierSettings, stack: AsyncExitStack) -> Lookups:
    """Look-ups relayed to intake with the relay key, closed with `stack`; off without one."""
    key = settings.lookup_relay_key
    client = relay_client(
        str(settings.intake_url),
        key.get_secret_value() if key else None,
        settings.lookup_timeout_s,
    )
    if client is not None:
        await stack.enter_async_context(client)
    per_minute = settings.lookups_per_hour / 60
    return Lookups(client, RateLimiter(per_minute=per_minute, burst=settings.lookup_burst))


def _workers(
    notifier: Notifier, directory: LiveDirectory, metrics: NotifierMetrics
) -> dict[str, Callable[[], Awaitable[None]]]:
    """The notifier's loops, by name: the alert consumer, the dispatcher, housekeeping and the
    audit trail's copy on Kafka."""
    settings, email = notifier.settings, notifier.settings.smtp_host is not None

    def plan(alert: AlertRaised) -> list[PlannedDelivery]:
        return deliveries_for(alert, directory.current(), email_enabled=email)

    def plan_reminder(alert: AlertRaised, district: str) -> list[PlannedDelivery]:
        return deliveries_for(
            alert,
            directory.current(),
            email_enabled=email,
            purpose="reminder",
            districts=[district],
        )

    async def consume() -> None:
        kafka, group_id = settings.kafka, settings.notifier_group_id
        await asyncio.to_thread(require_topics, kafka, topics_of(NOTIFIER))
        dead_letters = KafkaDeadLetters(kafka, client_id=group_id)
        alerts = AlertsIntoOutbox(
            outbox=notifier.outbox,
            audit=notifier.audit,
            imports=notifier.imports,
            plan=plan,
            dispatcher=notifier.dispatcher,
            dead_letters=dead_letters,
            metrics=metrics,
        )
        consumer = AlertConsumer(
            kafka,
            group_id=group_id,
            alerts=alerts,
            dead_letters=dead_letters,
            metrics=metrics,
            commit_interval_s=settings.commit_interval_s,
        )
        notifier.consuming.set()
        try:
            await consumer.run()
        finally:
            notifier.consuming.clear()

    async def mirror_audit() -> None:
        copies = KafkaAuditCopies(settings.kafka, client_id=f"{settings.notifier_group_id}-audit")
        await copies.start()
        try:
            mirror = AuditMirror(
                trail=notifier.audit,
                copies=copies,
                metrics=metrics,
                interval_s=settings.housekeeping_interval_s,
            )
            await mirror.run()
        finally:
            await copies.stop()

    housekeeping = Housekeeping(
        outbox=notifier.outbox,
        inbox=notifier.inbox,
        imports=notifier.imports,
        dispatcher=notifier.dispatcher,
        plan_reminder=plan_reminder,
        metrics=metrics,
        escalate_after_s=settings.escalate_after_s,
        interval_s=settings.housekeeping_interval_s,
        clock=utc_now,
    )
    return {
        "alert consumer": consume,
        "dispatcher": notifier.dispatcher.run,
        "housekeeping": housekeeping.run,
        "audit mirror": mirror_audit,
    }


def _dispatcher(
    settings: NotifierSettings,
    directory: LiveDirectory,
    outbox: Outbox,
    metrics: NotifierMetrics,
    webhooks: WebhookChannel,
) -> Dispatcher:
    channels: dict[str, DeliveryChannel] = {"webhook": webhooks}
    if settings.smtp_host is not None:
        channels["email"] = EmailChannel(
            SmtpServer(
                host=settings.smtp_host,
                port=settings.smtp_port,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=settings.smtp_password,
                timeout_s=settings.smtp_timeout_s,
                sender=settings.email_from,
            )
        )
    policy = RetryPolicy(
        schedule_s=settings.retry_schedule_s,
        jitter=settings.retry_jitter,
        retry_after_cap_s=settings.retry_after_cap_s,
    )
    return Dispatcher(
        outbox=outbox,
        directory=directory,
        channels=channels,
        policy=policy,
        metrics=metrics,
        # httpx and aiosmtplib time each step (connect, write, read) separately: the whole
        # attempt gets a few steps' worth, and the lease outlives it.
        attempt_limits_s={
            "webhook": 3 * settings.webhook_timeout_s,
            "email": 3 * settings.smtp_timeout_s,
        },
        concurrency=settings.max_concurrent_deliveries,
        per_district=settings.max_concurrent_deliveries_per_district,
    )


async def _forever(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Keep `run` going; after a failure, log it and start it again."""
    while True:
        try:
            await run()
        except Exception:
            log.exception(f"{name} failed; restarting in {RESTART_DELAY_S:.0f} s")
            await asyncio.sleep(RESTART_DELAY_S)
