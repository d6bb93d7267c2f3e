"""The notifier's composition root: an HTTP app (health, metrics) that runs the alert consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, make_asgi_app

from crosslink.directory import load_directory
from crosslink.problems import install_problem_handlers
from crosslink.provisioning import provision_topics
from services.notifier.config import NotifierSettings
from services.notifier.consumer import AlertConsumer
from services.notifier.delivery import AlertDeliverer
from services.notifier.metrics import NotifierMetrics
from services.notifier.webhooks import WebhookChannel, webhook_client

log = logging.getLogger(__name__)


def create_app(settings: NotifierSettings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = NotifierMetrics(registry)
    directory = load_directory(settings.districts_file)
    running = asyncio.Event()

    async def consume_forever() -> None:
        """Keep one consumer running; after a failure, log it and start a new one."""
        while True:
            async with webhook_client(settings.webhook_timeout_s) as client:
                deliverer = AlertDeliverer(
                    directory=directory,
                    channel=WebhookChannel(client),
                    settings=settings,
                    metrics=metrics,
                )
                try:
                    await asyncio.to_thread(provision_topics, settings.kafka_bootstrap)
                    running.set()
                    await AlertConsumer(settings.kafka_bootstrap, deliverer, metrics).run()
                except Exception:
                    running.clear()
                    log.exception("alert consumer failed; restarting in 5 s")
                    await asyncio.sleep(5)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(consume_forever())
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app = FastAPI(title="crosslink notifier", version="1", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        ready = running.is_set()
        return JSONResponse(
            {"status": "ready" if ready else "consumer not running"},
            status_code=200 if ready else 503,
        )

    app.mount("/metrics", make_asgi_app(registry))
    install_problem_handlers(app)
    return app
