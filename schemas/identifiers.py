"""The identifier canon: every written form of a perpetrator identifier to one canonical value.

Pure functions only (no I/O). The canonical value is what gets pseudonymised; it never leaves
intake. The masked form is what people and logs may see. `docs/identifiers.md` documents each type.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

import phonenumbers

MASK = "•"
DEFAULT_PHONE_REGION = "IN"


class IdentifierType(StrEnum):
    PHONE = "phone"
    UPI = "upi"
    BANK_ACCOUNT = "bank_account"
    EMAIL = "email"
    SOCIAL = "social"
    IMEI = "imei"
    IP = "ip"


class InvalidIdentifier(ValueError):
    """A submitted identifier value that the canon cannot accept; the message says why."""


@dataclass(frozen=True)
class CanonicalIdentifier:
    type: IdentifierType
    value: str
    masked: str


def canonicalise(type_: IdentifierType, raw: str) -> CanonicalIdentifier:
    """Normalise `raw` as an identifier of `type_`, or raise InvalidIdentifier saying why."""
    text = raw.strip()
    if not text:
        raise InvalidIdentifier("must not be empty")
    value, masked = _CANON[type_](text)
    return CanonicalIdentifier(type=type_, value=value, masked=masked)


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    hidden = max(len(text) - keep_start - keep_end, 1)
    return text[:keep_start] + MASK * hidden + text[len(text) - keep_end :]


_WHATSAPP_HOSTS = {"wa.me", "api.whatsapp.com", "web.whatsapp.com", "whatsapp.com"}


def _phone_text(text: str) -> str:
    """Strip the wrappers officers paste around numbers: tel: URIs and WhatsApp links."""
    if text.lower().startswith("tel:"):
        return text[4:]
    url = urlsplit(text if "://" in text else f"https://{text}")
    if url.hostname and url.hostname.lower().removeprefix("www.") in _WHATSAPP_HOSTS:
        phone = parse_qs(url.query).get("phone")
        return phone[0] if phone else url.path.strip("/")
    return text


def _phone(text: str) -> tuple[str, str]:
    candidate = _phone_text(text)
    digits = re.sub(r"[\s\-.()/]", "", candidate)
    # "919876543210" is an Indian number written without its plus sign.
    if re.fullmatch(r"91\d{10}", digits):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentifier(f"not a phone number ({error})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier("not a valid phone number for its country")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = str(number.national_number)
    return e164, f"+{number.country_code} {_mask_middle(national, 2, 3)}"


_UPI = re.compile(r"[a-z0-9][a-z0-9._-]{1,255}@[a-z][a-z0-9.-]{1,63}")


def _upi(text: str) -> tuple[str, str]:
    vpa = text.lower()
    if not _UPI.fullmatch(vpa):
        raise InvalidIdentifier("not a UPI ID of the form handle@psp")
    handle, psp = vpa.split("@")
    return vpa, f"{_mask_middle(handle, 2, 2)}@{psp}"


def _bank_account(text: str) -> tuple[str, str]:
    number = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\d{9,18}", number):
        raise InvalidIdentifier("an account number has 9 to 18 digits")
    return number, _mask_middle(number, 0, 4)


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def _email(text: str) -> tuple[str, str]:
    address = text.lower()
    if not _EMAIL.fullmatch(address):
        raise InvalidIdentifier("not an email address")
    local, domain = address.split("@")
    return address, f"{_mask_middle(local, 1, 0)}@{domain}"


def _social(text: str) -> tuple[str, str]:
    handle = text.lower().removeprefix("@")
    if len(handle) > 256 or re.search(r"\s", handle):
        raise InvalidIdentifier("a social profile is a URL or a handle without spaces")
    return handle, _mask_middle(handle, 3, 2)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _imei(text: str) -> tuple[str, str]:
    digits = re.sub(r"[\s\-/]", "", text)
    if not re.fullmatch(r"\d{15}", digits) or not _luhn_ok(digits):
        raise InvalidIdentifier("an IMEI has 15 digits with a valid check digit")
    return digits, _mask_middle(digits, 0, 4)


def _ip(text: str) -> tuple[str, str]:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidIdentifier("not an IPv4 or IPv6 address") from None
    shown = address.compressed
    if address.version == 4:
        return shown, ".".join([*shown.split(".")[:2], MASK, MASK])
    return shown, shown.split(":")[0] + ":" + MASK


_CANON: dict[IdentifierType, Callable[[str], tuple[str, str]]] = {
    IdentifierType.PHONE: _phone,
    IdentifierType.UPI: _upi,
    IdentifierType.BANK_ACCOUNT: _bank_account,
    IdentifierType.EMAIL: _email,
    IdentifierType.SOCIAL: _social,
    IdentifierType.IMEI: _imei,
    IdentifierType.IP: _ip,
}
