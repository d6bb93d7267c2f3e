"""The languages a person reads crosslink in: message catalogs, plural forms, numbers and dates.

Every text for people is an English message marked in the code (`_`, `ngettext`, `N_`) or in a
template, extracted into `crosslink/locale/messages.pot` by `make messages`, and translated in
one gettext catalog per language (`crosslink/locale/<language>/LC_MESSAGES/messages.po`). The
catalogs are read from the `.po` files at first use, so there is no compiled `.mo` to go stale.
Numbers use Indian digit grouping (1,00,000) and times are shown in India Standard Time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

Language = Literal["en", "hi", "mr"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
TIMEZONE = ZoneInfo("Asia/Kolkata")
# Each language as India writes it: en_IN groups digits 1,00,000 as hi_IN and mr_IN do.
_LOCALES: dict[Language, str] = {"en": "en_IN", "hi": "hi_IN", "mr": "mr_IN"}
# Names each language by itself, for the console's language switch.
NATIVE_NAMES: dict[Language, str] = {"en": "English", "hi": "हिन्दी", "mr": "मराठी"}


def N_(message: str) -> str:
    """Marks `message` for the catalogs where it is defined; it is translated where it is shown."""
    return message


def catalog_path(language: Language) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class Translator:
    """Speaks one language: translated messages, and numbers and dates as its readers write them."""

    language: Language
    translations: Translations

    @property
    def locale(self) -> str:
        return _LOCALES[self.language]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def number(self, value: int) -> str:
        return _decimal(value, self.locale)

    def date(self, value: date) -> str:
        """The day, in India: a moment late on the 23rd UTC is the 24th in IST."""
        if isinstance(value, datetime):
            value = value.astimezone(TIMEZONE).date()
        return _day(value, self.locale)

    def moment(self, value: datetime) -> str:
        """A time as an officer in India reads it: in IST, 24-hour."""
        return format_datetime(value, "d MMM y, HH:mm z", tzinfo=TIMEZONE, locale=self.locale)

    def join(self, items: list[str] | tuple[str, ...]) -> str:
        """A list in running text: "MH-MUM, MP-BPL" (codes and names are never translated)."""
        return ", ".join(items)


# Babel formats a number or a day in tens of microseconds, and the matcher words every alert it
# raises with the same few counts and days: each is formatted once.
@lru_cache(maxsize=4096)
def _decimal(value: int, locale: str) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    return format_date(value, "d MMM y", locale=locale)


@lru_cache
def translator(language: Language = DEFAULT_LANGUAGE) -> Translator:
    """The translator for `language`, its catalog read once from the `.po` file."""
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=_LOCALES[language], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translator(language, Translations(compiled, domain=DOMAIN))


def negotiate(*preferences: str | None) -> Language:
    """The first language crosslink speaks among `preferences`, each an Accept-Language header,
    a cookie or a directory setting; English when none is."""
    for preference in preferences:
        for tag in _tags(preference):
            match = Locale.negotiate([tag], list(LANGUAGES), sep="-")
            if match is not None:
                return as_language(str(match))
    return DEFAULT_LANGUAGE


def as_language(value: str) -> Language:
    language = value.split("_")[0].split("-")[0].lower()
    for known in LANGUAGES:
        if known == language:
            return known
    raise ValueError(f"crosslink does not speak {value!r}; it speaks {', '.join(LANGUAGES)}")


def _tags(header: str | None) -> list[str]:
    """An Accept-Language header's tags, most preferred first ("hi-IN,hi;q=0.9,en;q=0.8")."""
    if not header:
        return []
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = (piece.strip() for piece in param.partition("="))
            if name.lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and 0 < weight <= 1:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]
