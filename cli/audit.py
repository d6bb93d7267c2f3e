"""`crosslink audit verify`: checks the audit trail in the notifier's database
(CROSSLINK_DATABASE_URL), and with --against-kafka against its copies on Kafka too; names the
first entry edited, removed, moved or rewritten."""

from __future__ import annotations

import asyncio

import typer
from kafka import TopicPartition
from pydantic import ValidationError

from cli import operations
from cli.operations import console
from crosslink.kafka_access import KafkaAccess
from crosslink.settings import from_environment
from crosslink.topic_reading import partition_ends, read_to_end
from schemas.events import AuditEntryRecorded
from schemas.topics import AUDIT_RECORDED
from services.notifier.audit.chain import ChainBroken, Head
from services.notifier.config import NotifierSettings
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import open_database

READ_TIMEOUT_S = 300.0

audit = typer.Typer(
    help="The audit trail of what officers and keys did with case data.", no_args_is_help=True
)


class CopiesDisagree(ValueError):
    """Two copies of one entry on Kafka with different hashes."""


@audit.command("verify")
def verify(
    against_kafka: bool = typer.Option(
        False, "--against-kafka", help="also compare every entry with its copy on Kafka"
    ),
    bootstrap: str = typer.Option(None, help="default: CROSSLINK_KAFKA_BOOTSTRAP"),
) -> None:
    """Check every entry's link to the one before, and that none is missing at the end (and,
    --against-kafka, that each matches its copy); exit 1 naming the first entry that is not as
    it was written."""
    database_url = from_environment(NotifierSettings).database_url
    try:
        if against_kafka:
            with operations.reaching_kafka(bootstrap) as kafka:
                head, broken, copies = asyncio.run(_verify(database_url, kafka))
        else:
            head, broken, copies = asyncio.run(_verify(database_url, None))
    except CopiesDisagree as error:
        console.print(f"[red]The audit trail's copies on Kafka disagree: {error}.[/]")
        raise typer.Exit(1) from None
    if broken is not None:
        console.print(f"[red]The audit trail was tampered with: {broken}.[/]")
        raise typer.Exit(1)
    compared = f", {copies} compared with their copies on Kafka" if against_kafka else ""
    console.print(
        f"[green]The audit trail is intact:[/] {head.seq} entries{compared}, last hash {head.hash}"
    )


async def _verify(
    database_url: str, kafka: KafkaAccess | None
) -> tuple[Head, ChainBroken | None, int]:
    database = await open_database(database_url)
    try:
        trail = AuditLog(database)
        chain, _ = await trail.mirror_position()
        copies = await asyncio.to_thread(read_copies, kafka, chain) if kafka else None
        head, broken = await trail.verify(copies)
        return head, broken, len(copies or {})
    finally:
        await database.dispose()


def read_copies(kafka: KafkaAccess, chain: str) -> dict[int, str]:
    """Entry number to hash, for every copy of this chain's entries on the audit topic."""
    partition = TopicPartition(AUDIT_RECORDED.name, 0)
    records = read_to_end(kafka, partition_ends(kafka, [partition]), timeout_s=READ_TIMEOUT_S)
    copies: dict[int, str] = {}
    for record in records:
        try:
            copy = AuditEntryRecorded.model_validate_json(record.value or b"")
        except ValidationError:
            continue  # not a copy crosslink wrote; nothing to compare it with
        if copy.chain != chain:
            continue
        if copies.setdefault(copy.seq, copy.hash) != copy.hash:
            raise CopiesDisagree(f"entry {copy.seq} has two copies with different hashes")
    return copies
