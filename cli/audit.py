"""`crosslink audit verify`: checks the audit trail in the notifier's database
(CROSSLINK_DATABASE_URL), and names the first entry edited, removed or moved."""

from __future__ import annotations

import asyncio

import typer

from cli.operations import console
from crosslink.settings import from_environment
from services.notifier.audit.chain import ChainBroken, Head
from services.notifier.config import NotifierSettings
from services.notifier.store.audit import AuditLog
from services.notifier.store.database import open_database

audit = typer.Typer(
    help="The audit trail of what officers and keys did with case data.", no_args_is_help=True
)


@audit.command("verify")
def verify() -> None:
    """Check every entry's link to the one before, and that none is missing at the end; exit 1
    naming the first entry that is not as it was written."""
    head, broken = asyncio.run(_verify(from_environment(NotifierSettings).database_url))
    if broken is not None:
        console.print(f"[red]The audit trail was tampered with: {broken}.[/]")
        raise typer.Exit(1)
    console.print(f"[green]The audit trail is intact:[/] {head.seq} entries, last hash {head.hash}")


async def _verify(database_url: str) -> tuple[Head, ChainBroken | None]:
    database = await open_database(database_url)
    try:
        return await AuditLog(database).verify()
    finally:
        await database.dispose()
