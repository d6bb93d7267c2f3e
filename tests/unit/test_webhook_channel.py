"""How a webhook endpoint's answer is read: 2xx delivered, 410 gone, the rest retried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifier.channels.webhook import classify, retry_after_seconds
from services.notifier.retries import Verdict


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, Verdict.DELIVERED), (204, Verdict.DELIVERED), (410, Verdict.GONE),
     (301, Verdict.RETRY), (307, Verdict.RETRY), (404, Verdict.RETRY), (429, Verdict.RETRY),
     (500, Verdict.RETRY), (503, Verdict.RETRY)],
)  # fmt: skip
def test_each_status_has_its_verdict(status: int, verdict: Verdict) -> None:
    assert classify(status, None).verdict is verdict


def test_a_redirect_is_a_failure_named_by_its_status() -> None:
    assert classify(302, None).outcome == "http_302"


def test_retry_after_in_seconds() -> None:
    assert classify(503, "120").retry_after_s == 120


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    assert retry_after_seconds("Mon, 23 Nov 2026 12:01:30 GMT", now=now) == 90


def test_an_unreadable_retry_after_is_ignored() -> None:
    assert retry_after_seconds("soon") is None


def test_a_retry_after_date_in_unknown_zone_is_read_as_utc() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    assert retry_after_seconds("Mon, 23 Nov 2026 12:00:30 -0000", now=now) == 30


def test_a_retry_after_of_non_ascii_digits_is_ignored() -> None:
    assert retry_after_seconds("²") is None
