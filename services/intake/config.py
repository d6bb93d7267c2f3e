"""Intake settings (CROSSLINK_* environment variables)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import SecretStr, model_validator

from crosslink.settings import CommonSettings, from_environment
from schemas.pseudonyms import PseudonymKey

DEV_PSEUDONYM_KEY = "crosslink-development-pseudonym-key-not-for-real-cases"


class IntakeSettings(CommonSettings):
    intake_host: str = "127.0.0.1"
    intake_port: int = 8000
    pseudonym_key: SecretStr = SecretStr(DEV_PSEUDONYM_KEY)
    # A file holding the key (e.g. a mounted secret) wins over CROSSLINK_PSEUDONYM_KEY.
    pseudonym_key_file: Path | None = None
    pseudonym_key_id: str = "dev"
    publish_timeout_s: float = 10.0
    retry_after_s: int = 5

    @model_validator(mode="after")
    def _read_key_file(self) -> Self:
        if self.pseudonym_key_file is not None:
            try:
                key = self.pseudonym_key_file.read_text().strip()
            except OSError as error:
                raise ValueError(
                    f"cannot read CROSSLINK_PSEUDONYM_KEY_FILE {self.pseudonym_key_file}: "
                    f"{error.strerror}"
                ) from None
            self.pseudonym_key = SecretStr(key)
        return self

    @model_validator(mode="after")
    def _refuse_demo_key_in_production(self) -> Self:
        key = self.pseudonym_key.get_secret_value()
        if self.env == "production" and (key == DEV_PSEUDONYM_KEY or len(key) < 32):
            raise ValueError("CROSSLINK_PSEUDONYM_KEY must be set to a secret of 32+ characters")
        return self

    def pseudonym(self) -> PseudonymKey:
        return PseudonymKey(self.pseudonym_key_id, self.pseudonym_key.get_secret_value().encode())


@lru_cache
def get_settings() -> IntakeSettings:
    return from_environment(IntakeSettings)
