"""Deployment settings, read from environment variables when first asked for.

Every setting has a default that works for ``make run`` on a laptop; a deployment
overrides them with environment variables (see README, "Deploy").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Settings of one deployment.

    Attributes:
        currency: ISO 4217 code of the money the MFI lends in.
        default_language: language code used before a client's language is known.
        db_url: SQLAlchemy URL of the database that holds Rasa's tracker store and
            the project's own tables.
        locales_dir: folder with languages.yml and the per-language catalogs.
        locale_overrides: Babel locale per language code for this deployment's country,
            from ``MFI_LOCALES`` (e.g. ``en=en_KE,sw=sw_KE``), over languages.yml.
    """

    currency: str
    default_language: str
    db_url: str
    locales_dir: Path
    locale_overrides: Dict[str, str]


def _default_db_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'mfi.db'}"


def _parse_pairs(text: str) -> Dict[str, str]:
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs if key.strip() and value.strip()}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the settings of this process (read once from the environment)."""
    return Settings(
        currency=os.environ.get("MFI_CURRENCY", "KES").upper(),
        default_language=os.environ.get("MFI_DEFAULT_LANGUAGE", "en"),
        db_url=os.environ.get("MFI_DB_URL", _default_db_url()),
        locales_dir=Path(os.environ.get("MFI_LOCALES_DIR", PROJECT_ROOT / "locales")),
        locale_overrides=_parse_pairs(os.environ.get("MFI_LOCALES", "")),
    )
