"""A new officer's account, checked against the directory: a valid username, a role with the
district or state it serves, a strong enough password, and a fresh second-factor secret."""

from __future__ import annotations

import re
from datetime import datetime

from crosslink.directory import DistrictsDirectory
from services.notifier.accounts.account import Officer, new_stamp
from services.notifier.accounts.credentials import hash_password, new_totp_secret
from services.notifier.accounts.roles import BadScope, Role, check_scope

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}\Z")
MAX_NAME = 200  # the column's width


class BadUsername(ValueError):
    """Not a username an officer can type the same way every time."""


class BadName(ValueError):
    """A name the console cannot show: empty, too long, or with control characters."""


def new_account(
    *,
    username: str,
    name: str,
    role: Role,
    district: str | None,
    state: str | None,
    password: str,
    directory: DistrictsDirectory,
    now: datetime,
) -> Officer:
    """The account to store; BadUsername, BadName, BadScope or WeakPassword saying what is
    wrong."""
    if not USERNAME.match(username):
        raise BadUsername(
            "a username is 3 to 64 lower-case letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit"
        )
    if not name.strip() or len(name) > MAX_NAME or not name.isprintable():
        raise BadName(f"a name is 1 to {MAX_NAME} printable characters")
    check_scope(role, district, state)
    if district is not None and directory.get(district) is None:
        raise BadScope(f"there is no district {district} in the directory")
    if state is not None and not any(d.state == state for d in directory.districts):
        raise BadScope(f"no district in the directory is in the state {state!r}")
    return Officer(
        username=username,
        name=name,
        role=role,
        district=district,
        state=state,
        password_hash=hash_password(password),
        totp_secret=new_totp_secret(),
        status="active",
        failed_codes=0,
        last_code_step=None,
        stamp=new_stamp(),
        created_at=now,
        last_sign_in_at=None,
    )
