"""Signing in on the officers' accounts store, on SQLite and PostgreSQL, at fixed instants: the
right password and a fresh code sign in; wrong codes are counted and lock the account; a code
is used once; a disabled account is refused, and only the password's holder learns it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.accounts.account import Officer
from services.notifier.accounts.credentials import STEP_S, code_at
from services.notifier.accounts.signing_in import SignInRefused, sign_in
from services.notifier.store.database import opened_database
from services.notifier.store.officers import AccountExists, NoSuchAccount, Officers
from tests.builders import OFFICER_PASSWORD, officer_account

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 3, 9, 0, 15, tzinfo=UTC)
LOCK_AFTER = 3


@pytest.fixture
async def officers(database: str) -> AsyncIterator[Officers]:
    async with opened_database(database) as opened:
        yield Officers(opened)


_accounts = iter(range(10_000))


@pytest.fixture
async def account(officers: Officers) -> Officer:
    """A new account per test (the database is shared by the module's tests)."""
    officer = officer_account(f"officer-{next(_accounts)}")
    await officers.add(officer)
    return officer


async def signing_in(
    officers: Officers,
    officer: Officer,
    *,
    password: str = OFFICER_PASSWORD,
    code: str | None = None,
    at: datetime = NOW,
) -> Officer:
    return await sign_in(
        officers,
        username=officer.username,
        password=password,
        code=code_at(officer.totp_secret, at.timestamp()) if code is None else code,
        now=at,
        lock_after=LOCK_AFTER,
    )


async def refusal(officers: Officers, officer: Officer, **attempt: object) -> str:
    with pytest.raises(SignInRefused) as refused:
        await signing_in(officers, officer, **attempt)  # type: ignore[arg-type]
    return refused.value.result


async def test_the_right_password_and_code_sign_in_and_are_recorded(
    officers: Officers, account: Officer
) -> None:
    signed_in = await signing_in(officers, account)

    assert signed_in.username == account.username
    stored = await officers.get(account.username)
    assert stored is not None
    assert stored.last_sign_in_at == NOW
    assert stored.last_code_step == int(NOW.timestamp() // STEP_S)


async def test_a_wrong_password_or_unknown_name_reads_the_same_and_counts_no_code(
    officers: Officers, account: Officer
) -> None:
    assert await refusal(officers, account, password="not the password at all") == (
        "wrong_password"
    )
    stranger = officer_account("nobody-by-this-name")
    assert await refusal(officers, stranger) == "wrong_password"
    stored = await officers.get(account.username)
    assert stored is not None
    assert stored.failed_codes == 0


async def test_a_code_is_accepted_once_even_with_the_right_password(
    officers: Officers, account: Officer
) -> None:
    code = code_at(account.totp_secret, NOW.timestamp())
    await signing_in(officers, account, code=code)

    assert await refusal(officers, account, code=code, at=NOW + timedelta(seconds=5)) == (
        "wrong_code"
    )


async def test_wrong_codes_in_a_row_lock_the_account_until_it_is_enabled(
    officers: Officers, account: Officer
) -> None:
    results = [await refusal(officers, account, code="000000") for _ in range(LOCK_AFTER)]

    assert results == ["wrong_code"] * (LOCK_AFTER - 1) + ["locked"]
    assert await refusal(officers, account) == "locked"  # the right code no longer helps
    assert await refusal(officers, account, password="wrong password, too") == "wrong_password"

    await officers.set_status(account.username, "active", now=NOW)
    later = NOW + timedelta(seconds=STEP_S)
    assert (await signing_in(officers, account, at=later)).username == account.username
    stored = await officers.get(account.username)
    assert stored is not None
    assert stored.failed_codes == 0


async def test_a_good_sign_in_starts_the_count_of_wrong_codes_again(
    officers: Officers, account: Officer
) -> None:
    for _ in range(LOCK_AFTER - 1):
        await refusal(officers, account, code="000000")
    await signing_in(officers, account)

    assert await refusal(officers, account, code="000000", at=NOW + timedelta(minutes=1)) == (
        "wrong_code"
    )


async def test_a_disabled_account_is_refused_and_gets_a_new_stamp(
    officers: Officers, account: Officer
) -> None:
    await officers.set_status(account.username, "disabled", now=NOW)

    assert await refusal(officers, account) == "disabled"
    stored = await officers.get(account.username)
    assert stored is not None
    assert stored.stamp != account.stamp


async def test_a_username_is_taken_once_and_an_unknown_one_cannot_be_disabled(
    officers: Officers, account: Officer
) -> None:
    with pytest.raises(AccountExists):
        await officers.add(account)
    with pytest.raises(NoSuchAccount):
        await officers.set_status("nobody-by-this-name", "disabled", now=NOW)
