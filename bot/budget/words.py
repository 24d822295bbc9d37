"""The words and labels of the budget conversations, per language (data/budget/<code>.yml).

Each file has ``labels`` shown to the client (category names, "a week", "each month") and
``words`` the client may write: income and spending words, done, skip, cancel, forget,
week, month, and, the categories and the month names (format at the top of ``en.yml``).
Phrases are matched word by word, without case, Latin accents or nuktas; a phrase ending
with ``*`` matches any word that starts with its last word. Files are read on first use.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import yaml

from bot.finance.budget import Category
from bot.i18n.languages import language_codes
from bot.settings import PROJECT_ROOT

BUDGET_DATA_DIR = PROJECT_ROOT / "data" / "budget"
SOURCE_LANGUAGE = "en"
"""Read in every message, and the last resort for labels."""

KIND_INCOME_WORD = "income"
KIND_EXPENSE_WORD = "expense"
KIND_DONE = "done"
KIND_SKIP = "skip"
KIND_CANCEL = "cancel"
KIND_FORGET = "forget"
KIND_WEEK = "week"
KIND_MONTH = "month"
KIND_AND = "and"
KIND_CATEGORY = "category"
KIND_MONTH_NAME = "month_name"
WORD_KINDS = (
    KIND_FORGET,
    KIND_CANCEL,
    KIND_DONE,
    KIND_SKIP,
    KIND_WEEK,
    KIND_MONTH,
    KIND_INCOME_WORD,
    KIND_EXPENSE_WORD,
    KIND_AND,
)
"""The word lists of a file's ``words`` whose phrases mean their own kind."""

SECTION_WORDS = "words"
SECTION_LABELS = "labels"
SECTION_CATEGORIES = "categories"
SECTION_MONTHS = "months"
SECTION_FREQUENCIES = "frequencies"
SECTION_EACH_PERIOD = "each_period"
WILDCARD = "*"
NUKTAS = frozenset({"\u093c", "\u09bc"})
LATIN_END = "\u0250"
"""Characters below this are Latin: their accents are dropped for matching."""


def normalise(text: str) -> str:
    """Return ``text`` for matching: no case, no accents on Latin letters, no nuktas."""
    kept: List[str] = []
    latin = False
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if category == "Mn":
            if latin or char in NUKTAS:
                continue
        elif category == "Cf":
            continue
        else:
            latin = char < LATIN_END
        kept.append(char)
    return "".join(kept).casefold()


@dataclass(frozen=True)
class Token:
    """A word of a message: its matching form and its place in the text."""

    key: str
    start: int
    end: int


def tokenize(text: str) -> List[Token]:
    """Split ``text`` into words (letters, marks, digits), keeping their offsets."""
    tokens: List[Token] = []
    start: int | None = None
    for index, char in enumerate(text):
        if unicodedata.category(char)[0] in "LMN" or unicodedata.category(char) == "Cf":
            if start is None:
                start = index
        elif start is not None:
            tokens.append(Token(normalise(text[start:index]), start, index))
            start = None
    if start is not None:
        tokens.append(Token(normalise(text[start:]), start, len(text)))
    return [token for token in tokens if token.key]


@dataclass(frozen=True)
class Phrase:
    """A phrase of the word data and what it means.

    Attributes:
        keys: its words, normalised.
        wildcard: the last word matches any word that starts with it.
        kind: what the phrase is (a ``KIND_*``).
        value: the category or month number it names; the kind for the other kinds.
    """

    keys: Tuple[str, ...]
    wildcard: bool
    kind: str
    value: str


@dataclass(frozen=True)
class Hit:
    """A phrase found in a message.

    Attributes:
        kind: the phrase's kind.
        value: the phrase's value.
        start: where it starts in the text.
        end: where it ends in the text.
        first: the index of its first word.
        last: the index after its last word.
    """

    kind: str
    value: str
    start: int
    end: int
    first: int
    last: int


