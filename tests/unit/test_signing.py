"""Where a webhook is signed: Standard Webhooks signatures, checked against the spec's vector."""

from __future__ import annotations

import pytest

from services.notifier.signing import InvalidSignature, signature, signed_headers, verify

# The test vector published with the Standard Webhooks reference implementations.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reproduces_the_published_test_vector() -> None:
    assert signature(SECRET, msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY) == EXPECTED


def test_a_signed_message_verifies() -> None:
    headers = signed_headers([SECRET], msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY)

    verify(SECRET, headers, BODY, now=TIMESTAMP + 10)


def test_during_a_rotation_either_secret_verifies() -> None:
    new_secret = "whsec_" + "A" * 32
    headers = signed_headers([SECRET, new_secret], msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY)

    verify(SECRET, headers, BODY, now=TIMESTAMP)
    verify(new_secret, headers, BODY, now=TIMESTAMP)


@pytest.mark.parametrize(
    ("body", "now", "secret"),
    [
        (b'{"test": 1}', TIMESTAMP, SECRET),  # tampered body
        (BODY, TIMESTAMP + 301, SECRET),  # replayed too late
        (BODY, TIMESTAMP, "whsec_" + "B" * 32),  # wrong secret
    ],
)
def test_tampered_stale_or_foreign_messages_do_not_verify(
    body: bytes, now: int, secret: str
) -> None:
    headers = signed_headers([SECRET], msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY)

    with pytest.raises(InvalidSignature):
        verify(secret, headers, body, now=now)


def test_missing_headers_do_not_verify() -> None:
    with pytest.raises(InvalidSignature):
        verify(SECRET, {"webhook-id": MSG_ID}, BODY, now=TIMESTAMP)


def test_a_non_ascii_signature_header_does_not_verify() -> None:
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": "v1,é",
    }

    with pytest.raises(InvalidSignature):
        verify(SECRET, headers, BODY, now=TIMESTAMP)
