"""The webhook channel: what it posts (signed, to the district's URL, no redirects followed) and
how an endpoint's answer is read: 2xx delivered, 410 gone, the rest retried."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from crosslink.directory import District, load_directory
from harness.testbed import webhook_secret, write_districts_file
from services.notifier.channels.webhook import WebhookChannel, classify, retry_after_seconds
from services.notifier.retries import AttemptResult, Verdict
from services.notifier.routing import delivery_id
from services.notifier.signing import verify
from services.notifier.store.outbox import DueDelivery
from tests.builders import alert_raised


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


# The channel itself, over httpx.MockTransport: what it sends and how it reads the answer.


def _district_and_delivery(tmp_path: Path, *, webhook: bool = True) -> tuple[District, DueDelivery]:
    url = "https://mh-mum.example/hooks" if webhook else None
    directory = load_directory(write_districts_file(tmp_path / "districts.yaml", {"MH-MUM": url}))
    alert = alert_raised("MH-MUM", "MP-BPL")
    msg_id = delivery_id("webhook", alert.alert_id, "MH-MUM", "alert")
    now = datetime.now(UTC)
    return directory.districts[0], DueDelivery(msg_id, "MH-MUM", "webhook", "alert", 0, alert, now)


async def _send(
    tmp_path: Path, answer: Callable[[httpx.Request], httpx.Response]
) -> tuple[AttemptResult, list[httpx.Request]]:
    district, delivery = _district_and_delivery(tmp_path)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = await WebhookChannel(client).send(delivery, district)
    return result, requests


async def test_a_webhook_is_posted_to_the_districts_url_signed_with_its_secret(
    tmp_path: Path,
) -> None:
    result, [request] = await _send(tmp_path, lambda _: httpx.Response(204))

    assert result == AttemptResult(Verdict.DELIVERED, "delivered")
    assert str(request.url) == "https://mh-mum.example/hooks"
    assert request.headers["content-type"] == "application/json"
    sent_at = int(request.headers["webhook-timestamp"])
    verify(webhook_secret("MH-MUM"), request.headers, request.content, now=sent_at)
    alert_id = json.loads(request.content)["data"]["alert_id"]
    assert request.headers["webhook-id"] == delivery_id("webhook", alert_id, "MH-MUM", "alert")


async def test_a_410_answer_means_the_endpoint_is_gone(tmp_path: Path) -> None:
    result, _ = await _send(tmp_path, lambda _: httpx.Response(410))

    assert result.verdict is Verdict.GONE


async def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    moved = {"location": "https://elsewhere.example/"}
    result, requests = await _send(tmp_path, lambda _: httpx.Response(308, headers=moved))

    assert result.outcome == "http_308"
    assert len(requests) == 1


async def test_a_connection_failure_is_retried_under_its_name(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result, _ = await _send(tmp_path, refuse)

    assert result == AttemptResult(Verdict.RETRY, "ConnectError")


async def test_a_district_without_a_webhook_is_refused_without_a_request(tmp_path: Path) -> None:
    district, delivery = _district_and_delivery(tmp_path, webhook=False)

    def no_request(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be made, got {request.method} {request.url}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(no_request)) as client:
        result = await WebhookChannel(client).send(delivery, district)

    assert result == AttemptResult(Verdict.REFUSED, "no_webhook_configured")
