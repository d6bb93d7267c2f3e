"""Officers' credentials and roles: an argon2id password, a TOTP code accepted once within a
step of the time, each role serving where it must, and new accounts checked against the
directory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crosslink.directory import District, DistrictsDirectory
from services.notifier.accounts.account import Officer
from services.notifier.accounts.credentials import (
    STEP_S,
    WeakPassword,
    accepted_step,
    code_at,
    hash_password,
    password_matches,
    provisioning_uri,
)
from services.notifier.accounts.enrolment import BadName, BadUsername, new_account
from services.notifier.accounts.roles import BadScope, Role, check_scope, districts_seen

NOW = 1_800_000_015.0  # half way through a step
STEP = int(NOW // STEP_S)
SECRET, OTHER_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
DIRECTORY = DistrictsDirectory(
    districts=(
        District(code="MH-MUM", name="Mumbai", state="Maharashtra"),
        District(code="MH-PUN", name="Pune", state="Maharashtra"),
        District(code="MP-BPL", name="Bhopal", state="Madhya Pradesh"),
    )
)


def test_a_password_is_stored_as_an_argon2id_hash_that_only_it_matches() -> None:
    stored = hash_password("correct horse battery staple")

    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert password_matches(stored, "correct horse battery staple")
    assert not password_matches(stored, "correct horse battery stapler")
    assert not password_matches("not a hash", "correct horse battery staple")


def test_no_account_matches_no_password() -> None:
    assert not password_matches(None, "")
    assert not password_matches(None, "correct horse battery staple")


def test_a_short_password_is_refused() -> None:
    with pytest.raises(WeakPassword, match="12 characters"):
        hash_password("short pass")


def test_the_code_of_now_or_a_step_either_side_is_accepted_with_its_step() -> None:
    for offset in (-1, 0, 1):
        code = code_at(SECRET, NOW + offset * STEP_S)

        assert accepted_step(SECRET, code, now=NOW, last_step=None) == STEP + offset


def test_a_code_two_steps_away_or_of_another_secret_is_refused() -> None:
    assert accepted_step(SECRET, code_at(SECRET, NOW - 2 * STEP_S), now=NOW, last_step=None) is None
    other = code_at(OTHER_SECRET, NOW)
    assert other != code_at(SECRET, NOW)
    assert accepted_step(SECRET, other, now=NOW, last_step=None) is None


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_a_code_that_is_not_six_digits_is_refused(code: str) -> None:
    assert accepted_step(SECRET, code, now=NOW, last_step=None) is None


def test_a_code_is_accepted_once_and_never_one_of_an_earlier_step() -> None:
    code = code_at(SECRET, NOW)

    assert accepted_step(SECRET, code, now=NOW, last_step=STEP) is None
    earlier = code_at(SECRET, NOW - STEP_S)
    assert accepted_step(SECRET, earlier, now=NOW, last_step=STEP) is None
    later = code_at(SECRET, NOW + STEP_S)
    assert accepted_step(SECRET, later, now=NOW, last_step=STEP) == STEP + 1


def test_the_provisioning_uri_names_crosslink_and_the_account() -> None:
    uri = provisioning_uri(SECRET, "mum.io")

    assert uri.startswith("otpauth://totp/crosslink:mum.io?")
    assert f"secret={SECRET}" in uri


@pytest.mark.parametrize(
    ("role", "district", "state"),
    [
        (Role.INVESTIGATING_OFFICER, None, None),
        (Role.CELL_IN_CHARGE, "MH-MUM", "Maharashtra"),
        (Role.DISTRICT_SUPERVISOR, None, "Maharashtra"),
        (Role.STATE_NODAL_OFFICER, "MH-MUM", None),
        (Role.STATE_NODAL_OFFICER, None, None),
        (Role.OPERATOR, "MH-MUM", None),
        (Role.REGISTRY_ADMINISTRATOR, None, "Maharashtra"),
    ],
)
def test_a_role_without_the_place_it_serves_or_with_another_is_refused(
    role: Role, district: str | None, state: str | None
) -> None:
    with pytest.raises(BadScope):
        check_scope(role, district, state)


def test_a_district_role_sees_its_district_a_state_its_districts_operations_none() -> None:
    seen = {
        role: [d.code for d in districts_seen(role, district, state, DIRECTORY)]
        for role, district, state in (
            (Role.INVESTIGATING_OFFICER, "MP-BPL", None),
            (Role.DISTRICT_SUPERVISOR, "MH-PUN", None),
            (Role.STATE_NODAL_OFFICER, None, "Maharashtra"),
            (Role.OPERATOR, None, None),
        )
    }

    assert seen == {
        Role.INVESTIGATING_OFFICER: ["MP-BPL"],
        Role.DISTRICT_SUPERVISOR: ["MH-PUN"],
        Role.STATE_NODAL_OFFICER: ["MH-MUM", "MH-PUN"],
        Role.OPERATOR: [],
    }


def enrol(**overrides: object) -> Officer:
    arguments: dict[str, object] = {
        "username": "mum.io",
        "name": "Insp. A. Patil",
        "role": Role.INVESTIGATING_OFFICER,
        "district": "MH-MUM",
        "state": None,
        "password": "correct horse battery staple",
        "directory": DIRECTORY,
        "now": datetime(2026, 12, 3, tzinfo=UTC),
    }
    return new_account(**{**arguments, **overrides})  # type: ignore[arg-type]


def test_a_new_account_is_active_with_a_fresh_secret_and_no_sign_in_yet() -> None:
    first, second = enrol(), enrol(username="pun.io", district="MH-PUN")

    assert first.status == "active"
    assert first.last_sign_in_at is None
    assert first.totp_secret != second.totp_secret
    assert first.stamp != second.stamp


@pytest.mark.parametrize(
    "username", ["ab", "Mum.IO", "-mum", "mum io", "mum@io", "m" * 65, "mum.io\n", "mum\x00io"]
)
def test_a_username_an_officer_cannot_type_the_same_way_is_refused(username: str) -> None:
    with pytest.raises(BadUsername):
        enrol(username=username)


def test_an_account_for_a_district_or_state_not_in_the_directory_is_refused() -> None:
    with pytest.raises(BadScope, match="no district XX-YYY"):
        enrol(district="XX-YYY")
    with pytest.raises(BadScope, match="Goa"):
        enrol(role=Role.STATE_NODAL_OFFICER, district=None, state="Goa")


def test_a_code_typed_in_devanagari_digits_is_the_same_code() -> None:
    code = code_at(SECRET, NOW)
    devanagari = "".join(chr(0x0966 + int(digit)) for digit in code)

    assert accepted_step(SECRET, devanagari, now=NOW, last_step=None) == STEP


@pytest.mark.parametrize(
    "code", ["12345\ufffd", "\uff11\uff12\uff13\u096a\u096bx", "\x00\x00\x00\x00\x00\x00"]
)
def test_a_code_with_anything_but_digits_is_refused_without_an_error(code: str) -> None:
    assert accepted_step(SECRET, code, now=NOW, last_step=None) is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "Insp.\x00Patil", "Insp.\nPatil"])
def test_a_name_the_console_cannot_show_is_refused(name: str) -> None:
    with pytest.raises(BadName):
        enrol(name=name)
