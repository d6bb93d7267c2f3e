"""The matcher's faust agents. Thin: decode, read state, apply a pure rule, publish, write back.

`match_identifiers` reads sightings and registry entries (two topics keyed by the same token)
so every change to a token's state is made by one coroutine, one event at a time. It sends
the links it finds to a one-partition topic, where `cluster_complaints` joins complaints into
gangs. Every alert and link is held by the broker before the state recording it is written.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import TableT
from pydantic import BaseModel, ValidationError

from schemas.events import (
    AlertRaised,
    CaseRef,
    ComplaintsLinked,
    IdentifierSighted,
    RegistryEntryAdded,
)
from schemas.topics import COMPLAINTS_LINKED, IDENTIFIER_SIGHTED, REGISTRY_ENTRY_ADDED
from services.matcher.clustering import ClusterState, case_key, merge, singleton
from services.matcher.matching import (
    MatchingRules,
    Outcome,
    TokenState,
    on_registry_entry,
    on_sighting,
)
from services.matcher.metrics import MatcherMetrics

log = logging.getLogger(__name__)
EXIT_NOT_PUBLISHED = 75  # EX_TEMPFAIL: restart me
LAG_INTERVAL_S = 5.0
LAGGING_TOPICS = {IDENTIFIER_SIGHTED.name, REGISTRY_ENTRY_ADDED.name, COMPLAINTS_LINKED.name}


@dataclass(frozen=True)
class MatcherTopics:
    source: faust.TopicT  # sightings and registry entries
    links: faust.TopicT
    alerts: faust.TopicT
    dead_letter: faust.TopicT


@dataclass(frozen=True)
class MatcherTables:
    state_by_token: TableT[str, Any]
    cluster_of_case: TableT[str, Any]
    clusters: TableT[str, Any]


def register_agents(
    app: faust.App,
    *,
    topics: MatcherTopics,
    tables: MatcherTables,
    rules: MatchingRules,
    metrics: MatcherMetrics,
) -> None:
    """Attach the matching and clustering agents, and the lag reporter, to `app`."""

    @app.timer(LAG_INTERVAL_S)  # type: ignore[untyped-decorator]
    async def report_lag() -> None:
        """Lag from the consumer's known end offsets and our position gauge: it keeps growing
        while the agents are stuck, which per-event reporting would not show."""
        assigned = {(tp.topic, tp.partition) for tp in app.consumer.assignment()}
        for topic, partition in set(metrics.positions) - assigned:  # moved in a rebalance
            del metrics.positions[(topic, partition)]
            with suppress(KeyError):
                metrics.lag.remove(topic, str(partition))
        for tp in app.consumer.assignment():
            highwater = app.consumer.highwater(tp)
            position = metrics.positions.get((tp.topic, tp.partition))
            if highwater is None or position is None or tp.topic not in LAGGING_TOPICS:
                continue  # not known yet: no figure rather than a wrong one
            lag = metrics.lag.labels(topic=tp.topic, partition=str(tp.partition))
            lag.set(max(highwater - position, 0))

    @app.agent(topics.source, name="match_identifiers")
    async def match_identifiers(stream: AsyncIterable[Any]) -> None:
        async for event in stream.events():  # type: ignore[attr-defined]
            try:
                outcome, token = _apply(event, tables.state_by_token, rules)
            except ValidationError as error:
                await _dead_letter(topics.dead_letter, event, error, metrics)
                continue
            if outcome is not None:
                await _raise(topics, outcome.alerts, metrics, outcome.links)
                # Assign, never mutate in place: only assignment reaches the changelog.
                tables.state_by_token[token] = outcome.state.model_dump(mode="json")
            metrics.events.labels(outcome="unchanged" if outcome is None else "changed").inc()
            _record_position(metrics, event)

    @app.agent(topics.links, name="cluster_complaints")
    async def cluster_complaints(stream: AsyncIterable[Any]) -> None:
        async for event in stream.events():  # type: ignore[attr-defined]
            try:
                link = ComplaintsLinked.model_validate_json(event.value)
            except ValidationError as error:
                await _dead_letter(topics.dead_letter, event, error, metrics)
                continue
            earlier, later = (_cluster_of(tables, case) for case in (link.earlier, link.later))
            merged = merge(earlier, later, link, now=datetime.now(UTC))
            if merged is not None:
                await _raise(topics, (merged.alert,) if merged.alert else (), metrics)
                # Live cluster first, then the forwarding pointer, then the two shortcuts:
                # a crash between any two leaves every lookup still finding the live cluster.
                tables.clusters[merged.kept.cluster_id] = merged.kept.model_dump(mode="json")
                tables.clusters[merged.absorbed.cluster_id] = merged.absorbed.model_dump(
                    mode="json"
                )
                for case in (link.earlier, link.later):
                    tables.cluster_of_case[case_key(case)] = merged.kept.cluster_id
            _record_position(metrics, event)


def _cluster_of(tables: MatcherTables, case: CaseRef) -> ClusterState:
    """The live cluster of a complaint, following forwarding pointers of merged clusters."""
    cluster_id = tables.cluster_of_case.get(case_key(case))
    while cluster_id is not None:
        cluster = ClusterState.model_validate(tables.clusters[cluster_id])
        if cluster.merged_into is None:
            return cluster
        cluster_id = cluster.merged_into
    return singleton(case)


async def _raise(
    topics: MatcherTopics,
    alerts: tuple[AlertRaised, ...],
    metrics: MatcherMetrics,
    links: tuple[ComplaintsLinked, ...] = (),
) -> None:
    """Publish an event's alerts (and links) and wait until the broker holds all of them."""
    await _publish(
        [(topics.alerts, alert.alert_id, alert) for alert in alerts]
        + [(topics.links, link.link_id, link) for link in links]
    )
    for alert in alerts:
        metrics.alerts.labels(kind=alert.kind, rule=alert.rule).inc()
        trigger = alert.trigger
        log.info("alert raised", extra={"alert_id": alert.alert_id, "kind": alert.kind,
                 "rule": alert.rule, "identifier": alert.identifier.masked,
                 "districts": alert.districts,
                 "complaint_id": trigger.complaint_id if trigger else None,
                 "district": trigger.district if trigger else None})  # fmt: skip


