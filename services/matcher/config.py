"""Matcher settings (CROSSLINK_* environment variables)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from crosslink.settings import REPO_ROOT, CommonSettings


class MatcherSettings(CommonSettings):
    matcher_host: str = "127.0.0.1"
    matcher_port: int = 6066
    # memory:// rebuilds the table from its changelog topic on start; rocksdb:// keeps it on disk.
    matcher_store: str = "memory://"
    matcher_data_dir: Path = REPO_ROOT / ".crosslink" / "matcher"


@lru_cache
def get_settings() -> MatcherSettings:
    return MatcherSettings()
