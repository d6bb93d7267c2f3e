"""Every `crosslink` command, run the way an operator runs it, against the real broker."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import smtplib
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import yaml
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry
from sqlalchemy import update
from typer.main import get_command
from typer.testing import CliRunner

from cli.app import app
from cli.complaint_import import import_id_of
from crosslink.provisioning import INTAKE, NOTIFIER, provision_topics
from harness.contracts import CONTRACTS_DIR
from harness.demo_accounts import DEMO_PASSWORD
from harness.localbroker import Brokers
from harness.ports import free_port, port_is_free
from harness.processes import ServiceProcess, wait_until_answering
from schemas.events import ComplaintFiled, GenericValueDecided, ImportClosed
from schemas.topics import (
    ALL_TOPICS,
    COMPLAINTS_FILED,
    DEAD_LETTER,
    GENERIC_VALUE_DECIDED,
    REGISTRY_ENTRY_ADDED,
    TopicSpec,
)
from services.notifier.audit.chain import AuditEvent, Head, chained
from services.notifier.metrics import NotifierMetrics
from services.notifier.mirroring import AuditMirror, KafkaAuditCopies
from services.notifier.signing import signed_headers
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import opened_database
from services.notifier.store.tables import audit_head, audit_log
from tests.builders import OFFICER_PASSWORD, unique_mobile
from tests.conftest import OPERATOR_KEY, api_key, read_topic, write_districts_file

pytestmark = pytest.mark.integration
runner = CliRunner()
COMMANDS = {
    "up", "broker", "fetch-broker", "pki", "registry-import", "rematch", "rekey", "hash-key",
    "demo-receiver", "demo-mail", "contracts", "demo", "topics", "dead-letters", "directory",
    "deliveries", "generic-values", "officers", "demo-code", "audit", "import-complaints",
}  # fmt: skip


def crosslink(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


class Background:
    """`crosslink ARGS` as a process, read line by line, stopped with Ctrl-C (SIGINT)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "COLUMNS": "200"},
            text=True,
        )

    def wait_for_line(self, pattern: str, timeout_s: float = 120) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        for line in self.process.stdout:
            if re.search(pattern, line):
                return line
            assert time.monotonic() < deadline, f"no line matching {pattern!r}"
        raise AssertionError(f"exited (code {self.process.wait()}) before printing {pattern!r}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(60)
        finally:
            if self.process.stdout:
                self.process.stdout.close()
        return code


def test_help_lists_every_command() -> None:
    assert set(get_command(app).commands) == COMMANDS  # type: ignore[attr-defined]


def test_hash_key_prints_the_sha256_the_directory_stores() -> None:
    code, output = crosslink("hash-key", "abc")

    assert code == 0
    assert output.strip() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_fetch_broker_says_where_the_jars_are() -> None:
    code, output = crosslink("fetch-broker")

    assert code == 0
    assert "Kafka jars in" in output


def test_contracts_rewrites_docs_api_unchanged() -> None:
    before = {path.name: path.read_text() for path in CONTRACTS_DIR.iterdir()}

    code, output = crosslink("contracts")

    assert code == 0
    assert output.count("wrote") == 3
    assert {path.name: path.read_text() for path in CONTRACTS_DIR.iterdir()} == before


def test_topics_create_then_describe_shows_every_topic(kafka: Brokers) -> None:
    created, _ = crosslink("topics", "create", env=kafka.access.environment())
    code, output = crosslink("topics", "describe", env=kafka.access.environment())

    assert created == 0
    assert code == 0
    for topic in ALL_TOPICS:
        assert topic.name in output
    assert output.count("│ 1/1 ") == len(ALL_TOPICS)  # held on the one broker, in sync


def test_topics_without_the_administrator_s_certificate_says_what_to_set(kafka: Brokers) -> None:
    if kafka.access.tls is None:
        pytest.skip("this broker takes PLAINTEXT")

    code, output = crosslink(
        "topics", "describe", env={"CROSSLINK_KAFKA_BOOTSTRAP": kafka.bootstrap}
    )

    assert code == 1
    assert f"Kafka at {kafka.bootstrap} did not answer without TLS" in output
    assert "CROSSLINK_KAFKA_CERT_FILE" in output
    assert "Traceback" not in output


def test_registry_import_imports_a_file_and_exits_0(kafka: Brokers, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text("type,value,source,reference\nupi,clitest.one@ybl,NCRP,CLI-1\n")

    as_intake = kafka.access_as(INTAKE).environment()
    code, output = crosslink("registry-import", str(path), env=as_intake)

    assert code == 0, output
    assert "imported 1 of 1 rows" in output
    values = [r.value for r in read_topic(kafka.access, REGISTRY_ENTRY_ADDED.name)]
    assert any(b"CLI-1" in value for value in values)


def test_dead_letters_are_listed_and_replayed_to_their_topic(kafka: Brokers) -> None:
    # A topic of this test's own: replaying into a crosslink topic would feed other tests.
    source = TopicSpec(f"crosslink-test.replay-{time.time_ns()}", partitions=1)
    provision_topics(kafka.access, [source])
    marker = f"cli-dead-letter-{time.time_ns()}".encode()
    producer = KafkaProducer(**kafka.access.options(), acks="all")
    metadata = producer.send(
        DEAD_LETTER.name,
        key=b"k",
        value=marker,
        headers=[("crosslink-error", b"undecodable: test"), ("crosslink-source", b"matcher"),
                 ("crosslink-topic", source.name.encode())],
    ).get(timeout=30)  # fmt: skip
    producer.close()

    operator = kafka.access.environment()
    listed, listing = crosslink("dead-letters", "list", env=operator)
    replayed, output = crosslink(
        "dead-letters", "replay", "--offset", str(metadata.offset), env=operator
    )

    assert listed == 0
    assert "undecodable: test" in listing
    assert replayed == 0
    assert "replayed 1 dead letter(s)" in output
    assert [r.value for r in read_topic(kafka.access, source.name)] == [marker]


def test_directory_check_accepts_a_valid_file_and_names_each_problems_line(
    tmp_path: Path,
) -> None:
    good = write_districts_file(tmp_path / "good.yaml", {"MH-MUM": "http://x/1", "MP-BPL": None})
    bad = tmp_path / "bad.yaml"
    content = yaml.safe_load(good.read_text())
    content["districts"][1]["code"] = "bhopal"
    bad.write_text(yaml.safe_dump(content))

    ok, summary = crosslink("directory", "check", str(good))
    refused, problems = crosslink("directory", "check", str(bad))

    assert ok == 0
    assert "2 districts (1 with a webhook" in summary
    assert refused == 1
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "bhopal" in text)
    assert f"line {line}: districts[1].code" in problems


def test_officers_are_added_listed_disabled_and_enabled_and_a_bad_one_is_refused(
    tmp_path: Path,
) -> None:
    env = {
        "CROSSLINK_DISTRICTS_FILE": str(
            write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": None})
        ),
        "CROSSLINK_DATABASE_URL": f"sqlite:///{tmp_path / 'notifier.db'}",
        "COLUMNS": "200",
    }
    add = ("officers", "add", "mum.io", "--name", "Insp. A. Patil", "--password-stdin")

    added, printed = crosslink(
        *add, "--role", "investigating_officer", "--district", "MH-MUM", env=env,
        stdin=f"{OFFICER_PASSWORD}\n",
    )  # fmt: skip
    again, taken = crosslink(
        *add, "--role", "investigating_officer", "--district", "MH-MUM", env=env,
        stdin=f"{OFFICER_PASSWORD}\n",
    )  # fmt: skip
    nowhere, unscoped = crosslink(
        *add[:2], "pun.io", *add[3:], "--role", "cell_in_charge", env=env,
        stdin=f"{OFFICER_PASSWORD}\n",
    )  # fmt: skip
    weak, short = crosslink(
        *add[:2], "pun.io", *add[3:], "--role", "operator", env=env, stdin="short\n"
    )
    disabled, _ = crosslink("officers", "disable", "mum.io", env=env)
    _, listed = crosslink("officers", "list", env=env)
    enabled, _ = crosslink("officers", "enable", "mum.io", env=env)
    unknown, _ = crosslink("officers", "disable", "nobody", env=env)
    _, audited = crosslink("audit", "verify", env=env)

    assert added == 0
    assert "otpauth://totp/crosslink:mum.io?secret=" in printed
    assert OFFICER_PASSWORD not in printed
    assert (again, nowhere, weak, unknown) == (1, 1, 1, 1)
    assert "already an account named mum.io" in taken
    assert "serves in one district" in unscoped
    assert "12 characters" in short
    assert disabled == enabled == 0
    assert re.search(r"mum\.io .* investigating_officer .* MH-MUM .* disabled .* never", listed)
    assert "intact: 3 entries" in audited  # created, disabled, enabled; nothing for the refused


def test_an_account_is_linked_to_the_state_sign_on_only_where_one_is_configured(
    tmp_path: Path,
) -> None:
    districts = write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": None})
    env = {
        "CROSSLINK_DISTRICTS_FILE": str(districts),
        "CROSSLINK_DATABASE_URL": f"sqlite:///{tmp_path / 'notifier.db'}",
    }
    sign_on = {
        "CROSSLINK_CONSOLE_OIDC_ISSUER": "https://sso.mahapolice.example",
        "CROSSLINK_CONSOLE_OIDC_CLIENT_ID": "crosslink",
        "CROSSLINK_CONSOLE_OIDC_CLIENT_SECRET": "a-secret",
    }
    crosslink(
        "officers", "add", "mum.io", "--name", "Insp. A. Patil", "--password-stdin",
        "--role", "investigating_officer", "--district", "MH-MUM", env=env,
        stdin=f"{OFFICER_PASSWORD}\n",
    )  # fmt: skip

    nowhere, unconfigured = crosslink("officers", "link-sign-on", "mum.io", "apatil", env=env)
    linked, said = crosslink("officers", "link-sign-on", "mum.io", "apatil", env={**env, **sign_on})
    unknown, _ = crosslink("officers", "link-sign-on", "nobody", "x", env={**env, **sign_on})
    _, audited = crosslink("audit", "verify", env=env)

    assert (nowhere, linked, unknown) == (1, 0, 1)
    assert "No sign-on provider is configured" in unconfigured
    assert "signs in as apatil at https://sso.mahapolice.example" in said
    assert "intact: 2 entries" in audited  # created, linked


def test_audit_verify_passes_an_intact_trail_and_names_an_edited_entry(tmp_path: Path) -> None:
    database = tmp_path / "notifier.db"
    env = {"CROSSLINK_DATABASE_URL": f"sqlite:///{database}"}
    asyncio.run(write_audit_entries(env["CROSSLINK_DATABASE_URL"], 3))

    intact, said = crosslink("audit", "verify", env=env)
    with sqlite3.connect(database) as db:  # someone with the database file, not crosslink
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor = 'officer:someone-else' WHERE seq = 2")
    tampered, named = crosslink("audit", "verify", env=env)

    assert intact == 0
    assert "intact: 3 entries" in said
    assert tampered == 1
    assert "entry 2: edited" in named


def test_audit_verify_against_kafka_finds_a_trail_rewritten_hash_by_hash(
    kafka: Brokers, tmp_path: Path
) -> None:
    """Someone who drops the guard, edits entry 2 and rewrites every hash after it (and the
    head) leaves a chain that verifies on its own; its copies on Kafka do not match."""
    database = tmp_path / "notifier.db"
    env = {**kafka.access.environment(), "CROSSLINK_DATABASE_URL": f"sqlite:///{database}"}
    asyncio.run(write_audit_entries(env["CROSSLINK_DATABASE_URL"], 4, mirror_to=kafka))
    # Another database's trail on the same broker (as every test notifier's is).
    asyncio.run(write_audit_entries(f"sqlite:///{tmp_path / 'other.db'}", 1, mirror_to=kafka))

    _, recorded = crosslink("audit", "verify", env=env)
    chain = recorded.split("chain ")[-1].split()[0]  # recorded when the trail began
    unconfirmed, other_trails = crosslink("audit", "verify", "--against-kafka", env=env)
    intact, said = crosslink("audit", "verify", "--against-kafka", "--chain", chain, env=env)
    asyncio.run(rewrite_from_entry_2(env["CROSSLINK_DATABASE_URL"]))
    alone, _ = crosslink("audit", "verify", env=env)
    against, named = crosslink("audit", "verify", "--against-kafka", "--chain", chain, env=env)
    asyncio.run(replace_head(env["CROSSLINK_DATABASE_URL"]))
    replaced, new_chain = crosslink("audit", "verify", "--chain", chain, env=env)

    # Other trails are on the same broker: which one is this?
    assert unconfirmed == 1
    assert "other trail(s)" in other_trails
    assert intact == 0
    assert "intact: 4 entries, 4 compared with their copies on Kafka" in said
    assert alone == 0  # the database's own chain was rewritten consistently
    assert against == 1
    assert "entry 2: differs from its copy on Kafka" in named
    assert replaced == 1
    assert f"not {chain}: its head was replaced" in new_chain


async def write_audit_entries(
    database_url: str, count: int, mirror_to: Brokers | None = None
) -> None:
    async with opened_database(database_url) as database:
        for n in range(count):
            await AuditLog(database).append(audit_event(n))
        if mirror_to is not None:
            copies = KafkaAuditCopies(mirror_to.access_as(NOTIFIER), client_id="audit-test")
            await copies.start()
            try:
                mirror = AuditMirror(
                    trail=AuditLog(database), copies=copies,
                    metrics=NotifierMetrics(CollectorRegistry()), interval_s=1,
                )  # fmt: skip
                await mirror.copy_once()
            finally:
                await copies.stop()


def audit_event(n: int, actor: str = "officer:mum.io") -> AuditEvent:
    return AuditEvent(
        entry_id=f"e-{n}", at=datetime(2026, 12, 3, tzinfo=UTC), actor=actor,
        action="alert.viewed", district="MH-MUM", target=f"a-{n}", detail="{}",
    )  # fmt: skip


async def replace_head(database_url: str) -> None:
    """The head row deleted (guard dropped): the trail begins again under another chain id."""
    async with opened_database(database_url) as database, database.write() as db:
        await db.exec_driver_sql("DROP TRIGGER audit_head_no_delete")
        await db.execute(audit_head.delete())


async def rewrite_from_entry_2(database_url: str) -> None:
    """Entry 2 gets another actor, and every hash from it on (and the head) is recomputed."""
    async with opened_database(database_url) as database:
        trail = AuditLog(database)
        entries = [entry async for entry in trail.entries()]
        async with database.write() as db:
            await db.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            head = Head(1, entries[0].hash)
            for entry in entries[1:]:
                event = audit_event(1, "officer:someone-else") if entry.seq == 2 else entry.event
                forged = chained(head, event)
                await db.execute(
                    update(audit_log).where(audit_log.c.seq == entry.seq).values(
                        actor=event.actor, prev_hash=forged.prev_hash, hash=forged.hash
                    )
                )  # fmt: skip
                head = Head(forged.seq, forged.hash)
            await db.execute(update(audit_head).values(seq=head.seq, hash=head.hash))


def test_demo_posts_a_stream_every_complaint_accepted(
    intake: ServiceProcess, tmp_path: Path
) -> None:
    directory = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": None, "MP-BPL": None})

    code, output = crosslink(
        "demo", "--intake", intake.base_url, "--count", "20", "--rate", "100",
        "--key-prefix", "test-key-", env={"CROSSLINK_DISTRICTS_FILE": str(directory)},
    )  # fmt: skip

    assert code == 0, output
    assert "posted 20 complaint(s), 0 not accepted" in output


def test_deliveries_replay_needs_an_operator_key() -> None:
    code, output = crosslink("deliveries", "replay", env={"CROSSLINK_OPERATOR_KEY": ""})

    assert code == 2
    assert "CROSSLINK_OPERATOR_KEY" in output


def test_generic_values_mark_decides_as_the_operator_and_shows_only_the_masked_value(
    intake: ServiceProcess, kafka: Brokers
) -> None:
    phone = unique_mobile()

    code, output = crosslink(
        "generic-values", "mark", "phone", phone, "--reason", "a lender's published number",
        "--intake", intake.base_url, env={"CROSSLINK_OPERATOR_KEY": OPERATOR_KEY},
    )  # fmt: skip

    assert code == 0, output
    assert f"{phone[-3:]}: generic" in output
    assert phone.replace(" ", "")[-10:] not in output.replace(" ", "")
    [decided] = [
        GenericValueDecided.model_validate_json(r.value)
        for r in read_topic(kafka.access, GENERIC_VALUE_DECIDED.name)
        if b"a lender's published number" in r.value
    ]
    assert (decided.decided_by, decided.generic) == ("Ops desk", True)


def test_generic_values_unmark_needs_an_operator_key() -> None:
    code, output = crosslink("generic-values", "unmark", "phone", "1600224321", "--reason", "x",
                             env={"CROSSLINK_OPERATOR_KEY": ""})  # fmt: skip

    assert code == 2
    assert "CROSSLINK_OPERATOR_KEY" in output


def free_port_run(length: int) -> int:
    """The first of `length` consecutive free ports (a cluster's nodes take theirs in pairs),
    below the kernel's ephemeral range: there, the nodes' own outgoing connections to each
    other could take one of them before the node meant to listen on it has bound it."""
    while True:
        first = random.randrange(20_000, 32_000 - length)
        if all(port_is_free(first + i) for i in range(length)):
            return first


def test_broker_runs_until_ctrl_c(tmp_path: Path) -> None:
    broker = Background(
        "broker", "--port", str(free_port()), "--controller-port", str(free_port()),
        "--home", str(tmp_path / "broker"),
    )  # fmt: skip

    broker.wait_for_line("broker ready")

    assert broker.interrupt() == 0


def test_broker_runs_a_three_node_cluster_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port_run(6)
    cluster = Background(
        "broker", "--nodes", "3", "--port", str(port), "--home", str(tmp_path / "broker")
    )

    cluster.wait_for_line("3 brokers ready")

    assert cluster.interrupt() == 0


def test_demo_receiver_prints_a_verified_webhook(tmp_path: Path) -> None:
    directory = write_districts_file(tmp_path / "d.yaml", {"MH-MUM": "http://x/1"})
    secret = yaml.safe_load(directory.read_text())["districts"][0]["webhook"]["secrets"][0]
    port = free_port()
    receiver = Background(
        "demo-receiver", "--port", str(port), env={"CROSSLINK_DISTRICTS_FILE": str(directory)}
    )
    receiver.wait_for_line("demo receiver on")
    data = {"identifier": {"type": "phone", "masked": "+91 98•••••210"},
            "your_cases": [{"complaint_id": "MUM-1"}],
            "other_cases": [{"district": "MP-BPL", "complaint_id": "BPL-7"}]}  # fmt: skip
    body = json.dumps({"type": "alert.shared_identifier", "data": data}).encode()
    headers = signed_headers([secret], msg_id="msg_cli", timestamp=int(time.time()), body=body)

    response = httpx.post(
        f"http://127.0.0.1:{port}/webhooks/MH-MUM", content=body, headers=headers, timeout=10
    )
    line = receiver.wait_for_line("MH-MUM")

    assert response.status_code == 204
    assert "signature verified" in line
    assert "MP-BPL/BPL-7" in line
    assert receiver.interrupt() == 0


def test_demo_mail_prints_each_email() -> None:
    port = free_port()
    catcher = Background("demo-mail", "--port", str(port))
    catcher.wait_for_line("demo mail catcher on")
    message = EmailMessage()
    message["From"], message["To"] = "alerts@crosslink.invalid", "cell@police.example"
    message["Subject"] = "[crosslink] test"
    message.set_content("body")

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)
    line = catcher.wait_for_line("cell@police.example")

    assert "[crosslink] test" in line
    assert catcher.interrupt() == 0


