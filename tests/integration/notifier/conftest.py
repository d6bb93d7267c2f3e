"""The notifier as a real process on the real broker, with a real webhook receiver, a real SMTP
server and a real database: SQLite and PostgreSQL, each module's tests run on both."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kafka import KafkaProducer

from cli.audit import read_copies
from crosslink.clock import utc_now
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import MATCHER
from harness.localbroker import Brokers
from harness.mailcatcher import MailCatcher
from harness.ports import free_port
from harness.postgres import LocalPostgres
from harness.processes import ServiceProcess
from harness.receiver import WebhookReceiver
from schemas.events import AlertRaised, ImportClosed, import_marker_key, passes_of
from schemas.topics import ALERT_RAISED, IMPORT_MARKED
from services.notifier.accounts.account import AccountStatus
from services.notifier.accounts.account import Officer as Account
from services.notifier.accounts.roles import Role
from services.notifier.audit.chain import AuditEntry, ChainBroken
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import opened_database
from services.notifier.store.officers import Officers
from tests.conftest import (
    OPERATOR_KEY,
    UNLIMITED,
    api_key,
    enrol,
    wait_for,
    webhook_secret,
    write_districts_file,
)
from tests.console_client import ConsoleClient

# Districts no other test tier uses, so alerts left on the topic by other tests stay apart.
WEBHOOK_DISTRICTS = ("KA-BLR", "TN-CHE", "GJ-AMD", "RJ-JAI", "KL-TVM")
EMAIL_DISTRICT = "DL-NDL"  # contact addresses, no webhook: a small cell without a server
MARATHI_DISTRICT = "MH-NAG"  # by email too, in Marathi (its language in the directory)
DOWN_DISTRICT = "UP-LKO"  # a webhook URL where nothing listens
ROTATING_DISTRICT = "TN-CHE"  # signs with a new and an old secret during a rotation
NEW_SECRET = "whsec_" + "bmV3LXNlY3JldC1mb3ItdGhlLXJvdGF0aW9uLXRlc3Q="
FAST_RETRIES = "[0, 0.3, 0.3, 0.3]"  # four attempts, then a dead letter


@dataclass
class Notifier:
    process: ServiceProcess
    receiver: WebhookReceiver
    mailbox: MailCatcher
    kafka: Brokers

    def publish(self, *alerts: AlertRaised) -> None:
        """Write alerts as the matcher does (and with its permission)."""
        producer = KafkaProducer(**self.kafka.access_as(MATCHER).options(), acks="all")
        try:
            for alert in alerts:
                producer.send(
                    ALERT_RAISED.name,
                    key=alert.alert_id.encode(),
                    value=alert.model_dump_json().encode(),
                ).get(timeout=30)
        finally:
            producer.close()

    def pass_import(self, import_id: str, *, district: str) -> None:
        """Every pass of an import's end, as the matcher writes them once it has read past it
        on every partition."""
        producer = KafkaProducer(**self.kafka.access_as(MATCHER).options(), acks="all")
        key = import_marker_key(import_id).encode()
        try:
            for spec in IMPORT_MARKED:
                for source in range(spec.partitions):
                    now = datetime.now(UTC)
                    closed = ImportClosed(
                        import_id=import_id, district=district, closed_at=now, partition=source
                    )
                    for passed in passes_of(closed, spec.name):
                        producer.send(
                            ALERT_RAISED.name,
                            key=key,
                            value=passed.model_dump_json().encode(),
                            partition=passed.alerts_partition,
                        ).get(timeout=30)
        finally:
            producer.close()

    def get(self, path: str, key: str, **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.process.base_url}{path}", params=params, headers=_bearer(key), timeout=10
        )

    def post(self, path: str, key: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.process.base_url}{path}", json=body, headers=_bearer(key), timeout=10
        )

    def enrol(
        self,
        district: str | None = None,
        *,
        role: Role = Role.INVESTIGATING_OFFICER,
        state: str | None = None,
    ) -> Account:
        """A new officer's account in this notifier's database."""
        database_url = self.process.env["CROSSLINK_DATABASE_URL"]
        return enrol(database_url, district, role=role, state=state)

    def link_sign_on(self, username: str, *, issuer: str, subject: str) -> None:
        """Let `subject` at `issuer` sign in as the account, as `crosslink officers
        link-sign-on` does."""
        database_url = self.process.env["CROSSLINK_DATABASE_URL"]
        asyncio.run(_link_sign_on(database_url, username, issuer, subject))

    def set_status(self, username: str, status: AccountStatus) -> None:
        """Disable, lock or enable an account, as `crosslink officers` does."""
        database_url = self.process.env["CROSSLINK_DATABASE_URL"]
        asyncio.run(_set_status(database_url, username, status))

    def audit_trail(
        self, *, against_kafka: bool = False
    ) -> tuple[list[AuditEntry], ChainBroken | None]:
        """Every entry of the audit trail, and the first break in it (None if intact), also
        against its copies on Kafka if asked."""
        kafka = self.kafka.access if against_kafka else None
        return asyncio.run(_audit_trail(self.process.env["CROSSLINK_DATABASE_URL"], kafka))

    def operator_alerts(self, alert_id: str) -> list[dict[str, Any]]:
        response = self.get("/v1/operator/alerts", OPERATOR_KEY)
        assert response.status_code == 200, response.text
        return [a for a in response.json() if a["alert_id"] == alert_id]

    def inbox_item(self, district: str, alert_id: str) -> httpx.Response:
        return self.get(f"/v1/inbox/alerts/{alert_id}", api_key(district))

    def wait_for_delivery(
        self, district: str, alert_id: str, status: str, channel: str = "webhook"
    ) -> dict[str, Any]:
        """The alert's delivery on `channel` once the notifier has recorded it as `status` (a
        receiver sees a webhook a moment before the notifier records the answer)."""

        def delivery() -> dict[str, Any] | None:
            response = self.inbox_item(district, alert_id)
            if response.status_code != 200:
                return None
            found = [d for d in response.json()["deliveries"] if d["channel"] == channel]
            return found[0] if found and found[0]["status"] == status else None

        wait_for(delivery)
        recorded = delivery()
        assert recorded is not None
        return recorded

    def wait_for_inbox(self, district: str, alert_id: str) -> dict[str, Any]:
        wait_for(lambda: self.inbox_item(district, alert_id).status_code == 200)
        item: dict[str, Any] = self.inbox_item(district, alert_id).json()
        return item


class Officer(ConsoleClient):
    """A browser without JavaScript on this notifier's console."""

    def __init__(self, notifier: Notifier) -> None:
        super().__init__(notifier.process.base_url)


