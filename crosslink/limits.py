"""Limits every crosslink API enforces: request body size (413), requests per key (429) and
time per request (503).

Both answer with a problem document and change nothing. The rate limit is a token bucket per
credential, in the process's memory: each instance of a service limits on its own.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crosslink.i18n import N_
from crosslink.problems import ProblemError, WatchedSend, accept_language, problem_response


class RateLimited(ProblemError):
    status, slug, title = 429, "rate-limited", N_("Too many requests for this key")
    what: ClassVar[str] = "this key sent more requests than allowed"

    def __init__(self, retry_after_s: float) -> None:
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(
            f"{self.what}; retry in {seconds} s", headers={"Retry-After": str(seconds)}
        )


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`per_minute` requests a minute per key on average, in bursts of up to `burst`."""

    def __init__(
        self, *, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> None:
        """Spend one request of `key`'s allowance, or raise RateLimited with when to retry."""
        if wait_s := self.spend(key):
            raise RateLimited(wait_s)

    def spend(self, key: str) -> float:
        """Spend one of `key`'s allowance and answer 0, or answer how long until there is one."""
        now = self._clock()
        bucket = self._buckets.setdefault(key, _Bucket(self._burst, now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens < 1:
            return (1 - bucket.tokens) / self._rate
        bucket.tokens -= 1
        return 0.0


class RequestTimeout:
    """Answer 503 (with Retry-After) to a request still unanswered after `timeout_s`, so a
    stuck dependency never holds a client, or a connection, indefinitely."""

    def __init__(self, app: ASGIApp, *, timeout_s: float, retry_after_s: int = 5) -> None:
        self._app = app
        self._timeout_s = timeout_s
        self._retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        watched = WatchedSend(send)
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._app(scope, receive, watched)
        except TimeoutError:
            if watched.started:
                raise
            response = problem_response(
                status=503,
                slug="request-timeout",
                title=N_("The request took too long"),
                detail=f"no answer within {self._timeout_s:g} s; nothing was accepted, retry",
                headers={"Retry-After": str(self._retry_after_s)},
                accept_language=accept_language(scope),
            )
            await response(scope, receive, send)


class BodySizeLimit:
    """Refuse with 413 any request whose body is larger than `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self._max:
            await self._refuse(scope, receive, send)
            return
        # Bodies here are small: read the whole body first, then hand it on unchanged.
        try:
            _, receive_body = await read_body(receive, limit=self._max)
        except BodyTooLarge:
            await self._refuse(scope, receive, send)
            return
        await self._app(scope, receive_body, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            status=413,
            slug="body-too-large",
            title=N_("Request body too large"),
            detail=f"the request body must be at most {self._max} bytes",
            accept_language=accept_language(scope),
        )
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    """The request body went past the limit read_body() was given."""


async def read_body(receive: Receive, *, limit: int | None = None) -> tuple[bytes, Receive]:
    """The whole request body, and a receive() that hands it on to the app as one message.

    BodyTooLarge past `limit` bytes. A client that goes away mid-body leaves an empty body and
    a receive() that gives the app its disconnect, never a cut body.
    """
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return b"", _replay(message, then=receive)
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
        if limit is not None and size > limit:
            raise BodyTooLarge
    body = b"".join(chunks)
    return body, _replay({"type": "http.request", "body": body, "more_body": False}, then=receive)


def _replay(first: Message, *, then: Receive) -> Receive:
    """A receive() that returns `first`, then defers to `then`."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then()
        sent = True
        return first

    return receive