def test_up_runs_the_whole_system_until_ctrl_c(kafka: Brokers, tmp_path: Path) -> None:
    env = {
        **kafka.access.environment(),  # up then runs every service with this access
        "CROSSLINK_DATABASE_URL": f"sqlite:///{tmp_path / 'outbox.db'}",
        "CROSSLINK_MATCHER_DATA_DIR": str(tmp_path / "matcher"),
        "CROSSLINK_NOTIFIER_GROUP_ID": "crosslink-notifier-up-test",
    }
    stack = Background("up", env=env)

    stack.wait_for_line("crosslink is up")
    accounts = stack.wait_for_line("district console")
    for url in ("http://127.0.0.1:8000/readyz", "http://127.0.0.1:8002/readyz"):
        wait_until_answering(url, stack.process, name="crosslink up", timeout_s=90)
    # The demo account make up printed signs in, with the code `crosslink demo-code` shows.
    with httpx.Client(base_url="http://127.0.0.1:8002", timeout=10) as browser:
        page = browser.get("/console/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        _, code = crosslink("demo-code", "demo-mp-bpl")
        signed_in = browser.post(
            "/console/sign-in",
            data={"username": "demo-mp-bpl", "password": DEMO_PASSWORD, "code": code.strip(),
                  "csrf_token": token.group(1)},
        )  # fmt: skip
    metrics = httpx.get("http://127.0.0.1:9102/metrics", timeout=10)

    assert "demo-mp-bpl" in accounts
    assert signed_in.headers["location"] == "/console/inbox"
    assert "crosslink_console_sign_ins_total" in metrics.text
    assert stack.interrupt() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:8000/healthz", timeout=5)


def test_up_refused_in_production_says_which_setting_never_its_value_and_exits_non_zero(
    kafka: Brokers, tmp_path: Path
) -> None:
    pseudonym_key, session_key = "short-pseudonym-key-1234", "short-session-key-5678"
    env = {
        "CROSSLINK_ENV": "production",
        **kafka.access.environment(),
        "CROSSLINK_DISTRICTS_FILE": str(
            write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": "http://x/1"})
        ),
        "CROSSLINK_PSEUDONYM_KEY": pseudonym_key,
        "CROSSLINK_CONSOLE_SESSION_KEY": session_key,
        "CROSSLINK_DATABASE_URL": f"sqlite:///{tmp_path / 'outbox.db'}",
        "CROSSLINK_MATCHER_DATA_DIR": str(tmp_path / "matcher"),
    }
    stack = Background("up", env=env)

    output, _ = stack.process.communicate(timeout=240)

    assert stack.process.returncode == 1, output
    assert "CROSSLINK_PSEUDONYM_KEY must be set to a secret of 32+ characters" in output
    assert "crosslink did not start: intake exited" in output
    assert "crosslink is up" not in output
    assert pseudonym_key not in output
    assert session_key not in output
    assert "Traceback" not in output


def test_an_import_of_1000_complaints_with_3_bad_rows_imports_997_and_names_the_3_lines(
    intake: ServiceProcess, kafka: Brokers, tmp_path: Path
) -> None:
    run = f"IMP-{time.time_ns()}"
    header = "Acknowledgement No,district,police_station,registered_at,phone,upi\n"
    rows = [
        f"{run}-{n:04d},MH-MUM,Cyber PS West,{1 + n % 28:02d}/10/2024 10:15,"
        f"{unique_mobile()},gang{n % 50}@ybl\n"
        for n in range(1000)
    ]
    rows[10] = rows[10].replace(",MH-MUM,", ",MP-BPL,")  # another district's: line 12
    rows[500] = f"{run}-0500,MH-MUM,Cyber PS West,2024-10-01T10:15:00+05:30,12345,\n"  # line 502
    rows[998] = f"{run}-0998,MH-MUM,,01/10/2024,{unique_mobile()},\n"  # no station: line 1000
    export = tmp_path / "export.csv"
    export.write_text(header + "".join(rows))

    code, output = crosslink(
        "import-complaints", str(export), "--intake", intake.base_url,
        "--column", "Acknowledgement No=complaint_id",
        env={"CROSSLINK_API_KEY": api_key("MH-MUM"), "COLUMNS": "200"},
    )  # fmt: skip

    assert code == 1, output
    assert "997 of 1000 complaints imported" in output
    named = re.findall(r"^│\s*(\d+)\s*│\s*(\S+)\s*│", output, re.M)  # the table's rows
    assert named == [
        ("12", "district"),
        ("502", "identifiers[0].value"),
        ("1000", "police_station"),
    ]
    records = read_topic(kafka.access, COMPLAINTS_FILED.name, markers=True)
    cases = [
        ComplaintFiled.model_validate_json(r.value).case
        for r in records
        if run.encode() in r.value and b'"identifiers"' in r.value
    ]
    filed = {case.complaint_id for case in cases}
    assert len(filed) == 997
    assert {f"{run}-0010", f"{run}-0500", f"{run}-0998"}.isdisjoint(filed)
    # A quiet import: each complaint carries the import's id, and its end is marked after them.
    import_id = import_id_of(export)
    assert f"import {import_id} closed" in output
    assert {case.import_id for case in cases} == {import_id}
    [closed] = [r for r in records if r.key == f"import:{import_id}".encode()]
    assert ImportClosed.model_validate_json(closed.value).district == "MH-MUM"
    assert closed.offset > max(r.offset for r in records if run.encode() in r.value)