async def _link_sign_on(database_url: str, username: str, issuer: str, subject: str) -> None:
    async with opened_database(database_url) as database:
        await Officers(database).link_sign_on(
            username, issuer=issuer, subject=subject, now=utc_now()
        )


async def _set_status(database_url: str, username: str, status: AccountStatus) -> None:
    async with opened_database(database_url) as database:
        await Officers(database).set_status(username, status, now=utc_now())


async def _audit_trail(
    database_url: str, kafka: KafkaAccess | None
) -> tuple[list[AuditEntry], ChainBroken | None]:
    async with opened_database(database_url) as database:
        trail = AuditLog(database)
        chain, _ = await trail.mirror_position()
        trails = await asyncio.to_thread(read_copies, kafka) if kafka else None
        copies = trails.get(chain, {}) if trails is not None else None
        _, broken = await trail.verify(copies)
        entries = [entry async for entry in trail.entries()]
        if copies is not None and max(copies, default=0) < len(entries):
            broken = ChainBroken(max(copies, default=0) + 1, "not copied to Kafka yet")
        return entries, broken


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def write_notifier_districts(path: Path, receiver: WebhookReceiver) -> Path:
    urls: dict[str, str | None] = {code: receiver.url_for(code) for code in WEBHOOK_DISTRICTS}
    urls[DOWN_DISTRICT] = f"http://127.0.0.1:{free_port()}/webhooks/{DOWN_DISTRICT}"
    urls[EMAIL_DISTRICT] = urls[MARATHI_DISTRICT] = None
    write_districts_file(path, urls, email=(EMAIL_DISTRICT, MARATHI_DISTRICT))
    content = yaml.safe_load(path.read_text())
    for district in content["districts"]:
        if district["code"] == ROTATING_DISTRICT:
            district["webhook"]["secrets"].insert(0, NEW_SECRET)
        if district["code"] == MARATHI_DISTRICT:
            district["language"] = "mr"
    path.write_text(yaml.safe_dump(content))
    return path


