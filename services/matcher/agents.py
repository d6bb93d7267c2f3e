"""The matcher's faust agent. Thin: decode, read the token's state, apply a rule, write back.

Sightings and registry entries arrive on two topics keyed by the same token through one
agent, so every change to a token's state is made by one coroutine, one event at a time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterable
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import TableT
from pydantic import ValidationError

from schemas.events import AlertRaised, IdentifierSighted, RegistryEntryAdded
from schemas.topics import REGISTRY_ENTRY_ADDED
from services.matcher.matching import (
    MatchingRules,
    Outcome,
    TokenState,
    on_registry_entry,
    on_sighting,
)
from services.matcher.metrics import MatcherMetrics

log = logging.getLogger(__name__)
EXIT_ALERT_NOT_PUBLISHED = 75  # EX_TEMPFAIL: restart me


def register_agents(
    app: faust.App,
    *,
    source: faust.TopicT,
    alerts_topic: faust.TopicT,
    dead_letter_topic: faust.TopicT,
    state_by_token: TableT[str, Any],
    rules: MatchingRules,
    metrics: MatcherMetrics,
) -> None:
    """Attach the matching agent, reading sightings and registry entries from `source`."""

    @app.agent(source, name="match_identifiers")
    async def match_identifiers(stream: AsyncIterable[Any]) -> None:
        async for event in stream.events():  # type: ignore[attr-defined]
            try:
                outcome, token = _apply(event, state_by_token, rules)
            except ValidationError as error:
                await _dead_letter(dead_letter_topic, event, error)
                metrics.events.labels(outcome="dead_lettered").inc()
                _record_position(metrics, event)
                continue
            if outcome is None:
                metrics.events.labels(outcome="unchanged").inc()
                _record_position(metrics, event)
                continue
            for alert in outcome.alerts:
                await _publish(alerts_topic, alert)
                metrics.alerts.labels(kind=alert.kind, rule=alert.rule).inc()
                log.info("alert raised", extra={"alert_id": alert.alert_id, "kind": alert.kind,
                         "rule": alert.rule, "identifier": alert.identifier.masked,
                         "districts": alert.districts})  # fmt: skip
            # Assign, never mutate in place: only assignment reaches the changelog.
            state_by_token[token] = outcome.state.model_dump(mode="json")
            metrics.events.labels(outcome="changed").inc()
            _record_position(metrics, event)


async def _publish(alerts_topic: faust.TopicT, alert: AlertRaised) -> None:
    """Send an alert and wait for the broker to hold it, before the state that records it.

    If the alert cannot be written, the process exits at once: faust would otherwise commit
    the event's offset, and a state saying "alerted" without the alert loses it for good.
    Restarted, the worker reads the event again and raises the same alert id.
    """
    value = alert.model_dump_json().encode()
    try:
        await (await alerts_topic.send(key=alert.alert_id.encode(), value=value))
    except Exception as error:
        log.critical("could not publish an alert; exiting so that it is raised again on restart",
                     extra={"alert_id": alert.alert_id, "error": type(error).__name__})  # fmt: skip
        logging.shutdown()
        os._exit(EXIT_ALERT_NOT_PUBLISHED)


def _record_position(metrics: MatcherMetrics, event: Any) -> None:
    message = event.message
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


async def _dead_letter(topic: faust.TopicT, event: Any, error: ValidationError) -> None:
    message = event.message
    reason = f"undecodable record on {message.topic}: {error.error_count()} error(s)"
    log.error("record sent to dead-letter topic", extra={"reason": reason, "topic": message.topic,
              "partition": message.partition, "offset": message.offset})  # fmt: skip
    await topic.send(
        key=event.key,
        value=event.value,
        headers={"crosslink-error": reason.encode(), "crosslink-source": b"matcher"},
    )