@dataclass(frozen=True)
class BudgetWords:
    """The words and labels of one or more languages (data/budget/<code>.yml).

    Attributes:
        phrases: every phrase, the client's language first.
        categories: category labels by category.
        frequencies: "{amount} {frequency}" labels by frequency.
        each_period: "each week" / "each month" labels by period.
    """

    phrases: Tuple[Phrase, ...]
    categories: Mapping[str, str]
    frequencies: Mapping[str, str]
    each_period: Mapping[str, str]

    @functools.cached_property
    def _by_first_word(self) -> Dict[str, List[Phrase]]:
        index: Dict[str, List[Phrase]] = {}
        for phrase in self.phrases:
            if not (phrase.wildcard and len(phrase.keys) == 1):
                index.setdefault(phrase.keys[0], []).append(phrase)
        return index

    @functools.cached_property
    def _prefixes(self) -> List[Phrase]:
        return [p for p in self.phrases if p.wildcard and len(p.keys) == 1]

    def find(self, text: str) -> List[Hit]:
        """Return the phrases in ``text``, longest first where they overlap."""
        tokens = tokenize(text)
        hits: List[Hit] = []
        index = 0
        while index < len(tokens):
            best: Tuple[int, Phrase] | None = None
            candidates = self._by_first_word.get(tokens[index].key, []) + self._prefixes
            for phrase in candidates:
                length = _match_length(phrase, tokens, index)
                if length and (best is None or length > best[0]):
                    best = (length, phrase)
            if best is None:
                index += 1
                continue
            length, phrase = best
            hits.append(
                Hit(
                    phrase.kind,
                    phrase.value,
                    tokens[index].start,
                    tokens[index + length - 1].end,
                    index,
                    index + length,
                )
            )
            index += length
        return hits

    def covers(self, text: str, hits: Sequence[Hit]) -> bool:
        """Tell whether ``hits`` cover every word of ``text``."""
        tokens = tokenize(text)
        covered = sum(hit.last - hit.first for hit in hits)
        return bool(tokens) and covered == len(tokens)


def _match_length(phrase: Phrase, tokens: Sequence[Token], index: int) -> int:
    keys = phrase.keys
    if index + len(keys) > len(tokens):
        return 0
    for offset, key in enumerate(keys):
        word = tokens[index + offset].key
        last = offset == len(keys) - 1
        if last and phrase.wildcard:
            if not word.startswith(key):
                return 0
        elif word != key:
            return 0
    return len(keys)


def _phrase(text: str, kind: str, value: str) -> Phrase | None:
    raw = str(text).strip()
    wildcard = raw.endswith(WILDCARD)
    keys = tuple(token.key for token in tokenize(raw.rstrip(WILDCARD)))
    if not keys:
        return None
    return Phrase(keys, wildcard, kind, value)


def _file_phrases(data: Mapping[str, Any]) -> List[Phrase]:
    words = data.get(SECTION_WORDS) or {}
    found: List[Phrase | None] = []
    for kind in WORD_KINDS:
        found += [_phrase(text, kind, kind) for text in words.get(kind) or []]
    for category, texts in (words.get(SECTION_CATEGORIES) or {}).items():
        Category(category)  # a typo in the data fails loudly
        found += [_phrase(text, KIND_CATEGORY, category) for text in texts or []]
    for number, names in enumerate(words.get(SECTION_MONTHS) or [], start=1):
        found += [_phrase(text, KIND_MONTH_NAME, str(number)) for text in names or []]
    return [phrase for phrase in found if phrase is not None]


@functools.cache
def _load_file(path: Path) -> Mapping[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


@functools.lru_cache(maxsize=64)
def budget_words(codes: Tuple[str, ...], data_dir: Path = BUDGET_DATA_DIR) -> BudgetWords:
    """Return the words of the languages ``codes`` (first wins for labels), read once.

    Languages without a data file are skipped; English is the last resort for labels.
    """
    files = [data_dir / f"{code}.yml" for code in codes]
    datas = [_load_file(path) for path in files if path.exists()]
    fallback = _load_file(data_dir / f"{SOURCE_LANGUAGE}.yml")
    labels = [data.get(SECTION_LABELS) or {} for data in datas]
    labels.append(fallback.get(SECTION_LABELS) or {})

    def merged(section: str) -> Dict[str, str]:
        result: Dict[str, str] = {}
        for label in reversed(labels):
            result.update({str(k): str(v) for k, v in (label.get(section) or {}).items()})
        return result

    phrases: List[Phrase] = []
    for data in datas:
        phrases += _file_phrases(data)
    return BudgetWords(
        phrases=tuple(phrases),
        categories=merged(SECTION_CATEGORIES),
        frequencies=merged(SECTION_FREQUENCIES),
        each_period=merged(SECTION_EACH_PERIOD),
    )


def reading_languages(conversation: str | None, detected: Any) -> Tuple[str, ...]:
    """Return the languages to read a message in: the conversation's, the detected, en.

    Args:
        conversation: the conversation's language code.
        detected: the language detected in the message (anything; unknown codes are left out).
    """
    known = set(language_codes())
    codes: List[str] = []
    for code in (conversation, detected, SOURCE_LANGUAGE):
        if isinstance(code, str) and code in known and code not in codes:
            codes.append(code)
    return tuple(codes)


def label_languages(language: str) -> Tuple[str, ...]:
    """Return the languages of the labels shown to a client of ``language``: it, then en."""
    return tuple(dict.fromkeys((language, SOURCE_LANGUAGE)))
