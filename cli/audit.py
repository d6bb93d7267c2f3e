"""`crosslink audit verify`: checks the audit trail in the notifier's database
(CROSSLINK_DATABASE_URL), and with --against-kafka against its copies on Kafka too; names the
first entry edited, removed, moved or rewritten."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import typer
from kafka import TopicPartition
from pydantic import ValidationError

from cli import operations
from cli.operations import console
from crosslink.kafka_access import KafkaAccess
from crosslink.settings import from_environment
from crosslink.topic_reading import ReadIncomplete, partition_ends, read_to_end
from schemas.events import AuditEntryRecorded
from schemas.topics import AUDIT_RECORDED
from services.notifier.audit.chain import ChainBroken, Head
from services.notifier.config import NotifierSettings
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import opened_database

READ_TIMEOUT_S = 300.0

audit = typer.Typer(
    help="The audit trail of what officers and keys did with case data.", no_args_is_help=True
)


@audit.command("verify")
def verify(
    against_kafka: bool = typer.Option(
        False, "--against-kafka", help="also compare every entry with its copy on Kafka"
    ),
    chain: str = typer.Option(
        None,
        help="the trail's chain id as recorded when it began (verify prints it); needed "
        "against Kafka when Kafka holds copies of other trails",
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
                found = asyncio.run(_verify(database_url, kafka, chain))
        else:
            found = asyncio.run(_verify(database_url, None, chain))
    except (TrailReplaced, ReadIncomplete) as error:
        console.print(f"[red]The audit trail cannot be trusted: {error}.[/]")
        raise typer.Exit(1) from None
    if found.broken is not None:
        console.print(f"[red]The audit trail was tampered with: {found.broken}.[/]")
        raise typer.Exit(1)
    compared = f", {found.compared} compared with their copies on Kafka" if against_kafka else ""
    console.print(
        f"[green]The audit trail is intact:[/] {found.head.seq} entries{compared}, "
        f"last hash {found.head.hash}, chain {found.chain}"
    )


class TrailReplaced(ValueError):
    """The database's trail is not the one its copies say it should be."""


@dataclass(frozen=True)
class Verified:
    chain: str
    head: Head
    broken: ChainBroken | None
    compared: int


async def _verify(database_url: str, kafka: KafkaAccess | None, expected: str | None) -> Verified:
    async with opened_database(database_url) as database:
        trail = AuditLog(database)
        chain, _ = await trail.mirror_position()
        if expected is not None and expected != chain:
            raise TrailReplaced(
                f"this database's trail is chain {chain}, not {expected}: its head was replaced"
            )
        copies = None
        if kafka is not None:
            trails = await asyncio.to_thread(read_copies, kafka)
            others = sorted(set(trails) - {chain})
            if others and expected is None:
                raise TrailReplaced(
                    f"Kafka also holds copies of {len(others)} other trail(s) "
                    f"({', '.join(others[:3])}): if this database's trail should be one of them, "
                    "its head was replaced; if not, run again with --chain "
                    f"{chain} to confirm this is the trail you recorded"
                )
            copies = trails.get(chain, {})
        head, broken = await trail.verify(copies)
        return Verified(chain, head, broken, len(copies or {}))


def read_copies(kafka: KafkaAccess) -> dict[str, dict[int, str]]:
    """Chain id to entry number to hash, for every copy on the audit topic; CopiesDisagree
    if one entry has two copies with different hashes."""
    partition = TopicPartition(AUDIT_RECORDED.name, 0)
    records = read_to_end(kafka, partition_ends(kafka, [partition]), timeout_s=READ_TIMEOUT_S)
    trails: dict[str, dict[int, str]] = {}
    for record in records:
        try:
            copy = AuditEntryRecorded.model_validate_json(record.value or b"")
        except ValidationError:
            continue  # not a copy crosslink wrote; nothing to compare it with
        copies = trails.setdefault(copy.chain, {})
        if copies.setdefault(copy.seq, copy.hash) != copy.hash:
            raise TrailReplaced(
                f"entry {copy.seq} of chain {copy.chain} has two copies with different hashes"
            )
    return trails
