"""The glossary of loan words explained to clients (``data/glossary/<code>.yml``).

One file per language, all with the same keys (format at the top of
``data/glossary/en.yml``). A key is the value of the ``concept`` entity (docs/nlu.md);
``bot.nlu.concepts`` finds the synonyms in client messages. Files are read on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

import yaml

from bot.settings import PROJECT_ROOT

GLOSSARY_DIR = PROJECT_ROOT / "data" / "glossary"
SOURCE_LANGUAGE = "en"
MAX_DEFINITION_CHARS = 400
TERMS = "terms"
FIELD_TERM = "term"
FIELD_SYNONYMS = "synonyms"
FIELD_DEFINITION = "definition"


@dataclass(frozen=True)
class Term:
    """One glossary entry in one language.

    Attributes:
        key: the concept key, the same in every language (``apr``).
        term: the name shown to clients (``APR (annual percentage rate)``).
        synonyms: what clients type for it.
        definition: the explanation, with a concrete example.
    """

    key: str
    term: str
    synonyms: Tuple[str, ...]
    definition: str


def _text(entry: dict, field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {field!r} must be a non-empty text")
    return " ".join(value.split())


@lru_cache(maxsize=32)
def load_glossary(code: str, folder: Path = GLOSSARY_DIR) -> Dict[str, Term]:
    """Return the glossary of one language, by key, in file order.

    Args:
        code: a language code of locales/languages.yml.
        folder: the glossary folder (default: the project's).

    Returns:
        The terms; empty when the language has no glossary file.

    Raises:
        ValueError: a term lacks its name, synonyms or definition.
    """
    path = Path(folder) / f"{code}.yml"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    terms: Dict[str, Term] = {}
    for key, entry in (raw.get(TERMS) or {}).items():
        where = f"{path.name}: {key}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping")
        synonyms = entry.get(FIELD_SYNONYMS)
        if not isinstance(synonyms, list) or not synonyms:
            raise ValueError(f"{where}: {FIELD_SYNONYMS!r} must be a non-empty list")
        terms[str(key)] = Term(
            key=str(key),
            term=_text(entry, FIELD_TERM, where),
            synonyms=tuple(str(synonym).strip() for synonym in synonyms),
            definition=_text(entry, FIELD_DEFINITION, where),
        )
    return terms


def glossary_codes(folder: Path = GLOSSARY_DIR) -> Tuple[str, ...]:
    """Return the codes of the languages that have a glossary file, sorted."""
    return tuple(sorted(path.stem for path in Path(folder).glob("*.yml")))


def term_keys(folder: Path = GLOSSARY_DIR) -> Tuple[str, ...]:
    """Return every concept key, in the order of the source language's file."""
    return tuple(load_glossary(SOURCE_LANGUAGE, folder))


def lookup(key: str, language: str, folder: Path = GLOSSARY_DIR) -> Term | None:
    """Return a term in a language, else in the source language, else None.

    Args:
        key: the concept key.
        language: the client's language code.
        folder: the glossary folder (default: the project's).
    """
    found = load_glossary(language, folder).get(key)
    if found is None:
        found = load_glossary(SOURCE_LANGUAGE, folder).get(key)
    return found
