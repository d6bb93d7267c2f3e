"""Notifier settings (CROSSLINK_* environment variables)."""

from __future__ import annotations

from functools import lru_cache

from crosslink.settings import CommonSettings


class NotifierSettings(CommonSettings):
    notifier_host: str = "127.0.0.1"
    notifier_port: int = 8002
    webhook_timeout_s: float = 10.0
    # Delay before retry n is min(cap, first * 2**n), with full jitter.
    webhook_retry_first_s: float = 1.0
    webhook_retry_cap_s: float = 60.0


@lru_cache
def get_settings() -> NotifierSettings:
    return NotifierSettings()
