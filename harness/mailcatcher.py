"""A real SMTP server that keeps what it receives: `make up`'s demo mail catcher and the email
tests' server. Listens on 127.0.0.1 only; accepts every message."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MailCatcher:
    def __init__(
        self, port: int = 0, *, on_message: Callable[[EmailMessage], None] | None = None
    ) -> None:
        self.messages: list[EmailMessage] = []
        self._on_message = on_message
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        if self._on_message:
            self._on_message(message)
        return "250 OK"

    def __enter__(self) -> MailCatcher:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._controller.stop()
