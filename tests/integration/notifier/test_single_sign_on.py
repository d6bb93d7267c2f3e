"""Single sign-on with a real OpenID Connect provider run here (panva/node-oidc-provider): the
code flow with PKCE, the ID token checked, and the account linked to the provider's identity
signed in with its own role and place; an identity linked to none, a disabled account and a
forged callback are refused."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from harness.oidc import LocalOidcProvider
from harness.ports import free_port
from services.notifier.accounts.account import Officer as Account
from tests.console_client import ConsoleClient
from tests.integration.notifier.conftest import Notifier, NotifierFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("npm") is None, reason="the provider runs on Node.js"),
]
DISTRICT = "KA-BLR"
CALLBACK = "/console/sign-in/sso/callback"


@pytest.fixture(scope="module")
def provider(notifiers: NotifierFactory) -> Iterator[tuple[LocalOidcProvider, Notifier]]:
    port = free_port()
    redirect = f"http://127.0.0.1:{port}{CALLBACK}"
    with LocalOidcProvider(redirect, notifiers.workdir / "oidc-provider.log") as running:
        yield running, notifiers.start(port=port, **running.console_settings())


@pytest.fixture
def browser(provider: tuple[LocalOidcProvider, Notifier]) -> Iterator[ConsoleClient]:
    client = ConsoleClient(provider[1].process.base_url)
    yield client
    client.close()


def linked(provider: tuple[LocalOidcProvider, Notifier]) -> tuple[Account, str]:
    """A new account, and the identity at the provider linked to it."""
    issuer, notifier = provider[0].issuer, provider[1]
    account, subject = notifier.enrol(DISTRICT), f"officer-{uuid.uuid4().hex[:8]}"
    notifier.link_sign_on(account.username, issuer=issuer, subject=subject)
    return account, subject


def test_an_officer_signs_on_at_the_state_provider_and_reaches_the_district_inbox(
    provider: tuple[LocalOidcProvider, Notifier], browser: ConsoleClient
) -> None:
    account, subject = linked(provider)

    back = browser.sign_on(subject)

    assert back.status_code == 303
    assert back.headers["location"] == "/console/inbox"
    inbox = browser.http.get("/console/inbox")
    assert inbox.status_code == 200
    assert account.name in inbox.text
    entries, broken = provider[1].audit_trail()
    assert broken is None
    (entry,) = [e for e in entries if e.event.actor == f"officer:{account.username}"]
    assert entry.event.action == "officer.signed_in"
    assert '"method":"single_sign_on"' in entry.event.detail.replace(" ", "")


def test_an_identity_linked_to_no_account_is_refused(
    provider: tuple[LocalOidcProvider, Notifier], browser: ConsoleClient
) -> None:
    back = browser.sign_on(f"stranger-{uuid.uuid4().hex[:8]}")

    assert back.headers["location"] == "/console/sign-in?single_sign_on=no_account"
    page = browser.http.get(back.headers["location"]).text
    assert "no crosslink account is linked to it" in page
    assert browser.http.get("/console/inbox").status_code == 303


def test_a_disabled_accounts_sign_on_is_refused(
    provider: tuple[LocalOidcProvider, Notifier], browser: ConsoleClient
) -> None:
    account, subject = linked(provider)
    provider[1].set_status(account.username, "disabled")

    back = browser.sign_on(subject)

    assert back.headers["location"] == "/console/sign-in?single_sign_on=disabled"
    assert browser.http.get("/console/inbox").status_code == 303


def test_a_callback_the_console_did_not_start_is_refused(browser: ConsoleClient) -> None:
    forged = browser.http.get(f"{CALLBACK}?code=stolen&state=guessed")

    assert forged.headers["location"] == "/console/sign-in?single_sign_on=failed"
    assert browser.http.get("/console/inbox").status_code == 303


def test_the_sign_in_page_offers_the_state_sign_on(browser: ConsoleClient) -> None:
    page = browser.http.get("/console/sign-in").text

    assert 'href="/console/sign-in/sso"' in page
