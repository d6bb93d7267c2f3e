"""The matcher's faust agents. Thin: decode, read state, apply a pure rule, publish, write back.

`match_identifiers` reads sightings, registry entries, generic-value decisions and withdrawn
links (topics keyed by the same token) so every change to a token's state is made by one
coroutine, one event at a time, in batches of events taken together. `cluster_complaints` reads
each complaint with all its identifiers from a one-partition topic, in the order intake accepted
them, and joins complaints into gangs (or splits one where an officer withdrew its only bridge).
Every alert is held by the broker before the state recording it is written, and every changelog
record of that state before the events are acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import faust
from faust.types import EventT, TableT
from pydantic import BaseModel, ValidationError

from schemas.events import (
    FILED_EVENT,
    AlertRaised,
    ArrestRecorded,
    GenericValueDecided,
    ImportClosed,
    LinkWithdrawn,
    import_marker_key,
    is_import_marker,
    passes_of,
)
from schemas.topics import (
    COMPLAINTS_FILED,
    GENERIC_VALUE_DECIDED,
    IDENTIFIER_SIGHTED,
    LINK_WITHDRAWN,
    REGISTRY_ENTRY_ADDED,
)
from services.matcher.arrests import on_arrest_recorded
from services.matcher.batches import PartitionedRows, TokenBatch
from services.matcher.clustering import on_complaint_filed, on_generic_decided
from services.matcher.faust_fixes import ChangelogWrites, DirectRows
from services.matcher.matching import (
    MatchingRules,
)
from services.matcher.metrics import MatcherMetrics
from services.matcher.withdrawals import on_link_withdrawn

log = logging.getLogger(__name__)
EXIT_NOT_PUBLISHED = 75  # EX_TEMPFAIL: restart me
LAG_INTERVAL_S = 5.0
LAGGING_TOPICS = {
    IDENTIFIER_SIGHTED.name,
    REGISTRY_ENTRY_ADDED.name,
    GENERIC_VALUE_DECIDED.name,
    LINK_WITHDRAWN.name,
    COMPLAINTS_FILED.name,
}


@dataclass(frozen=True)
class MatcherTopics:
    source: faust.TopicT  # sightings, registry entries, generic-value decisions, withdrawals
    filed: faust.TopicT  # complaints with all their identifiers, decisions and withdrawals
    alerts: faust.TopicT
    dead_letter: faust.TopicT


@dataclass(frozen=True)
class Batching:
    """How many events each agent takes at once, and how long it waits to fill a batch."""

    size: int
    wait_s: float


@dataclass(frozen=True)
class MatcherTables:
    # A token's row under the token; under "token/district/complaint id", the offset of the
    # sighting that counted that complaint for it.
    state_by_token: TableT[str, Any]
    # A cluster's row (or forwarding pointer) under its id, a strong identifier's first
    # complaint under "identifier:<token>", a complaint's cluster under "complaint:<d>/<id>".
    clusters: TableT[str, Any]


def register_agents(
    app: faust.App,
    *,
    topics: MatcherTopics,
    tables: MatcherTables,
    rules: MatchingRules,
    metrics: MatcherMetrics,
    batching: Batching,
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

    # faust acks a batch's events when the agent's loop comes back for the next batch, and may
    # commit their offsets at once: every changelog record they wrote must be held by then.
    # One per table, which one agent writes: the agents run one copy each (faust's default
    # concurrency of 1); a second copy would send and await the first's records.
    token_writes = ChangelogWrites(tables.state_by_token)
    cluster_writes = ChangelogWrites(tables.clusters)
    token_rows = DirectRows(tables.state_by_token, token_writes)
    # The clusters' store is discarded at every start (app.py): no write-ahead log for it.
    cluster_rows = DirectRows(tables.clusters, cluster_writes, logged=False)

    @app.agent(topics.source, name="match_identifiers")
    async def match_identifiers(stream: Any) -> None:
        # One wait for the broker per batch rather than one per event that raised an alert.
        async for events in stream.take_events(batching.size, within=batching.wait_s):
            try:
                await _match_batch(events, topics, token_rows, rules, metrics)
                await token_writes.sent()
            except Exception as error:  # a bug, not bad input: that goes to the dead letters
                _exit_unprocessed("a batch of events could not be processed", error)

    @app.agent(topics.filed, name="cluster_complaints")
    async def cluster_complaints(stream: Any) -> None:
        async for events in stream.take_events(batching.size, within=batching.wait_s):
            try:
                await _cluster_batch(events, topics, cluster_rows, rules, metrics)
                await cluster_writes.sent()
            except Exception as error:  # a bug, not bad input: that goes to the dead letters
                _exit_unprocessed("a batch of filed complaints could not be clustered", error)


async def _cluster_batch(
    events: Sequence[EventT[Any]],
    topics: MatcherTopics,
    clusters: PartitionedRows,
    rules: MatchingRules,
    metrics: MatcherMetrics,
) -> None:
    """Apply a batch of filed events in order, each seeing the rows left by those before it:
    join each complaint to its gangs (raising a cluster alert if it is news), tell the
    districts an arrest reaches, note a generic-value decision, or withdraw a link. Wait until
    the broker holds every alert the batch raised (and each import's pass, behind the alerts
    before it); only then write the rows, in the order they were made.

    A crash at any point replays the whole batch: each event finds the rows it had written
    (services/matcher/clustering.py's crash safety) and raises the same alert ids again."""
    rows = _RowLog(clusters)
    alerts: list[AlertRaised] = []
    for event in events:
        try:
            filed = FILED_EVENT.validate_json(event.value)
        except ValidationError as error:
            await _dead_letter(topics.dead_letter, event, error, metrics)
            continue
        rows.event, offset = event, event.message.offset
        if isinstance(filed, ImportClosed):  # every alert before it is out: pass it on
            await _raise(topics, tuple(alerts), metrics)
            alerts.clear()
            await _pass_on(topics, filed, event)
        elif isinstance(filed, GenericValueDecided):
            on_generic_decided(rows, filed, offset=offset)
        elif isinstance(filed, LinkWithdrawn):
            on_link_withdrawn(rows, filed, offset=offset, rules=rules)
        elif isinstance(filed, ArrestRecorded):
            alerts += on_arrest_recorded(
                rows, filed, offset=offset, rules=rules, now=datetime.now(UTC)
            )
        elif alert := on_complaint_filed(
            rows, filed, offset=offset, rules=rules, now=datetime.now(UTC)
        ):
            alerts.append(alert)
    await _raise(topics, tuple(alerts), metrics)
    rows.write()
    for event in events:
        _record_position(metrics, event)


class _RowLog:
    """The clusters table as a batch of events changes it: reads see the batch's writes, which
    reach the table only on `write`, in the order they were made (the order crash safety relies
    on), each to the partition of the event that made it."""

    def __init__(self, table: PartitionedRows) -> None:
        self._table = table
        self._latest: dict[str, bytes] = {}
        self._log: list[tuple[str, bytes, int]] = []
        self.event: EventT[Any] | None = None  # the event being applied

    def get(self, key: str) -> bytes | None:
        if key in self._latest:
            return self._latest[key]
        assert self.event is not None, "a row read outside an event"
        return self._table.get(key, self.event.message.partition)

    def __setitem__(self, key: str, value: bytes) -> None:
        assert self.event is not None, "a row written outside an event"
        self._latest[key] = value
        self._log.append((key, value, self.event.message.partition))

    def write(self) -> None:
        self._table.put_all(self._log)


async def _match_batch(
    events: Sequence[EventT[Any]],
    topics: MatcherTopics,
    tokens: PartitionedRows,
    rules: MatchingRules,
    metrics: MatcherMetrics,
) -> None:
    """Apply a batch of events in order, each seeing the states left by those before it; wait
    until the broker holds every alert they raised; only then write the new states.

    faust acks the batch's offsets after this returns, so a crash at any point replays the
    whole batch, which raises the same alert ids again. A complaint already counted for a
    token (a replayed or re-posted sighting) changes nothing: a prolific token's row does not
    list its complaints, so its table also remembers each (token, complaint) counted.
    """
    batch = TokenBatch(tokens)
    alerts: list[AlertRaised] = []
    closed: list[tuple[ImportClosed, EventT[Any]]] = []
    for event in events:
        if is_import_marker(event.key):
            try:
                closed.append((ImportClosed.model_validate_json(event.value), event))
            except ValidationError as error:
                await _dead_letter(topics.dead_letter, event, error, metrics)
            continue
        try:
            outcome = batch.apply(event, rules)
        except ValidationError as error:
            await _dead_letter(topics.dead_letter, event, error, metrics)
            continue
        if outcome is not None:
            alerts += outcome.alerts
    await _raise(topics, tuple(alerts), metrics)
    for import_closed, event in closed:  # behind every alert raised before it
        await _pass_on(topics, import_closed, event)
    batch.write()
    metrics.unchanged.inc(batch.unchanged)
    metrics.changed.inc(batch.changes)
    for event in events:
        _record_position(metrics, event)


async def _raise(
    topics: MatcherTopics, alerts: tuple[AlertRaised, ...], metrics: MatcherMetrics
) -> None:
    """Publish alerts and wait until the broker holds all of them."""
    await _publish([(topics.alerts, alert.alert_id, alert, None) for alert in alerts])
    for alert in alerts:
        metrics.alerts.labels(kind=alert.kind, rule=alert.rule).inc()
        trigger = alert.trigger
        log.info(
            "alert raised",
            extra={
                "alert_id": alert.alert_id,
                "kind": alert.kind,
                "rule": alert.rule,
                "identifier": alert.about.masked,
                "districts": alert.districts,
                "complaint_id": trigger.complaint_id if trigger else None,
                "district": trigger.district if trigger else None,
            },
        )


async def _pass_on(topics: MatcherTopics, closed: ImportClosed, event: EventT[Any]) -> None:
    """Tell every alerts partition that the import's alerts from this event's partition are all
    before it (the caller has waited for them), and wait until the broker holds each."""
    key = import_marker_key(closed.import_id)
    passes = passes_of(closed, event.message.topic)
    await _publish([(topics.alerts, key, p, p.alerts_partition) for p in passes])
    log.info(
        "import passed",
        extra={
            "import_id": closed.import_id,
            "topic": event.message.topic,
            "partition": closed.partition,
        },
    )


async def _publish(records: list[tuple[faust.TopicT, str, BaseModel, int | None]]) -> None:
    """Send records (each to its partition, or by its key's hash with None) and wait for the
    broker to hold every one, before the state recording them.

    If one cannot be written, the process exits at once: faust would otherwise commit the
    input's offset, and a state saying "sent" without the record loses it for good. Restarted,
    the worker reads the input again and sends the same records (same ids) again.
    """
    try:
        sent = [
            await topic.send(
                key=key.encode(), value=event.model_dump_json().encode(), partition=partition
            )
            for topic, key, event, partition in records
        ]
        await asyncio.gather(*sent)
    except Exception as error:
        _exit_unprocessed("could not publish", error)


def _exit_unprocessed(what: str, error: Exception) -> NoReturn:
    """Exit at once, before faust commits offsets past events whose effects are not all out.

    faust acks the events of a batch (or the one event) whose processing raised, and would
    commit past them; restarted, the worker reads them again and raises the same ids again.
    An error that repeats on every restart stops the partition where it happened, which
    crosslink_matcher_consumer_lag and this log line show, rather than losing the events.
    """
    log.critical(
        f"{what}; exiting so that it is processed again on restart",
        extra={"error": type(error).__name__, "detail": str(error)[:500]},
    )
    logging.shutdown()
    os._exit(EXIT_NOT_PUBLISHED)


def _record_position(metrics: MatcherMetrics, event: Any) -> None:
    message = event.message
    metrics.record_position(message.topic, message.partition, message.offset + 1)


async def _dead_letter(
    topic: faust.TopicT, event: Any, error: ValidationError, metrics: MatcherMetrics
) -> None:
    message = event.message
    reason = f"undecodable record on {message.topic}: {error.error_count()} error(s)"
    log.error(
        "record sent to dead-letter topic",
        extra={
            "reason": reason,
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
        },
    )
    await topic.send(
        key=event.key,
        value=event.value,
        headers={
            "crosslink-error": reason.encode(),
            "crosslink-source": b"matcher",
            "crosslink-topic": message.topic.encode(),
        },
    )
    metrics.dead_lettered.inc()
