"""What happens to a delivery after an attempt: done, retry when, dead letter, or endpoint gone.

Pure. The schedule lists the delay before each attempt (the first is usually 0); each delay
varies by ±jitter so that a district's receiver coming back is not hit by every alert at
once, and a receiver's Retry-After is honoured when it asks for longer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Verdict(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # a transient failure: try again later
    GONE = "gone"  # the endpoint says it no longer exists (HTTP 410): stop using it
    REFUSED = "refused"  # a permanent refusal (e.g. SMTP 5xx): retrying cannot help


@dataclass(frozen=True)
class AttemptResult:
    verdict: Verdict
    outcome: str  # for metrics and logs: "delivered", "http_503", "ConnectTimeout", "smtp_550"
    retry_after_s: float | None = None


@dataclass(frozen=True)
class RetryAt:
    at: datetime


@dataclass(frozen=True)
class Done:
    """The delivery is over: delivered, dead-lettered or parked at a gone endpoint."""

    status: str  # "delivered", "dead" or "held"


@dataclass(frozen=True)
class RetryPolicy:
    schedule_s: tuple[float, ...]
    jitter: float
    retry_after_cap_s: float

    def delay_before(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before attempt number `attempt` (1-based), jittered."""
        base = self.schedule_s[min(attempt, len(self.schedule_s)) - 1]
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def after(
        self, result: AttemptResult, *, attempts_made: int, now: datetime, rng: random.Random
    ) -> RetryAt | Done:
        """The next step for a delivery whose attempt number `attempts_made` gave `result`."""
        if result.verdict is Verdict.DELIVERED:
            return Done("delivered")
        if result.verdict is Verdict.GONE:
            return Done("held")
        if result.verdict is Verdict.REFUSED or attempts_made >= len(self.schedule_s):
            return Done("dead")
        delay = self.delay_before(attempts_made + 1, rng)
        if result.retry_after_s is not None:
            delay = max(delay, min(result.retry_after_s, self.retry_after_cap_s))
        return RetryAt(now + timedelta(seconds=delay))
