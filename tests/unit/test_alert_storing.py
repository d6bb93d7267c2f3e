"""What the notifier does with the alerts it consumes, in-process: stored with their deliveries
(first attempts at once), operator alerts kept for the operations team, and every record that
cannot be decoded or stored set aside as a dead letter while the others go on. Kafka's side
(offsets committed after the effect) is tests/integration/notifier/'s."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

from crosslink.directory import LiveDirectory, load_directory
from harness.testbed import write_districts_file
from schemas.events import AlertRaised, ImportClosed, ReasonFacts, import_marker_key, passes_of
from schemas.topics import IMPORT_MARKED
from services.notifier.dispatcher import Dispatcher
from services.notifier.metrics import NotifierMetrics
from services.notifier.retries import AttemptResult, RetryPolicy, Verdict
from services.notifier.routing import PlannedDelivery, deliveries_for
from services.notifier.storing import AlertsIntoOutbox
from tests.builders import alert_raised
from tests.fakes import (
    FakeAuditTrail,
    FakeChannel,
    FakeDeadLetters,
    FakeImports,
    FakeOutbox,
    FakeRecord,
    FixedClock,
    settled,
)


class Storing:
    def __init__(self, tmp_path: Path) -> None:
        urls = {code: f"https://{code.lower()}.example/hooks" for code in ("MH-MUM", "MP-BPL")}
        path = write_districts_file(tmp_path / "districts.yaml", urls)
        self.outbox, self.dead_letters = FakeOutbox(), FakeDeadLetters()
        self.audit = FakeAuditTrail()
        self.imports = FakeImports(self.outbox)
        self.channel = FakeChannel(AttemptResult(Verdict.DELIVERED, "delivered"))
        self.registry = CollectorRegistry()
        metrics = NotifierMetrics(self.registry)
        dispatcher = Dispatcher(
            outbox=self.outbox,
            directory=LiveDirectory(path),
            channels={"webhook": self.channel},
            policy=RetryPolicy(schedule_s=(0.0, 10.0), jitter=0.0, retry_after_cap_s=60.0),
            metrics=metrics,
            attempt_limits_s={"webhook": 1.0, "email": 1.0},
            concurrency=8,
            per_district=8,
            clock=FixedClock(),
        )
        directory = load_directory(path)

        def plan(alert: AlertRaised) -> list[PlannedDelivery]:
            return deliveries_for(alert, directory, email_enabled=False)

        self.alerts = AlertsIntoOutbox(
            outbox=self.outbox,
            audit=self.audit,
            imports=self.imports,
            plan=plan,
            dispatcher=dispatcher,
            dead_letters=self.dead_letters,
            metrics=metrics,
            clock=FixedClock(),
        )

    def counted(self, outcome: str) -> float:
        name = "crosslink_notifier_alerts_total"
        return self.registry.get_sample_value(name, {"outcome": outcome}) or 0.0


def record(alert: AlertRaised, offset: int = 0) -> FakeRecord:
    return FakeRecord(alert.model_dump_json().encode(), offset=offset)


async def test_alerts_are_stored_with_their_deliveries_and_first_attempts_start_at_once(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    alert = alert_raised("MH-MUM", "MP-BPL")

    await storing.alerts.store([record(alert)])
    await settled()

    assert list(storing.outbox.stored) == [alert.alert_id]
    assert sorted(d.district for d in storing.channel.sent) == ["MH-MUM", "MP-BPL"]
    assert storing.counted("stored") == 1
    assert storing.dead_letters.letters == []


async def test_an_undecodable_record_is_dead_lettered_and_the_rest_of_the_batch_stored(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    alert = alert_raised("MH-MUM", "MP-BPL")
    garbage = FakeRecord(b'{"alert_id": 7}', key=b"k", offset=1)

    await storing.alerts.store([garbage, record(alert, offset=2)])
    await settled()

    [(letter, reason)] = storing.dead_letters.letters
    assert letter == garbage
    assert reason == "undecodable alert: 8 error(s)"
    assert list(storing.outbox.stored) == [alert.alert_id]
    assert storing.counted("dead_lettered") == 1
    assert storing.counted("stored") == 1


async def test_an_alert_the_database_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    storing = Storing(tmp_path)
    refused, fine = alert_raised("MH-MUM", "MP-BPL"), alert_raised("MP-BPL", "MH-MUM")
    storing.outbox.refuse.add(refused.alert_id)

    await storing.alerts.store([record(refused, offset=1), record(fine, offset=2)])
    await settled()

    assert [(letter.offset, reason) for letter, reason in storing.dead_letters.letters] == [
        (1, "alert the database cannot store")
    ]
    assert list(storing.outbox.stored) == [fine.alert_id]


async def test_an_operator_alert_is_kept_for_operators_and_sent_to_no_district(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    hub = alert_raised("MH-MUM", "MP-BPL", kind="hub_identifier").model_copy(
        update={"audience": "operators"}
    )

    await storing.alerts.store([record(hub)])
    await storing.alerts.store([record(hub, offset=1)])  # raised again under the same id
    await settled()

    assert list(storing.outbox.operator_alerts) == [hub.alert_id]
    assert storing.channel.sent == []
    assert storing.outbox.stored == {}
    assert storing.counted("operator") == 2
    hub_alerts = {"kind": "hub_identifier"}
    assert (
        storing.registry.get_sample_value("crosslink_notifier_operator_alerts_total", hub_alerts)
        == 1
    )


async def test_an_operators_generic_value_decision_goes_on_the_audit_trail_once(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    decided_on = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    facts = ReasonFacts(decided_by="Ops desk", decided_on=decided_on, note="bank helpline")
    record_of_decision = alert_raised("MH-MUM", kind="generic_value").model_copy(
        update={"audience": "operators", "rule": "generic_value_decided", "facts": facts}
    )
    hub = alert_raised("MH-MUM", kind="hub_identifier").model_copy(update={"audience": "operators"})

    await storing.alerts.store([record(record_of_decision), record(hub, offset=1)])
    await storing.alerts.store([record(record_of_decision, offset=2)])  # consumed again

    [entry] = storing.audit.events
    assert (entry.actor, entry.action, entry.at) == (
        "operator:Ops desk",
        "generic_value.decided",
        decided_on,
    )
    identifier = record_of_decision.about
    assert entry.target == f"{identifier.type} {identifier.masked}"
    assert "bank helpline" in entry.detail


def back_filled(alert: AlertRaised, import_id: str = "mum-2019") -> AlertRaised:
    return alert.model_copy(update={"import_id": import_id})


def passes(import_id: str, *, but: int = 0) -> list[FakeRecord]:
    """Every pass of the import's end, as the matcher writes them (all but `but` of them)."""
    closed_at = datetime(2026, 12, 3, tzinfo=UTC)
    records = [
        FakeRecord(
            passed.model_dump_json().encode(),
            key=import_marker_key(import_id).encode(),
            partition=passed.alerts_partition,
        )
        for spec in IMPORT_MARKED
        for source in range(spec.partitions)
        for passed in passes_of(
            ImportClosed(import_id=import_id, district="MH-MUM", closed_at=closed_at,
                         partition=source),
            spec.name,
        )
    ]  # fmt: skip
    return records[: len(records) - but]


