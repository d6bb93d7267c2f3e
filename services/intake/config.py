"""Intake settings (CROSSLINK_* environment variables)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, HttpUrl, PositiveFloat, PrivateAttr, SecretStr, model_validator

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
    # The key rotations so far, oldest first: one "<key id> <key>" per line (a mounted secret).
    # Each adds a layer to every token (schemas/pseudonyms.py); docs/security.md says how.
    pseudonym_rotations_file: Path | None = None
    _rotations: list[tuple[str, SecretStr]] = PrivateAttr(default_factory=list)
    publish_timeout_s: float = 10.0
    retry_after_s: int = 5
    # Where intake asks the matcher what it knows of a looked-up token (any worker: the matcher
    # routes the request to the one holding the token).
    matcher_url: HttpUrl = HttpUrl("http://127.0.0.1:6066")
    lookup_timeout_s: PositiveFloat = 5.0
    # A watch tells its district of new complaints naming the identifier for this long; setting
    # it again renews it.
    watch_days: Annotated[int, Field(ge=1, le=3650)] = 90

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
    def _read_rotations(self) -> Self:
        path = self.pseudonym_rotations_file
        if path is None:
            return self
        try:
            lines = path.read_text().splitlines()
        except OSError as error:
            raise ValueError(
                f"cannot read CROSSLINK_PSEUDONYM_ROTATIONS_FILE {path}: {error.strerror}"
            ) from None
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key_id, _, key = line.strip().partition(" ")
            if not key.strip() or (self.env == "production" and len(key.strip()) < 32):
                raise ValueError(
                    f"CROSSLINK_PSEUDONYM_ROTATIONS_FILE line {number}: want '<key id> <key>', "
                    "the key a secret of 32+ characters"
                )
            self._rotations.append((key_id, SecretStr(key.strip())))
        ids = self.key_ids()
        if len(set(ids)) < len(ids):
            raise ValueError(
                f"CROSSLINK_PSEUDONYM_ROTATIONS_FILE: key ids must differ from each other and "
                f"from CROSSLINK_PSEUDONYM_KEY_ID: {', '.join(ids)}"
            )
        return self

    @model_validator(mode="after")
    def _refuse_demo_key_in_production(self) -> Self:
        key = self.pseudonym_key.get_secret_value()
        if self.env == "production" and (key == DEV_PSEUDONYM_KEY or len(key) < 32):
            raise ValueError("CROSSLINK_PSEUDONYM_KEY must be set to a secret of 32+ characters")
        return self

    def pseudonym(self) -> PseudonymKey:
        """The key tokens are made with now: the root key and every rotation."""
        rotations = tuple(key.get_secret_value().encode() for _, key in self._rotations)
        return PseudonymKey(
            self.key_ids()[-1], self.pseudonym_key.get_secret_value().encode(), rotations
        )

    def key_ids(self) -> list[str]:
        """The root key's id, then each rotation's: the ids tokens have carried, oldest first."""
        return [self.pseudonym_key_id, *(key_id for key_id, _ in self._rotations)]


@lru_cache
def get_settings() -> IntakeSettings:
    return from_environment(IntakeSettings)
