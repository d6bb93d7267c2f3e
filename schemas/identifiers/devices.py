"""Handsets and SIMs: IMEI folded to its 14-digit core; ICCID and IMSI with their checks."""

from __future__ import annotations

import re

from schemas.identifiers.model import InvalidIdentifier, luhn_valid, mask_middle, strip_separators

_DIGITS = re.compile(r"[0-9]+")


def canonical_imei(text: str) -> tuple[str, str, str | None]:
    """(14-digit core, masked, why it is generic or None), from 14 digits, 15 with a Luhn
    digit, or a 16-digit IMEISV. A placeholder IMEI is accepted (as generic) whatever its last
    digit: handsets carry `123456789012345` as readily as a valid one."""
    digits = strip_separators(text.strip().upper().removeprefix("IMEI").strip(" :"))
    if not _DIGITS.fullmatch(digits):
        raise InvalidIdentifier("imei.not_digits", "an IMEI has only digits (dial *#06# to see it)")
    if len(digits) not in (14, 15, 16):
        raise InvalidIdentifier(
            "imei.bad_length", "an IMEI has 15 digits (14 without check digit, 16 as IMEISV)"
        )
    core = digits[:14]
    why = generic_imei(core)
    if why is None and len(digits) == 15 and not luhn_valid(digits):
        raise InvalidIdentifier(
            "imei.bad_check_digit", "the last digit of this IMEI does not match; re-check it"
        )
    return core, mask_middle(core, 0, 4), why


_RUNS = ("01234567890123456789", "98765432109876543210")


def generic_imei(core: str) -> str | None:
    """Why the 14-digit core cannot point at one handset, or None. Cheap handsets ship with
    placeholder or cloned IMEIs, one of them found on thousands of phones."""
    if len(set(core)) == 1:
        return "every digit the same: a placeholder IMEI that many handsets carry"
    if any(core in run for run in _RUNS):
        return "a run of consecutive digits: a placeholder IMEI that many handsets carry"
    if core.startswith("00"):
        return "a test IMEI (reporting body 00), never allocated to a handset; cloned ones carry it"
    return None


def canonical_sim(text: str) -> tuple[str, str]:
    """("iccid:<digits>" or "imsi:<digits>", masked), or InvalidIdentifier."""
    digits = strip_separators(text.strip().lower().removeprefix("iccid:").removeprefix("imsi:"))
    if not _DIGITS.fullmatch(digits):
        raise InvalidIdentifier("sim.not_digits", "a SIM's ICCID or IMSI has only digits")
    if len(digits) == 15:
        return f"imsi:{digits}", f"IMSI {digits[:5]}{mask_middle(digits[5:], 0, 3)}"
    if len(digits) in (19, 20) and re.match(r"89", digits):
        if not luhn_valid(digits):
            raise InvalidIdentifier(
                "sim.bad_check_digit", "the last digit of this ICCID does not match; re-check it"
            )
        return f"iccid:{digits}", f"ICCID {mask_middle(digits, 4, 3)}"
    raise InvalidIdentifier(
        "sim.bad_length", "a SIM number is an ICCID (19-20 digits, starting 89) or an IMSI (15)"
    )
