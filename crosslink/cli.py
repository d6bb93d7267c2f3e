"""The `crosslink` command: run the stack, the broker, topic provisioning and the demo receiver."""

from __future__ import annotations

import signal
import threading
from email.message import EmailMessage
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from crosslink import operator_cli
from crosslink.directory import hash_api_key, load_directory
from crosslink.localbroker import STATE_DIR, LocalBroker, fetch_jars
from crosslink.receiver import ReceivedWebhook, WebhookReceiver
from crosslink.settings import CommonSettings, from_environment

app = typer.Typer(
    help="crosslink: links sextortion complaints across districts.", no_args_is_help=True
)
app.add_typer(operator_cli.topics, name="topics")
app.add_typer(operator_cli.dead_letters, name="dead-letters")
app.add_typer(operator_cli.directory, name="directory")
app.add_typer(operator_cli.deliveries, name="deliveries")
app.add_typer(operator_cli.generic_values, name="generic-values")
app.command()(operator_cli.demo)
console = Console(soft_wrap=True)


def _ctrl_c() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM; installed before starting anything, so a stop that
    comes early is never lost."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@app.command()
def up() -> None:
    """Run the broker, intake, matcher, notifier and the demo receiver until Ctrl-C."""
    from crosslink.devstack import run_stack

    raise typer.Exit(run_stack())


@app.command()
def broker(
    port: int = 9092, controller_port: int = 9093, home: Path = STATE_DIR / "broker"
) -> None:
    """Run the local KRaft broker in the foreground until Ctrl-C."""
    stop = _ctrl_c()
    local = LocalBroker(home=home, port=port, controller_port=controller_port)
    local.start()
    console.print(f"broker ready on {local.bootstrap}; Ctrl-C stops it")
    try:
        stop.wait()
    finally:
        local.stop()


@app.command()
def fetch_broker() -> None:
    """Download Kafka's server jars from Maven Central (once)."""
    console.print(f"Kafka jars in {fetch_jars()}")


@app.command()
def registry_import(
    path: Path,
    bootstrap: str = typer.Option(None, help="default: CROSSLINK_KAFKA_BOOTSTRAP"),
) -> None:
    """Import a suspect-registry file (.csv, .json, .jsonl; columns type, value, source,
    reference, and platform or ifsc where needed). Bad rows are reported with their line
    numbers and skipped; good rows are imported. Exits 1 if any row was bad."""
    from crosslink.registry_import import import_registry_file

    report = import_registry_file(path, bootstrap=bootstrap, console=console)
    raise typer.Exit(1 if report.problems else 0)


@app.command()
def hash_key(api_key: str) -> None:
    """Print the SHA-256 of an integrator key, for the districts file's api_key_sha256."""
    console.print(hash_api_key(api_key))


@app.command()
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


@app.command()
def contracts() -> None:
    """Regenerate docs/api/: the AsyncAPI document of the topics, the OpenAPI documents of
    intake and the notifier."""
    from crosslink.contracts import write_contracts

    for path in write_contracts():
        console.print(f"wrote {path}")


@app.command()
def demo_mail(port: int = 2525) -> None:
    """Catch the notifier's alert emails on 127.0.0.1 and print who got which subject."""
    from crosslink.mailcatcher import MailCatcher

    stop = _ctrl_c()
    with MailCatcher(port, on_message=_print_mail):
        console.print(f"demo mail catcher on smtp://127.0.0.1:{port}")
        stop.wait()


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


if __name__ == "__main__":
    app()
