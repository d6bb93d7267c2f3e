"""The matcher's composition root: builds the faust worker from settings."""

from __future__ import annotations

from functools import partial
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import MATCHER, require_topics, topics_of
from schemas.topics import (
    ALERT_RAISED,
    CLUSTERS_TABLE,
    COMPLAINTS_FILED,
    DEAD_LETTER,
    GENERIC_VALUE_DECIDED,
    IDENTIFIER_SIGHTED,
    LINK_WITHDRAWN,
    MATCHER_APP_ID,
    REGISTRY_ENTRY_ADDED,
    STATE_TABLE,
)
from services.matcher import faust_fixes
from services.matcher.agents import MatcherTables, MatcherTopics, register_agents
from services.matcher.config import MatcherSettings
from services.matcher.lookups import install_reads
from services.matcher.metrics import MatcherMetrics

# aiohttp sets the charset itself and refuses a content type that names one.
_METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST.split("; charset")[0]


def _raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """Keys and values stay bytes: the agents decode them with the shared pydantic models."""
    return app.topic(
        *names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def _table(app: faust.App, name: str, partitions: int, help: str) -> Any:
    """A table keyed by text, partitioned like the topic of its agent. Values are bytes: the
    agents store a pydantic model's JSON (the same JSON text, read and written without a dict
    in between: most of the matcher's CPU when faust encoded it), or a plain string."""
    schema: faust.Schema[str, Any] = faust.Schema(
        key_type=str, key_serializer="raw", value_serializer="raw"
    )
    # The store and the changelog take their serializer from value_type (not the schema).
    return app.Table(
        name, default=None, partitions=partitions, value_type=bytes, schema=schema, help=help
    )


def create_app(settings: MatcherSettings) -> faust.App:
    """A faust app with the sightings table and the matching agent; not started."""
    faust_fixes.install()
    app = faust.App(
        MATCHER_APP_ID,
        broker=[f"kafka://{server}" for server in settings.kafka.servers],
        broker_credentials=_credentials(settings.kafka),
        store=settings.matcher_store,
        datadir=str(settings.matcher_data_dir),
        web_host=settings.matcher_host,
        web_bind=settings.matcher_host,
        web_port=settings.matcher_port,
        canonical_url=str(settings.matcher_advertised_url or "") or None,
        producer_acks=-1,
        broker_session_timeout=settings.matcher_session_timeout_s,
        broker_heartbeat_interval=settings.matcher_session_timeout_s / 10,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=settings.matcher_standby_replicas,
        topic_partitions=IDENTIFIER_SIGHTED.partitions,
        topic_replication_factor=settings.replication.factor,
        autodiscover=False,
    )
    registry = CollectorRegistry()
    clusters = _table(
        app,
        CLUSTERS_TABLE,
        COMPLAINTS_FILED.partitions,
        "Each cluster's members and path, or where it was merged; each strong identifier's "
        "first complaint; each filed complaint's cluster.",
    )
    # Its rows depend on each other: a store kept across a crash could mix rows faust's
    # recovery rolls back with newer ones it keeps (services/matcher/faust_fixes.py).
    faust_fixes.rebuild_from_changelog(clusters, COMPLAINTS_FILED.partitions)
    state_by_token = _table(
        app,
        STATE_TABLE,
        IDENTIFIER_SIGHTED.partitions,
        "What the matcher knows per identifier token, and each complaint it counted.",
    )
    register_agents(
        app,
        topics=MatcherTopics(
            source=_raw_topic(
                app,
                IDENTIFIER_SIGHTED.name,
                REGISTRY_ENTRY_ADDED.name,
                GENERIC_VALUE_DECIDED.name,
                LINK_WITHDRAWN.name,
            ),
            filed=_raw_topic(app, COMPLAINTS_FILED.name),
            alerts=_raw_topic(app, ALERT_RAISED.name),
            dead_letter=_raw_topic(app, DEAD_LETTER.name),
        ),
        tables=MatcherTables(
            state_by_token=state_by_token,
            clusters=clusters,
        ),
        rules=settings.rules(),
        metrics=MatcherMetrics(registry),
        batching=settings.batching(),
    )

    recovered = partial(_recovered, app)
    install_reads(app, state_by_token, clusters, recovered)

    @app.page("/metrics")
    async def metrics(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.bytes(generate_latest(registry), content_type=_METRICS_CONTENT_TYPE)

    @app.page("/healthz")
    async def healthz(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        """Ready once this worker's rebalance and table recovery are over: it is processing
        the partitions it holds (none, if there are more workers than partitions)."""
        if not recovered():
            return web.json({"status": "recovering"}, status=503)
        held = sorted(
            tp.partition for tp in app.consumer.assignment() if tp.topic == IDENTIFIER_SIGHTED.name
        )
        return web.json({"status": "ready", "partitions": held})

    return app


def _recovered(app: faust.App) -> bool:
    """Whether this worker's rebalance and table recovery are over."""
    done = app.tables.recovery.completed  # type: ignore[attr-defined]  # not on TableManagerT
    return not app.rebalancing and done.is_set()


def prepare(settings: MatcherSettings) -> None:
    """Refuse to start unless the topics the worker reads and writes are provisioned: faust
    would otherwise wait on them without saying why."""
    require_topics(settings.kafka, topics_of(MATCHER))


def _credentials(kafka: KafkaAccess) -> faust.SSLCredentials | None:
    """Mutual TLS as the matcher's principal, or nothing (PLAINTEXT)."""
    context = kafka.ssl_context()
    return faust.SSLCredentials(context) if context else None
