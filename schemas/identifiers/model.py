"""The canon's vocabulary: identifier types, the canonical result, and the one error it raises."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MASK = "•"


class IdentifierType(StrEnum):
    PHONE = "phone"
    UPI = "upi"
    BANK_ACCOUNT = "bank_account"
    EMAIL = "email"
    SOCIAL = "social"
    IMEI = "imei"
    SIM = "sim"
    IP = "ip"
    CRYPTO_WALLET = "crypto_wallet"
    TRANSACTION_REF = "transaction_ref"


class Strength(StrEnum):
    """Strong identifiers point at one perpetrator; weak ones (IPs) are shared by many people."""

    STRONG = "strong"
    WEAK = "weak"


@dataclass(frozen=True)
class CanonicalIdentifier:
    """A value in canonical form. `benign` (a helpline a victim called) and `generic` (shared by
    unrelated people: a bank's call number, a cloned IMEI) never link complaints; `merchant`
    marks a payment aggregator's merchant VPA, which links like any other. `note` says why, in
    words an integrator can pass on (intake's answer lists it)."""

    type: IdentifierType
    value: str
    masked: str
    strength: Strength = Strength.STRONG
    benign: bool = False
    derived_from: IdentifierType | None = None
    generic: bool = False
    merchant: bool = False
    note: str | None = None


class InvalidIdentifier(ValueError):
    """A value the canon refuses: `code` is stable for machines, the message is for officers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    """Hide all but the first `keep_start` and last `keep_end` characters (at least one hidden)."""
    keep_start, keep_end = min(keep_start, len(text) // 3), min(keep_end, len(text) // 3)
    hidden = max(len(text) - keep_start - keep_end, 1)
    return text[:keep_start] + MASK * hidden + text[len(text) - keep_end :]


def ascii_digits(text: str) -> str:
    """Devanagari, Bengali, fullwidth and other decimal digits as 0-9; everything else as is."""
    return "".join(
        str(unicodedata.decimal(char, "")) or char if not char.isascii() else char for char in text
    )


def strip_separators(text: str, separators: str = " -./()") -> str:
    return text.translate({ord(char): None for char in separators})


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
