"""The identifier canon: written forms officers use map to one canonical value."""

from __future__ import annotations

import pytest

from schemas.identifiers import IdentifierType, InvalidIdentifier, canonicalise

PHONE = IdentifierType.PHONE


@pytest.mark.parametrize(
    "written",
    [
        "+91 98765 43210",
        "098765-43210",
        "9876543210",
        "919876543210",
        "+91-98765.43210",
        "(0) 98765 43210",
        "tel:+91-98765-43210",
        "wa.me/919876543210",
        "https://wa.me/919876543210",
        "https://api.whatsapp.com/send?phone=919876543210&text=hi",
    ],
)
def test_every_written_form_of_an_indian_mobile_becomes_e164(written: str) -> None:
    identifier = canonicalise(PHONE, written)

    assert identifier.value == "+919876543210"
    assert identifier.masked == "+91 98•••••210"


def test_foreign_numbers_keep_their_country_code() -> None:
    assert canonicalise(PHONE, "+44 20 7946 0958").value == "+442079460958"


@pytest.mark.parametrize("written", ["12345", "+91 98765", "+91 98765 43210 99", "call me", "   "])
def test_invalid_phone_numbers_are_refused(written: str) -> None:
    with pytest.raises(InvalidIdentifier):
        canonicalise(PHONE, written)


@pytest.mark.parametrize(
    ("kind", "written", "canonical", "masked"),
    [
        (IdentifierType.UPI, " QuickCash@YBL ", "quickcash@ybl", "qu•••••sh@ybl"),
        (IdentifierType.BANK_ACCOUNT, "1234 5678 9012", "123456789012", "••••••••9012"),
        (
            IdentifierType.EMAIL,
            "Gang.Boss@Example.com",
            "gang.boss@example.com",
            "g••••••••@example.com",
        ),
        (IdentifierType.SOCIAL, "@Priya_Sharma_99", "priya_sharma_99", "pri••••••••••99"),
        (IdentifierType.IMEI, "49-015420-323751-8", "490154203237518", "•••••••••••7518"),
        (IdentifierType.IP, "103.21.4.9", "103.21.4.9", "103.21.•.•"),
    ],
)
def test_other_types_are_normalised_and_masked(
    kind: IdentifierType, written: str, canonical: str, masked: str
) -> None:
    identifier = canonicalise(kind, written)

    assert (identifier.value, identifier.masked) == (canonical, masked)


@pytest.mark.parametrize(
    ("kind", "written"),
    [
        (IdentifierType.UPI, "no-at-sign"),
        (IdentifierType.BANK_ACCOUNT, "12AB"),
        (IdentifierType.EMAIL, "not an email"),
        (IdentifierType.IMEI, "490154203237519"),  # wrong check digit
        (IdentifierType.IP, "999.1.1.1"),
        (IdentifierType.SOCIAL, "two words"),
    ],
)
def test_malformed_values_of_other_types_are_refused(kind: IdentifierType, written: str) -> None:
    with pytest.raises(InvalidIdentifier):
        canonicalise(kind, written)


def test_the_masked_form_never_contains_the_full_value() -> None:
    for kind, written in [(PHONE, "9876543210"), (IdentifierType.UPI, "quickcash@ybl")]:
        identifier = canonicalise(kind, written)
        assert identifier.value not in identifier.masked