async def _publish(records: list[tuple[faust.TopicT, str, BaseModel]]) -> None:
    """Send records and wait for the broker to hold every one, before the state recording them.

    If one cannot be written, the process exits at once: faust would otherwise commit the
    input's offset, and a state saying "sent" without the record loses it for good. Restarted,
    the worker reads the input again and sends the same records (same ids) again.
    """
    try:
        sent = [
            await topic.send(key=key.encode(), value=event.model_dump_json().encode())
            for topic, key, event in records
        ]
        await asyncio.gather(*sent)
    except Exception as error:
        log.critical("could not publish; exiting so that it is sent again on restart",
                     extra={"error": type(error).__name__})  # fmt: skip
        logging.shutdown()
        os._exit(EXIT_NOT_PUBLISHED)


def _record_position(metrics: MatcherMetrics, event: Any) -> None:
    message = event.message
    metrics.positions[(message.topic, message.partition)] = message.offset + 1
    metrics.position.labels(topic=message.topic, partition=str(message.partition)).set(
        message.offset + 1
    )


def _apply(
    event: Any, state_by_token: TableT[str, Any], rules: MatchingRules
) -> tuple[Outcome | None, str]:
    now = datetime.now(UTC)
    if event.message.topic == REGISTRY_ENTRY_ADDED.name:
        entry = RegistryEntryAdded.model_validate_json(event.value)
        token = entry.identifier.token
        return on_registry_entry(_state(state_by_token, token), entry, now=now), token
    sighting = IdentifierSighted.model_validate_json(event.value)
    token = sighting.identifier.token
    return on_sighting(_state(state_by_token, token), sighting, rules=rules, now=now), token


def _state(state_by_token: TableT[str, Any], token: str) -> TokenState:
    stored = state_by_token.get(token)
    return TokenState() if stored is None else TokenState.model_validate(stored)


async def _dead_letter(
    topic: faust.TopicT, event: Any, error: ValidationError, metrics: MatcherMetrics
) -> None:
    message = event.message
    reason = f"undecodable record on {message.topic}: {error.error_count()} error(s)"
    log.error("record sent to dead-letter topic", extra={"reason": reason, "topic": message.topic,
              "partition": message.partition, "offset": message.offset})  # fmt: skip
    await topic.send(
        key=event.key,
        value=event.value,
        headers={
            "crosslink-error": reason.encode(),
            "crosslink-source": b"matcher",
            "crosslink-topic": message.topic.encode(),
        },
    )
    metrics.events.labels(outcome="dead_lettered").inc()
    _record_position(metrics, event)
