"""The canon for India's everyday values: company lines and placeholder IMEIs that must never
link, helplines that are benign, phone-derived and merchant UPI IDs, transaction references,
WhatsApp groups and channels, and India's own social platforms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Unpack

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.identifiers import (
    CanonicalIdentifier,
    IdentifierType,
    InvalidIdentifier,
    Qualifiers,
    Strength,
    canonicalise,
)

T = IdentifierType
G = "F8b3KqLmN2pQrS7tUvWx1y"  # a WhatsApp group's invite code
C = "0029VaK1b2C3d4E5f6G7h8I9"  # a WhatsApp channel's id


def one(
    kind: IdentifierType, written: str, **qualifiers: Unpack[Qualifiers]
) -> CanonicalIdentifier:
    return canonicalise(kind, written, **qualifiers)[0]


def refusal(kind: IdentifierType, written: str, **qualifiers: Unpack[Qualifiers]) -> str:
    with pytest.raises(InvalidIdentifier) as refused:
        canonicalise(kind, written, **qualifiers)
    return refused.value.code


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("1600-01-8000", "1600 series"),
        ("1600 22 3344", "1600 series"),
        ("1400012345", "140 series"),
        ("1800 425 3800", "toll-free"),
        ("1800-11-4000", "toll-free"),
        ("1860 233 7600", "shared-cost"),
    ],
)
def test_company_lines_are_accepted_flagged_generic_and_say_why(written: str, why: str) -> None:
    phone = one(T.PHONE, written)

    assert phone.generic
    assert not phone.benign
    assert phone.note is not None
    assert why in phone.note


@pytest.mark.parametrize("written", ["155260", "1915", "1947", "139"])
def test_official_helplines_are_accepted_as_benign(written: str) -> None:
    phone = one(T.PHONE, written)

    assert phone.value == f"short:{written}"
    assert phone.benign


@pytest.mark.parametrize("written", ["+91 98765 43210", "011 2345 6789", "+44 20 7946 0958"])
def test_a_persons_number_is_neither_generic_nor_benign(written: str) -> None:
    phone = one(T.PHONE, written)

    assert (phone.generic, phone.benign, phone.note) == (False, False, None)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("111111111111119", "every digit the same"),
        ("000000000000000", "every digit the same"),
        ("01234567890123", "consecutive digits"),
        ("12345678901234", "consecutive digits"),
        ("004999010640000", "test IMEI"),
        ("123456789012345", "consecutive digits"),  # no valid check digit: accepted all the same
        ("111111111111111", "every digit the same"),
    ],
)
def test_placeholder_and_test_imeis_are_flagged_generic(written: str, why: str) -> None:
    imei = one(T.IMEI, written)

    assert imei.generic
    assert imei.note is not None
    assert why in imei.note


@pytest.mark.parametrize("written", ["490154203237518", "23456789987654", "35209900176148"])
def test_a_real_handsets_imei_is_not_generic(written: str) -> None:
    assert not one(T.IMEI, written).generic


@pytest.mark.parametrize("written", ["9876543210-2@ybl", "9876543210.1@paytm", "9876543210@ybl"])
def test_a_vpa_made_of_a_mobile_number_and_an_apps_suffix_links_to_the_phone(
    written: str,
) -> None:
    upi, phone = canonicalise(T.UPI, written)

    assert upi.value == written.lower()
    assert (phone.type, phone.value, phone.derived_from) == (T.PHONE, "+919876543210", T.UPI)


@pytest.mark.parametrize("written", ["98765432101@ybl", "9876543210-123@ybl", "1234567890-2@ybl"])
def test_a_handle_that_only_looks_like_a_number_yields_no_phone(written: str) -> None:
    assert [i.type for i in canonicalise(T.UPI, written)] == [T.UPI]


@pytest.mark.parametrize(
    ("written", "what"),
    [
        ("paytmqr28100505010111abcd@paytm", "Paytm"),
        ("BHARATPE09912345678@yesbankltd", "BharatPe"),
        ("Q123456789@ybl", "PhonePe"),
        ("freshmart@okbizaxis", "Google Pay for Business"),
    ],
)
def test_merchant_vpas_are_recognised_shown_as_such_and_still_link(written: str, what: str) -> None:
    upi = one(T.UPI, written)

    assert upi.merchant
    assert not upi.generic
    assert upi.masked.endswith("(merchant)")
    assert upi.note is not None
    assert what in upi.note


def test_a_persons_vpa_is_not_a_merchants() -> None:
    assert not one(T.UPI, "quickcash@ybl").merchant


@pytest.mark.parametrize(
    ("written", "bank", "expected"),
    [
        ("SBINN24335123456", None, "utr:SBINN24335123456"),
        ("UTR No. sbinn24335123456", None, "utr:SBINN24335123456"),
        ("UTR No.: SBINN24335123456", None, "utr:SBINN24335123456"),
        ("UPI Ref. No. 412345678901", "SBIN", "rrn:SBIN:412345678901"),
        ("HDFCR52024112500000012", None, "utr:HDFCR52024112500000012"),
        ("4123 4567 8901", "SBIN0001234", "rrn:SBIN:412345678901"),
        ("RRN: 412345678901", "sbin", "rrn:SBIN:412345678901"),
        ("rrn:SBIN:412345678901", None, "rrn:SBIN:412345678901"),
        ("utr:SBINN24335123456", None, "utr:SBINN24335123456"),
    ],
)
def test_transaction_references_written_forms(
    written: str, bank: str | None, expected: str
) -> None:
    ref = one(T.TRANSACTION_REF, written, **({"ifsc": bank} if bank else {}))

    assert ref.value == expected
    digits = expected.rpartition(":")[2]
    assert ref.masked.endswith(digits[-4:])
    assert digits[-8:-4] not in ref.masked


@pytest.mark.parametrize(
    ("written", "bank", "code"),
    [
        ("412345678901", None, "transaction_ref.bank_missing"),
        ("412345678901", "State Bank", "transaction_ref.bank_invalid"),
        ("12345", None, "transaction_ref.invalid"),
        ("SBIN-N24-335", None, "transaction_ref.invalid"),
        ("SBINN24335123456", "HDFC0001234", "transaction_ref.bank_conflict"),
        ("rrn:SBIN:412345678901", "HDFC", "transaction_ref.bank_conflict"),
    ],
)
def test_bad_transaction_references_are_refused_with_a_code(
    written: str, bank: str | None, code: str
) -> None:
    assert refusal(T.TRANSACTION_REF, written, **({"ifsc": bank} if bank else {})) == code


@given(st.from_regex(r"[A-Z]{4}N[0-9]{11}", fullmatch=True), st.sampled_from(["", " ", "-"]))
def test_a_utr_written_with_separators_is_one_value_and_its_canonical_form_is_stable(
    utr: str, separator: str
) -> None:
    written = separator.join([utr[:4], utr[4:10], utr[10:]])
    value = one(T.TRANSACTION_REF, written).value

    assert value == f"utr:{utr}"
    assert one(T.TRANSACTION_REF, value).value == value


@pytest.mark.parametrize(
    ("written", "platform", "expected"),
    [
        (f"https://chat.whatsapp.com/{G}", None, f"whatsapp:group:{G}"),
        (f"chat.whatsapp.com/{G}", None, f"whatsapp:group:{G}"),
        (f"https://www.whatsapp.com/channel/{C}", None, f"whatsapp:channel:{C}"),
        (f"whatsapp:group:{G}", None, f"whatsapp:group:{G}"),
        ("https://sharechat.com/profile/ravi_99", None, "sharechat:ravi_99"),
        ("https://mojapp.in/@Ravi_99", None, "moj:ravi_99"),
        ("https://mojapp.in/profile/ravi_99", None, "moj:ravi_99"),
        ("https://share.myjosh.in/profile/ravi99", None, "josh:ravi99"),
        ("@ravi99", "josh", "josh:ravi99"),
        ("ravi_99", "sharechat", "sharechat:ravi_99"),
    ],
)
def test_whatsapp_groups_channels_and_indian_platforms_profiles(
    written: str, platform: str | None, expected: str
) -> None:
    assert one(T.SOCIAL, written, **({"platform": platform} if platform else {})).value == expected


def test_a_whatsapp_group_shows_as_a_group_not_a_handle() -> None:
    masked = one(T.SOCIAL, f"https://chat.whatsapp.com/{G}").masked

    assert masked.startswith("whatsapp group F8")
    assert "KqLmN2pQ" not in masked


@pytest.mark.parametrize(
    ("written", "platform", "code"),
    [
        ("@ravi", "whatsapp", "social.whatsapp_link_required"),
        ("https://chat.whatsapp.com/", None, "social.not_a_profile"),
        ("https://www.whatsapp.com/channel/", None, "social.not_a_profile"),
        ("https://sharechat.com/post/abc123", None, "social.not_a_profile"),
        ("https://mojapp.in/video/123", None, "social.not_a_profile"),
        ("https://sharechat.com/profile", None, "social.not_a_profile"),
        ("https://sharechat.com/u/123", None, "social.not_a_profile"),
        ("whatsapp:ravi", None, "social.whatsapp_link_required"),
        ("whatsapp:9876543210", None, "social.whatsapp_link_required"),
    ],
)
def test_whatsapp_and_indian_platform_links_that_name_no_profile_are_refused(
    written: str, platform: str | None, code: str
) -> None:
    assert refusal(T.SOCIAL, written, **({"platform": platform} if platform else {})) == code


AT = datetime(2026, 11, 20, 14, 2, 11, tzinfo=UTC)


def test_ipv6_addresses_in_one_64_are_one_weak_identifier() -> None:
    privacy = one(T.IP, "2401:4900:1c3a:22f3:8d1e:4b2a:91c0:7f11")
    rotated = one(T.IP, "2401:4900:1c3a:22f3::abcd")
    neighbour = one(T.IP, "2401:4900:1c3a:22f4::abcd")

    assert privacy.value == rotated.value == "2401:4900:1c3a:22f3::/64"
    assert neighbour.value != privacy.value
    assert privacy.strength is Strength.WEAK
    assert privacy.masked == "2401:4900:•/64"


def test_a_cgnat_address_without_port_and_time_is_generic() -> None:
    for port, observed_at in ((None, None), (40123, None), (None, AT)):
        ip = canonicalise(T.IP, "100.64.12.7", port=port, observed_at=observed_at)[0]

        assert ip.generic
        assert ip.note is not None
        assert "port" in ip.note


def test_a_cgnat_address_with_port_and_time_is_one_identifier_per_port_and_minute() -> None:
    seen = canonicalise(T.IP, "100.64.12.7", port=40123, observed_at=AT)[0]
    same_minute = canonicalise(T.IP, "100.64.12.7", port=40123, observed_at=AT.replace(second=59))
    other_port = canonicalise(T.IP, "100.64.12.7", port=40124, observed_at=AT)
    next_minute = canonicalise(T.IP, "100.64.12.7", port=40123, observed_at=AT.replace(minute=3))

    assert seen.value == "100.64.12.7:40123@2026-11-20T14:02Z"
    assert not seen.generic
    assert same_minute[0].value == seen.value
    assert other_port[0].value != seen.value
    assert next_minute[0].value != seen.value
    assert one(T.IP, seen.value).value == seen.value  # its canonical form reads back


def test_the_minute_of_a_cgnat_observation_is_taken_in_utc() -> None:
    ist = AT.astimezone(timezone(timedelta(hours=5, minutes=30)))

    assert (
        canonicalise(T.IP, "100.64.12.7", port=1, observed_at=ist)[0].value
        == canonicalise(T.IP, "100.64.12.7", port=1, observed_at=AT)[0].value
    )


def test_a_public_ipv4_ignores_the_port_for_its_identity() -> None:
    assert canonicalise(T.IP, "103.21.4.9", port=443, observed_at=AT)[0].value == "103.21.4.9"


def test_a_port_or_time_on_another_type_is_refused() -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        canonicalise(T.PHONE, "+91 98765 43210", port=5060)

    assert refused.value.code == "phone.ip_only"


@pytest.mark.parametrize(
    ("written", "port", "code"),
    [
        ("100.64.12.7", 0, "ip.bad_port"),
        ("100.64.12.7", 65536, "ip.bad_port"),
        ("100.64.12.7:99999@2026-11-20T14:02Z", None, "ip.bad_port"),
        ("8.8.8.8:443@2026-11-20T14:02Z", None, "ip.invalid"),
        ("100.64.12.7:443@2026-11-20T14:02Z", 443, "ip.invalid"),
    ],
)
def test_a_bad_port_or_a_mixed_up_cgnat_form_is_refused(
    written: str, port: int | None, code: str
) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        canonicalise(T.IP, written, port=port, observed_at=AT if port else None)

    assert refused.value.code == code


@given(
    port=st.integers(1, 65535),
    observed_at=st.datetimes(
        min_value=datetime(2000, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.timezones()
    ),
)
def test_an_observed_cgnat_address_reads_back_from_its_canonical_form(
    port: int, observed_at: datetime
) -> None:
    value = canonicalise(T.IP, "100.64.12.7", port=port, observed_at=observed_at)[0].value

    assert one(T.IP, value).value == value
