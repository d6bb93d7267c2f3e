"""The webhook channel: POST one signed delivery to one district's endpoint.

Redirects are failures (a moved endpoint must be changed in the directory, not followed
blindly with police data), and every attempt is bounded by a timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from crosslink.directory import District
from services.notifier.routing import Delivery
from services.notifier.signing import signed_headers


@dataclass(frozen=True)
class Attempt:
    ok: bool
    outcome: str  # "delivered", "http_<status>", or the transport error's name


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, delivery: Delivery, district: District) -> Attempt:
        headers = signed_headers(
            [district.webhook_secret],
            msg_id=delivery.webhook_id,
            timestamp=int(time.time()),
            body=delivery.body,
        )
        headers["content-type"] = "application/json"
        try:
            response = await self._client.post(
                str(district.webhook_url), content=delivery.body, headers=headers
            )
        except httpx.HTTPError as error:
            return Attempt(ok=False, outcome=type(error).__name__)
        if response.is_success:
            return Attempt(ok=True, outcome="delivered")
        return Attempt(ok=False, outcome=f"http_{response.status_code}")


def webhook_client(timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
