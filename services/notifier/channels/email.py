"""The email channel: one message per delivery to the district's contact addresses, via SMTP.

A permanent refusal (5xx) dead-letters the delivery at once; anything else is retried.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosmtplib

from crosslink.directory import District
from crosslink.i18n import DEFAULT_LANGUAGE
from services.notifier.emails import alert_email
from services.notifier.retries import AttemptResult, Verdict
from services.notifier.routing import district_view
from services.notifier.store.outbox import DueDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None
    timeout_s: float
    sender: str


class EmailChannel:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def send(self, delivery: DueDelivery, district: District) -> AttemptResult:
        if not district.email:
            return AttemptResult(Verdict.REFUSED, "no_email_configured")
        message = alert_email(
            district_view(delivery.alert, delivery.district),
            purpose=delivery.purpose,
            sender=self._server.sender,
            to=list(district.email),
            message_id=delivery.delivery_id,
            language=district.language or DEFAULT_LANGUAGE,
        )
        server = self._server
        try:
            refused, _ = await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                start_tls=server.starttls,
                username=server.username,
                password=server.password,
                timeout=server.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # Every address refused: permanently if every refusal is 5xx; a 4xx (greylisting,
            # a full mailbox) is retried.
            codes = [refusal.code for refusal in error.recipients]
            permanent = all(500 <= code < 600 for code in codes)
            verdict = Verdict.REFUSED if permanent else Verdict.RETRY
            return AttemptResult(verdict, f"smtp_{max(codes, default=550)}")
        except aiosmtplib.SMTPResponseException as error:
            verdict = Verdict.REFUSED if 500 <= error.code < 600 else Verdict.RETRY
            return AttemptResult(verdict, f"smtp_{error.code}")
        except (aiosmtplib.SMTPException, OSError) as error:
            return AttemptResult(Verdict.RETRY, type(error).__name__)
        if refused:
            # Delivered to the district's other addresses: not retried, but not silent.
            log.warning(
                "some of a district's contact addresses refused an alert email",
                extra={"district": district.code, "refused": len(refused)},
            )
        return AttemptResult(Verdict.DELIVERED, "delivered")
