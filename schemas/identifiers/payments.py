"""Payment identifiers: UPI VPAs and bank accounts (account number within the bank of its IFSC)."""

from __future__ import annotations

import re

from schemas.identifiers.model import InvalidIdentifier, mask_middle, strip_separators

# NPCI: the handle is letters, digits, dots, hyphens and underscores; the PSP handle is letters.
_VPA = re.compile(r"(?P<handle>[a-z0-9][a-z0-9._-]{1,255})@(?P<psp>[a-z][a-z0-9]{1,63})")
IFSC = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
_LABELS = re.compile(r"IFSC|A/?C(COUNT)?(\s*(NO|NUMBER))?")


def canonical_upi(text: str) -> tuple[str, str, str]:
    """(VPA, masked, handle) of a UPI ID, or InvalidIdentifier."""
    vpa = text.strip().lower().removeprefix("upi://pay?pa=").split("&")[0]
    match = _VPA.fullmatch(vpa)
    if match is None:
        raise InvalidIdentifier(
            "upi.invalid",
            "a UPI ID is handle@psp, e.g. name.surname@okaxis: letters, digits, '.', '-', '_'",
        )
    handle = match["handle"]
    return vpa, f"{mask_middle(handle, 2, 2)}@{match['psp']}", handle


def _refuse_conflict(given: str, written: str) -> None:
    if given and written and given[:4] != written[:4]:
        raise InvalidIdentifier(
            "bank_account.ifsc_conflict", "the IFSC field and the IFSC in the value name two banks"
        )


def canonical_bank_account(text: str, ifsc: str | None) -> tuple[str, str]:
    """("<bank code>:<account number>", masked), or InvalidIdentifier.

    Account numbers are unique only within a bank, so the bank code (the IFSC's first four
    letters) is part of the canonical form; the branch part of the IFSC is not, because an
    account keeps its number when it moves branch.
    """
    upper = text.strip().upper()
    given = (ifsc or "").strip().upper()
    canonical = re.fullmatch(r"([A-Z]{4}):([0-9]{9,18})", upper)
    if canonical:  # already "<bank code>:<number>"
        bank, number = canonical.groups()
        _refuse_conflict(given, bank)
        return upper, f"{bank} {mask_middle(number, 0, 4)}"
    found = IFSC.search(upper)
    written = found.group() if found else ""
    _refuse_conflict(given, written)
    code = given or written
    if not code:
        raise InvalidIdentifier(
            "bank_account.ifsc_missing", "give the account's IFSC (e.g. SBIN0001234) with it"
        )
    if not IFSC.fullmatch(code):
        raise InvalidIdentifier(
            "bank_account.ifsc_invalid",
            "an IFSC is 4 letters, a zero, then 6 letters or digits (e.g. SBIN0001234)",
        )
    number = strip_separators(_LABELS.sub("", IFSC.sub("", upper)), " -./():,")
    if not re.fullmatch(r"[0-9]{9,18}", number):
        raise InvalidIdentifier(
            "bank_account.invalid_number", "an account number has 9 to 18 digits"
        )
    return f"{code[:4]}:{number}", f"{code[:4]} {mask_middle(number, 0, 4)}"