async def test_a_back_filled_link_waits_untold_until_every_pass_of_its_import_is_in(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    link = back_filled(alert_raised("MH-MUM", "MP-BPL"))

    await storing.alerts.store([record(link), *passes("mum-2019", but=1)])
    await settled()

    assert list(storing.outbox.stored) == [link.alert_id]
    assert storing.channel.sent == []
    assert storing.counted("historical") == 1
    assert storing.counted("import_digest") == 0


async def test_the_last_pass_tells_each_district_one_digest_of_the_imports_links(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    links = [
        back_filled(alert_raised("MH-MUM", "MP-BPL")),
        back_filled(alert_raised("MH-MUM", "MH-MUM")),
        back_filled(alert_raised("MP-BPL", "MH-MUM")),
    ]
    live = alert_raised("MP-BPL", "MH-MUM")

    await storing.alerts.store([*map(record, links), record(live), *passes("mum-2019")])
    await settled()

    sent = sorted((d.alert.kind, d.district) for d in storing.channel.sent)
    assert sent == [
        ("import_digest", "MH-MUM"),
        ("import_digest", "MP-BPL"),
        ("shared_identifier", "MH-MUM"),
        ("shared_identifier", "MP-BPL"),
    ]
    digests = {d.district: d.alert for d in storing.channel.sent if d.alert.kind == "import_digest"}
    mumbai = digests["MH-MUM"].facts
    assert mumbai is not None
    assert (mumbai.links, mumbai.your_complaints, mumbai.districts) == (3, 4, ("MP-BPL",))
    assert digests["MH-MUM"].recipients == ("MH-MUM",)
    assert storing.counted("import_digest") == 2


async def test_passes_consumed_again_tell_no_digest_twice(tmp_path: Path) -> None:
    storing = Storing(tmp_path)
    await storing.alerts.store([record(back_filled(alert_raised("MH-MUM", "MP-BPL")))])

    await storing.alerts.store(passes("mum-2019"))
    await storing.alerts.store(passes("mum-2019"))
    await settled()

    assert sorted(d.district for d in storing.channel.sent) == ["MH-MUM", "MP-BPL"]
    assert storing.counted("import_digest") == 2


async def test_a_link_stored_after_its_imports_digests_is_delivered_as_any_alert(
    tmp_path: Path,
) -> None:
    storing = Storing(tmp_path)
    await storing.alerts.store([record(back_filled(alert_raised("MH-MUM", "MP-BPL")))])
    await storing.alerts.store(passes("mum-2019"))
    late = back_filled(alert_raised("MP-BPL", "MH-MUM"))

    await storing.alerts.store([record(late)])
    await settled()

    assert sorted(d.district for d in storing.channel.sent if d.alert == late) == [
        "MH-MUM",
        "MP-BPL",
    ]


async def test_an_undecodable_pass_is_dead_lettered(tmp_path: Path) -> None:
    storing = Storing(tmp_path)
    garbage = FakeRecord(b"{}", key=import_marker_key("mum-2019").encode(), offset=3)

    await storing.alerts.store([garbage])

    [(letter, reason)] = storing.dead_letters.letters
    assert letter == garbage
    assert reason.startswith("undecodable import pass")
