"""The matcher's composition root: builds the faust worker from settings."""

from __future__ import annotations

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from crosslink.provisioning import provision_topics
from schemas.topics import (
    ALERT_RAISED,
    DEAD_LETTER,
    IDENTIFIER_SIGHTED,
    MATCHER_APP_ID,
    REGISTRY_ENTRY_ADDED,
    STATE_TABLE,
)
from services.matcher.agents import register_agents
from services.matcher.config import MatcherSettings
from services.matcher.faust_fixes import seek_before_resuming_after_recovery
from services.matcher.metrics import MatcherMetrics

# aiohttp sets the charset itself and refuses a content type that names one.
_METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST.split("; charset")[0]


def _raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """Keys and values stay bytes: the agents decode them with the shared pydantic models."""
    return app.topic(
        *names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def create_app(settings: MatcherSettings) -> faust.App:
    """A faust app with the sightings table and the matching agent; not started."""
    seek_before_resuming_after_recovery()
    app = faust.App(
        MATCHER_APP_ID,
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        store=settings.matcher_store,
        datadir=str(settings.matcher_data_dir),
        web_host=settings.matcher_host,
        web_bind=settings.matcher_host,
        web_port=settings.matcher_port,
        producer_acks=-1,
        broker_session_timeout=settings.matcher_session_timeout_s,
        broker_heartbeat_interval=settings.matcher_session_timeout_s / 10,
        consumer_auto_offset_reset="earliest",
        topic_partitions=IDENTIFIER_SIGHTED.partitions,
        autodiscover=False,
    )
    state_by_token = app.Table(
        STATE_TABLE,
        default=None,
        partitions=IDENTIFIER_SIGHTED.partitions,
        schema=faust.Schema(key_type=str, key_serializer="raw", value_serializer="json"),
        help="What the matcher knows per identifier token (services/matcher/matching.py).",
    )
    registry = CollectorRegistry()
    register_agents(
        app,
        source=_raw_topic(app, IDENTIFIER_SIGHTED.name, REGISTRY_ENTRY_ADDED.name),
        alerts_topic=_raw_topic(app, ALERT_RAISED.name),
        dead_letter_topic=_raw_topic(app, DEAD_LETTER.name),
        state_by_token=state_by_token,
        rules=settings.rules(),
        metrics=MatcherMetrics(registry),
    )

    @app.page("/metrics")
    async def metrics(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.bytes(generate_latest(registry), content_type=_METRICS_CONTENT_TYPE)

    @app.page("/healthz")
    async def healthz(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.json({"status": "ok"})

    return app


def prepare(settings: MatcherSettings) -> None:
    """Create the topics the worker needs before faust subscribes to them."""
    provision_topics(settings.kafka_bootstrap)
