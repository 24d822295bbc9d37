"""The supported languages, loaded from ``locales/languages.yml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import yaml

from bot.settings import get_settings


@dataclass(frozen=True)
class Language:
    """One language the assistant speaks.

    Attributes:
        code: value of the ``language`` slot and name of its folder under ``locales/``.
        name: English name, for staff.
        native_name: the name in the language itself, shown to clients.
        locale: Babel locale for numbers, money and dates.
        digits: the ten digits 0-9 to show numbers with, when not ASCII.
        detect: how the language is recognised (see languages.yml).
    """

    code: str
    name: str
    native_name: str
    locale: str
    digits: Optional[str] = None
    detect: Dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The language's folder under ``locales/``."""
        return get_settings().locales_dir / self.code


@lru_cache(maxsize=4)
def _load(locales_dir: Path) -> Tuple[Language, ...]:
    with open(locales_dir / "languages.yml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return tuple(
        Language(
            code=item["code"],
            name=item["name"],
            native_name=item["native_name"],
            locale=item["locale"],
            digits=item.get("digits"),
            detect=item.get("detect") or {},
        )
        for item in raw["languages"]
    )


def languages() -> Tuple[Language, ...]:
    """Returns all supported languages, in the order of languages.yml."""
    return _load(get_settings().locales_dir)


def language_codes() -> Tuple[str, ...]:
    """Returns the codes of all supported languages."""
    return tuple(language.code for language in languages())


def resolve_language(code: Optional[str]) -> str:
    """Returns ``code`` if it is supported, else the deployment's default language."""
    if code in language_codes():
        return str(code)
    default = get_settings().default_language
    return default if default in language_codes() else languages()[0].code


def get_language(code: Optional[str]) -> Language:
    """Returns the language for ``code``, falling back to the default language."""
    wanted = resolve_language(code)
    return next(language for language in languages() if language.code == wanted)
