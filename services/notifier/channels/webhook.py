"""The webhook channel: POST one signed delivery to a district's endpoint.

Redirects are failures (a moved endpoint must be changed in the directory, not followed
blindly with police data), every attempt is bounded by a timeout, a 410 means the endpoint
is gone, and a Retry-After on a failure is passed on to the retry policy.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from crosslink.directory import District
from services.notifier.retries import AttemptResult, Verdict
from services.notifier.routing import webhook_body
from services.notifier.signing import signed_headers
from services.notifier.store.outbox import DueDelivery


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, delivery: DueDelivery, district: District) -> AttemptResult:
        if district.webhook is None:
            return AttemptResult(Verdict.REFUSED, "no_webhook_configured")
        body = webhook_body(delivery.alert, delivery.district, delivery.purpose)
        headers = signed_headers(
            list(district.webhook.secrets),
            msg_id=delivery.delivery_id,
            timestamp=int(time.time()),
            body=body,
        )
        headers["content-type"] = "application/json"
        try:
            response = await self._client.post(
                str(district.webhook.url), content=body, headers=headers
            )
        except httpx.HTTPError as error:
            return AttemptResult(Verdict.RETRY, type(error).__name__)
        return classify(response.status_code, response.headers.get("retry-after"))


def classify(status: int, retry_after: str | None) -> AttemptResult:
    """2xx delivered; 410 gone; anything else (redirects included) retried."""
    if 200 <= status < 300:
        return AttemptResult(Verdict.DELIVERED, "delivered")
    if status == 410:
        return AttemptResult(Verdict.GONE, "http_410")
    return AttemptResult(Verdict.RETRY, f"http_{status}", retry_after_seconds(retry_after))


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC of unknown origin (RFC 5322)
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def webhook_client(timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
