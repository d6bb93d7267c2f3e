"""Where a webhook is signed (and verified), per the Standard Webhooks specification.

The signed content is "{webhook-id}.{webhook-timestamp}.{body}", HMAC-SHA256 under the
base64 key after the `whsec_` prefix, sent as `webhook-signature: v1,<base64>`. Several
space-separated signatures may be sent during a secret rotation; one valid one suffices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105  (a format prefix, not a secret)
DEFAULT_TOLERANCE_S = 5 * 60


class InvalidSignature(ValueError):
    """The webhook's signature, or its timestamp, does not verify."""


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one message under `secret`."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secrets: list[str], *, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed under every secret given."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets
        ),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Raise InvalidSignature unless one signature verifies and the timestamp is fresh."""
    try:
        msg_id = headers["webhook-id"]
        timestamp = int(headers["webhook-timestamp"])
        sent = headers["webhook-signature"].split()
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed webhook headers") from None
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature("webhook timestamp is outside the tolerance window")
    expected = signature(secret, msg_id=msg_id, timestamp=timestamp, body=body)
    expected_bytes = expected.encode()
    if not any(hmac.compare_digest(expected_bytes, c.encode(errors="replace")) for c in sent):
        raise InvalidSignature("no webhook signature matches")
