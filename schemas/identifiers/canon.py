"""One entry point for every type: canonicalise(type, written value) -> canonical identifiers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import TypedDict

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
from schemas.identifiers.payments import (
    canonical_bank_account,
    canonical_transaction_ref,
    canonical_upi,
    merchant_vpa,
    phone_handle,
)
from schemas.identifiers.phone import (
    canonical_phone,
    indian_mobile,
    national_digits,
)
from schemas.identifiers.social import canonical_social


class Qualifiers(TypedDict, total=False):
    """What qualifies a written value: `platform` an @handle, `ifsc` a bank account number or a
    12-digit transaction reference (for callers that pass them on as keywords)."""

    platform: str | None
    ifsc: str | None


MAX_LENGTH = 512
T = IdentifierType
BENIGN_NOTE = (
    "an emergency number or official helpline (the benign list): it never links complaints"
)


def canonicalise(
    type_: IdentifierType,
    raw: str,
    *,
    platform: str | None = None,
    ifsc: str | None = None,
    port: int | None = None,
    observed_at: datetime | None = None,
) -> tuple[CanonicalIdentifier, ...]:
    """The canonical identifier for `raw`, then any it implies; or raise InvalidIdentifier.

    `platform` qualifies a social @handle; `ifsc` a bank account number or a 12-digit
    transaction reference; `port` and `observed_at` an IP address (a carrier-grade NAT address
    links only with both). A UPI ID whose handle is an Indian mobile number (with or without an
    app's -2 or .1 suffix) also yields that phone number, so the two match.
    """
    text = raw.strip()
    if not text:
        raise InvalidIdentifier(f"{type_.value}.empty", "the value is empty")
    if len(text) > MAX_LENGTH:
        raise InvalidIdentifier(f"{type_.value}.too_long", f"longer than {MAX_LENGTH} characters")
    try:
        if type_ is T.IP:
            found: tuple[CanonicalIdentifier, ...] = (_ip(ascii_digits(text), port, observed_at),)
        elif port is not None or observed_at is not None:
            raise InvalidIdentifier(
                f"{type_.value}.ip_only", "a port and an observation time go with an ip only"
            )
        else:
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
        replace(identifier, benign=True, note=BENIGN_NOTE)
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
        return (_ip(text, None, None),)
    if type_ is T.IMEI:
        core, masked, why = canonical_imei(text)
        return (CanonicalIdentifier(T.IMEI, core, masked, generic=why is not None, note=why),)
    value, masked = {
        T.BANK_ACCOUNT: lambda: canonical_bank_account(text, ifsc),
        T.EMAIL: lambda: canonical_email(text),
        T.SOCIAL: lambda: canonical_social(text, platform),
        T.SIM: lambda: canonical_sim(text),
        T.CRYPTO_WALLET: lambda: canonical_wallet(text),
        T.TRANSACTION_REF: lambda: canonical_transaction_ref(text, ifsc),
    }[type_]()
    return (CanonicalIdentifier(type_, value, masked),)


def _ip(text: str, port: int | None, observed_at: datetime | None) -> CanonicalIdentifier:
    value, masked, why = canonical_ip(text, port=port, observed_at=observed_at)
    return CanonicalIdentifier(
        T.IP, value, masked, strength=Strength.WEAK, generic=why is not None, note=why
    )


def _phone(text: str) -> CanonicalIdentifier:
    digits = national_digits(text)
    # Helplines are not valid subscriber numbers, yet officers write them: accept listed ones.
    if is_short_code(digits) and digits in benign_entries().get(T.PHONE, ()):
        return CanonicalIdentifier(T.PHONE, f"short:{digits}", digits)
    value, masked, why = canonical_phone(text)
    return CanonicalIdentifier(T.PHONE, value, masked, generic=why is not None, note=why)


def _upi(text: str) -> tuple[CanonicalIdentifier, ...]:
    vpa, masked, handle = canonical_upi(text)
    merchant = merchant_vpa(vpa)
    if merchant is not None:
        masked = f"{masked} (merchant)"
    upi = CanonicalIdentifier(T.UPI, vpa, masked, merchant=merchant is not None, note=merchant)
    digits = phone_handle(handle)
    mobile = indian_mobile(digits) if digits else None
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
