"""An officer's account: who they are, where they serve, their credentials and its state.
Stored by services/notifier/store/officers.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.notifier.accounts.roles import Role

AccountStatus = Literal["active", "locked", "disabled"]


@dataclass(frozen=True)
class Officer:
    username: str
    name: str
    role: Role
    district: str | None
    state: str | None
    password_hash: str
    totp_secret: str
    status: AccountStatus
    failed_codes: int
    last_code_step: int | None
    stamp: str  # a new one ends every session signed in before it
    created_at: datetime
    last_sign_in_at: datetime | None

    @property
    def actor(self) -> str:
        """The officer as audit entries and relayed requests name who acted."""
        return f"officer:{self.username}"


def new_stamp() -> str:
    return secrets.token_hex(8)
