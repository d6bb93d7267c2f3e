"""The notifier's composition root: database, channels, consumer, dispatcher, housekeeping, API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, make_asgi_app

from crosslink.directory import LiveDirectory
from crosslink.guards import install_guards, reload_on_sighup
from crosslink.problems import install_problem_handlers
from crosslink.provisioning import provision_topics
from services.notifier.api import router
from services.notifier.channels import DeliveryChannel
from services.notifier.channels.email import EmailChannel, SmtpServer
from services.notifier.channels.webhook import WebhookChannel, webhook_client
from services.notifier.config import NotifierSettings
from services.notifier.console.install import install_console
from services.notifier.console.signouts import SignedOut
from services.notifier.consumer import AlertConsumer
from services.notifier.dispatcher import Dispatcher, utc_now
from services.notifier.housekeeping import Housekeeping
from services.notifier.metrics import NotifierMetrics
from services.notifier.retries import RetryPolicy
from services.notifier.routing import deliveries_for
from services.notifier.store.database import open_database
from services.notifier.store.inbox import Inbox
from services.notifier.store.outbox import Outbox

log = logging.getLogger(__name__)
RESTART_DELAY_S = 5.0


def create_app(settings: NotifierSettings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = NotifierMetrics(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reload_on_sighup(directory)
        async with AsyncExitStack() as stack:
            database = await open_database(settings.database_url)
            stack.push_async_callback(database.dispose)
            client = await stack.enter_async_context(webhook_client(settings.webhook_timeout_s))
            outbox, inbox = Outbox(database), Inbox(database)
            dispatcher = _dispatcher(settings, directory, outbox, metrics, WebhookChannel(client))
            await dispatcher.reconcile_endpoints()
            app.state.outbox, app.state.inbox, app.state.dispatcher = outbox, inbox, dispatcher
            app.state.signed_out = SignedOut(database)
            email = settings.smtp_host is not None
            housekeeping = Housekeeping(
                outbox=outbox,
                inbox=inbox,
                dispatcher=dispatcher,
                plan_reminder=lambda alert, district: deliveries_for(
                    alert,
                    directory.current(),
                    email_enabled=email,
                    purpose="reminder",
                    districts=[district],
                ),
                metrics=metrics,
                escalate_after_s=settings.escalate_after_s,
                interval_s=settings.housekeeping_interval_s,
                clock=utc_now,
            )

            async def consume() -> None:
                await asyncio.to_thread(provision_topics, settings.kafka_bootstrap)
                consumer = AlertConsumer(
                    settings.kafka_bootstrap,
                    group_id=settings.notifier_group_id,
                    outbox=outbox,
                    plan=lambda alert: deliveries_for(
                        alert, directory.current(), email_enabled=email
                    ),
                    dispatcher=dispatcher,
                    metrics=metrics,
                    commit_interval_s=settings.commit_interval_s,
                )
                app.state.consuming.set()
                try:
                    await consumer.run()
                finally:
                    app.state.consuming.clear()

            tasks = [
                asyncio.create_task(_forever("alert consumer", consume)),
                asyncio.create_task(_forever("dispatcher", dispatcher.run)),
                asyncio.create_task(_forever("housekeeping", housekeeping.run)),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(title="crosslink notifier", version="1", lifespan=lifespan)
    app.state.settings = settings
    directory = install_guards(app, settings)
    app.state.consuming = asyncio.Event()
    app.include_router(router)
    install_console(app)
    app.mount("/metrics", make_asgi_app(registry))
    install_problem_handlers(app)
    return app


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
