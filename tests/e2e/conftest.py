"""All three services as real processes on the real broker, with a real receiver per district."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from crosslink.kafka_access import KafkaAccess
from harness.localbroker import Brokers
from harness.ports import free_port
from harness.processes import ServiceProcess
from harness.receiver import ReceivedWebhook, WebhookReceiver
from schemas.identifiers import IdentifierType, canonicalise
from schemas.pseudonyms import pseudonym_token
from schemas.topics import ALERT_RAISED, COMPLAINTS_FILED, IDENTIFIER_SIGHTED
from services.intake.config import IntakeSettings
from services.notifier.audit.chain import AuditEntry
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import opened_database
from tests.conftest import (
    LOOKUP_RELAY_KEY,
    OPERATOR_KEY,
    REGISTRY_ADMIN_KEY,
    UNLIMITED,
    api_key,
    wait_for,
    wait_until_consumed,
    wait_until_drained,
    wait_until_processed,
    webhook_secret,
    write_districts_file,
)

DISTRICTS = ("MH-MUM", "MP-BPL", "WB-KOL")
NOTIFIER_GROUP = "crosslink-notifier-e2e"
PIPELINE_TIMEOUT_S = 90
HUB_THRESHOLD = 5
WEAK_WINDOW_HOURS = 24


@dataclass
class Pipeline:
    intake: ServiceProcess
    matcher: ServiceProcess
    notifier: ServiceProcess
    receivers: dict[str, WebhookReceiver]
    kafka: Brokers
    # One client for every post: a new one per request costs more CPU than intake's answer.
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    @property
    def access(self) -> KafkaAccess:
        """The Kafka administrator's access, for the test's own reads."""
        return self.kafka.access

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Post a complaint as its district; intake's 202 answer."""
        return self._post("/v1/complaints", body, api_key(body["district"]))

    def add_to_registry(self, *entries: dict[str, str]) -> None:
        self._post("/v1/registry", {"entries": list(entries)}, REGISTRY_ADMIN_KEY)

    def decide_generic(self, kind: str, value: str, *, reason: str, generic: bool = True) -> None:
        """An operator marks a value generic (or withdraws that), as `crosslink generic-values`
        does."""
        body = {"type": kind, "value": value, "reason": reason, "generic": generic}
        self._post("/v1/operator/generic-values", body, OPERATOR_KEY)

    def alerts_for(self, district: str, complaint_id: str) -> list[dict[str, Any]]:
        """The alerts (webhook data) a district processed that name `complaint_id`."""
        return [
            webhook.payload["data"]
            for webhook in self.receivers[district].processed()
            if webhook.payload and complaint_id in case_ids(webhook)
        ]

    def wait_for_alert(
        self, district: str, complaint_id: str, kind: str, *, rule: str | None = None
    ) -> dict[str, Any]:
        """The first alert of `kind` (and `rule`) naming `complaint_id` the district processed."""

        def arrived() -> list[dict[str, Any]]:
            return [
                a
                for a in self.alerts_for(district, complaint_id)
                if a["kind"] == kind and rule in (None, a["rule"])
            ]

        wait_for(lambda: bool(arrived()), PIPELINE_TIMEOUT_S)
        return arrived()[0]

    def deliveries(self, *kinds: str) -> list[tuple[str, str]]:
        """(alert id, district) of every webhook of these kinds a district processed, repeats
        included: what harness.oracle.tally compares with what was owed."""
        return [d for code, r in self.receivers.items() for d in processed_by(code, r, *kinds)]

    def wait_until_idle(self) -> None:
        """Every sighting is processed by the matcher, every alert stored by the notifier, and
        no delivery is left pending in its outbox."""
        wait_until_processed(self.access, self.matcher.base_url, IDENTIFIER_SIGHTED.name)
        # Then the links those sightings made: clustering raises alerts after matching does.
        wait_until_processed(self.access, self.matcher.base_url, COMPLAINTS_FILED.name)
        wait_until_consumed(self.access, NOTIFIER_GROUP, ALERT_RAISED.name)
        wait_until_drained(self.pending_deliveries, PIPELINE_TIMEOUT_S)

    def log_lines(self, service: str) -> list[dict[str, Any]]:
        """Every JSON log line `service` has written so far."""
        process = {"intake": self.intake, "matcher": self.matcher, "notifier": self.notifier}
        path = process[service].log_path
        assert path is not None
        return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]

    def audit_entries(self) -> list[AuditEntry]:
        """The notifier's audit trail, oldest first."""

        async def read() -> list[AuditEntry]:
            async with opened_database(self.notifier.env["CROSSLINK_DATABASE_URL"]) as database:
                return [entry async for entry in AuditLog(database).entries()]

        return asyncio.run(read())

    def pending_deliveries(self) -> int:
        """Deliveries the notifier's outbox still owes, on every channel."""
        counts: dict[str, dict[str, int]] = self.operator("GET", "/v1/operator/outbox")[
            "deliveries"
        ]
        return sum(statuses.get("pending", 0) for statuses in counts.values())

    def operator(self, method: str, path: str) -> Any:
        """The notifier's operator API, answering 200, as the operations team calls it."""
        response = httpx.request(
            method,
            f"{self.notifier.base_url}{path}",
            headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def _post(self, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        response = self.http.post(
            f"{self.intake.base_url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 202, response.text
        return cast(dict[str, Any], response.json())


def token_of(phone: str) -> str:
    """The phone's token under the key the pipeline runs with (intake's default)."""
    (identifier,) = canonicalise(IdentifierType.PHONE, phone)
    return pseudonym_token(identifier, IntakeSettings().pseudonym())


def processed_by(district: str, receiver: WebhookReceiver, *kinds: str) -> list[tuple[str, str]]:
    """(alert id, district) of every webhook of these kinds `receiver` processed for `district`,
    repeats included: what harness.oracle.tally compares with what was owed."""
    return [
        (webhook.payload["data"]["alert_id"], district)
        for webhook in receiver.processed()
        if webhook.payload and webhook.payload["data"]["kind"] in kinds
    ]


def case_ids(webhook: ReceivedWebhook) -> set[str]:
    assert webhook.payload is not None
    data = webhook.payload["data"]
    return {case["complaint_id"] for case in data["your_cases"] + data["other_cases"]}


@pytest.fixture(scope="session")
def pipeline(kafka: Brokers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with running_pipeline(kafka, tmp_path_factory.mktemp("pipeline"), DISTRICTS) as running:
        yield running


@contextmanager
def running_pipeline(
    kafka: Brokers,
    workdir: Path,
    districts: Sequence[str],
    *,
    hub_threshold: int = HUB_THRESHOLD,
    settings: Mapping[str, str] | None = None,
) -> Iterator[Pipeline]:
    """Intake, matcher and notifier on `kafka`, each as its own principal, one webhook
    receiver per district; `settings` adds to or overrides their environment."""
    receivers = {code: WebhookReceiver({code: webhook_secret(code)}).start() for code in districts}
    directory = write_districts_file(
        workdir / "districts.yaml", {code: r.url_for(code) for code, r in receivers.items()}
    )
    ports = {name: free_port() for name in ("intake", "matcher", "notifier")}
    env = {
        "CROSSLINK_DISTRICTS_FILE": str(directory),
        "CROSSLINK_MATCHER_DATA_DIR": str(workdir / "matcher"),
        "CROSSLINK_HUB_THRESHOLD": str(hub_threshold),
        "CROSSLINK_WEAK_WINDOW_HOURS": str(WEAK_WINDOW_HOURS),
        "CROSSLINK_DATABASE_URL": f"sqlite:///{workdir / 'notifier' / 'outbox.db'}",
        "CROSSLINK_NOTIFIER_GROUP_ID": NOTIFIER_GROUP,
        "CROSSLINK_COMMIT_INTERVAL_S": "0.2",
        **UNLIMITED,
        # Look-ups: the notifier relays them to intake, which asks the matcher.
        "CROSSLINK_MATCHER_URL": f"http://127.0.0.1:{ports['matcher']}",
        "CROSSLINK_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        "CROSSLINK_LOOKUP_RELAY_KEY": LOOKUP_RELAY_KEY,
        **(settings or {}),
    }
    services = [
        ServiceProcess(name, port, env, workdir / f"{name}.log", kafka).start()
        for name, port in ports.items()
    ]
    try:
        for service in services:
            service.wait_healthy()
        services[0].wait_healthy("/readyz")
        intake, matcher, notifier = services
        pipeline = Pipeline(intake, matcher, notifier, receivers, kafka)
        with pipeline.http:
            yield pipeline
    finally:
        for service in services:
            service.stop()
        for receiver in receivers.values():
            receiver.stop()
