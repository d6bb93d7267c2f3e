"""Intake's composition root: builds the FastAPI app from settings. Nothing connects at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crosslink.clock import Clock, utc_now
from crosslink.guards import install_guards, reload_on_sighup
from crosslink.problems import install_problem_handlers
from services.intake.api import COMPLAINTS_PATH, Intake, router
from services.intake.config import IntakeSettings
from services.intake.metrics import IntakeMetrics
from services.intake.publisher import KafkaPublisher, Publisher


def create_app(
    settings: IntakeSettings,
    *,
    publisher: Publisher | None = None,
    matcher: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """Intake, publishing to the broker `settings` name unless given another `publisher`, and
    asking the matcher `settings` name for look-ups unless given another client."""
    if publisher is None:
        publisher = KafkaPublisher(
            settings.kafka,
            timeout_s=settings.publish_timeout_s,
            retry_after_s=settings.retry_after_s,
        )

    if matcher is None:
        matcher = httpx.AsyncClient(
            base_url=str(settings.matcher_url), timeout=settings.lookup_timeout_s
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reload_on_sighup(directory)
        await publisher.start()
        yield
        await publisher.stop()
        await matcher.aclose()

    app = FastAPI(
        title="crosslink intake",
        summary="District case-management systems post sextortion complaints here.",
        version="1",
        lifespan=lifespan,
    )
    registry = CollectorRegistry()
    metrics = IntakeMetrics(registry)
    directory = install_guards(app, settings)
    app.state.intake = Intake(
        key=settings.pseudonym(),
        publisher=publisher,
        metrics=metrics,
        clock=clock,
        matcher=matcher,
        retry_after_s=settings.retry_after_s,
        watch_lasts=timedelta(days=settings.watch_days),
    )

    app.add_middleware(CountComplaintAnswers, metrics=metrics)
    app.include_router(router)
    app.mount("/metrics", make_asgi_app(registry))
    install_problem_handlers(app)
    return app


class CountComplaintAnswers:
    """Counts the answers to complaint submissions by status, as a plain ASGI middleware:
    `@app.middleware("http")` costs a task group and a streamed response wrapper per request,
    a quarter of intake's CPU per complaint when profiled (docs/bench/tuning.md)."""

    def __init__(self, app: ASGIApp, *, metrics: IntakeMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != COMPLAINTS_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.complaints.labels(status=str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counting_send)