def notifier_env(
    database_url: str, districts: Path, smtp_port: int, **overrides: str
) -> dict[str, str]:
    return {
        "CROSSLINK_DISTRICTS_FILE": str(districts),
        "CROSSLINK_DATABASE_URL": database_url,
        "CROSSLINK_NOTIFIER_GROUP_ID": f"crosslink-notifier-test-{uuid.uuid4().hex[:8]}",
        "CROSSLINK_RETRY_SCHEDULE_S": FAST_RETRIES,
        "CROSSLINK_WEBHOOK_TIMEOUT_S": "1",
        "CROSSLINK_SMTP_TIMEOUT_S": "2",
        "CROSSLINK_SMTP_HOST": "127.0.0.1",
        "CROSSLINK_SMTP_PORT": str(smtp_port),
        "CROSSLINK_COMMIT_INTERVAL_S": "0.2",
        "CROSSLINK_HOUSEKEEPING_INTERVAL_S": "0.2",
        "CROSSLINK_ESCALATE_AFTER_S": "3600",
        # The tests poll the operator and inbox APIs with one key per district for as long as
        # a delivery takes on a loaded machine: the per-key limit is intake's subject, not this.
        **UNLIMITED,
        **overrides,
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A new, empty notifier database on each backend (one per test module)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'outbox.db'}"
    server: LocalPostgres = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[MailCatcher]:
    with MailCatcher(free_port()) as catcher:
        yield catcher


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver({code: webhook_secret(code) for code in WEBHOOK_DISTRICTS}).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@dataclass
class NotifierFactory:
    """Starts notifiers on one database and receiver; stops them all at the end."""

    kafka: Brokers
    database: str
    receiver: WebhookReceiver
    mailbox: MailCatcher
    workdir: Path
    started: list[ServiceProcess] = field(default_factory=list)

    def start(self, port: int | None = None, **overrides: str) -> Notifier:
        districts = write_notifier_districts(self.workdir / "districts.yaml", self.receiver)
        env = notifier_env(self.database, districts, self.mailbox.port, **overrides)
        process = ServiceProcess(
            "notifier", port or free_port(), env, self.workdir / "notifier.log", self.kafka
        ).start()
        self.started.append(process)
        process.wait_healthy("/readyz")
        return Notifier(process, self.receiver, self.mailbox, self.kafka)

    def stop_all(self) -> None:
        for process in self.started:
            process.stop()


@pytest.fixture(scope="module")
def notifiers(
    kafka: Brokers,
    database: str,
    receiver: WebhookReceiver,
    mailbox: MailCatcher,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[NotifierFactory]:
    factory = NotifierFactory(
        kafka, database, receiver, mailbox, tmp_path_factory.mktemp("notifier")
    )
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="module")
def notifier(notifiers: NotifierFactory) -> Notifier:
    """One notifier per module and database backend, with fast retries."""
    return notifiers.start()


@pytest.fixture
def officer(notifier: Notifier) -> Iterator[Officer]:
    """An investigating officer of KA-BLR, signed in to the console."""
    signed_in = Officer(notifier)
    assert signed_in.sign_in(notifier.enrol("KA-BLR")).status_code == 303
    yield signed_in
    signed_in.close()
