"""Keyed pseudonym tokens: the only form in which an identifier crosses Kafka.

HMAC-SHA256 over "type:canonical" under a secret root key that only intake holds, so a token
cannot be reversed or recomputed from a guessed number without the key, yet equal identifiers
give equal tokens. Each key rotation adds a layer: the token is the previous token under the
rotation's key, HMAC-SHA256(rotation key, previous token). So the history is re-keyed from its
tokens alone (`rotated_token`), with no raw value and no store of inner values, and complaints
from before and after a rotation still match (docs/security.md, The pseudonymisation key). The
id of the last key applied travels beside each token.
"""

import hashlib
import hmac
from dataclasses import dataclass

from schemas.identifiers import CanonicalIdentifier


@dataclass(frozen=True)
class PseudonymKey:
    key_id: str  # of the last rotation, or of the root key if none
    secret: bytes  # the root key
    rotations: tuple[bytes, ...] = ()  # each rotation's key, oldest first


def pseudonym_token(identifier: CanonicalIdentifier, key: PseudonymKey) -> str:
    """The token of `identifier` under `key` and its rotations: 64 hex characters."""
    message = f"{identifier.type.value}:{identifier.value}".encode()
    token = hmac.new(key.secret, message, hashlib.sha256).hexdigest()
    for rotation in key.rotations:
        token = rotated_token(token, rotation)
    return token


def rotated_token(token: str, rotation: bytes) -> str:
    """What `token` becomes under one more rotation key."""
    return hmac.new(rotation, token.encode(), hashlib.sha256).hexdigest()


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id from its parts, so a retried step yields the same id again."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}_{digest[:32]}"
