"""The message catalogs: every text the code and templates use is in each language's catalog,
Hindi and Marathi translate all of it with the same placeholders, and the committed template
is what `make messages` extracts from the code today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from crosslink.i18n import LANGUAGES, LOCALE_DIR, Language, catalog_path

REPO = Path(__file__).parents[2]
EXTRACTED_FROM = ("cli", "crosslink", "services")  # as `make messages`
TRANSLATED: tuple[Language, ...] = tuple(language for language in LANGUAGES if language != "en")
# What a Hindi or Marathi text may keep in Latin letters: the product's name and codes.
CODES = {"crosslink", "UPI", "IMEI", "IP", "ID", "API", "IFSC", "Idempotency-Key", "Gone"}
Message = str | tuple[str, ...]
Strings = str | tuple[str, ...] | list[str] | None


def used_messages() -> set[Message]:
    with (LOCALE_DIR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    return {
        message_id(message)
        for folder in EXTRACTED_FROM
        for _, _, message, _, _ in extract_from_dir(
            REPO / folder, method_map, options_map, keywords=DEFAULT_KEYWORDS
        )
    }


def catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def ids(messages: Catalog) -> set[Message]:
    return {message_id(message.id) for message in messages if message.id}


def message_id(id_: str | tuple[str, ...] | list[str]) -> Message:
    return id_ if isinstance(id_, str) else tuple(id_)


@pytest.fixture(scope="module")
def used() -> set[Message]:
    return used_messages()


def test_the_committed_template_holds_exactly_the_messages_the_code_uses(
    used: set[Message],
) -> None:
    template = ids(catalog(LOCALE_DIR / "messages.pot"))

    assert used - template == set(), "run `make messages`: the code uses messages not extracted"
    assert template - used == set(), "run `make messages`: the template holds unused messages"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_holds_every_message_the_code_uses(
    language: Language, used: set[Message]
) -> None:
    missing = used - ids(catalog(catalog_path(language), language))

    assert missing == set(), f"{language} catalog misses {len(missing)} message(s)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_hindi_and_marathi_translate_every_message_and_none_is_fuzzy(language: Language) -> None:
    untranslated = [
        message.id
        for message in catalog(catalog_path(language), language)
        if message.id and (message.fuzzy or not all(_strings(message.string)))
    ]

    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_exactly_its_placeholders(language: Language) -> None:
    """Each form of each translation names exactly the values its English names: none dropped
    (a masked identifier left out), none unknown (a crash when it is worded)."""
    problems = [
        (message.id, text)
        for message in catalog(catalog_path(language), language)
        if message.id
        for text in _strings(message.string)
        if text and _placeholders(text) != _placeholders(" ".join(_strings(message.id)))
    ]

    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_hindi_and_marathi_texts_hold_no_english_words(language: Language) -> None:
    english = {
        (message.id if isinstance(message.id, str) else message.id[0], word)
        for message in catalog(catalog_path(language), language)
        if message.id
        for text in _strings(message.string)
        for word in re.findall(r"[A-Za-z][A-Za-z-]*", re.sub(r"%\(\w+\)s", "", text))
        if word not in CODES
    }

    assert english == set()


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def _strings(string: Strings) -> tuple[str, ...]:
    if string is None or isinstance(string, str):
        return (string or "",)
    return tuple(string)
