"""Settings refuse the unsafe development defaults outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from crosslink.guards import DemoDirectoryRefused, install_guards
from crosslink.settings import DEMO_DISTRICTS_FILE, CommonSettings, from_environment
from services.intake.config import IntakeSettings


def test_development_defaults_work_without_any_configuration() -> None:
    settings = IntakeSettings()

    assert settings.intake_port == 8000


def test_production_refuses_the_demo_districts_file() -> None:
    with pytest.raises(ValidationError, match="CROSSLINK_DISTRICTS_FILE"):
        IntakeSettings(env="production", pseudonym_key="x" * 40)


def test_production_refuses_the_development_pseudonym_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="CROSSLINK_PSEUDONYM_KEY"):
        IntakeSettings(env="production", districts_file=tmp_path / "districts.yaml")


def test_settings_come_from_crosslink_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CROSSLINK_KAFKA_BOOTSTRAP", "broker-1:9092")

    assert IntakeSettings().kafka_bootstrap == "broker-1:9092"


def test_production_refuses_a_demo_directory_under_any_path(tmp_path: Path) -> None:
    copy = tmp_path / "districts.yaml"
    copy.write_text(DEMO_DISTRICTS_FILE.read_text())
    settings = CommonSettings(env="production", districts_file=copy)

    with pytest.raises(DemoDirectoryRefused, match="demo directory"):
        install_guards(FastAPI(), settings)


def test_the_pseudonym_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("a-real-secret-of-more-than-32-characters\n")

    settings = IntakeSettings(env="production", pseudonym_key_file=key_file,
                              districts_file=tmp_path / "districts.yaml")  # fmt: skip

    assert settings.pseudonym().secret == b"a-real-secret-of-more-than-32-characters"


def test_an_unreadable_key_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PSEUDONYM_KEY_FILE"):
        IntakeSettings(pseudonym_key_file=tmp_path / "missing.key")


def test_a_refused_start_names_the_setting_and_the_rule_never_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = "short-but-secret-key"
    monkeypatch.setenv("CROSSLINK_ENV", "production")
    monkeypatch.setenv("CROSSLINK_DISTRICTS_FILE", str(tmp_path / "districts.yaml"))
    monkeypatch.setenv("CROSSLINK_PSEUDONYM_KEY", secret)

    with pytest.raises(SystemExit) as refused:
        from_environment(IntakeSettings)

    message = str(refused.value.code)
    assert "CROSSLINK_PSEUDONYM_KEY must be set to a secret of 32+ characters" in message
    assert secret not in message


def test_a_refused_field_is_named_by_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CROSSLINK_RATE_LIMIT_BURST", "0")

    with pytest.raises(SystemExit, match="- CROSSLINK_RATE_LIMIT_BURST: Input should be greater"):
        from_environment(IntakeSettings)
