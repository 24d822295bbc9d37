"""Languages, translation catalogs and locale-aware formatting.

Everything language-specific is data under ``locales/``: ``languages.yml`` lists the
languages, ``locales/<code>/LC_MESSAGES/*.po`` hold the translations of every response.
"""

from bot.i18n.catalog import translate
from bot.i18n.formatting import format_date, format_money, format_number, format_percent
from bot.i18n.languages import Language, get_language, language_codes, resolve_language

__all__ = [
    "Language",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "get_language",
    "language_codes",
    "resolve_language",
    "translate",
]
