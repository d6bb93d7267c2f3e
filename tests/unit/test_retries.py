"""After each attempt: delivered, retried on the schedule (jittered, honouring Retry-After),
dead-lettered after the last retry or a permanent refusal, or held when the endpoint is gone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.config import DEFAULT_RETRY_SCHEDULE_S
from services.notifier.retries import AttemptResult, Done, RetryAt, RetryPolicy, Verdict

NOW = datetime(2026, 11, 23, tzinfo=UTC)
POLICY = RetryPolicy(schedule_s=DEFAULT_RETRY_SCHEDULE_S, jitter=0.2, retry_after_cap_s=36000)
FAILED = AttemptResult(Verdict.RETRY, "http_500")


def delay_after(attempts_made: int, result: AttemptResult = FAILED, seed: int = 1) -> float:
    step = POLICY.after(result, attempts_made=attempts_made, now=NOW, rng=random.Random(seed))
    assert isinstance(step, RetryAt)
    return (step.at - NOW).total_seconds()


@pytest.mark.parametrize("attempts_made", range(1, len(DEFAULT_RETRY_SCHEDULE_S)))
def test_each_retry_waits_its_scheduled_delay_within_the_jitter(attempts_made: int) -> None:
    scheduled = DEFAULT_RETRY_SCHEDULE_S[attempts_made]

    for seed in range(20):
        assert scheduled * 0.8 <= delay_after(attempts_made, seed=seed) <= scheduled * 1.2


def test_the_default_schedule_spans_about_a_day() -> None:
    assert DEFAULT_RETRY_SCHEDULE_S[:3] == (0, 5, 300)
    assert timedelta(seconds=sum(DEFAULT_RETRY_SCHEDULE_S)) > timedelta(hours=24)


def test_jitter_spreads_the_retries_of_many_deliveries() -> None:
    assert len({delay_after(2, seed=seed) for seed in range(10)}) == 10


def test_a_retry_after_longer_than_the_schedule_is_honoured() -> None:
    asked = AttemptResult(Verdict.RETRY, "http_503", retry_after_s=3600)

    assert delay_after(1, asked) == 3600


def test_a_retry_after_shorter_than_the_schedule_does_not_hurry_the_retry() -> None:
    asked = AttemptResult(Verdict.RETRY, "http_503", retry_after_s=1)

    assert delay_after(2, asked) >= 300 * 0.8


def test_an_absurd_retry_after_is_capped() -> None:
    asked = AttemptResult(Verdict.RETRY, "http_429", retry_after_s=10**9)

    assert delay_after(1, asked) == 36000


def test_the_delivery_is_dead_after_the_last_scheduled_attempt_fails() -> None:
    attempts = len(DEFAULT_RETRY_SCHEDULE_S)

    step = POLICY.after(FAILED, attempts_made=attempts, now=NOW, rng=random.Random(1))

    assert step == Done("dead")


@pytest.mark.parametrize(
    ("verdict", "status"),
    [(Verdict.DELIVERED, "delivered"), (Verdict.GONE, "held"), (Verdict.REFUSED, "dead")],
)
def test_a_final_verdict_ends_the_delivery_at_once(verdict: Verdict, status: str) -> None:
    step = POLICY.after(AttemptResult(verdict, "x"), attempts_made=1, now=NOW, rng=random.Random())

    assert step == Done(status)
