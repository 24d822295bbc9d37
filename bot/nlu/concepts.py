"""The ``concept`` entity: glossary terms named in a client message, in any language.

``find_concepts(text)`` returns ``{"entity": "concept", "value": <key>, "start", "end"}``
for every synonym of ``data/glossary/<code>.yml`` found in the text (whole words, case and
accents ignored, longest phrase first, no overlaps), in text order. It is a pure function
of the text and the glossary files: the loan actions call it, and the ValueExtractor can
add its result to a message's entities.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List

from bot.glossary import GLOSSARY_DIR, SOURCE_LANGUAGE, glossary_codes, load_glossary
from bot.nlu.numbers import PhraseIndex, tokenize

CONCEPT = "concept"
MAX_CHARS = 2000

# Keys of an entity dict.
ENTITY = "entity"
VALUE = "value"
START = "start"
END = "end"


@lru_cache(maxsize=16)
def concept_index(
    languages: FrozenSet[str] | None = None, folder: Path = GLOSSARY_DIR
) -> PhraseIndex[str]:
    """Return the synonyms of the given languages (all when None) and English, indexed.

    Args:
        languages: language codes, or None for every glossary language.
        folder: the glossary folder (default: the project's).

    Returns:
        A phrase index from synonym to concept key.
    """
    codes = glossary_codes(folder) if languages is None else sorted(languages | {SOURCE_LANGUAGE})
    index: PhraseIndex[str] = PhraseIndex()
    for code in codes:
        for term in load_glossary(code, folder).values():
            for synonym in term.synonyms:
                index.add(synonym, term.key)
    return index


def find_concepts(
    text: str, languages: Iterable[str] | None = None, folder: Path = GLOSSARY_DIR
) -> List[Dict[str, Any]]:
    """Find the glossary terms a message names.

    Args:
        text: the message; only its first MAX_CHARS characters are read.
        languages: the message's languages (detected language; English is always read),
            or None to read the synonyms of every language.
        folder: the glossary folder (default: the project's).

    Returns:
        Entity dicts {"entity": "concept", "value", "start", "end"} in text order.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    wanted = None if languages is None else frozenset(code for code in languages if code)
    index = concept_index(wanted, Path(folder))
    tokens = tokenize(text[:MAX_CHARS])
    found: List[Dict[str, Any]] = []
    position = 0
    while position < len(tokens):
        match = index.match(tokens, position)
        if match is None:
            position += 1
            continue
        length, keys = match
        found.append(
            {
                ENTITY: CONCEPT,
                VALUE: keys[0],
                START: tokens[position].start,
                END: tokens[position + length - 1].end,
            }
        )
        position += length
    return found
