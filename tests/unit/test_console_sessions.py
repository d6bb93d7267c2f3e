"""Console session cookies and CSRF tokens: signed, expiring, bound to one session."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.notifier.config import NotifierSettings
from services.notifier.console import sessions
from services.notifier.console.sessions import BadSession, Session, SessionExpired

KEY = b"k" * 32
NOW = 1_800_000_000.0
STAMP = "0123456789abcdef"


def a_session(lifetime_s: float = 3600, username: str = "mum.io") -> Session:
    return sessions.new_session(
        username=username, district="MH-MUM", stamp=STAMP, now=NOW, lifetime_s=lifetime_s
    )


def test_a_sealed_session_unseals_to_the_same_session() -> None:
    session = a_session()

    assert sessions.unseal(sessions.seal(session, KEY), KEY, now=NOW + 1) == session


def test_a_session_is_refused_once_its_lifetime_is_over() -> None:
    cookie = sessions.seal(a_session(lifetime_s=60), KEY)

    with pytest.raises(SessionExpired):
        sessions.unseal(cookie, KEY, now=NOW + 60)


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    cookie = sessions.seal(a_session(), b"x" * 32)

    with pytest.raises(BadSession):
        sessions.unseal(cookie, KEY, now=NOW)


def test_a_cookie_whose_officer_was_changed_is_refused() -> None:
    genuine = sessions.seal(a_session(), KEY)
    forged = sessions.seal(a_session(username="bpl.sp"), b"attacker's key, not the console's")
    spliced = f"{forged.split('.')[0]}.{genuine.split('.')[1]}"

    with pytest.raises(BadSession):
        sessions.unseal(spliced, KEY, now=NOW)


@pytest.mark.parametrize("cookie", ["", ".", "garbage", "e30.e30", "%%%.###", "a.b.c"])
def test_a_cookie_that_is_not_a_session_is_refused(cookie: str) -> None:
    with pytest.raises(BadSession):
        sessions.unseal(cookie, KEY, now=NOW)


def test_a_csrf_token_matches_only_the_session_it_was_made_for() -> None:
    token = sessions.csrf_token(KEY, "session-a")

    assert sessions.csrf_matches(KEY, "session-a", token)
    assert not sessions.csrf_matches(KEY, "session-b", token)
    assert not sessions.csrf_matches(b"y" * 32, "session-a", token)


@pytest.mark.parametrize("token", [None, "", "not-a-token", "é"])
def test_a_missing_or_wrong_csrf_token_does_not_match(token: str | None) -> None:
    assert not sessions.csrf_matches(KEY, "session-a", token)


def test_each_session_gets_its_own_id() -> None:
    assert a_session().session_id != a_session().session_id


def test_production_refuses_the_development_console_session_key(
    kafka_tls: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError, match="CROSSLINK_CONSOLE_SESSION_KEY"):
        NotifierSettings(env="production", districts_file="districts.yaml", **kafka_tls)


def test_production_accepts_a_console_session_key_of_its_own(kafka_tls: dict[str, Any]) -> None:
    settings = NotifierSettings(
        env="production",
        districts_file="districts.yaml",
        console_session_key="s" * 40,
        **kafka_tls,
    )

    assert settings.console_session_key.get_secret_value() == "s" * 40
