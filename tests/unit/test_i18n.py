"""Which language a reader gets, and numbers and times as readers in India write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crosslink.i18n import as_language, negotiate, translator


@pytest.mark.parametrize(
    ("preferences", "language"),
    [
        (("hi-IN,hi;q=0.9,en;q=0.8",), "hi"),
        (("en-GB,mr;q=0.9",), "en"),
        (("fr-FR,mr;q=0.5,hi;q=0.7",), "hi"),  # the most preferred one crosslink speaks
        (("ta-IN",), "en"),  # not spoken: English
        (("hi;q=0",), "en"),  # refused outright
        ((None, "mr", "hi"), "mr"),  # the first preference that gives one wins
        (("", None), "en"),
        (("garbage;q=x, mr",), "mr"),
        (("hi; Q = 0.5, mr;q=0.6",), "mr"),
        (("hi;q=2, mr",), "mr"),  # a weight above 1 is not one
    ],
)
def test_the_first_language_crosslink_speaks_among_the_preferences_wins(
    preferences: tuple[str | None, ...], language: str
) -> None:
    assert negotiate(*preferences) == language


def test_a_language_crosslink_does_not_speak_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="does not speak 'ta'; it speaks en, hi, mr"):
        as_language("ta")


@pytest.mark.parametrize("language", ["en", "hi", "mr"])
def test_numbers_are_grouped_the_indian_way_in_latin_digits(language: str) -> None:
    assert translator(language).number(1234567) == "12,34,567"


def test_times_are_shown_in_india_standard_time() -> None:
    moment = datetime(2026, 12, 2, 20, 45, tzinfo=UTC)

    assert translator("en").moment(moment) == "3 Dec 2026, 02:15 IST"
    assert translator("hi").moment(moment) == "3 दिस॰ 2026, 02:15 IST"


def test_a_date_is_the_day_in_india() -> None:
    late_in_utc = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 00:30 on the 24th in IST

    assert translator("en").date(late_in_utc) == "24 Nov 2026"


def test_plural_forms_follow_each_language() -> None:
    def forms(language: str) -> list[str]:
        t = translator(language)
        return [t.ngettext("%(n)s complaint", "%(n)s complaints", n) for n in (0, 1, 2)]

    # Hindi uses the singular for 0 and 1; Marathi and English for 1 only.
    zero, one, two = forms("hi")
    assert zero == one != two
    for language in ("en", "mr"):
        zero, one, two = forms(language)
        assert zero == two != one
