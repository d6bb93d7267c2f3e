"""Intake's composition root: builds the FastAPI app from settings. Nothing connects at import."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, make_asgi_app

from crosslink.guards import install_guards, reload_on_sighup
from crosslink.problems import install_problem_handlers
from services.intake.api import COMPLAINTS_PATH, router
from services.intake.config import IntakeSettings
from services.intake.metrics import IntakeMetrics
from services.intake.publisher import KafkaPublisher


def create_app(settings: IntakeSettings) -> FastAPI:
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        timeout_s=settings.publish_timeout_s,
        retry_after_s=settings.retry_after_s,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reload_on_sighup(directory)
        await publisher.start()
        yield
        await publisher.stop()

    app = FastAPI(
        title="crosslink intake",
        summary="District case-management systems post sextortion complaints here.",
        version="1",
        lifespan=lifespan,
    )
    registry = CollectorRegistry()
    metrics = IntakeMetrics(registry)
    app.state.settings = settings
    directory = install_guards(app, settings)
    app.state.publisher = publisher
    app.state.metrics = metrics

    @app.middleware("http")
    async def count_complaint_answers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.url.path == COMPLAINTS_PATH and request.method == "POST":
            metrics.complaints.labels(status=str(response.status_code)).inc()
        return response

    app.include_router(router)
    app.mount("/metrics", make_asgi_app(registry))
    install_problem_handlers(app)
    return app
