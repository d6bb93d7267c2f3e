"""The webhook retry schedule: exponential, jittered, capped."""

import random

from services.notifier.retries import retry_delay_s


def test_delays_grow_exponentially_within_jitter_and_stop_at_the_cap() -> None:
    rng = random.Random(7)
    delays = [retry_delay_s(n, first_s=1, cap_s=60, rng=rng) for n in range(1, 10)]

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(60, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 60
