"""Numbers, money, percentages and dates formatted for the client's language (Babel)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Optional, Union

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as babel_format_percent

from bot.i18n.languages import get_language
from bot.settings import get_settings

Number = Union[int, float, Decimal]


SYMBOL_BEFORE_DIGIT = re.compile(r"([^\W\d_]{2,})(?=\d)")
DIGIT_BEFORE_SYMBOL = re.compile(r"(?<=\d)([^\W\d_]{2,})")


def locale_of(language_code: Optional[str]) -> str:
    """The Babel locale for a language in this deployment (``MFI_LOCALES`` first)."""
    language = get_language(language_code)
    return get_settings().locale_overrides.get(language.code, language.locale)


def _localise_digits(text: str, language_code: Optional[str]) -> str:
    digits = get_language(language_code).digits
    if not digits:
        return text
    return text.translate(str.maketrans("0123456789", digits))


def _with_decimals(pattern: str, decimals: int) -> str:
    """A locale's number pattern with exactly ``decimals`` fraction digits."""
    pattern = re.sub(r"\.[0#]+", "", pattern.split(";")[0])
    if decimals:
        pattern = re.sub(r"0(?!.*0)", "0." + "0" * decimals, pattern, count=1)
    return pattern


def format_number(value: Number, language_code: Optional[str], decimals: int = 0) -> str:
    """Formats a plain number, e.g. ``10,000`` or ``10.000`` or ``১০,০০০``."""
    locale = locale_of(language_code)
    pattern = _with_decimals(Locale.parse(locale).decimal_formats[None].pattern, decimals)
    text = format_decimal(value, format=pattern, locale=locale, decimal_quantization=True)
    return _localise_digits(text, language_code)


def format_money(
    value: Number, language_code: Optional[str], currency: Optional[str] = None
) -> str:
    """Formats an amount of money in the deployment's currency, e.g. ``Ksh 10,000.00``."""
    currency = currency or get_settings().currency
    locale = locale_of(language_code)
    text = format_currency(value, currency, locale=locale)
    # a letter code glued to the number ("KES10,000.00") is hard to read on a phone
    text = DIGIT_BEFORE_SYMBOL.sub("\xa0\\1", SYMBOL_BEFORE_DIGIT.sub("\\1\xa0", text))
    return _localise_digits(text, language_code)


def format_percent(value: Number, language_code: Optional[str], decimals: int = 1) -> str:
    """Formats a fraction as a percentage: ``0.417`` gives ``41.7%`` (``41,7 %`` in fr)."""
    locale = locale_of(language_code)
    pattern = _with_decimals(Locale.parse(locale).percent_formats[None].pattern, decimals)
    text = babel_format_percent(value, format=pattern, locale=locale, decimal_quantization=True)
    return _localise_digits(text, language_code)


def format_date(value: dt.date, language_code: Optional[str]) -> str:
    """Formats a date in the language's medium style, e.g. ``1 Des 2026``."""
    locale = locale_of(language_code)
    return _localise_digits(babel_format_date(value, format="medium", locale=locale), language_code)
