"""The `crosslink` command. Its operator commands live here and in cli/operations.py; other
installed distributions add theirs through the `crosslink.commands` entry point group (as
Flask's `flask` command does): the development harness adds `up`, `broker`, the demo
receivers and `contracts`. The production image installs no such distribution."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from cli import operations
from cli.audit import audit
from cli.officers import officers
from cli.operations import console
from crosslink.directory import hash_api_key

COMMANDS_GROUP = "crosslink.commands"

app = typer.Typer(
    help="crosslink: links sextortion complaints across districts.", no_args_is_help=True
)
app.add_typer(operations.topics, name="topics")
app.add_typer(operations.dead_letters, name="dead-letters")
app.add_typer(operations.directory, name="directory")
app.add_typer(operations.deliveries, name="deliveries")
app.add_typer(operations.generic_values, name="generic-values")
app.add_typer(officers, name="officers")
app.add_typer(audit, name="audit")


@app.command()
def registry_import(
    path: Path,
    bootstrap: str = typer.Option(None, help="default: CROSSLINK_KAFKA_BOOTSTRAP"),
) -> None:
    """Import a suspect-registry file (.csv, .json, .jsonl; columns type, value, source,
    reference, and platform or ifsc where needed). Bad rows are reported with their line
    numbers and skipped; good rows are imported. Exits 1 if any row was bad."""
    from cli.registry_import import import_registry_file

    report = import_registry_file(path, kafka=operations.kafka_access(bootstrap), console=console)
    raise typer.Exit(1 if report.problems else 0)


@app.command()
def import_complaints(
    path: Path,
    intake: Annotated[str, typer.Option(help="intake's base URL")] = "http://127.0.0.1:8000",
    column: Annotated[
        list[str] | None,
        typer.Option(help='a column of the file and the field it holds: "Ack No=complaint_id"'),
    ] = None,
    import_id: Annotated[
        str | None,
        typer.Option(help="the import's id (default: the file's name and a hash of its content)"),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="alert each link as it is made, as for new complaints")
    ] = False,
    keep_open: Annotated[
        bool,
        typer.Option(
            "--keep-open",
            help="leave the import open: more files follow under the same --import-id, and "
            "the last run closes it",
        ),
    ] = False,
) -> None:
    """Post a district's earlier complaints (.csv, .xlsx, .jsonl) to intake in batches of 500,
    as the district whose key CROSSLINK_API_KEY holds. Bad rows are reported by line and
    skipped; good rows go in. Run it again to resume: a complaint posted again changes nothing
    more. Quiet: each district gets one digest of the import's links when it ends, rather than
    an alert per link (unless --live). Exits 1 if any row was bad."""
    from cli.complaint_import import run_import

    raise typer.Exit(
        run_import(
            path,
            intake=intake,
            columns=column or [],
            console=console,
            import_id=import_id,
            live=live,
            close=not keep_open,
        )
    )


@app.command()
def rematch(
    dry_run: bool = typer.Option(False, "--dry-run", help="say what would change; change nothing"),
    bootstrap: str = typer.Option(None, help="default: CROSSLINK_KAFKA_BOOTSTRAP"),
) -> None:
    """Rebuild the matcher's tables from the history under the current rules (the matcher's
    CROSSLINK_HUB_THRESHOLD, CROSSLINK_WEAK_WINDOW_HOURS, CROSSLINK_DIGEST_PERIOD_HOURS),
    telling each district only of links it has not had, then switch the matcher over to them.
    Stop every matcher worker first and start them after (docs/operations.md, Rematching)."""
    from cli.rematch import rematch as rebuild
    from crosslink.settings import from_environment
    from crosslink.topic_reading import ReadIncomplete
    from services.matcher.config import MatcherSettings
    from services.matcher.history import GroupNotMoved, KafkaHistory, MatcherRunning

    rules = from_environment(MatcherSettings).rules()
    with operations.reaching_kafka(bootstrap) as kafka:
        try:
            report = rebuild(KafkaHistory(kafka), rules, dry_run=dry_run)
        except (MatcherRunning, ReadIncomplete) as error:
            console.print(f"[red]Nothing was changed: {error}.[/]")
            raise typer.Exit(1) from None
        except GroupNotMoved as error:
            console.print(
                f"[red]The news was sent and the tables rewritten, but {error}. Stop every "
                "matcher worker and run crosslink rematch again before starting them.[/]"
            )
            raise typer.Exit(1) from None
    raised = ", ".join(f"{n} {kind}" for kind, n in sorted(report.raised.items())) or "none"
    console.print(
        f"replayed {report.records} history records ({report.undecodable} undecodable, "
        f"skipped) under hub threshold {rules.hub_threshold}; the replay raised "
        f"{report.replayed_alerts} alerts, news to someone: {raised}"
    )
    if len(report.key_ids) > 1:
        keys = ", ".join(f"{n} under {key_id}" for key_id, n in sorted(report.key_ids.items()))
        console.print(
            f"[yellow]Identifiers under more than one key ({keys}): those under an older key "
            "match nothing under the newer. Run crosslink rekey with intake's settings, then "
            "this again.[/]"
        )
    if report.alerts_undecodable:
        console.print(
            f"[yellow]{report.alerts_undecodable} records of the alerts topic did not decode: "
            "what they told districts is not known, so the news may repeat it.[/]"
        )
    for changelog, written in report.rows_written.items():
        removed = report.rows_removed[changelog]
        console.print(f"{changelog}: {written} rows new or changed, {removed} removed")
    console.print(
        "applied: start the matcher workers" if report.applied else "dry run: nothing changed"
    )


@app.command()
def rekey(bootstrap: str = typer.Option(None, help="default: CROSSLINK_KAFKA_BOOTSTRAP")) -> None:
    """After a key rotation: publish what every token of the history becomes under the new key
    (the last line of CROSSLINK_PSEUDONYM_ROTATIONS_FILE), for `crosslink rematch`. Run with
    intake's settings once every intake instance uses the new key (docs/security.md)."""
    from cli.rekey import NoRotation
    from cli.rekey import rekey as map_tokens
    from crosslink.settings import from_environment
    from services.intake.config import IntakeSettings

    settings = from_environment(IntakeSettings)
    with operations.reaching_kafka(bootstrap) as kafka:
        try:
            report = map_tokens(kafka, settings.pseudonym(), settings.key_ids())
        except NoRotation as error:
            console.print(f"[red]Nothing was changed: {error}.[/]")
            raise typer.Exit(1) from None
    console.print(f"{report.rekeyed} tokens mapped to key {report.key_id}. Next: crosslink rematch")
    for key_id, count in sorted(report.unknown.items()):
        console.print(
            f"[yellow]{count} tokens under key {key_id}, which CROSSLINK_PSEUDONYM_KEY_ID and "
            "the rotations file do not name, were left as they are: they match nothing new.[/]"
        )


@app.command()
def hash_key(api_key: str) -> None:
    """Print the SHA-256 of an integrator key, for the districts file's api_key_sha256."""
    console.print(hash_api_key(api_key))


def add_installed_commands(root: typer.Typer) -> None:
    """Let each installed distribution that declares a `crosslink.commands` entry point add
    its commands to `root`; the entry point names a function taking the Typer app."""
    for entry in entry_points(group=COMMANDS_GROUP):
        entry.load()(root)


add_installed_commands(app)
