"""Matcher settings (CROSSLINK_* environment variables)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, HttpUrl, PositiveInt, field_validator

from crosslink.settings import REPO_ROOT, CommonSettings, from_environment
from schemas.identifiers import IdentifierType
from services.matcher.agents import Batching
from services.matcher.matching import MatchingRules


class MatcherSettings(CommonSettings):
    matcher_host: str = "127.0.0.1"
    matcher_port: int = 6066
    # The URL other workers reach this one at, for the look-ups they pass on to the worker that
    # holds a token (docs/console.md#look-ups): needed once workers run on several hosts and bind
    # 0.0.0.0; unset, http://<CROSSLINK_MATCHER_HOST>:<CROSSLINK_MATCHER_PORT>.
    matcher_advertised_url: HttpUrl | None = None
    # rocksdb:// keeps the table on disk and catches up from its changelog topic on start;
    # memory:// rebuilds it from the changelog every time (fine for small test runs).
    matcher_store: str = "rocksdb://"
    matcher_data_dir: Path = REPO_ROOT / ".crosslink" / "matcher"
    # How soon the group notices a worker that died without leaving (SIGKILL, power loss).
    matcher_session_timeout_s: float = Field(30.0, ge=6)
    # Each worker keeps warm copies of this many other workers' table partitions (faust's
    # standbys, fed from the changelogs), so a worker that takes over one need not replay it.
    matcher_standby_replicas: int = Field(1, ge=0)
    # Events matched together: their alerts are sent at once and awaited once. A batch that
    # does not fill is taken when the wait is up, which is the delay a lone event can get.
    matcher_batch_size: int = Field(500, ge=1)
    matcher_batch_wait_s: float = Field(0.01, gt=0)
    hub_threshold: int = Field(25, ge=2)
    weak_window_hours: float = Field(24.0, gt=0)
    # Past the hub threshold, districts already involved hear of an identifier's (or a
    # cluster's) new complaints at most this often, and at once when it reaches a new state.
    digest_period_hours: float = Field(24.0, gt=0)
    # Identifier types given to a new holder after a while, and the gap in days between two
    # complaints naming one past which they may be two holders': a lead, not a link. JSON,
    # e.g. {"phone": 365, "email": 730}; {} links every type whatever the gap.
    recycling_window_days: dict[IdentifierType, PositiveInt] = Field(
        default_factory=lambda: {IdentifierType.PHONE: 365}
    )

    @field_validator("recycling_window_days")
    @classmethod
    def _strong_types_only(cls, windows: dict[IdentifierType, int]) -> dict[IdentifierType, int]:
        if IdentifierType.IP in windows:
            raise ValueError("ip is weak and has its own window (CROSSLINK_WEAK_WINDOW_HOURS)")
        return windows

    def batching(self) -> Batching:
        return Batching(size=self.matcher_batch_size, wait_s=self.matcher_batch_wait_s)

    def rules(self) -> MatchingRules:
        return MatchingRules(
            hub_threshold=self.hub_threshold,
            weak_window=timedelta(hours=self.weak_window_hours),
            digest_period=timedelta(hours=self.digest_period_hours),
            recycling=tuple(
                (kind, timedelta(days=days)) for kind, days in self.recycling_window_days.items()
            ),
        )


@lru_cache
def get_settings() -> MatcherSettings:
    return from_environment(MatcherSettings)
