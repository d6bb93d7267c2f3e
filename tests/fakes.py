"""In-memory fakes at the services' ports, for fast in-process tests of one unit: intake's
publisher, the notifier's outbox (as the consumer and dispatcher use it), its channels and dead
letters, the rematch's history and tables, and a clock that moves only when told. Each keeps
what it was given, for the test to read; the real adapters have their own tests against the
real broker, database and receivers."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.exc import DataError

from crosslink.directory import District
from schemas.events import AlertRaised, ImportPassed, TokenRekeyed
from schemas.lookups import TokenFootprint
from schemas.topics import IMPORT_PASSES, TopicSpec
from services.intake.errors import BrokerUnavailable
from services.intake.publisher import Marker, Record
from services.matcher.batches import HistoryRecord
from services.matcher.rematch import Row, RowWrite
from services.notifier.audit.chain import AuditEvent
from services.notifier.import_digests import ImportLink
from services.notifier.retries import AttemptResult, RetryAt
from services.notifier.routing import PlannedDelivery
from services.notifier.slots import Room
from services.notifier.store.imports import DigestOf, ImportTold, StaleDigest
from services.notifier.store.outbox import (
    Attempted,
    Claimed,
    DueDelivery,
    Lease,
    NewOperatorAlert,
)
from services.notifier.storing import Consumed

DEADLINE_S = 10.0  # how long a fake waits for what a test expects before failing it


class FixedClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakePublisher:
    """Intake's publisher: keeps what it publishes, or refuses all of it as the real one does
    while the broker is unreachable."""

    def __init__(self) -> None:
        self.published: list[Record] = []
        self.reachable = True

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def publish(self, records: Sequence[Record], markers: Sequence[Marker] = ()) -> None:
        if not self.reachable:
            raise BrokerUnavailable("the event broker is unreachable", retry_after_s=5)
        self.published.extend(records)
        self.published += [(topic, key, event) for topic, _, key, event in markers]

    async def broker_reachable(self) -> bool:
        return self.reachable

    def topics(self) -> list[str]:
        return [topic for topic, _, _ in self.published]


@dataclass
class _Pending:
    delivery: DueDelivery
    due_at: datetime


@dataclass
class FakeImports:
    """Back-fills' ends and links in memory (services/notifier/store/imports.py), reading the
    links from the outbox the alerts are stored in."""

    outbox: FakeOutbox
    passes: dict[str, set[tuple[str, int, int]]] = field(default_factory=dict)

    async def passed(self, passed: ImportPassed) -> bool:
        held = self.passes.setdefault(passed.import_id, set())
        held.add((passed.source_topic, passed.source_partition, passed.alerts_partition))
        return len(held) >= IMPORT_PASSES and passed.import_id not in self.outbox.digested

    async def links(self, import_id: str) -> list[ImportLink]:
        stored = (self.outbox.stored[a] for a in self.outbox.links.get(import_id, ()))
        return [ImportLink.model_validate_json(alert.model_dump_json()) for alert in stored]


@dataclass
class FakeOutbox:
    """The outbox's DeliveryStore port in memory. `refuse` names alerts the database would
    refuse (a DataError, as PostgreSQL raises for a value it cannot store); `lost_leases`
    names deliveries whose lease another notifier has taken since."""

    refuse: set[str] = field(default_factory=set)
    lost_leases: set[str] = field(default_factory=set)
    stored: dict[str, AlertRaised] = field(default_factory=dict)
    leases: list[Lease] = field(default_factory=list)
    claims: list[Mapping[str, datetime]] = field(default_factory=list)
    pending: dict[str, _Pending] = field(default_factory=dict)
    recorded: list[Attempted] = field(default_factory=list)
    operator_alerts: dict[str, NewOperatorAlert] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    undecodable: list[str] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)  # import id -> historical alerts
    digested: set[str] = field(default_factory=set)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def store(
        self,
        batch: Sequence[tuple[AlertRaised, Sequence[PlannedDelivery]]],
        *,
        now: datetime,
        lease: Lease | None = None,
        digest: DigestOf | None = None,
    ) -> list[DueDelivery]:
        if refused := [alert.alert_id for alert, _ in batch if alert.alert_id in self.refuse]:
            raise DataError("INSERT INTO alerts", {"alert_id": refused}, Exception("refused"))
        if digest is not None:
            if digest.import_id in self.digested:
                raise ImportTold(digest.import_id)
            if len(self.links.get(digest.import_id, ())) != digest.links:
                raise StaleDigest(digest.import_id)
            self.digested.add(digest.import_id)
        new: list[DueDelivery] = []
        for alert, planned in batch:
            self.stored.setdefault(alert.alert_id, alert)
            if alert.import_id and alert.import_id not in self.digested:  # historical
                self.links.setdefault(alert.import_id, []).append(alert.alert_id)
                continue
            for p in planned:
                if p.delivery_id not in self.pending and not self._ever_recorded(p.delivery_id):
                    delivery = DueDelivery(
                        p.delivery_id, p.district, p.channel, p.purpose, 0, alert, now
                    )
                    self.pending[p.delivery_id] = _Pending(delivery, now)
                    new.append(delivery)
        if lease is None:
            return []
        self.leases.append(lease)
        chosen = set(lease.room.fit((d.delivery_id, d.district) for d in new))
        return [self._lease(d, lease.until[d.channel]) for d in new if d.delivery_id in chosen]

    async def claim_due(
        self,
        *,
        now: datetime,
        lease_until: Mapping[str, datetime],
        room: Room,
        busy: Collection[str] = (),
    ) -> Claimed:
        self.claims.append(lease_until)
        due = sorted(
            (p for i, p in self.pending.items() if p.due_at <= now and i not in busy),
            key=lambda p: p.due_at,
        )
        chosen = set(room.fit((p.delivery.delivery_id, p.delivery.district) for p in due))
        return Claimed(
            [
                self._lease(p.delivery, lease_until[p.delivery.channel])
                for p in due
                if p.delivery.delivery_id in chosen
            ],
            [],
        )

    async def next_due_at(self, *, except_districts: Collection[str] = ()) -> datetime | None:
        due = [
            p.due_at for p in self.pending.values() if p.delivery.district not in except_districts
        ]
        return min(due, default=None)

    async def record(self, attempts: Sequence[Attempted]) -> list[tuple[bool, bool]]:
        outcomes = [self._record(attempt) for attempt in attempts]
        async with self._changed:
            self._changed.notify_all()
        return outcomes

    async def mark_undecodable(self, delivery_id: str, *, now: datetime) -> None:
        self.pending.pop(delivery_id, None)
        self.undecodable.append(delivery_id)

    async def disabled_endpoints(self) -> dict[str, str]:
        return dict(self.disabled)

    async def enable_endpoint(self, district: str, *, now: datetime) -> int:
        self.disabled.pop(district, None)
        return 0

    async def raise_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool:
        new = alert.operator_alert_id not in self.operator_alerts
        self.operator_alerts.setdefault(alert.operator_alert_id, alert)
        return new

    async def update_operator_alert(self, alert: NewOperatorAlert, *, now: datetime) -> bool:
        changed = self.operator_alerts.get(alert.operator_alert_id) != alert
        self.operator_alerts[alert.operator_alert_id] = alert
        return changed

    async def wait_recorded(self, count: int) -> list[Attempted]:
        """The first `count` results recorded, once there are that many (or fail the test)."""
        async with asyncio.timeout(DEADLINE_S), self._changed:
            await self._changed.wait_for(lambda: len(self.recorded) >= count)
        return self.recorded[:count]

    def _lease(self, delivery: DueDelivery, until: datetime) -> DueDelivery:
        leased = replace(delivery, lease_until=until)
        self.pending[delivery.delivery_id] = _Pending(leased, until)
        return leased

    def _record(self, attempt: Attempted) -> tuple[bool, bool]:
        delivery_id = attempt.delivery.delivery_id
        if delivery_id in self.lost_leases:
            return False, False
        self.recorded.append(attempt)
        if isinstance(attempt.step, RetryAt):
            delivery = replace(attempt.delivery, attempts=attempt.delivery.attempts + 1)
            self.pending[delivery_id] = _Pending(delivery, attempt.step.at)
        else:
            self.pending.pop(delivery_id, None)
        if attempt.finish.disable_url is not None:
            self.disabled[attempt.delivery.district] = attempt.finish.disable_url
        alert = attempt.finish.operator_alert
        if alert is None or alert.operator_alert_id in self.operator_alerts:
            return True, False
        self.operator_alerts[alert.operator_alert_id] = alert
        return True, True

    def _ever_recorded(self, delivery_id: str) -> bool:
        return any(a.delivery.delivery_id == delivery_id for a in self.recorded)


class FakeChannel:
    """A delivery channel that answers each send with the next scripted result (the last one
    repeats), after `gate` opens if one is set; it keeps what it was asked to send."""

    def __init__(self, *results: AttemptResult, gate: asyncio.Event | None = None) -> None:
        self.results = list(results)
        self.gate = gate
        self.sent: list[DueDelivery] = []
        self._sending = asyncio.Condition()

    async def send(self, delivery: DueDelivery, district: District) -> AttemptResult:
        async with self._sending:
            self.sent.append(delivery)
            self._sending.notify_all()
        if self.gate is not None:
            await self.gate.wait()
        return self.results.pop(0) if len(self.results) > 1 else self.results[0]

    async def wait_sent(self, count: int) -> list[DueDelivery]:
        """The first `count` deliveries sent, once this many sends have begun."""
        async with asyncio.timeout(DEADLINE_S), self._sending:
            await self._sending.wait_for(lambda: len(self.sent) >= count)
        return self.sent[:count]


class FailingChannel:
    """A channel with a bug: every send raises."""

    async def send(self, delivery: DueDelivery, district: District) -> AttemptResult:
        raise RuntimeError("a bug in the channel")


@dataclass(frozen=True)
class FakeRecord:
    """A consumed Kafka record (the notifier's `Consumed`)."""

    value: bytes | None
    key: bytes | None = None
    topic: str = "crosslink.alert-raised.v1"
    partition: int = 0
    offset: int = 0


@dataclass
class FakeDeadLetters:
    """The dead-letter topic: (record, reason) in the order they were set aside."""

    letters: list[tuple[Consumed, str]] = field(default_factory=list)

    async def send(self, record: Consumed, reason: str) -> None:
        self.letters.append((record, reason))


async def settled() -> None:
    """Wait for every other task on the loop (a dispatcher's attempts and their recording)."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    async with asyncio.timeout(DEADLINE_S):
        await asyncio.gather(*others)


class Crashed(RuntimeError):
    """A fake's effect failed as the process would have died there."""


@dataclass
class FakeHistory:
    """The rematch's history and the matcher's tables in memory (cli/rematch.py's
    `MatcherHistory`): what it publishes and writes lands here, each effect named in `effects`
    in order; `crash_at` names an effect that fails instead, as a process killed there."""

    history: list[HistoryRecord] = field(default_factory=list)
    sent: list[AlertRaised] = field(default_factory=list)
    passed: list[ImportPassed] = field(default_factory=list)
    tables: dict[str, dict[str, Row]] = field(default_factory=dict)  # by changelog name
    running: int = 0
    effects: list[str] = field(default_factory=list)
    moved: dict[tuple[str, int], int] | None = None
    crash_at: str | None = None

    def workers(self) -> int:
        return self.running

    def ends(self, specs: Sequence[TopicSpec]) -> dict[tuple[str, int], int]:
        names, ends = {spec.name for spec in specs}, dict[tuple[str, int], int]()
        for record in self.history:
            if record.message.topic in names:
                place = (record.message.topic, record.message.partition)
                ends[place] = max(ends.get(place, 0), record.message.offset + 1)
        return ends

    def records(self, ends: Mapping[tuple[str, int], int]) -> list[HistoryRecord]:
        return [
            r
            for r in self.history
            if r.message.offset < ends.get((r.message.topic, r.message.partition), 0)
        ]

    def rekeyed(self) -> list[TokenRekeyed]:
        return []

    def alerts(self) -> tuple[list[AlertRaised], int]:
        return list(self.sent), 0

    def table(self, changelog: TopicSpec) -> dict[str, Row]:
        return dict(self.tables.get(changelog.name, {}))

    def publish(self, alerts: Sequence[AlertRaised], passes: Sequence[ImportPassed] = ()) -> None:
        self._effect("publish")
        self.sent += alerts
        self.passed += passes

    def write(self, changelog: TopicSpec, writes: Sequence[RowWrite]) -> None:
        self._effect(f"write {changelog.name}")
        table = self.tables.setdefault(changelog.name, {})
        for write in writes:
            if write.value is None:
                table.pop(write.key, None)
            else:
                table[write.key] = Row(write.partition, write.value)

    def move(self, ends: Mapping[tuple[str, int], int]) -> None:
        self._effect("move")
        self.moved = dict(ends)

    def _effect(self, name: str) -> None:
        if name == self.crash_at:
            raise Crashed(name)
        self.effects.append(name)


class FakeAuditTrail:
    """The audit trail as a list of what was recorded, once per entry id."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def append(self, event: AuditEvent) -> AuditEvent | None:
        if any(known.entry_id == event.entry_id for known in self.events):
            return None
        self.events.append(event)
        return event


class FakeMatcher:
    """The matcher's look-up page (services/matcher/lookups.py) over httpx's MockTransport:
    a footprint per token (an empty one for a token it does not know), the paths it was asked
    for, and 503 while it is not `up` (recovering its tables)."""

    def __init__(self) -> None:
        self.footprints: dict[str, TokenFootprint] = {}
        self.asked: list[str] = []
        self.up = True

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._answer), base_url="http://m")

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        if not self.up:
            return httpx.Response(503, json={"status": "recovering"})
        token = request.url.path.rsplit("/", 1)[1]
        footprint = self.footprints.get(token, TokenFootprint())
        return httpx.Response(200, content=footprint.model_dump_json())
