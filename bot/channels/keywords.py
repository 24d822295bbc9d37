"""STOP / START words of every language, from ``locales/<code>/channels.yml``.

A message that is exactly one of the words (case, spacing and punctuation around it do
not matter) opts the client out of messages, or back in. Every language's words are
recognised for every client: a client may write STOP in English while the conversation
is in Kiswahili. Adding a language is adding its file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Tuple

import yaml

from bot.channels.text import normalize_reply
from bot.i18n.languages import language_codes
from bot.settings import get_settings

logger = logging.getLogger(__name__)

KEYWORDS_FILE = "channels.yml"
OPT_OUT = "opt_out"
OPT_IN = "opt_in"


@dataclass(frozen=True)
class Keywords:
    """The normalised opt-out and opt-in words of all languages."""

    opt_out: FrozenSet[str]
    opt_in: FrozenSet[str]


@lru_cache(maxsize=4)
def _load(locales_dir: Path, codes: Tuple[str, ...]) -> Keywords:
    opt_out: set = set()
    opt_in: set = set()
    for code in codes:
        path = locales_dir / code / KEYWORDS_FILE
        if not path.exists():
            logger.warning("No %s for language %s: its STOP/START words are unknown.", path, code)
            continue
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        opt_out.update(normalize_reply(str(word)) for word in data.get(OPT_OUT) or [])
        opt_in.update(normalize_reply(str(word)) for word in data.get(OPT_IN) or [])
    clash = opt_out & opt_in
    if clash:
        raise ValueError(f"Words both opt out and opt in: {sorted(clash)}")
    return Keywords(frozenset(opt_out - {""}), frozenset(opt_in - {""}))


def keywords() -> Keywords:
    """Return the opt-out and opt-in words of every supported language."""
    return _load(get_settings().locales_dir, language_codes())


def keyword_action(text: str | None) -> str | None:
    """Return ``OPT_OUT`` or ``OPT_IN`` when a message is one of those words, else None."""
    if not text:
        return None
    reply = normalize_reply(text)
    words = keywords()
    if reply in words.opt_out:
        return OPT_OUT
    if reply in words.opt_in:
        return OPT_IN
    return None
