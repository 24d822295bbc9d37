"""Runtime look-up of translations in the gettext catalogs under ``locales/``.

Each language has one ``.po`` file per topic (``locales/<code>/LC_MESSAGES/<topic>.po``);
an entry's ``msgctxt`` is the response name and its ``msgid`` the English text from
domain.yml. English is the source language and needs no catalog.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

from babel.messages.pofile import read_po

from bot.i18n.languages import resolve_language
from bot.settings import get_settings

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"

Key = Tuple[str, str]  # (msgctxt, msgid)


def read_catalog_folder(folder: Path) -> Dict[Key, str]:
    """Reads every ``.po`` file of a language folder into ``{(context, msgid): msgstr}``.

    Untranslated and fuzzy entries are left out, so they count as missing.
    """
    entries: Dict[Key, str] = {}
    for path in sorted(folder.glob("LC_MESSAGES/*.po")):
        with open(path, "rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            entries[(message.context or "", str(message.id))] = str(message.string)
    return entries


@lru_cache(maxsize=32)
def _catalog(locales_dir: Path, code: str) -> Dict[Key, str]:
    return read_catalog_folder(locales_dir / code)


def translate(language_code: str, context: str, msgid: str) -> str:
    """Returns the translation of ``msgid`` (English) for ``context`` in a language.

    Args:
        language_code: the conversation's language; unknown codes use the default.
        context: the response name (``utter_greet``).
        msgid: the English text as written in domain.yml.

    Returns:
        The translation, or the English text when the catalog lacks it (logged).
    """
    code = resolve_language(language_code)
    if code == SOURCE_LANGUAGE or not msgid:
        return msgid
    translated = _catalog(get_settings().locales_dir, code).get((context, msgid))
    if translated is None:
        logger.warning("No %s translation for %s: %r", code, context, msgid)
        return msgid
    return translated


def clear_cache() -> None:
    """Forgets loaded catalogs (after the files changed)."""
    _catalog.cache_clear()
