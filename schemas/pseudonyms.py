"""Keyed pseudonym tokens: the only form in which an identifier crosses Kafka.

HMAC-SHA256 over "type:canonical" under a secret key that only intake holds, so a token cannot
be reversed or recomputed from a guessed number without the key, yet equal identifiers give
equal tokens. The key's id travels beside each token so that keys can be rotated later.
"""

import hashlib
import hmac
from dataclasses import dataclass

from schemas.identifiers import CanonicalIdentifier


@dataclass(frozen=True)
class PseudonymKey:
    key_id: str
    secret: bytes


def pseudonym_token(identifier: CanonicalIdentifier, key: PseudonymKey) -> str:
    """The token of `identifier` under `key`: 64 hex characters."""
    message = f"{identifier.type.value}:{identifier.value}".encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id from its parts, so a retried step yields the same id again."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}_{digest[:32]}"
