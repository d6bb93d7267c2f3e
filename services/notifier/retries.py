"""The retry schedule for a failed webhook: exponential backoff with full jitter. Pure."""

from __future__ import annotations

import random


def retry_delay_s(attempt: int, *, first_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based) before the next one."""
    ceiling = min(cap_s, first_s * 2 ** (attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)
