"""The identifier canon, type by type: each written form to its canonical value or error code."""

from __future__ import annotations

from typing import Unpack

import pytest

from schemas.identifiers import (
    IdentifierType,
    InvalidIdentifier,
    Qualifiers,
    Strength,
    canonicalise,
)

T = IdentifierType


def canonical(kind: IdentifierType, written: str, **qualifiers: Unpack[Qualifiers]) -> str:
    return canonicalise(kind, written, **qualifiers)[0].value


def refusal(kind: IdentifierType, written: str, **qualifiers: Unpack[Qualifiers]) -> str:
    with pytest.raises(InvalidIdentifier) as refused:
        canonicalise(kind, written, **qualifiers)
    return refused.value.code


MOBILE = "+919876543210"
PHONES = [
    ("+91 98765 43210", MOBILE), ("+91-98765-43210", MOBILE), ("+919876543210", MOBILE),
    ("098765-43210", MOBILE), ("09876543210", MOBILE), ("9876543210", MOBILE),
    ("98765 43210", MOBILE), ("919876543210", MOBILE), ("0091 98765 43210", MOBILE),
    ("(+91) 98765.43210", MOBILE), ("(0) 98765 43210", MOBILE), ("tel:+91-98765-43210", MOBILE),
    ("wa.me/919876543210", MOBILE), ("https://wa.me/919876543210", MOBILE),
    ("https://api.whatsapp.com/send?phone=919876543210&text=hi", MOBILE),
    ("api.whatsapp.com/send?phone=+919876543210", MOBILE), ("  9876543210  ", MOBILE),
    ("+44 20 7946 0958", "+442079460958"), ("+1 (415) 555-2671", "+14155552671"),
    ("+977 9841234567", "+9779841234567"), ("+92 300 1234567", "+923001234567"),
    ("011 2345 6789", "+911123456789"), ("https://wa.me/?phone=+447946095800", "+447946095800"), ("112", "short:112"), ("1930", "short:1930"),
]  # fmt: skip
UPIS = [
    ("quickcash@ybl", "quickcash@ybl"), ("QuickCash@YBL", "quickcash@ybl"),
    ("  quickcash@ybl ", "quickcash@ybl"), ("quick.cash@okaxis", "quick.cash@okaxis"),
    ("quick_cash@okhdfcbank", "quick_cash@okhdfcbank"), ("quick-cash@paytm", "quick-cash@paytm"),
    ("9876543210@ybl", "9876543210@ybl"), ("9876543210@PAYTM", "9876543210@paytm"),
    ("upi://pay?pa=quickcash@ybl&pn=Shop", "quickcash@ybl"), ("loan.help99@axl", "loan.help99@axl"),
    ("RAHUL.K@OKICICI", "rahul.k@okicici"), ("r2k@ibl", "r2k@ibl"),
    ("merchant.1234@upi", "merchant.1234@upi"), ("abc.def.ghi@oksbi", "abc.def.ghi@oksbi"),
    ("9876543210-2@ybl", "9876543210-2@ybl"), ("x9@apl", "x9@apl"),
]  # fmt: skip
SOCIALS = [
    ("https://www.facebook.com/priya.sharma.99", {}, "facebook:priya.sharma.99"),
    ("facebook.com/Priya.Sharma.99/", {}, "facebook:priya.sharma.99"),
    ("https://m.facebook.com/priya.sharma.99?ref=bookmarks", {}, "facebook:priya.sharma.99"),
    ("fb.com/priya.sharma.99", {}, "facebook:priya.sharma.99"),
    ("https://www.facebook.com/profile.php?id=100012345678", {}, "facebook:id:100012345678"),
    ("https://www.facebook.com/100012345678", {}, "facebook:id:100012345678"),
    ("https://www.facebook.com/people/Priya-Sharma/100012345678/", {}, "facebook:id:100012345678"),
    ("https://www.instagram.com/stories/priya_99/3141592653/", {}, "instagram:priya_99"),
    ("https://www.youtube.com/c/LoanHelp", {}, "youtube:c:loanhelp"),
    ("https://www.youtube.com/channel/UCxyz-AbC_123", {}, "youtube:channel:UCxyz-AbC_123"),
    ("https://instagram.com/Priya_99", {}, "instagram:priya_99"),
    ("www.instagram.com/priya_99/?igsh=abc", {}, "instagram:priya_99"),
    ("@Priya_99", {"platform": "instagram"}, "instagram:priya_99"),
    ("priya_99", {"platform": "IG"}, "instagram:priya_99"),
    ("t.me/ScamBoss", {}, "telegram:scamboss"),
    ("https://telegram.me/scamboss", {}, "telegram:scamboss"),
    ("https://x.com/ScamBoss", {}, "x:scamboss"),
    ("twitter.com/scamboss/status/123", {}, "x:scamboss"),
    ("@scamboss", {"platform": "twitter"}, "x:scamboss"),
    ("https://www.youtube.com/@LoanHelp", {}, "youtube:loanhelp"),
    ("https://www.snapchat.com/add/priya.99", {}, "snapchat:priya.99"),
    ("instagram:priya_99", {}, "instagram:priya_99"),
]  # fmt: skip
IMEI_CORE = "49015420323751"
IMEIS = [
    ("490154203237518", IMEI_CORE), ("49 015420 323751 8", IMEI_CORE),
    ("49-015420-323751-8", IMEI_CORE), ("IMEI: 490154203237518", IMEI_CORE),
    ("IMEI 49-015420-323751-8", IMEI_CORE), ("imei:490154203237518", IMEI_CORE),
    ("4901 5420 3237 518", IMEI_CORE), ("49015420323751", IMEI_CORE),
    ("4901542032375101", IMEI_CORE), ("4901542032375199", IMEI_CORE),
    ("490154/203237/518", IMEI_CORE), (" 490154203237518 ", IMEI_CORE),
    ("49.015420.323751.8", IMEI_CORE), ("352099001761481", "35209900176148"),
    ("35-209900-176148-1", "35209900176148"), ("35209900176148", "35209900176148"),
    ("\u096a\u096f\u0966\u0967\u096b\u096a\u0968\u0966\u0969\u0968\u0969\u096d\u096b\u0967\u096e", IMEI_CORE),
]  # fmt: skip


