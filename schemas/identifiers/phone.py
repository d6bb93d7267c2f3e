"""Phone numbers: E.164 via libphonenumber, India as the default region."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import phonenumbers

from schemas.identifiers.model import InvalidIdentifier, mask_middle, strip_separators

DEFAULT_REGION = "IN"
# Numbers shared by everyone who calls a company: accepted, flagged generic, never linked.
_GENERIC_TYPES = {
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free number: a company's customer line",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number: a company's customer line",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate service number",
    phonenumbers.PhoneNumberType.UAN: "a universal access number: a company's customer line",
}
# TRAI's series for calls that are not from a person: 1600 for banks and other regulated
# financial entities' service and transaction calls, 140 for registered telemarketers.
_GENERIC_SERIES = {
    "+911600": "a bank's or regulated entity's service and transaction number (TRAI's 1600 series)",
    "+91140": "a registered telemarketer's number (TRAI's 140 series)",
}
_WHATSAPP_HOSTS = {"wa.me", "api.whatsapp.com", "web.whatsapp.com", "whatsapp.com"}


def unwrap(text: str) -> str:
    """Strip what officers paste around a number: tel: URIs and WhatsApp links."""
    if text.lower().startswith("tel:"):
        return text[4:]
    if "/" not in text and "." not in text.split("?")[0].lstrip("+0123456789 -()"):
        return text
    try:
        url = urlsplit(text if "://" in text else f"https://{text}")
        host = (url.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return text  # not a link after all; the digit check below says what is wrong
    if host in _WHATSAPP_HOSTS:
        # A literal "+" in the query would decode as a space and lose the country code.
        phone = parse_qs(url.query.replace("+", "%2B")).get("phone")
        return phone[0] if phone else url.path.strip("/").removeprefix("send")
    return text


def national_digits(text: str) -> str:
    """The digits a person typed, with separators and a `+` kept at the front only."""
    return strip_separators(unwrap(text.strip().removeprefix("short:")))


def canonical_phone(text: str) -> tuple[str, str, str | None]:
    """(E.164, masked, why it is generic or None) of a phone number, or InvalidIdentifier."""
    digits = national_digits(text)
    if not re.fullmatch(r"\+?[0-9]{3,17}", digits):
        raise InvalidIdentifier(
            "phone.not_a_number",
            "a phone number has only digits, spaces, dashes, dots, brackets and a leading +",
        )
    if re.fullmatch(r"(91|0091)[6-9]\d{9}", digits):
        digits = "+" + digits.removeprefix("00")  # an Indian mobile written without its plus
    elif digits.startswith("00"):
        digits = "+" + digits[2:]  # international dialling prefix
    try:
        number = phonenumbers.parse(digits, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier("phone.invalid", "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(
            "phone.invalid", "not a valid phone number for its country (check the digit count)"
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    masked = f"+{number.country_code} {mask_middle(str(number.national_number), 2, 3)}"
    return e164, masked, _generic(e164, number)


def indian_mobile(text: str) -> str | None:
    """The E.164 form of `text` if it is exactly a 10-digit Indian mobile number."""
    if not re.fullmatch(r"[6-9]\d{9}", text):
        return None
    number = phonenumbers.parse(text, DEFAULT_REGION)
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _generic(e164: str, number: phonenumbers.PhoneNumber) -> str | None:
    """Why the number is generic (reaches a company, not a person), or None."""
    for prefix, why in _GENERIC_SERIES.items():
        if e164.startswith(prefix):
            return why
    if e164.startswith("+91") and not e164.startswith("+911"):
        return None  # India's company lines all start with 1: spare the slow lookup
    return _GENERIC_TYPES.get(phonenumbers.number_type(number))
