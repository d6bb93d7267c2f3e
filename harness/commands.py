"""The harness's commands under `crosslink` (entry point `crosslink.commands`): `up`, `broker`,
`fetch-broker`, `pki`, the demo receiver, mail catcher and complaint stream, and `contracts`."""

from __future__ import annotations

import itertools
import signal
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import track

from crosslink.directory import load_directory
from crosslink.settings import REPO_ROOT, CommonSettings, from_environment
from harness.localbroker import STATE_DIR, fetch_jars, local_kafka, operator_hint
from harness.localpki import LocalPki
from harness.receiver import ReceivedWebhook, WebhookReceiver
from harness.synthetic import complaint_stream

console = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the harness's commands to the `crosslink` command."""
    commands = (up, broker, fetch_broker, pki, demo, demo_code, demo_receiver, demo_mail, contracts)
    for command in commands:
        app.command()(command)


def _ctrl_c() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM; installed before starting anything, so a stop that
    comes early is never lost."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


NodesOption = typer.Option(
    1, min=1, max=5, help="Kafka nodes: 1, or a cluster of 3 with every topic on 3 of them"
)


PkiOutOption = typer.Option(REPO_ROOT / "deploy" / "pki", help="where to write the files")


def up(nodes: int = NodesOption) -> None:
    """Run the broker, intake, matcher, notifier and the demo receiver until Ctrl-C."""
    from harness.devstack import run_stack

    raise typer.Exit(run_stack(nodes=nodes))


def broker(
    port: int = typer.Option(9092, help="the (first) broker's port"),
    controller_port: int | None = typer.Option(
        None,
        help="a single broker's controller port (default: the next); a cluster's nodes "
        "take the ports from --port on in pairs",
    ),
    nodes: int = NodesOption,
    home: Path = STATE_DIR / "broker",
) -> None:
    """Run the local KRaft broker (or a cluster of them) in the foreground until Ctrl-C."""
    stop = _ctrl_c()
    local = local_kafka(home, nodes, port, controller_port)
    local.start()
    ready = "broker ready" if nodes == 1 else f"{nodes} brokers ready"
    console.print(f"{ready} on {local.bootstrap}; {operator_hint(home, local.access)}")
    console.print("Ctrl-C stops it")
    try:
        stop.wait()
    finally:
        local.stop()


def pki(out: Path = PkiOutOption) -> None:
    """Make a local certificate authority and the certificates of the brokers, the administrator
    and each service (PEM; kept if they exist). For deploy/docker-compose.yml and trials; a
    state's deployment brings its own (docs/operations.md, Kafka security)."""
    made = LocalPki(out).ensure()
    console.print(f"certificate authority and certificates in {made.home}")


def fetch_broker() -> None:
    """Download Kafka's server jars from Maven Central (once)."""
    console.print(f"Kafka jars in {fetch_jars()}")


def demo(
    intake: str = typer.Option("http://127.0.0.1:8000", help="intake's base URL"),
    count: int = typer.Option(50, min=1, help="complaints to post"),
    rate: float = typer.Option(5.0, min=0.1, help="complaints per second"),
    seed: int = typer.Option(1, help="the same seed posts the same complaints"),
    key_prefix: str = typer.Option("demo-key-", help="integrator key = prefix + district code"),
) -> None:
    """Post a realistic stream of complaints from the directory's districts to intake."""
    districts = [
        d.code for d in load_directory(from_environment(CommonSettings).districts_file).districts
    ]
    stream = itertools.islice(complaint_stream(districts, seed=seed), count)
    refused = 0
    with httpx.Client(base_url=intake, timeout=30) as client:
        for body in track(stream, total=count, description="posting complaints", console=console):
            headers = {"Authorization": f"Bearer {key_prefix}{body['district']}"}
            response = client.post("/v1/complaints", json=body, headers=headers)
            refused += response.status_code != 202
            time.sleep(1 / rate)
    console.print(f"posted {count} complaint(s), {refused} not accepted")
    raise typer.Exit(1 if refused else 0)


def demo_code(username: str) -> None:
    """The code a demo account's authenticator app shows now (make up prints the accounts)."""
    from harness.demo_accounts import demo_secret
    from services.notifier.accounts.credentials import code_at

    console.print(code_at(demo_secret(username), time.time()))


def demo_receiver(port: int = 9000) -> None:
    """Receive webhooks for every district in the directory and print each alert."""
    stop = _ctrl_c()
    directory = load_directory(from_environment(CommonSettings).districts_file)
    secrets = {d.code: d.webhook.secrets[0] for d in directory.districts if d.webhook}
    receiver = WebhookReceiver(secrets, port=port, on_webhook=_print_webhook).start()
    console.print(f"demo receiver on http://127.0.0.1:{port}/webhooks/<district>")
    try:
        stop.wait()
    finally:
        receiver.stop()


def demo_mail(port: int = 2525) -> None:
    """Catch the notifier's alert emails on 127.0.0.1 and print who got which subject."""
    from harness.mailcatcher import MailCatcher  # aiosmtpd: not in the demo image

    stop = _ctrl_c()
    with MailCatcher(port, on_message=_print_mail):
        console.print(f"demo mail catcher on smtp://127.0.0.1:{port}")
        stop.wait()


def contracts() -> None:
    """Regenerate docs/api/: the AsyncAPI document of the topics, the OpenAPI documents of
    intake and the notifier."""
    from harness.contracts import write_contracts

    for path in write_contracts():
        console.print(f"wrote {path}")


def _print_mail(message: EmailMessage) -> None:
    subject = escape(" ".join(message["Subject"].split()))
    console.print(f"[cyan]email to {message['To']}:[/] {subject}")


def _print_webhook(webhook: ReceivedWebhook) -> None:
    if not webhook.verified or webhook.payload is None:
        console.print(f"[red]{webhook.district}: signature did NOT verify ({webhook.webhook_id})")
        return
    data = webhook.payload["data"]
    others = ", ".join(f"{c['district']}/{c['complaint_id']}" for c in data["other_cases"]) or "-"
    mine = ", ".join(c["complaint_id"] for c in data["your_cases"])
    repeat = " (repeat, ignored)" if webhook.duplicate else ""
    console.print(
        f"[green]{webhook.district}: signature verified{repeat}[/] {data['identifier']['type']} "
        f"{data['identifier']['masked']} links your {mine} with {others}"
    )
