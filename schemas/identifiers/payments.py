"""Payment identifiers: UPI VPAs and bank accounts (account number within the bank of its IFSC)."""

from __future__ import annotations

import re

from schemas.identifiers.model import InvalidIdentifier, mask_middle, strip_separators

# NPCI: the handle is letters, digits, dots, hyphens and underscores; the PSP handle is letters.
_VPA = re.compile(r"(?P<handle>[a-z0-9][a-z0-9._-]{1,255})@(?P<psp>[a-z][a-z0-9]{1,63})")
IFSC = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
# A handle that is a mobile number, with the suffix apps add for a second VPA (-2, .1).
_PHONE_HANDLE = re.compile(r"([6-9][0-9]{9})(?:[-.][0-9]{1,2})?")
# Merchant VPAs, by the forms the PSPs issue for merchant QR codes: (handle, PSP, what it is).
_MERCHANTS = (
    (re.compile(r"paytmqr[a-z0-9]+"), None, "a Paytm merchant QR code's VPA"),
    (re.compile(r"bharatpe[a-z0-9.]*"), None, "a BharatPe merchant's VPA"),
    (re.compile(r"q[0-9]{6,}"), "ybl", "a PhonePe merchant QR code's VPA"),
    (None, "okbizaxis", "a Google Pay for Business merchant's VPA"),
)
# Transaction references: RTGS UTR (22: bank code, R, channel, date, serial), NEFT UTR (16: bank
# code then 12 letters or digits), IMPS and UPI reference numbers (RRN: 12 digits, unique only
# within the bank that issued it).
_RTGS_UTR = re.compile(r"[A-Z]{4}R[A-Z0-9][0-9]{16}")
_NEFT_UTR = re.compile(r"[A-Z]{4}[A-Z0-9]{12}")
_RRN = re.compile(r"[0-9]{12}")
_BANK = re.compile(r"[A-Z]{4}(0[A-Z0-9]{6})?")
_CANONICAL_RRN = re.compile(r"RRN:([A-Z]{4}):([0-9]{12})")
_REF_LABELS = re.compile(r"^(UTR|RRN|UPI REF|REF)\.?(\s*(NO|NUMBER)\.?)?\s*:?\s*")
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


def phone_handle(handle: str) -> str | None:
    """The mobile number a VPA's handle is made of (9876543210, 9876543210-2), or None."""
    match = _PHONE_HANDLE.fullmatch(handle)
    return match[1] if match else None


def merchant_vpa(vpa: str) -> str | None:
    """What kind of merchant VPA `vpa` (canonical) is, or None for a person's."""
    handle, _, psp = vpa.rpartition("@")
    for pattern, merchant_psp, what in _MERCHANTS:
        if (pattern is None or pattern.fullmatch(handle)) and merchant_psp in (None, psp):
            return what
    return None


def canonical_transaction_ref(text: str, bank: str | None) -> tuple[str, str]:
    """("utr:<UTR>" or "rrn:<bank code>:<RRN>", masked), or InvalidIdentifier. A UTR names its
    bank in its first four letters; a 12-digit RRN needs the bank's IFSC or code beside it."""
    upper = text.strip().upper()
    canonical = _CANONICAL_RRN.fullmatch(upper)
    if canonical:
        _refuse_other_bank(bank, canonical[1])
        bank, upper = canonical.groups()
    reference = strip_separators(_REF_LABELS.sub("", upper), " -./")
    if _RTGS_UTR.fullmatch(reference) or _NEFT_UTR.fullmatch(reference):
        _refuse_other_bank(bank, reference[:4])
        return f"utr:{reference}", f"UTR {reference[:4]}{mask_middle(reference[4:], 0, 4)}"
    if not _RRN.fullmatch(reference):
        raise InvalidIdentifier(
            "transaction_ref.invalid",
            "a UTR has 16 (NEFT) or 22 (RTGS) letters and digits starting with the bank's code; "
            "an IMPS or UPI reference (RRN) has 12 digits",
        )
    code = (bank or "").strip().upper()
    if not code:
        raise InvalidIdentifier(
            "transaction_ref.bank_missing",
            "a 12-digit reference is unique only within its bank: give the bank's IFSC or "
            "4-letter code (SBIN) in `ifsc`",
        )
    if not _BANK.fullmatch(code):
        raise InvalidIdentifier(
            "transaction_ref.bank_invalid", "give the bank's IFSC (SBIN0001234) or its code (SBIN)"
        )
    return f"rrn:{code[:4]}:{reference}", f"RRN {code[:4]} {mask_middle(reference, 0, 4)}"


def _refuse_other_bank(given: str | None, named: str) -> None:
    if given and given.strip().upper()[:4] != named:
        raise InvalidIdentifier(
            "transaction_ref.bank_conflict", "the ifsc field and the reference name two banks"
        )


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
