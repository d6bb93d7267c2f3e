"""One entry point for every type: canonicalise(type, written value) -> canonical identifiers."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from schemas.identifiers.benign import benign_entries, is_short_code
from schemas.identifiers.crypto import canonical_wallet
from schemas.identifiers.devices import canonical_imei, canonical_sim
from schemas.identifiers.email import canonical_email
from schemas.identifiers.model import (
    CanonicalIdentifier,
    IdentifierType,
    InvalidIdentifier,
    Strength,
    ascii_digits,
    mask_middle,
)
from schemas.identifiers.network import canonical_ip
from schemas.identifiers.payments import canonical_bank_account, canonical_upi
from schemas.identifiers.phone import canonical_phone, indian_mobile, national_digits
from schemas.identifiers.social import canonical_social

MAX_LENGTH = 512
T = IdentifierType


def canonicalise(
    type_: IdentifierType, raw: str, *, platform: str | None = None, ifsc: str | None = None
) -> tuple[CanonicalIdentifier, ...]:
    """The canonical identifier for `raw`, then any it implies; or raise InvalidIdentifier.

    `platform` qualifies a social @handle; `ifsc` a bank account number. A UPI ID whose
    handle is an Indian mobile number also yields that phone number, so the two match.
    """
    text = raw.strip()
    if not text:
        raise InvalidIdentifier(f"{type_.value}.empty", "the value is empty")
    if len(text) > MAX_LENGTH:
        raise InvalidIdentifier(f"{type_.value}.too_long", f"longer than {MAX_LENGTH} characters")
    try:
        found = _canonical(type_, ascii_digits(text), platform, ifsc)
    except InvalidIdentifier:
        raise
    except (ValueError, ArithmeticError, LookupError) as error:
        # A parser's own error on odd input; its message may quote the value, so drop it.
        raise InvalidIdentifier(
            f"{type_.value}.invalid", f"not a valid {type_.value} ({type(error).__name__})"
        ) from None
    benign = _benign_values()
    return tuple(
        replace(identifier, benign=True)
        if identifier.value in benign.get(identifier.type, ())
        else identifier
        for identifier in found
    )


def _canonical(
    type_: IdentifierType, text: str, platform: str | None, ifsc: str | None
) -> tuple[CanonicalIdentifier, ...]:
    if type_ is T.PHONE:
        return (_phone(text),)
    if type_ is T.UPI:
        return _upi(text)
    if type_ is T.IP:
        address, masked, _cgnat = canonical_ip(text)
        return (CanonicalIdentifier(T.IP, address, masked, strength=Strength.WEAK),)
    value, masked = {
        T.BANK_ACCOUNT: lambda: canonical_bank_account(text, ifsc),
        T.EMAIL: lambda: canonical_email(text),
        T.SOCIAL: lambda: canonical_social(text, platform),
        T.IMEI: lambda: canonical_imei(text),
        T.SIM: lambda: canonical_sim(text),
        T.CRYPTO_WALLET: lambda: canonical_wallet(text),
    }[type_]()
    return (CanonicalIdentifier(type_, value, masked),)


def _phone(text: str) -> CanonicalIdentifier:
    digits = national_digits(text)
    # Helplines are not valid subscriber numbers, yet officers write them: accept listed ones.
    if is_short_code(digits) and digits in benign_entries().get(T.PHONE, ()):
        return CanonicalIdentifier(T.PHONE, f"short:{digits}", digits)
    value, masked = canonical_phone(text)
    return CanonicalIdentifier(T.PHONE, value, masked)


def _upi(text: str) -> tuple[CanonicalIdentifier, ...]:
    vpa, masked, handle = canonical_upi(text)
    upi = CanonicalIdentifier(T.UPI, vpa, masked)
    mobile = indian_mobile(handle)
    if mobile is None:
        return (upi,)
    phone = CanonicalIdentifier(
        T.PHONE, mobile, f"+91 {mask_middle(mobile[3:], 2, 3)}", derived_from=T.UPI
    )
    return (upi, phone)


@cache
def _benign_values() -> dict[IdentifierType, frozenset[str]]:
    """The benign list in canonical form, so any written form of an entry is recognised."""
    canonical: dict[IdentifierType, frozenset[str]] = {}
    for kind, values in benign_entries().items():
        canonical[kind] = frozenset(
            _canonical(kind, value, None, None)[0].value for value in values
        )
    return canonical