@pytest.mark.parametrize(("written", "expected"), PHONES)
def test_phone_written_forms(written: str, expected: str) -> None:
    assert canonical(T.PHONE, written) == expected


@pytest.mark.parametrize(("written", "expected"), UPIS)
def test_upi_written_forms(written: str, expected: str) -> None:
    assert canonical(T.UPI, written) == expected


@pytest.mark.parametrize(("written", "qualifiers", "expected"), SOCIALS)
def test_social_written_forms(written: str, qualifiers: Qualifiers, expected: str) -> None:
    assert canonical(T.SOCIAL, written, **qualifiers) == expected


@pytest.mark.parametrize(("written", "expected"), IMEIS)
def test_imei_written_forms_fold_to_the_14_digit_core(written: str, expected: str) -> None:
    assert canonical(T.IMEI, written) == expected


@pytest.mark.parametrize(
    ("kind", "written", "qualifiers", "expected"),
    [
        (T.BANK_ACCOUNT, "123456789012", {"ifsc": "SBIN0001234"}, "SBIN:123456789012"),
        (T.BANK_ACCOUNT, "1234 5678 9012", {"ifsc": "sbin0009999"}, "SBIN:123456789012"),
        (T.BANK_ACCOUNT, "A/c 1234-5678-9012 IFSC SBIN0001234", {}, "SBIN:123456789012"),
        (T.BANK_ACCOUNT, "SBIN0001234 / 123456789012", {}, "SBIN:123456789012"),
        (T.BANK_ACCOUNT, "50100123456789", {"ifsc": "HDFC0000123"}, "HDFC:50100123456789"),
        (T.BANK_ACCOUNT, "SBIN:123456789012", {}, "SBIN:123456789012"),
        (T.EMAIL, "Gang.Boss@Example.com", {}, "gang.boss@example.com"),
        (T.EMAIL, " gang.boss+loans@gmail.com ", {}, "gangboss@gmail.com"),
        (T.EMAIL, "G.a.n.g.boss@googlemail.com", {}, "gangboss@gmail.com"),
        (T.EMAIL, "gang.boss+x@outlook.com", {}, "gang.boss@outlook.com"),
        (T.EMAIL, "mailto:boss@bücher.de", {}, "boss@xn--bcher-kva.de"),
        (T.EMAIL, "boss@rediffmail.com", {}, "boss@rediffmail.com"),
        (T.SIM, "8991 4509 1234 5678 901", {}, "iccid:8991450912345678901"),
        (T.SIM, "89914509123456789017", {}, "iccid:89914509123456789017"),
        (T.SIM, "404451234567890", {}, "imsi:404451234567890"),
        (T.SIM, "405-86-1234567890", {}, "imsi:405861234567890"),
        (T.SIM, "iccid:8991450912345678901", {}, "iccid:8991450912345678901"),
        (T.IP, "103.21.4.9", {}, "103.21.4.9"),
        (T.IP, " 49.36.128.1 ", {}, "49.36.128.1"),
        (T.IP, "2401:4900:0000:0000:0000:0000:0000:0001", {}, "2401:4900::/64"),
        (T.IP, "[2401:4900::1]", {}, "2401:4900::/64"),
        (T.IP, "::ffff:103.21.4.9", {}, "103.21.4.9"),
        (T.IP, "100.64.12.7", {}, "100.64.12.7"),
        (T.CRYPTO_WALLET, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", {}, "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        (T.CRYPTO_WALLET, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", {}, "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
        (T.CRYPTO_WALLET, "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", {}, "btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        (T.CRYPTO_WALLET, "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", {}, "btc:bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"),
        (T.CRYPTO_WALLET, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", {}, "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
        (T.CRYPTO_WALLET, "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", {}, "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
        (T.CRYPTO_WALLET, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", {}, "trx:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
    ],
)  # fmt: skip
def test_other_types_written_forms(
    kind: IdentifierType, written: str, qualifiers: Qualifiers, expected: str
) -> None:
    assert canonical(kind, written, **qualifiers) == expected


@pytest.mark.parametrize(
    ("kind", "written", "qualifiers", "code"),
    [
        (T.PHONE, "12345", {}, "phone.invalid"),
        (T.PHONE, "+91 98765", {}, "phone.invalid"),
        (T.PHONE, "+91 98765 43210 99", {}, "phone.invalid"),
        (T.PHONE, "call me", {}, "phone.not_a_number"),
        (T.PHONE, "   ", {}, "phone.empty"),
        (T.PHONE, "9" * 600, {}, "phone.too_long"),
        (T.UPI, "no-at-sign", {}, "upi.invalid"),
        (T.UPI, "a@ybl", {}, "upi.invalid"),
        (T.UPI, "name@1bank", {}, "upi.invalid"),
        (T.UPI, "name with space@ybl", {}, "upi.invalid"),
        (T.BANK_ACCOUNT, "123456789012", {}, "bank_account.ifsc_missing"),
        (T.BANK_ACCOUNT, "123456789012", {"ifsc": "SBIN1001234"}, "bank_account.ifsc_invalid"),
        (T.BANK_ACCOUNT, "12345678", {"ifsc": "SBIN0001234"}, "bank_account.invalid_number"),
        (T.BANK_ACCOUNT, "12AB5678901", {"ifsc": "SBIN0001234"}, "bank_account.invalid_number"),
        (T.BANK_ACCOUNT, "1234567890123456789", {"ifsc": "SBIN0001234"}, "bank_account.invalid_number"),
        (T.EMAIL, "not an email", {}, "email.invalid"),
        (T.EMAIL, "boss@localhost", {}, "email.bad_domain"),
        (T.EMAIL, "a..b@example.com", {}, "email.invalid"),
        (T.EMAIL, "boss@exa mple.com", {}, "email.bad_domain"),
        (T.EMAIL, "+tag@gmail.com", {}, "email.invalid"),
        (T.SOCIAL, "priya_99", {}, "social.platform_required"),
        (T.SOCIAL, "priya_99", {"platform": "myspace"}, "social.unknown_platform"),
        (T.SOCIAL, "https://example.com/priya", {}, "social.unknown_platform"),
        (T.SOCIAL, "https://www.facebook.com/profile.php?id=abc", {}, "social.invalid_handle"),
        (T.SOCIAL, "https://www.facebook.com/sharer/", {}, "social.not_a_profile"),
        (T.SOCIAL, "https://www.instagram.com/p/Cx12AbC/", {}, "social.not_a_profile"),
        (T.SOCIAL, "https://youtube.com/shorts/abc123", {}, "social.not_a_profile"),
        (T.SOCIAL, "https://t.me/+AbCdEf", {}, "social.not_a_profile"),
        (T.SOCIAL, "instagram:abc", {"platform": "x"}, "social.platform_mismatch"),
        (T.SOCIAL, "https://insta\uff20gram.com/abc", {}, "social.invalid_handle"),
        (T.BANK_ACCOUNT, "123456789012 HDFC0001234", {"ifsc": "SBIN0001234"}, "bank_account.ifsc_conflict"),
        (T.IMEI, "49015420323751\u00b2", {}, "imei.not_digits"),
        (T.IP, "2001:4860:4860::8888%eth0", {}, "ip.invalid"),
        (T.PHONE, "98765.43210 [WhatsApp]", {}, "phone.not_a_number"),
        (T.SOCIAL, "two words", {"platform": "x"}, "social.invalid_handle"),
        (T.SOCIAL, "https://x.com/boss", {"platform": "instagram"}, "social.platform_mismatch"),
        (T.IMEI, "490154203237519", {}, "imei.bad_check_digit"),
        (T.IMEI, "4901542032375", {}, "imei.bad_length"),
        (T.IMEI, "49015420323751234", {}, "imei.bad_length"),
        (T.IMEI, "49O154203237518", {}, "imei.not_digits"),
        (T.IMEI, "352099001761482", {}, "imei.bad_check_digit"),
        (T.SIM, "8991450912345678902", {}, "sim.bad_check_digit"),
        (T.SIM, "12345", {}, "sim.bad_length"),
        (T.SIM, "1234567890123456789", {}, "sim.bad_length"),
        (T.SIM, "89914509I2345678901", {}, "sim.not_digits"),
        (T.SIM, "404-45-ABC", {}, "sim.not_digits"),
        (T.IP, "999.1.1.1", {}, "ip.invalid"),
        (T.IP, "192.168.1.10", {}, "ip.not_identifying"),
        (T.IP, "10.0.0.1", {}, "ip.not_identifying"),
        (T.IP, "127.0.0.1", {}, "ip.not_identifying"),
        (T.IP, "169.254.1.1", {}, "ip.not_identifying"),
        (T.IP, "224.0.0.1", {}, "ip.not_identifying"),
        (T.IP, "fe80::1", {}, "ip.not_identifying"),
        (T.IP, "240.0.0.1", {}, "ip.not_identifying"),
        (T.CRYPTO_WALLET, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", {}, "crypto_wallet.bad_checksum"),
        (T.CRYPTO_WALLET, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", {}, "crypto_wallet.bad_checksum"),
        (T.CRYPTO_WALLET, "bc1QAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", {}, "crypto_wallet.bad_checksum"),
        (T.CRYPTO_WALLET, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", {}, "crypto_wallet.bad_checksum"),
        (T.CRYPTO_WALLET, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU8", {}, "crypto_wallet.bad_checksum"),
        (T.CRYPTO_WALLET, "not a wallet", {}, "crypto_wallet.unknown_format"),
    ],
)  # fmt: skip
def test_refused_values_get_a_stable_code(
    kind: IdentifierType, written: str, qualifiers: Qualifiers, code: str
) -> None:
    assert refusal(kind, written, **qualifiers) == code


def test_a_upi_id_whose_handle_is_a_mobile_number_also_yields_that_phone() -> None:
    upi, phone = canonicalise(T.UPI, "9876543210@ybl")

    assert (upi.type, upi.value) == (T.UPI, "9876543210@ybl")
    assert (phone.type, phone.value, phone.derived_from) == (T.PHONE, MOBILE, T.UPI)
    assert phone.masked == canonicalise(T.PHONE, "9876543210")[0].masked


def test_a_upi_id_with_an_ordinary_handle_yields_only_itself() -> None:
    assert len(canonicalise(T.UPI, "quickcash@ybl")) == 1


def test_every_ip_is_weak_and_everything_else_strong() -> None:
    assert canonicalise(T.IP, "100.64.12.7")[0].strength is Strength.WEAK
    assert canonicalise(T.IP, "103.21.4.9")[0].strength is Strength.WEAK
    assert canonicalise(T.PHONE, "9876543210")[0].strength is Strength.STRONG


@pytest.mark.parametrize("written", ["112", "1930", "100", "1098", "181"])
def test_helpline_numbers_are_accepted_and_flagged_benign(written: str) -> None:
    [helpline] = canonicalise(T.PHONE, written)

    assert helpline.benign
    assert helpline.masked == written


def test_an_ordinary_number_is_not_benign() -> None:
    assert not canonicalise(T.PHONE, "9876543210")[0].benign


@pytest.mark.parametrize(
    ("kind", "written", "masked"),
    [
        (T.PHONE, "9876543210", "+91 98•••••210"),
        (T.UPI, "quickcash@ybl", "qu•••••sh@ybl"),
        (T.BANK_ACCOUNT, "SBIN:123456789012", "SBIN ••••••••9012"),
        (T.EMAIL, "gang.boss@example.com", "g••••••••@example.com"),
        (T.SOCIAL, "instagram:priya_99", "instagram:@pr••••99"),
        (T.IMEI, "490154203237518", "••••••••••3751"),
        (T.SIM, "404451234567890", "IMSI 40445•••••••890"),
        (T.IP, "103.21.4.9", "103.21.•.•"),
    ],
)
def test_masked_forms_hide_most_of_the_value(
    kind: IdentifierType, written: str, masked: str
) -> None:
    identifier = canonicalise(kind, written)[0]

    assert identifier.masked == masked
    assert identifier.value.split(":")[-1] not in identifier.masked
