"""Idempotency-Key on POST requests (IETF draft-ietf-httpapi-idempotency-key-header).

A client that sends `Idempotency-Key` may retry safely: the first request's response is kept,
and a retry with the same key and the same body gets that response again (with
`Idempotent-Replayed: true`) without running the request again, so nothing is published twice.
The same key with another body answers 422; a retry while the first is still running answers
409. Keys are scoped to the credential (the Authorization header), method and path, and kept
for `ttl_s` (24 hours by default) in this process's memory. A 5xx is not kept: the client
retries it for real. Without the header, requests run as usual.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crosslink.i18n import N_
from crosslink.limits import read_body
from crosslink.problems import accept_language, problem_response

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255


@dataclass
class _Entry:
    fingerprint: str
    expires: float
    status: int | None = None  # None while the first request is running
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


class IdempotencyKeys:
    """Responses kept by (credential, method, path, key), oldest dropped past `max_entries`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl_s: float = 24 * 3600,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        key = headers.get(HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self._app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            await _problem(
                422,
                "invalid-idempotency-key",
                N_("Invalid Idempotency-Key"),
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                scope,
                receive,
                send,
            )
            return
        body, receive = await read_body(receive)
        slot = _digest(
            headers.get(b"authorization", b""),
            scope["method"].encode(),
            scope["path"].encode(),
            key,
        )
        fingerprint = _digest(body)
        self._expire()
        entry = self._entries.get(slot)
        if entry is not None:
            await self._answer_repeat(entry, fingerprint, scope, receive, send)
            return
        entry = _Entry(fingerprint, self._clock() + self._ttl)
        self._entries[slot] = entry
        await self._run_first(slot, entry, scope, receive, send)

    async def _run_first(
        self, slot: str, entry: _Entry, scope: Scope, receive: Receive, send: Send
    ) -> None:
        async def keeping_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                entry.body += message.get("body", b"")
            await send(message)

        try:
            await self._app(scope, receive, keeping_send)
        finally:
            if entry.status is None or entry.status >= 500:
                self._entries.pop(slot, None)  # not kept: a retry runs for real

    async def _answer_repeat(
        self, entry: _Entry, fingerprint: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if entry.fingerprint != fingerprint:
            await _problem(
                422,
                "idempotency-key-reused",
                N_("Idempotency-Key reused"),
                "this Idempotency-Key was used with another request body; use a "
                "new key for a new request",
                scope,
                receive,
                send,
            )
        elif entry.status is None:
            await _problem(
                409,
                "idempotency-key-in-use",
                N_("Request still in progress"),
                "a request with this Idempotency-Key is still being processed; retry shortly",
                scope,
                receive,
                send,
            )
        else:
            headers = [*entry.headers, (b"idempotent-replayed", b"true")]
            await send({"type": "http.response.start", "status": entry.status, "headers": headers})
            await send({"type": "http.response.body", "body": entry.body})

    def _expire(self) -> None:
        now = self._clock()
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.expires > now and len(self._entries) <= self._max:
                break
            self._entries.popitem(last=False)


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()


async def _problem(
    status: int, slug: str, title: str, detail: str, scope: Scope, receive: Receive, send: Send
) -> None:
    response = problem_response(
        status=status,
        slug=slug,
        title=title,
        detail=detail,
        accept_language=accept_language(scope),
    )
    await response(scope, receive, send)
