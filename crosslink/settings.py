"""Settings every service shares, read from CROSSLINK_* environment variables.

Development defaults make `make up` work on a fresh clone; outside development the unsafe
ones (demo districts file, demo pseudonym key) are refused at start-up with a clear message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DISTRICTS_FILE = REPO_ROOT / "deploy" / "districts.demo.yaml"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSLINK_", extra="ignore")

    env: Literal["development", "production"] = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    districts_file: Path = DEMO_DISTRICTS_FILE
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _refuse_demo_directory_in_production(self) -> Self:
        if self.env == "production" and self.districts_file == DEMO_DISTRICTS_FILE:
            raise ValueError(
                "CROSSLINK_DISTRICTS_FILE must name the real districts directory in production"
            )
        return self
