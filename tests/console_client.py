"""The console as an officer's browser without JavaScript sees it: forms posted, cookies kept."""

from __future__ import annotations

import re
import time

import httpx

from services.notifier.accounts.account import Officer as Account
from services.notifier.accounts.credentials import code_at
from tests.builders import OFFICER_PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    """Follows no redirects, keeps its cookies."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def sign_in(
        self, account: Account, *, password: str = OFFICER_PASSWORD, code: str | None = None
    ) -> httpx.Response:
        """With the code the account's authenticator app shows now, unless `code` is given."""
        form = {
            "username": account.username,
            "password": password,
            "code": code_at(account.totp_secret, time.time()) if code is None else code,
            "csrf_token": self.csrf("/console/sign-in"),
        }
        return self.http.post("/console/sign-in", data=form)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        found = CSRF.search(page.text)
        assert found is not None
        return found.group(1)

    def act(
        self, alert_id: str, status: str, note: str = "", csrf: str | None = None
    ) -> httpx.Response:
        token = self.csrf(f"/console/alerts/{alert_id}") if csrf is None else csrf
        form = {"status": status, "note": note, "csrf_token": token}
        return self.http.post(f"/console/alerts/{alert_id}/status", data=form)

    def not_linked(self, alert_id: str, complaint: str, reason: str) -> httpx.Response:
        """Say one of the district's complaints in the alert is not linked, and why."""
        token = self.csrf(f"/console/alerts/{alert_id}")
        form = {"complaint": complaint, "reason": reason, "csrf_token": token}
        return self.http.post(f"/console/alerts/{alert_id}/not-linked", data=form)

    def confirm(self, alert_id: str, **outcomes: str) -> httpx.Response:
        """Confirm the alert's link, with its outcomes (FIR number, arrests, amounts)."""
        token = self.csrf(f"/console/alerts/{alert_id}")
        form = {**outcomes, "csrf_token": token}
        return self.http.post(f"/console/alerts/{alert_id}/confirmed", data=form)

    def sign_on(self, login: str) -> httpx.Response:
        """Sign in by the state's single sign-on: to the provider, through its development
        sign-in as `login`, consenting, and back to the console; the console's answer."""
        url = self.http.get("/console/sign-in/sso").headers["location"]
        console = str(self.http.base_url).rstrip("/")
        with httpx.Client(timeout=10) as provider:  # the provider's own cookies
            while not url.startswith(console):
                answer = provider.get(url)
                if answer.status_code == 200:  # its sign-in page, then its consent page
                    prompt = "login" if 'name="login"' in answer.text else "consent"
                    answer = provider.post(url, data={"prompt": prompt, "login": login})
                assert answer.is_redirect, answer.text
                url = str(answer.url.join(answer.headers["location"]))
        return self.http.get(url)

    def close(self) -> None:
        self.http.close()
