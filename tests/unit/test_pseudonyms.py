"""Pseudonym tokens: equal identifiers give equal tokens, and only under the same key."""

import hashlib
import hmac

from schemas.identifiers import CanonicalIdentifier, IdentifierType, canonicalise
from schemas.pseudonyms import PseudonymKey, pseudonym_token, rotated_token, stable_id

KEY = PseudonymKey("k1", b"key")


def test_two_written_forms_of_one_number_give_one_token() -> None:
    a = canonicalise(IdentifierType.PHONE, "+91 98765 43210")[0]
    b = canonicalise(IdentifierType.PHONE, "098765-43210")[0]

    assert pseudonym_token(a, KEY) == pseudonym_token(b, KEY)


def test_a_different_key_gives_a_different_token() -> None:
    phone = canonicalise(IdentifierType.PHONE, "9876543210")[0]

    assert pseudonym_token(phone, PseudonymKey("a", b"1")) != pseudonym_token(
        phone, PseudonymKey("b", b"2")
    )


def test_the_same_canonical_text_as_two_types_gives_two_tokens() -> None:
    as_imei = CanonicalIdentifier(IdentifierType.IMEI, "98765432101234", "•")
    as_account = CanonicalIdentifier(IdentifierType.BANK_ACCOUNT, "98765432101234", "•")

    assert pseudonym_token(as_imei, KEY) != pseudonym_token(as_account, KEY)


def test_the_token_does_not_contain_the_value() -> None:
    phone = canonicalise(IdentifierType.PHONE, "9876543210")[0]

    assert "9876543210" not in pseudonym_token(phone, KEY)


def test_stable_ids_depend_only_on_their_parts() -> None:
    assert stable_id("alert", "a", "b") == stable_id("alert", "a", "b")
    assert stable_id("alert", "a", "b") != stable_id("alert", "ab", "")
    assert stable_id("alert", "a").startswith("alert_")


def test_without_rotations_a_token_is_the_root_keys_hmac_as_it_always_was() -> None:
    phone = canonicalise(IdentifierType.PHONE, "9876543210")[0]
    message = f"{phone.type.value}:{phone.value}".encode()

    assert pseudonym_token(phone, KEY) == hmac.new(b"key", message, hashlib.sha256).hexdigest()


def test_a_rotated_history_token_is_the_token_a_new_complaint_gets_under_the_rotation() -> None:
    phone = canonicalise(IdentifierType.PHONE, "9876543210")[0]
    rotated = PseudonymKey("2027-01", b"key", rotations=(b"r1",))

    before = pseudonym_token(phone, KEY)
    after = pseudonym_token(phone, rotated)

    assert after != before
    assert rotated_token(before, b"r1") == after
    twice = PseudonymKey("2028-01", b"key", rotations=(b"r1", b"r2"))
    assert rotated_token(after, b"r2") == pseudonym_token(phone, twice)
