"""The demo officers' accounts `make up` creates in the notifier's database: one officer per
demo district, Maharashtra's state nodal officer and an operator, all with one password. Their
second-factor secrets are derived from their names, so `crosslink demo-code NAME` can show the
code an authenticator app would (development only: the harness is not in the image)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from dataclasses import replace

from crosslink.clock import utc_now
from crosslink.directory import DistrictsDirectory
from services.notifier.accounts.account import Officer
from services.notifier.accounts.enrolment import new_account
from services.notifier.accounts.roles import Role
from services.notifier.store.database import opened_database
from services.notifier.store.officers import AccountExists, Officers

DEMO_PASSWORD = "demo-password"  # noqa: S105 (the demo's, printed by make up)
DEMO_STATE = "Maharashtra"


def demo_secret(username: str) -> str:
    digest = hashlib.sha256(f"crosslink demo account {username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def demo_accounts(directory: DistrictsDirectory) -> list[Officer]:
    now = utc_now()
    places: list[tuple[str, Role, str | None, str | None]] = [
        (f"demo-{d.code.lower()}", Role.INVESTIGATING_OFFICER, d.code, None)
        for d in directory.districts
    ]
    places += [
        ("demo-nodal", Role.STATE_NODAL_OFFICER, None, DEMO_STATE),
        ("demo-operator", Role.OPERATOR, None, None),
    ]
    return [
        replace(
            new_account(
                username=username,
                name=f"Demo {role.value.replace('_', ' ')} {district or state or ''}".strip(),
                role=role,
                district=district,
                state=state,
                password=DEMO_PASSWORD,
                directory=directory,
                now=now,
            ),
            totp_secret=demo_secret(username),
        )
        for username, role, district, state in places
    ]


def ensure_demo_accounts(database_url: str, directory: DistrictsDirectory) -> list[str]:
    """Create the demo accounts that are missing; the usernames of them all."""
    accounts = demo_accounts(directory)

    async def add() -> None:
        async with opened_database(database_url) as database:
            for account in accounts:
                with contextlib.suppress(AccountExists):  # made by an earlier make up
                    await Officers(database).add(account)

    asyncio.run(add())
    return [account.username for account in accounts]
