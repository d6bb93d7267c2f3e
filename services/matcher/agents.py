"""The matcher's faust agent. Thin: decode, look up the table, call matching.decide, write back."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import TableT
from pydantic import ValidationError

from schemas.events import CaseRef, IdentifierSighted
from services.matcher.matching import decide
from services.matcher.metrics import MatcherMetrics

log = logging.getLogger(__name__)


def register_agents(
    app: faust.App,
    *,
    sightings_topic: faust.TopicT,
    alerts_topic: faust.TopicT,
    dead_letter_topic: faust.TopicT,
    sightings_by_token: TableT[str, Any],
    metrics: MatcherMetrics,
) -> None:
    """Attach the matching agent to `app`."""

    @app.agent(sightings_topic, name="match_sightings")
    async def match_sightings(stream: AsyncIterable[Any]) -> None:
        async for event in stream.events():  # type: ignore[attr-defined]
            try:
                sighting = IdentifierSighted.model_validate_json(event.value)
            except ValidationError as error:
                await _dead_letter(dead_letter_topic, event, error)
                metrics.sightings.labels(outcome="dead_lettered").inc()
                continue
            await _match(sighting, alerts_topic, sightings_by_token, metrics)


async def _match(
    sighting: IdentifierSighted,
    alerts_topic: faust.TopicT,
    sightings_by_token: TableT[str, Any],
    metrics: MatcherMetrics,
) -> None:
    token = sighting.identifier.token
    known = [CaseRef.model_validate(case) for case in sightings_by_token.get(token, [])]
    decision = decide(sighting, known, now=datetime.now(UTC))
    if decision is None:
        metrics.sightings.labels(outcome="unchanged").inc()
        return
    if decision.alert is not None:
        alert = decision.alert
        await alerts_topic.send(key=alert.alert_id.encode(), value=alert.model_dump_json().encode())
        metrics.alerts.labels(kind=alert.kind).inc()
        log.info(
            "alert raised",
            extra={"alert_id": alert.alert_id, "identifier": alert.identifier.masked,
                   "districts": alert.districts, "cases": len(alert.cases)},
        )  # fmt: skip
    # Assign, never mutate in place: only assignment reaches the changelog.
    sightings_by_token[token] = [case.model_dump(mode="json") for case in decision.cases]
    metrics.sightings.labels(outcome="new").inc()


async def _dead_letter(topic: faust.TopicT, event: Any, error: ValidationError) -> None:
    reason = f"undecodable identifier-sighted event: {error.error_count()} error(s)"
    log.error("record sent to dead-letter topic", extra={"reason": reason,
              "partition": event.message.partition, "offset": event.message.offset})  # fmt: skip
    await topic.send(
        key=event.key,
        value=event.value,
        headers={"crosslink-error": reason.encode(), "crosslink-source": b"matcher"},
    )
