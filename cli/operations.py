"""Operator commands of `crosslink`: topics, dead letters, the districts directory, deliveries
and generic values. Each prints for a person (rich) and exits non-zero when something is
wrong, so scripts can rely on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import httpx
import typer
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Column, Table

from cli.deadletters import read_dead_letters, replay
from crosslink.directory import DirectoryError, load_directory
from crosslink.kafka_access import KafkaAccess
from crosslink.provisioning import describe_topics, provision
from crosslink.settings import CommonSettings, from_environment

console = Console(soft_wrap=True)
BootstrapOption = typer.Option(None, help="default: CROSSLINK_KAFKA_BOOTSTRAP")

topics = typer.Typer(help="Create and describe crosslink's Kafka topics.", no_args_is_help=True)
dead_letters = typer.Typer(help="Inspect and replay the dead-letter topic.", no_args_is_help=True)
directory = typer.Typer(help="Check the districts directory.", no_args_is_help=True)
deliveries = typer.Typer(help="Act on the notifier's outbox.", no_args_is_help=True)
generic_values = typer.Typer(
    help="Mark values generic (shared by unrelated people), or withdraw that.",
    no_args_is_help=True,
)
IntakeOption = typer.Option("http://127.0.0.1:8000", help="intake's base URL")


def kafka_access(bootstrap: str | None) -> KafkaAccess:
    """As CROSSLINK_KAFKA_* say (the operator's certificate, for a broker with TLS), at
    `bootstrap` if given."""
    access = from_environment(CommonSettings).kafka
    return replace(access, bootstrap=bootstrap) if bootstrap else access


@contextmanager
def reaching_kafka(bootstrap: str | None) -> Iterator[KafkaAccess]:
    """The operator's access to Kafka; a broker that does not answer, or refuses, ends the
    command with what was tried and what to check (exit 1), not a stack trace."""
    access = kafka_access(bootstrap)
    try:
        yield access
    except KafkaError as error:
        who = f"with the certificate {access.tls.cert_file}" if access.tls else "without TLS"
        console.print(
            f"[red]Kafka at {access.bootstrap} did not answer {who}: {error!r}.[/] Is it running? "
            "If its brokers require mutual TLS, set CROSSLINK_KAFKA_CA_FILE, "
            "CROSSLINK_KAFKA_CERT_FILE and CROSSLINK_KAFKA_KEY_FILE to the administrator's "
            "(docs/operations.md, Kafka security)."
        )
        raise typer.Exit(1) from None


@topics.command("create")
def create_topics(bootstrap: str = BootstrapOption) -> None:
    """Create crosslink's topics with their partition counts and replication
    (CROSSLINK_TOPIC_REPLICATION_FACTOR and CROSSLINK_TOPIC_MIN_INSYNC_REPLICAS), and grant
    each service its permissions on them. Idempotent; run as Kafka's administrator."""
    replication = from_environment(CommonSettings).replication
    with reaching_kafka(bootstrap) as kafka:
        created = provision(kafka, replication=replication)
    console.print(f"created: {', '.join(created) or 'nothing (all topics exist)'}")


@topics.command("describe")
def describe(bootstrap: str = BootstrapOption) -> None:
    """Each topic: partitions needed and found, records written, brokers holding it (and in
    sync), against CROSSLINK_TOPIC_REPLICATION_FACTOR."""
    wanted = from_environment(CommonSettings).replication
    # A topic's name is never cut in two: the other columns give way on a narrow terminal.
    table = Table(
        Column("topic", no_wrap=True),
        "partitions",
        "records",
        "replicas",
        caption="replicas: brokers holding a partition / of them in sync (the fewest of any)",
    )
    with reaching_kafka(bootstrap) as kafka:
        states = describe_topics(kafka)
    for state in states:
        partitions = "missing" if state.partitions is None else str(state.partitions)
        if state.partitions != state.partitions_needed:
            partitions = f"[red]{partitions} (needs {state.partitions_needed})[/]"
        replicas = f"{state.replicas}/{state.in_sync}"
        if state.partitions is not None and (
            state.replicas < wanted.factor or state.in_sync < wanted.min_insync
        ):
            replicas = (
                f"[yellow]{replicas} (wanted {wanted.factor}, {wanted.min_insync} in sync)[/]"
            )
        table.add_row(state.name, partitions, str(state.records), replicas)
    console.print(table)
    raise typer.Exit(0 if all(s.partitions == s.partitions_needed for s in states) else 1)


@dead_letters.command("list")
def list_dead_letters(bootstrap: str = BootstrapOption, start: int = 0) -> None:
    """Records set aside because they did not decode: where from, why, how big."""
    with reaching_kafka(bootstrap) as kafka:
        letters = read_dead_letters(kafka, start=start)
    end = letters[-1].offset + 1 if letters else start
    table = Table("offset", "source", "topic", "error", "bytes")
    for letter in letters:
        table.add_row(
            str(letter.offset),
            letter.source,
            letter.topic or "?",
            letter.error,
            str(len(letter.value)),
        )
    console.print(table)
    console.print(f"{len(letters)} dead letter(s); the next one will be at offset {end} or later")


@dead_letters.command("replay")
def replay_dead_letters(
    bootstrap: str = BootstrapOption,
    offset: Annotated[
        list[int] | None, typer.Option(help="only these offsets (repeatable); default all")
    ] = None,
    start: Annotated[int | None, typer.Option(help="replay from this offset on")] = None,
) -> None:
    """Send dead letters back to the topic they came from (after fixing the cause). Name the
    ones to send, by --offset or from --start: a replayed record that fails again becomes a
    new dead letter, so replaying everything from 0 each time would send it again."""
    if not offset and start is None:
        console.print("[red]name the dead letters to replay: --offset N (repeatable) or --start N")
        raise typer.Exit(2)
    with reaching_kafka(bootstrap) as kafka:
        letters = [
            letter
            for letter in read_dead_letters(kafka, start=start or 0)
            if not offset or letter.offset in offset
        ]
        skipped = replay(kafka, letters)
    console.print(f"replayed {len(letters) - len(skipped)} dead letter(s)")
    for letter in skipped:
        console.print(f"[yellow]offset {letter.offset}: no crosslink-topic header; not replayed")
    raise typer.Exit(1 if skipped else 0)


@directory.command("check")
def check_directory(
    path: Annotated[Path | None, typer.Argument(help="default: CROSSLINK_DISTRICTS_FILE")] = None,
) -> None:
    """Validate a districts file; print each problem with its line."""
    target = path or from_environment(CommonSettings).districts_file
    try:
        loaded = load_directory(target)
    except DirectoryError as error:
        console.print(f"[red]{target}: {len(error.problems) or 1} problem(s)")
        console.print("\n".join(f"  {p}" for p in error.problems) or f"  {error}")
        raise typer.Exit(1) from None
    webhooks = sum(d.webhook is not None for d in loaded.districts)
    emails = sum(bool(d.email) for d in loaded.districts)
    console.print(
        f"[green]{target}: valid.[/] {len(loaded.districts)} districts ({webhooks} with a "
        f"webhook, {emails} with email), {len(loaded.registry_admins)} registry admin(s), "
        f"{len(loaded.operators)} operator(s)"
    )


@deliveries.command("replay")
def replay_deliveries(
    notifier: str = typer.Option("http://127.0.0.1:8002", help="the notifier's base URL"),
    district: str = typer.Option(None, help="only this district's deliveries"),
    channel: str = typer.Option(None, help="webhook or email"),
) -> None:
    """Send dead-lettered deliveries again (needs CROSSLINK_OPERATOR_KEY)."""
    key = _operator_key()
    params = {k: v for k, v in {"district": district, "channel": channel}.items() if v}
    response = httpx.post(
        f"{notifier}/v1/operator/deliveries/replay",
        params=params,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    if response.status_code != 200:
        console.print(f"[red]notifier answered {response.status_code}: {response.text}")
        raise typer.Exit(1)
    console.print(f"replayed {response.json()['replayed']} delivery(ies)")


KindArgument = Annotated[str, typer.Argument(metavar="TYPE", help="phone, upi, imei, ...")]
ValueArgument = Annotated[str, typer.Argument(help="the value as written; never stored raw")]
PlatformOption = Annotated[str | None, typer.Option(help="social only: the platform of an @handle")]
IfscOption = Annotated[
    str | None, typer.Option(help="bank_account, or a 12-digit transaction_ref: the bank's IFSC")
]


@generic_values.command("mark")
def mark_generic(
    kind: KindArgument,
    value: ValueArgument,
    reason: Annotated[str, typer.Option(help="why it is generic, kept with the decision")],
    platform: PlatformOption = None,
    ifsc: IfscOption = None,
    intake: str = IntakeOption,
) -> None:
    """Mark a value generic: from now on it links nothing, and the districts it linked are
    told (needs CROSSLINK_OPERATOR_KEY; the decision is recorded as that operator's)."""
    _decide(
        intake, generic=True, type=kind, value=value, reason=reason, platform=platform, ifsc=ifsc
    )


@generic_values.command("unmark")
def unmark_generic(
    kind: KindArgument,
    value: ValueArgument,
    reason: Annotated[str, typer.Option(help="why the decision is withdrawn")],
    platform: PlatformOption = None,
    ifsc: IfscOption = None,
    intake: str = IntakeOption,
) -> None:
    """Withdraw a generic-value decision: the value links complaints again."""
    _decide(
        intake, generic=False, type=kind, value=value, reason=reason, platform=platform, ifsc=ifsc
    )


def _decide(intake: str, **body: object) -> None:
    """POST the decision `body` (the API's fields; those left None are not sent) to intake."""
    response = httpx.post(
        f"{intake}/v1/operator/generic-values",
        json={name: given for name, given in body.items() if given is not None},
        headers={"Authorization": f"Bearer {_operator_key()}"},
        timeout=30,
    )
    if response.status_code != 202:
        console.print(f"[red]intake answered {response.status_code}: {response.text}")
        raise typer.Exit(1)
    decided = response.json()
    identifier = decided["identifier"]
    verdict = "generic" if decided["generic"] else "no longer generic"
    console.print(f"{identifier['type']} {identifier['masked']}: {verdict}")


def _operator_key() -> str:
    key = os.environ.get("CROSSLINK_OPERATOR_KEY")
    if not key:
        console.print("[red]set CROSSLINK_OPERATOR_KEY to an operator's key")
        raise typer.Exit(2)
    return key
