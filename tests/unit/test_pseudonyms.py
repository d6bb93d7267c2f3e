"""Pseudonym tokens: equal identifiers give equal tokens, and only under the same key."""

from schemas.identifiers import IdentifierType, canonicalise
from schemas.pseudonyms import pseudonym_token, stable_id


def test_two_written_forms_of_one_number_give_one_token() -> None:
    a = canonicalise(IdentifierType.PHONE, "+91 98765 43210")
    b = canonicalise(IdentifierType.PHONE, "098765-43210")

    assert pseudonym_token(a, b"key") == pseudonym_token(b, b"key")


def test_a_different_key_gives_a_different_token() -> None:
    phone = canonicalise(IdentifierType.PHONE, "9876543210")

    assert pseudonym_token(phone, b"key-1") != pseudonym_token(phone, b"key-2")


def test_the_same_value_as_two_types_gives_two_tokens() -> None:
    social = canonicalise(IdentifierType.SOCIAL, "9876543210")
    account = canonicalise(IdentifierType.BANK_ACCOUNT, "9876543210")

    assert pseudonym_token(social, b"key") != pseudonym_token(account, b"key")


def test_the_token_does_not_contain_the_value() -> None:
    phone = canonicalise(IdentifierType.PHONE, "9876543210")

    assert "9876543210" not in pseudonym_token(phone, b"key")


def test_stable_ids_depend_only_on_their_parts() -> None:
    assert stable_id("alert", "a", "b") == stable_id("alert", "a", "b")
    assert stable_id("alert", "a", "b") != stable_id("alert", "ab", "")
    assert stable_id("alert", "a").startswith("alert_")
