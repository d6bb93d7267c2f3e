"""`crosslink officers`: create, list, disable and enable officers' console accounts in the
notifier's database (CROSSLINK_DATABASE_URL), checked against the districts directory."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from cli.operations import console
from crosslink.clock import utc_now
from crosslink.directory import DirectoryError, load_directory
from crosslink.settings import from_environment
from services.notifier.accounts.account import AccountStatus
from services.notifier.accounts.credentials import WeakPassword, provisioning_uri
from services.notifier.accounts.enrolment import BadName, BadUsername, new_account
from services.notifier.accounts.roles import BadScope, Role
from services.notifier.audit.chain import AuditEvent
from services.notifier.audit.events import by_command_line
from services.notifier.config import NotifierSettings
from services.notifier.store.database import opened_database
from services.notifier.store.officers import AccountExists, NoSuchAccount, Officers

officers = typer.Typer(help="Officers' console accounts.", no_args_is_help=True)
Username = Annotated[str, typer.Argument(help="the name the officer signs in with")]
DistrictOption = Annotated[str | None, typer.Option(help="where a district's role serves")]
StateOption = Annotated[str | None, typer.Option(help="the state a state nodal officer serves")]
T = TypeVar("T")


@officers.command("add")
def add(
    username: Username,
    name: Annotated[str, typer.Option(help="as the console shows it: rank and name")],
    role: Annotated[Role, typer.Option(help="what the account may see and do")],
    district: DistrictOption = None,
    state: StateOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create an account and print the second-factor secret for the officer's authenticator
    app (shown once: give it to the officer in person)."""
    settings = from_environment(NotifierSettings)
    try:
        directory = load_directory(settings.districts_file)
    except DirectoryError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    password = _password(password_stdin)
    try:
        officer = new_account(
            username=username,
            name=name,
            role=role,
            district=district,
            state=state,
            password=password,
            directory=directory,
            now=utc_now(),
        )
        created = _by_this_login("officer.created", username)
        _run(settings, lambda store: store.add(officer, audited=created))
    except (BadUsername, BadName, BadScope, WeakPassword, AccountExists) as error:
        console.print(f"[red]No account was created: {error}.[/]")
        raise typer.Exit(1) from None
    console.print(f"[green]Account {username} created[/] ({role}).")
    console.print(f"Second factor, for the officer's authenticator app: {officer.totp_secret}")
    console.print(provisioning_uri(officer.totp_secret, username), soft_wrap=True)


@officers.command("list")
def list_accounts() -> None:
    """Every account: role, where it serves, status, wrong codes since the last sign-in."""
    accounts = _run(from_environment(NotifierSettings), lambda store: store.all())
    table = Table("username", "name", "role", "serves", "status", "wrong codes", "last sign-in")
    for officer in accounts:
        signed_in = officer.last_sign_in_at
        last = signed_in.isoformat(timespec="seconds") if signed_in else "never"
        serves = officer.district or officer.state or "-"
        table.add_row(
            officer.username,
            officer.name,
            officer.role,
            serves,
            officer.status,
            str(officer.failed_codes),
            last,
        )
    console.print(table)


@officers.command("disable")
def disable(username: Username) -> None:
    """Stop an account signing in; its open sessions end at once."""
    _set_status(username, "disabled")


@officers.command("enable")
def enable(username: Username) -> None:
    """Let a disabled or locked account sign in again; its count of wrong codes starts over."""
    _set_status(username, "active")


@officers.command("link-sign-on")
def link_sign_on(
    username: Username,
    subject: Annotated[
        str, typer.Argument(help="the officer's `sub` at the state's OpenID Connect provider")
    ],
) -> None:
    """Let the officer sign in by the state's single sign-on (CROSSLINK_CONSOLE_OIDC_ISSUER)
    as this account; the account keeps its role and place."""
    settings = from_environment(NotifierSettings)
    if settings.console_oidc_issuer is None:
        console.print("[red]No sign-on provider is configured: set CROSSLINK_CONSOLE_OIDC_*.[/]")
        raise typer.Exit(1)
    issuer = settings.console_oidc_issuer.rstrip("/")
    linked = _by_this_login("officer.sign_on_linked", username)
    try:
        _run(
            settings,
            lambda store: store.link_sign_on(
                username, issuer=issuer, subject=subject, now=utc_now(), audited=linked
            ),
        )
    except (NoSuchAccount, AccountExists) as error:
        console.print(f"[red]{error}.[/]")
        raise typer.Exit(1) from None
    console.print(f"Account {username}: signs in as {subject} at {issuer}.")


def _set_status(username: str, status: AccountStatus) -> None:
    settings = from_environment(NotifierSettings)
    try:
        action = "officer.enabled" if status == "active" else "officer.disabled"
        changed = _by_this_login(action, username)
        _run(
            settings,
            lambda store: store.set_status(username, status, now=utc_now(), audited=changed),
        )
    except NoSuchAccount as error:
        console.print(f"[red]{error}.[/]")
        raise typer.Exit(1) from None
    console.print(f"Account {username}: {status}.")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _by_this_login(action: str, username: str) -> AuditEvent:
    """The audit entry for a change made with this command, as the login that ran it's."""
    return by_command_line(getpass.getuser(), action, at=utc_now(), target=username)


def _run(settings: NotifierSettings, action: Callable[[Officers], Awaitable[T]]) -> T:
    async def run() -> T:
        async with opened_database(settings.database_url) as database:
            return await action(Officers(database))

    return asyncio.run(run())
