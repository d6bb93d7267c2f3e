"""A real HTTP webhook receiver: verifies Standard Webhooks signatures and dedupes by webhook-id.

`make up` runs it as the demo receiver for the demo districts; the end-to-end tests run one
per district. It shows what an integrator's endpoint should do: verify, then process each
webhook-id once, answering 2xx to a repeat so the sender stops retrying.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.notifier.signing import InvalidSignature, verify

PATH_PREFIX = "/webhooks/"


@dataclass(frozen=True)
class Reply:
    """How the receiver answers one request; tests script failures with these."""

    status: int = 204
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before answering (a slow or hung endpoint)
    before: Callable[[], None] | None = None  # run after processing, before answering
    after: Callable[[], None] | None = None  # run once the answer is sent


@dataclass(frozen=True)
class ReceivedWebhook:
    district: str
    webhook_id: str
    payload: dict[str, Any] | None
    verified: bool
    duplicate: bool
    status: int = 204
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    at: float = 0.0  # time.monotonic() on arrival

    @property
    def processed(self) -> bool:
        """Verified, answered 2xx, and the first time this webhook-id was answered so."""
        return self.verified and not self.duplicate and 200 <= self.status < 300


class WebhookReceiver:
    """Serves POST /webhooks/<district> on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        secrets: Mapping[str, str],
        *,
        port: int = 0,
        on_webhook: Callable[[ReceivedWebhook], None] | None = None,
    ) -> None:
        self._secrets = dict(secrets)
        self._on_webhook = on_webhook
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._scripts: dict[str, list[Reply]] = {}
        self._usual = Reply()
        self._answering = 0
        self.most_concurrent = 0  # the most requests it was answering at one time
        self.received: list[ReceivedWebhook] = []
        self._server = BackgroundServer(self._handler_class(), port)

    @property
    def port(self) -> int:
        return self._server.port

    def url_for(self, district: str) -> str:
        return f"http://127.0.0.1:{self.port}{PATH_PREFIX}{district}"

    def processed(self) -> list[ReceivedWebhook]:
        """Webhooks that verified, each webhook-id once."""
        with self._lock:
            return [w for w in self.received if w.processed]

    def script(self, webhook_id: str, *replies: Reply) -> None:
        """Answer the next requests carrying `webhook_id` with `replies`, then as usual (204)."""
        with self._lock:
            self._scripts.setdefault(webhook_id, []).extend(replies)

    def answer_unscripted(self, reply: Reply) -> None:
        """Answer every request that has no script with `reply` from now on (a slow endpoint)."""
        with self._lock:
            self._usual = reply

    def processed_once(self, webhook_id: str) -> bool:
        return sum(w.processed for w in self.requests_for(webhook_id)) == 1

    def requests_for(self, webhook_id: str) -> list[ReceivedWebhook]:
        with self._lock:
            return [w for w in self.received if w.webhook_id == webhook_id]

    def start(self) -> WebhookReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _record(self, district: str, headers: Mapping[str, str], body: bytes) -> Reply:
        secret = self._secrets.get(district)
        if secret is None:
            return Reply(404)
        at = time.monotonic()
        webhook_id = headers.get("webhook-id", "")
        try:
            verify(secret, headers, body, now=int(time.time()))
        except InvalidSignature:
            self._store(
                ReceivedWebhook(district, webhook_id, None, False, False, 401, headers, body, at)
            )
            return Reply(401)
        with self._lock:
            script = self._scripts.get(webhook_id)
            reply = script.pop(0) if script else self._usual
            duplicate = webhook_id in self._seen
            if 200 <= reply.status < 300:
                self._seen.add(webhook_id)
        payload = json.loads(body)
        self._store(
            ReceivedWebhook(
                district, webhook_id, payload, True, duplicate, reply.status, headers, body, at
            )
        )
        return reply

    def _count_answering(self, change: int) -> None:
        with self._lock:
            self._answering += change
            self.most_concurrent = max(self.most_concurrent, self._answering)

    def _store(self, webhook: ReceivedWebhook) -> None:
        with self._lock:
            self.received.append(webhook)
        if self._on_webhook:
            self._on_webhook(webhook)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                # Counted until the answer starts: the sender may send its next request the
                # moment the answer arrives, and must not seem to have had one more at once.
                receiver._count_answering(+1)
                try:
                    reply = self._reply()
                finally:
                    receiver._count_answering(-1)
                if reply is None:
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()
                self.wfile.flush()
                if reply.after:
                    reply.after()

            def _reply(self) -> Reply | None:
                """The reply to send, once its delay has passed (None: refused already)."""
                length = self.headers.get("content-length", "0")
                if not length.isascii() or not length.isdigit():
                    self.send_error(400, "a Content-Length is required")
                    return None
                body = self.rfile.read(int(length))
                district = self.path.removeprefix(PATH_PREFIX)
                headers = {key.lower(): value for key, value in self.headers.items()}
                reply = (
                    receiver._record(district, headers, body)
                    if self.path.startswith(PATH_PREFIX)
                    else Reply(404)
                )
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.before:
                    reply.before()
                return reply

            def log_message(self, format: str, *args: Any) -> None:
                """Silence per-request stderr lines; the receiver reports through on_webhook."""

        return Handler


class BackgroundServer:
    """A threaded HTTP server on 127.0.0.1, served from a background thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections when the notifier sends one
    # alert's webhooks to several districts at once; each dropped one waits 1 s for the SYN
    # to be retried, which showed as the whole p99.9 of the latency benchmark.
    request_queue_size = 128
