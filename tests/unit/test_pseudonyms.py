"""Pseudonym tokens: equal identifiers give equal tokens, and only under the same key."""

from schemas.identifiers import CanonicalIdentifier, IdentifierType, canonicalise
from schemas.pseudonyms import PseudonymKey, pseudonym_token, stable_id

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
