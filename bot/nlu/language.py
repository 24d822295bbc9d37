"""Which language a client message is written in, and which language it names.

Pure logic (no Rasa): the Rasa component in ``language_detector`` wraps it.

Detection, in order, stops at the first that decides:
1. script: a message written mostly in a script that only one language uses
   (``detect: {script: ...}`` in languages.yml), e.g. Bengali script means ``bn``;
2. marker words: words typical of one language only. They come from the language's
   ``locales/<code>/language.yml`` (``markers``) and from the training data (words seen
   in one language's examples and no other's); the language with the most markers wins;
3. the lingua detector (its models ship in the wheel), among the languages that name a
   ``lingua`` language, for messages long enough for it to be reliable.
Too little evidence (``ok``, ``2``, an emoji) gives ``None``: the conversation keeps its
language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

import yaml

from bot.i18n.languages import Language, languages
from bot.settings import get_settings

LATIN = "Latin"
LINGUA_MIN_LETTERS = 10
LINGUA_MIN_CONFIDENCE = 0.75
LEARNED_MIN_COUNT = 2
MAX_DETECT_CHARS = 2000


def words(text: str) -> List[str]:
    """Lower-cased words of a text (letters and combining marks, any script)."""
    return [w.lower() for w in re.findall(r"[^\W\d_][\w\u0900-\u09ff]*", text, re.UNICODE)]


def script_of(char: str) -> Optional[str]:
    """The Unicode script of a letter (``Latin``, ``Devanagari``, ``Bengali``...)."""
    if not char.isalpha() and unicodedata.category(char) not in ("Mn", "Mc"):
        return None
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    first = name.split(" ")[0]
    return first.capitalize() if first.isalpha() else None


def dominant_script(text: str) -> Optional[str]:
    """The script of most letters in ``text``, or None if it has no letters."""
    counts = Counter(s for s in map(script_of, text) if s)
    return counts.most_common(1)[0][0] if counts else None


@dataclass(frozen=True)
class LanguageLexicon:
    """What identifies one language: its names and its marker words."""

    code: str
    names: Set[str] = field(default_factory=set)
    markers: Set[str] = field(default_factory=set)


def load_lexicon(language: Language) -> LanguageLexicon:
    """Reads ``locales/<code>/language.yml`` (names and markers) of a language."""
    path = language.folder / "language.yml"
    raw = {}
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
    return LanguageLexicon(
        code=language.code,
        names={str(n).lower() for n in raw.get("names") or []},
        markers={str(m).lower() for m in raw.get("markers") or []},
    )


def learn_markers(examples: Mapping[str, Iterable[str]]) -> Dict[str, List[str]]:
    """Finds words that occur in one language's training examples and no other's.

    Args:
        examples: language code to its training texts.

    Returns:
        Language code to its sorted marker words (seen at least twice).
    """
    counts: Dict[str, Counter] = {
        code: Counter(w for text in texts for w in set(words(text)))
        for code, texts in examples.items()
    }
    learned: Dict[str, List[str]] = {}
    for code, counter in counts.items():
        others = set().union(*(set(c) for other, c in counts.items() if other != code))
        learned[code] = sorted(
            w
            for w, n in counter.items()
            if n >= LEARNED_MIN_COUNT and w not in others and len(w) > 1
        )
    return learned


@lru_cache(maxsize=1)
def _lingua_detector(lingua_names: Tuple[str, ...]):  # noqa: ANN202 - lingua type
    from lingua import Language as LinguaLanguage
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        *(getattr(LinguaLanguage, name) for name in lingua_names)
    ).build()


class LanguageIdentifier:
    """Detects the language of a message and the language it names."""

    def __init__(self, learned_markers: Optional[Mapping[str, Iterable[str]]] = None) -> None:
        """Creates the identifier from languages.yml, the lexicons and learned markers."""
        self.languages = languages()
        self.lexicons = {lang.code: load_lexicon(lang) for lang in self.languages}
        learned = learned_markers or {}
        self.markers: Dict[str, Set[str]] = {
            code: lexicon.markers | set(learned.get(code, ()))
            for code, lexicon in self.lexicons.items()
        }
        # a word that is a marker of two languages tells nothing
        shared = Counter(w for markers in self.markers.values() for w in markers)
        for code in self.markers:
            self.markers[code] = {w for w in self.markers[code] if shared[w] == 1}
        self.by_script = {
            lang.detect["script"]: lang.code for lang in self.languages if lang.detect.get("script")
        }
        self.lingua = {
            lang.detect["lingua"]: lang.code for lang in self.languages if lang.detect.get("lingua")
        }
        self.variants = {
            lang.detect["variant_of"]: lang.code
            for lang in self.languages
            if lang.detect.get("variant_of")
        }

    def detect(self, text: str) -> Optional[str]:
        """Returns the code of the language ``text`` is written in, or None if unsure."""
        text = (text or "")[:MAX_DETECT_CHARS]
        if text.startswith("/"):
            return None
        script = dominant_script(text)
        if script is None:
            return None
        if script in self.by_script:
            return self.by_script[script]
        tokens = words(text)
        scores = Counter(
            code for token in tokens for code, markers in self.markers.items() if token in markers
        )
        ranked = scores.most_common(2)
        if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            return ranked[0][0]
        if script == LATIN and sum(map(len, tokens)) >= LINGUA_MIN_LETTERS and len(tokens) >= 2:
            return self._lingua(text, candidates={code for code, _ in ranked} or None)
        return None

    def _lingua(self, text: str, candidates: Optional[Set[str]]) -> Optional[str]:
        if not self.lingua:
            return None
        detector = _lingua_detector(tuple(sorted(self.lingua)))
        for value in detector.compute_language_confidence_values(text):
            code = self.lingua.get(value.language.name)
            if code is None or (candidates and code not in candidates):
                continue
            return code if value.value >= LINGUA_MIN_CONFIDENCE else None
        return None

    def named_language(self, text: str, detected: Optional[str] = None) -> Optional[str]:
        """Returns the language a message names ("speak Swahili"), or None.

        A language with a script variant (Hindi and romanised Hindi) resolves to the
        variant the message itself is written in.
        """
        tokens = words((text or "")[:MAX_DETECT_CHARS])
        lowered = " ".join(tokens)
        named = [
            code
            for code, lexicon in self.lexicons.items()
            if any(
                (name in tokens) if " " not in name else (f" {name} " in f" {lowered} ")
                for name in lexicon.names
            )
        ]
        if len(named) != 1:
            return None
        code = named[0]
        variant = self.variants.get(code)
        if variant and detected == variant:
            return variant
        return code


def read_examples_by_language(nlu_dir: Path) -> Dict[str, List[str]]:
    """Reads the training examples of ``data/nlu/<code>/`` for every language."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: Dict[str, List[str]] = {}
    for lang in languages():
        folder = nlu_dir / lang.code
        if folder.is_dir():
            data = load_data(str(folder))
            examples[lang.code] = [m.get("text") for m in data.intent_examples]
    return examples


def default_nlu_dir() -> Path:
    """The folder of per-language training data."""
    return get_settings().locales_dir.parent / "data" / "nlu"
