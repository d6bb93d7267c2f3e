"""Properties of the canon that must hold for every input, checked with generated data."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from schemas.identifiers import IdentifierType, InvalidIdentifier, canonicalise
from schemas.identifiers.devices import generic_imei
from schemas.identifiers.model import luhn_valid
from schemas.pseudonyms import PseudonymKey, pseudonym_token

KEY = PseudonymKey("test", b"property-test-key")
T = IdentifierType

mobiles = st.from_regex(r"[6-9][0-9]{9}", fullmatch=True)
handles = st.from_regex(r"[a-z][a-z0-9_]{2,20}", fullmatch=True)
PHONE_FORMATS = [
    "{d}", "+91{d}", "+91 {a} {b}", "0{a}-{b}", "91{d}", "(+91) {a}.{b}", "tel:+91-{a}-{b}",
    "wa.me/91{d}", "https://api.whatsapp.com/send?phone=91{d}", " 0{d} ",
]  # fmt: skip
SOCIAL_FORMATS = [
    ("https://www.instagram.com/{h}/", None), ("instagram.com/{H}", None), ("@{H}", "instagram"),
    ("{h}", "IG"), ("instagram:{h}", None),
]  # fmt: skip


def token_of(kind: IdentifierType, written: str, platform: str | None = None) -> str:
    return pseudonym_token(canonicalise(kind, written, platform=platform)[0], KEY)


def check_digit_of(digits: str) -> str:
    return next(str(d) for d in range(10) if luhn_valid(f"{digits}{d}"))


@given(
    kind=st.sampled_from(IdentifierType), raw=st.text(max_size=60), qualifier=st.text(max_size=12)
)
def test_any_string_gives_a_canonical_identifier_or_its_declared_error(
    kind: IdentifierType, raw: str, qualifier: str
) -> None:
    code: str | None = None
    try:
        found = canonicalise(kind, raw, platform=qualifier or None, ifsc=qualifier or None)
    except InvalidIdentifier as error:
        code = error.code
    if code is not None:
        assert code.startswith(f"{kind.value}.")
        return
    for identifier in found:
        again = canonicalise(identifier.type, identifier.value)[0]
        assert again.value == identifier.value  # normalising twice equals normalising once


@given(digits=mobiles, layout=st.sampled_from(PHONE_FORMATS))
def test_every_written_variant_of_a_mobile_number_gives_the_same_token(
    digits: str, layout: str
) -> None:
    try:
        plain = token_of(T.PHONE, digits)
    except InvalidIdentifier:
        assume(False)  # not every 10-digit string is an allocated mobile range
    written = layout.format(d=digits, a=digits[:5], b=digits[5:])

    assert token_of(T.PHONE, written) == plain


@given(handle=handles, layout=st.sampled_from(SOCIAL_FORMATS))
def test_every_written_variant_of_a_handle_gives_the_same_token(
    handle: str, layout: tuple[str, str | None]
) -> None:
    template, platform = layout
    written = template.format(h=handle, H=handle.upper())

    assert token_of(T.SOCIAL, written, platform) == token_of(T.SOCIAL, f"instagram:{handle}")


@given(core=st.from_regex(r"[0-9]{14}", fullmatch=True), shift=st.integers(1, 9))
def test_an_imei_with_a_wrong_check_digit_is_always_refused(core: str, shift: int) -> None:
    assume(generic_imei(core) is None)  # a placeholder is accepted (as generic) all the same
    wrong = (int(check_digit_of(core)) + shift) % 10

    with pytest.raises(InvalidIdentifier) as refused:
        canonicalise(T.IMEI, f"{core}{wrong}")

    assert refused.value.code == "imei.bad_check_digit"


@given(body=st.from_regex(r"89[0-9]{16,17}", fullmatch=True), shift=st.integers(1, 9))
def test_an_iccid_with_a_wrong_check_digit_is_always_refused(body: str, shift: int) -> None:
    wrong = (int(check_digit_of(body)) + shift) % 10

    with pytest.raises(InvalidIdentifier) as refused:
        canonicalise(T.SIM, f"{body}{wrong}")

    assert refused.value.code == "sim.bad_check_digit"


@given(core=st.from_regex(r"[0-9]{14}", fullmatch=True))
def test_an_imei_with_its_right_check_digit_folds_to_its_core(core: str) -> None:
    assert canonicalise(T.IMEI, f"{core}{check_digit_of(core)}")[0].value == core


@given(
    digits=mobiles,
    suffix=st.sampled_from(["", "-2", ".1", "-10"]),
    psp=st.sampled_from(["ybl", "paytm"]),
)
def test_a_mobile_number_vpa_with_an_apps_suffix_links_to_the_same_phone_token(
    digits: str, suffix: str, psp: str
) -> None:
    try:
        phone = token_of(T.PHONE, digits)
    except InvalidIdentifier:
        assume(False)
    derived = canonicalise(T.UPI, f"{digits}{suffix}@{psp}")[1]

    assert pseudonym_token(derived, KEY) == phone


@given(
    prefix=st.integers(0, 2**64 - 1),
    first=st.integers(0, 2**64 - 1),
    second=st.integers(0, 2**64 - 1),
)
def test_every_address_of_one_ipv6_64_gives_the_same_token(
    prefix: int, first: int, second: int
) -> None:
    network = 0x2401_4900_0000_0000 | (prefix & 0xFFFF_FFFF)  # inside a global unicast block
    one, other = (str(ipaddress.IPv6Address((network << 64) | host)) for host in (first, second))

    assert token_of(T.IP, one) == token_of(T.IP, other)
