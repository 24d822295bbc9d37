"""Language-agnostic number parsing for client messages.

Reads digits ("10,000", "10.000", "10 000", "1,50,000", "2,5", "१०,०००", "১০০০০"), digit
suffixes ("10k", "1.5m", "2cr") and the number words of every language listed in
locales/languages.yml, from locales/<code>/numbers.yml ("elfu kumi", "diez mil", "dix mille",
"das hazaar", "दस हज़ार", "one and a half lakh", "10 elfu", "elfu 10"), into Decimal values
with the character span they come from. The code knows no language: adding a language is
adding a numbers.yml (its format is described at the top of locales/en/numbers.yml).

Words that are number words in one language but common words in another (hi_Latn "do",
es/fr "un") are listed as `ambiguous`; they only count when the message is in that language
(`languages`) or when an unambiguous number word belongs to the same number ("do lakh").
Otherwise the number is returned with `ambiguous=True` (if asked for) so that the caller can
accept it next to a unit or a currency ("do saal", "char mahine").
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Tuple,
    TypeVar,
)

import regex
import yaml

from bot.settings import get_settings

LANGUAGES_FILE = "languages.yml"
NUMBERS_FILE = "numbers.yml"

# Longest text looked at; the rest of a message is ignored.
MAX_CHARS = 2000

# Token kinds.
WORD = "word"
NUMBER = "number"
SYMBOL = "symbol"

# Roles of number words (sections of numbers.yml).
VALUE = "value"
MULTIPLIER = "multiplier"
ARTICLE = "article"
MODIFIER = "modifier"
HALF = "half"
CONNECTOR = "connector"
# Roles of other parts of a message.
DIGITS = "digits"
ORDINAL = "ordinal"
OTHER = "other"

# Multipliers from this factor close a group ("thousand"); smaller ones ("hundred") multiply
# the count in front of them.
BIG_MULTIPLIER = Decimal(1000)
# Largest count a "hundred" multiplier accepts in front of it ("fifteen hundred").
MAX_HUNDRED_COUNT = Decimal(100)
HALF_VALUE = Decimal("0.5")

_WORD_RE = regex.compile(r"[\p{L}\p{M}\u200c\u200d]+")
_GROUPED_RE = regex.compile(r"\d{1,3}(?P<sep>[,. \u00a0\u202f])\d{3}(?!\d)(?:(?P=sep)\d{3}(?!\d))*")
_INDIAN_RE = regex.compile(r"\d{1,2}(?:,\d{2})+,\d{3}(?!\d)")
_PLAIN_RE = regex.compile(r"\d+")
_DECIMAL_RE = regex.compile(r"[.,]\d+")
_THOUSANDS_SEPARATORS = ",. \u00a0\u202f"
# Hyphens and apostrophes between letters only separate words ("quatre-vingt", "l'an").
_JOINERS = "-'\u2019\u2010\u2011"
# Removed from word keys: Devanagari nukta (people often omit it), zero-width joiners, and
# Bengali chandrabindu (often omitted); Devanagari chandrabindu is read as anusvara.
_DROPPED_MARKS = {"\u093c", "\u200c", "\u200d", "\u0981"}
_REPLACED_MARKS = {"\u0901": "\u0902"}
_LATIN_END = "\u0250"

T = TypeVar("T")


class _DigitMap(dict):
    """`str.translate` table mapping every decimal digit (०-९, ০-৯, ...) to ASCII."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        digit = unicodedata.decimal(char, None) if not char.isascii() else None
        self[code] = ord(str(digit)) if digit is not None else code
        return self[code]


_DIGIT_MAP = _DigitMap()


def normalize_key(text: str) -> str:
    """Return the form under which a word or symbol is looked up.

    Case-folded and compatibility-normalised; accents on Latin letters removed ("millón" ->
    "millon"); Devanagari nukta and Bengali chandrabindu removed, Devanagari chandrabindu
    read as anusvara ("हज़ार" -> "हजार", "पाँच" -> "पांच").

    Args:
        text: A word, symbol or phrase.

    Returns:
        The lookup key.
    """
    chars: List[str] = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if char in _DROPPED_MARKS:
            continue
        char = _REPLACED_MARKS.get(char, char)
        if unicodedata.combining(char) and chars and chars[-1] < _LATIN_END:
            continue
        chars.append(char)
    return unicodedata.normalize("NFC", "".join(chars))


@dataclass(frozen=True)
class Token:
    """A word, a number or a symbol of a message.

    Attributes:
        start: Offset of the first character in the original text.
        end: Offset after the last character.
        kind: WORD, NUMBER or SYMBOL.
        key: Lookup key (see `normalize_key`); for numbers, the digits as typed in ASCII.
        value: The value of a number token.
        plain: True for a number typed as bare digits (no separator, no decimals).
    """

    start: int
    end: int
    kind: str
    key: str
    value: Decimal | None = None
    plain: bool = False


def _scan_number(text: str, pos: int, decimal_comma: bool) -> Tuple[int, Decimal, bool]:
    """Read the number at `pos` of an ASCII-digit text.

    Args:
        text: The text, with all digits already in ASCII.
        pos: Offset of the first digit.
        decimal_comma: Whether "2,5" means 2.5.

    Returns:
        (end offset, value, typed as bare digits).
    """
    grouped = _GROUPED_RE.match(text, pos)
    if grouped:
        separator = grouped.group("sep")
        digits = grouped.group().replace(separator, "")
        end = grouped.end()
        decimal = _DECIMAL_RE.match(text, end)
        if decimal and decimal.group()[0] != separator:
            comma_ok = separator == "." or decimal_comma
            if decimal.group()[0] == "." or comma_ok:
                return decimal.end(), Decimal(digits + "." + decimal.group()[1:]), False
        return end, Decimal(digits), False
    indian = _INDIAN_RE.match(text, pos)
    if indian:
        digits = indian.group().replace(",", "")
        end = indian.end()
        decimal = _DECIMAL_RE.match(text, end)
        if decimal and decimal.group()[0] == ".":
            return decimal.end(), Decimal(digits + "." + decimal.group()[1:]), False
        return end, Decimal(digits), False
    plain = _PLAIN_RE.match(text, pos)
    if plain is None:
        raise ValueError(f"no digit at {pos}")
    end = plain.end()
    decimal = _DECIMAL_RE.match(text, end)
    if decimal and (decimal.group()[0] == "." or decimal_comma):
        return decimal.end(), Decimal(plain.group() + "." + decimal.group()[1:]), False
    return end, Decimal(plain.group()), True


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def tokenize(text: str, decimal_comma: bool = False) -> List[Token]:
    """Split a text into words, numbers and symbols, keeping their offsets.

    Args:
        text: The text (callers cap its length).
        decimal_comma: Whether "2,5" means 2.5 (a comma before exactly 3 digits always
            groups thousands).

    Returns:
        The tokens, in order; whitespace and joiners between letters are dropped.
    """
    ascii_digits = text.translate(_DIGIT_MAP)
    tokens: List[Token] = []
    pos = 0
    length = len(text)
    while pos < length:
        char = ascii_digits[pos]
        if char.isspace():
            pos += 1
        elif "0" <= char <= "9":
            end, value, plain = _scan_number(ascii_digits, pos, decimal_comma)
            tokens.append(Token(pos, end, NUMBER, ascii_digits[pos:end], value, plain))
            pos = end
        elif (word := _WORD_RE.match(text, pos)) is not None:
            tokens.append(Token(pos, word.end(), WORD, normalize_key(word.group())))
            pos = word.end()
        elif (
            char in _JOINERS
            and 0 < pos < length - 1
            and _is_letter(text[pos - 1])
            and _is_letter(text[pos + 1])
        ):
            pos += 1
        else:
            tokens.append(Token(pos, pos + 1, SYMBOL, normalize_key(char)))
            pos += 1
    return tokens


def phrase_keys(phrase: str) -> Tuple[str, ...]:
    """Return the token keys of a phrase from a data file ("per month" -> per, month).

    A trailing "*" is kept on the last key: it matches any word starting with the rest.

    Args:
        phrase: The phrase as written in a data file.

    Returns:
        The keys, empty when the phrase has no token.
    """
    phrase = str(phrase).strip()
    wildcard = phrase.endswith("*") and len(phrase) > 1
    keys = [token.key for token in tokenize(phrase.rstrip("*") if wildcard else phrase)]
    if wildcard and keys:
        keys[-1] += "*"
    return tuple(keys)


class PhraseIndex(Generic[T]):
    """Find data-file phrases in token lists, longest first."""

    def __init__(self) -> None:
        """Create an empty index."""
        self._by_first: Dict[str, List[Tuple[Tuple[str, ...], List[T]]]] = {}
        # One-word phrases with a trailing "*", by their first character.
        self._wildcards: Dict[str, List[Tuple[Tuple[str, ...], List[T]]]] = {}
        self.max_length = 0

    def add(self, phrase: str, item: T) -> None:
        """Add a phrase (a trailing "*" matches any ending of the last word).

        Args:
            phrase: The phrase as written in a data file.
            item: What the phrase stands for.
        """
        keys = phrase_keys(phrase)
        if not keys:
            return
        self.max_length = max(self.max_length, len(keys))
        if keys[0].endswith("*") and len(keys) == 1:
            bucket = self._wildcards.setdefault(keys[0][0], [])
        else:
            bucket = self._by_first.setdefault(keys[0], [])
        for known_keys, items in bucket:
            if known_keys == keys:
                items.append(item)
                return
        bucket.append((keys, [item]))
        bucket.sort(key=lambda entry: -len(entry[0]))

    @staticmethod
    def _fits(keys: Tuple[str, ...], tokens: List[Token], start: int) -> bool:
        if start + len(keys) > len(tokens):
            return False
        for offset, key in enumerate(keys):
            token = tokens[start + offset]
            if key.endswith("*") and len(key) > 1:
                if token.kind != WORD or not token.key.startswith(key[:-1]):
                    return False
            elif token.key != key:
                return False
        return True

    def matches(self, tokens: List[Token], start: int) -> Iterator[Tuple[int, List[T]]]:
        """Yield the phrases starting at a token, longest first.

        Args:
            tokens: The message's tokens.
            start: Index of the first token.

        Yields:
            (number of tokens, items of the phrase).
        """
        if start >= len(tokens):
            return
        for keys, items in self._by_first.get(tokens[start].key, []):
            if self._fits(keys, tokens, start):
                yield len(keys), items
        for keys, items in self._wildcards.get(tokens[start].key[:1], []):
            if self._fits(keys, tokens, start):
                yield len(keys), items

    def match(self, tokens: List[Token], start: int) -> Tuple[int, List[T]] | None:
        """Return the longest phrase starting at a token.

        Args:
            tokens: The message's tokens.
            start: Index of the first token.

        Returns:
            (number of tokens, items of the phrase), or None.
        """
        return next(self.matches(tokens, start), None)

    def match_ending(self, tokens: List[Token], end: int) -> Tuple[int, List[T]] | None:
        """Return the longest phrase ending just before token `end`.

        Args:
            tokens: The message's tokens.
            end: Index of the token after the phrase.

        Returns:
            (index of the first token, items of the phrase), or None.
        """
        for start in range(max(0, end - self.max_length), end):
            for length, items in self.matches(tokens, start):
                if start + length == end:
                    return start, items
        return None


@dataclass(frozen=True)
class Entry:
    """What a number word means in one language.

    Attributes:
        language: The language code.
        role: VALUE, MULTIPLIER, ARTICLE, MODIFIER, HALF or CONNECTOR.
        value: The value, the factor or the amount added (1 for articles, 0.5 for halves).
        prefix: For multipliers of languages that put them first ("elfu kumi").
        ambiguous: Listed as ambiguous in that language.
    """

    language: str
    role: str
    value: Decimal
    prefix: bool = False
    ambiguous: bool = False


@dataclass
class Lexicon:
    """The number words, suffixes and settings of all languages.

    Attributes:
        words: Phrase index of number words.
        suffixes: Digit suffixes ("k" -> 1000).
        ordinal_suffixes: Digit suffixes that make ordinals ("st").
        decimal_comma: Languages where "2,5" means 2.5.
        languages: Language codes, in the order of languages.yml.
    """

    words: PhraseIndex[Entry] = field(default_factory=PhraseIndex)
    suffixes: Dict[str, Decimal] = field(default_factory=dict)
    ordinal_suffixes: set = field(default_factory=set)
    decimal_comma: set = field(default_factory=set)
    languages: Tuple[str, ...] = ()

    def allows_decimal_comma(self, languages: Iterable[str] | None) -> bool:
        """Whether "2,5" means 2.5 for a message.

        Args:
            languages: The message's languages, or None when unknown.

        Returns:
            True when unknown or when one of the languages writes decimals with a comma.
        """
        if languages is None:
            return True
        return any(language in self.decimal_comma for language in languages)


def _to_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error


def read_yaml(path: Path) -> Dict[str, Any]:
    """Read a YAML mapping (an empty file gives an empty mapping).

    Args:
        path: The file.

    Returns:
        Its content.
    """
    with path.open(encoding="utf-8") as handle:
        content = yaml.safe_load(handle)
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ValueError(f"{path} must contain a mapping")
    return content


def locales_dir_or_default(locales_dir: Path | None) -> Path:
    """Return the locales directory to read: the one given, else the deployment's.

    Args:
        locales_dir: A directory, or None for ``get_settings().locales_dir``.

    Returns:
        The directory.
    """
    return Path(locales_dir) if locales_dir is not None else get_settings().locales_dir


def language_codes(locales_dir: Path | None = None) -> Tuple[str, ...]:
    """Return the language codes of locales/languages.yml, in order.

    Args:
        locales_dir: The locales directory (default: the deployment's).

    Returns:
        The codes.
    """
    content = read_yaml(locales_dir_or_default(locales_dir) / LANGUAGES_FILE)
    return tuple(str(language["code"]) for language in content.get("languages", []))


def add_language(lexicon: Lexicon, language: str, data: Dict[str, Any]) -> None:
    """Add the content of one numbers.yml to a lexicon.

    Args:
        lexicon: The lexicon to extend.
        language: The language code.
        data: The parsed numbers.yml.
    """
    ambiguous = {normalize_key(str(word)) for word in data.get("ambiguous") or []}
    prefix = data.get("multiplier_position", "after") == "before"
    if data.get("decimal_comma"):
        lexicon.decimal_comma.add(language)

    def add(phrase: Any, role: str, value: Any, is_prefix: bool = False) -> None:
        entry = Entry(
            language,
            role,
            _to_decimal(value),
            is_prefix,
            normalize_key(str(phrase)) in ambiguous,
        )
        lexicon.words.add(str(phrase), entry)

    for phrase, value in (data.get("values") or {}).items():
        add(phrase, VALUE, value)
    for phrase, value in (data.get("multipliers") or {}).items():
        add(phrase, MULTIPLIER, value, prefix)
    for phrase, value in (data.get("modifiers") or {}).items():
        add(phrase, MODIFIER, value)
    for phrase in data.get("articles") or []:
        add(phrase, ARTICLE, 1)
    for phrase in data.get("halves") or []:
        add(phrase, HALF, HALF_VALUE)
    for phrase in data.get("connectors") or []:
        add(phrase, CONNECTOR, 0)
    for suffix, value in (data.get("suffixes") or {}).items():
        lexicon.suffixes[normalize_key(str(suffix))] = _to_decimal(value)
    for suffix in data.get("ordinal_suffixes") or []:
        lexicon.ordinal_suffixes.add(normalize_key(str(suffix)))


def load_lexicon(locales_dir: Path | None = None) -> Lexicon:
    """Return the number words of every language of languages.yml (read once).

    Args:
        locales_dir: The locales directory (default: the deployment's).

    Returns:
        The lexicon.
    """
    return _load_lexicon(locales_dir_or_default(locales_dir))


@functools.lru_cache(maxsize=4)
def _load_lexicon(locales_dir: Path) -> Lexicon:
    codes = language_codes(locales_dir)
    lexicon = Lexicon(languages=codes)
    for code in codes:
        path = locales_dir / code / NUMBERS_FILE
        if path.exists():
            add_language(lexicon, code, read_yaml(path))
    return lexicon


@dataclass(frozen=True)
class NumberSpan:
    """A number found in a text.

    Attributes:
        start: Offset of its first character in the text.
        end: Offset after its last character.
        value: Its value.
        ambiguous: Made only of words that are common words in the message's languages.
        has_multiplier: Contains a multiplier or suffix ("10k", "elfu kumi", "5 hazaar").
        has_words: Contains number words.
        plain: A single number typed as bare digits ("0712345678", "2024").
        token_start: Index of its first token (in `tokenize(text)`).
        token_end: Index after its last token.
    """

    start: int
    end: int
    value: Decimal
    ambiguous: bool = False
    has_multiplier: bool = False
    has_words: bool = False
    plain: bool = False
    token_start: int = 0
    token_end: int = 0


@dataclass(frozen=True)
class _Part:
    """A number word, a number with its suffix, or anything else, with its tokens."""

    role: str
    first: int
    last: int
    value: Decimal = Decimal(0)
    factor: Decimal | None = None
    prefix: bool = False
    free: bool = True
    plain: bool = False


def _choose(entries: List[Entry], active: frozenset | None) -> Tuple[Entry, bool]:
    """Pick the meaning of a number word and whether it may be used freely."""
    in_active = [e for e in entries if active is not None and e.language in active]
    unambiguous = [e for e in entries if not e.ambiguous]
    chosen = (in_active or unambiguous or entries)[0]
    return chosen, bool(in_active or unambiguous)


def _segment(tokens: List[Token], lexicon: Lexicon, active: frozenset | None) -> List[_Part]:
    """Group tokens into number words, numbers (with their suffix) and other tokens."""
    parts: List[_Part] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        attached = following is not None and following.kind == WORD and following.start == token.end
        if token.kind == NUMBER and token.value is not None:
            if attached and following.key in lexicon.ordinal_suffixes:
                parts.append(_Part(ORDINAL, index, index + 1))
                index += 2
            elif attached and following.key in lexicon.suffixes:
                factor = lexicon.suffixes[following.key]
                parts.append(_Part(DIGITS, index, index + 1, token.value, factor))
                index += 2
            else:
                parts.append(_Part(DIGITS, index, index, token.value, plain=token.plain))
                index += 1
            continue
        found = lexicon.words.match(tokens, index) if token.kind == WORD else None
        if found is None:
            parts.append(_Part(OTHER, index, index))
            index += 1
            continue
        length, entries = found
        entry, free = _choose(entries, active)
        parts.append(
            _Part(entry.role, index, index + length - 1, entry.value, None, entry.prefix, free)
        )
        index += length
    return parts


def _place(value: Decimal) -> Decimal:
    """Return the smallest power of ten in which a whole number has a non-zero digit."""
    place = Decimal(1)
    while value % (place * 10) == 0:
        place *= 10
    return place


def _is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


@dataclass(frozen=True)
class _Parsed:
    value: Decimal
    next_part: int
    has_multiplier: bool


class _Composer:
    """Composes number parts into values (see the numbers.yml format)."""

    def __init__(self, parts: List[_Part], usable: Callable[[_Part], bool]) -> None:
        self.parts = parts
        self.usable = usable

    def _is_number_part(self, index: int) -> bool:
        if index >= len(self.parts):
            return False
        part = self.parts[index]
        return part.role not in (OTHER, ORDINAL, CONNECTOR) and self.usable(part)

    def parse(self, start: int, bound: Decimal | None = None) -> _Parsed | None:
        """Parse the longest number starting at a part.

        Args:
            start: Index of the first part.
            bound: For the number after a multiplier placed first ("elfu kumi"): the
                multiplier; the number must be smaller and cannot contain multipliers
                placed after their count.

        Returns:
            The number, or None.
        """
        parts = self.parts
        total = Decimal(0)
        current: Decimal | None = None  # the count of the open group
        count_is_digits = False
        pending: Decimal | None = None  # a modifier waiting for its count
        last_big: Decimal | None = None
        last_hundred: Decimal | None = None
        has_multiplier = False
        best: _Parsed | None = None
        group_start_best: _Parsed | None = None
        index = start

        def result(next_part: int) -> _Parsed:
            return _Parsed(total + (current or 0), next_part, has_multiplier)

        def open_group() -> None:
            nonlocal group_start_best
            group_start_best = best

        while index < len(parts):
            part = parts[index]
            if not self.usable(part) or part.role in (OTHER, ORDINAL):
                break
            role = part.role
            if role == CONNECTOR:
                if best is None or pending is not None or not self._is_number_part(index + 1):
                    break
                index += 1
                continue
            if role == ARTICLE:
                following = index + 1
                if current is not None or pending is not None or following >= len(parts):
                    break
                if parts[following].role != MULTIPLIER or not self.usable(parts[following]):
                    break
                open_group()
                current, count_is_digits = Decimal(1), False
                index += 1
                continue
            if role == MODIFIER:
                if current is not None or pending is not None:
                    break
                open_group()
                pending = part.value
                index += 1
                continue
            if role == DIGITS:
                if current is not None:
                    break
                value = part.value + (pending or 0)
                if bound is not None and (part.factor is not None or value >= bound):
                    break
                if pending is None:
                    open_group()
                pending = None
                if part.factor is not None:
                    if last_big is not None and part.factor >= last_big:
                        return group_start_best
                    total += value * part.factor
                    last_big, has_multiplier = part.factor, True
                    current = None
                    last_hundred = None
                    best = result(index + 1)
                else:
                    current, count_is_digits, last_hundred = value, True, None
                    if total == 0:
                        best = result(index + 1)
                index += 1
                continue
            if role == VALUE:
                value = part.value + (pending or 0)
                if current is None:
                    if pending is None:
                        open_group()
                    current, count_is_digits = value, False
                elif (
                    count_is_digits
                    or pending is not None
                    or not _is_whole(current)
                    or not _is_whole(value)
                    or value >= _place(current)
                ):
                    break
                else:
                    current += value
                pending = None
                if bound is not None and current >= bound:
                    break
                last_hundred = None
                best = result(index + 1)
                index += 1
                continue
            if role == HALF:
                if pending is not None:
                    break
                if current is not None and last_hundred is not None:
                    current += last_hundred * HALF_VALUE
                elif current is not None:
                    current += HALF_VALUE
                elif last_big is not None and best is not None:
                    total += last_big * HALF_VALUE
                else:
                    break
                if bound is not None and current is not None and current >= bound:
                    break
                best = result(index + 1)
                index += 1
                continue
            # MULTIPLIER
            factor = part.value
            if bound is not None and factor >= bound:
                break
            next_index = index + 1
            if current is not None:
                # Placed after its count ("ten thousand", "10 elfu"); a multiplier of a
                # language that puts it first only follows digits.
                if bound is not None or (part.prefix and not count_is_digits):
                    break
                count = current
            else:
                count = Decimal(1) + (pending or 0)
                if pending is None:
                    open_group()
                pending = None
                if part.prefix:
                    operand = self.parse(index + 1, factor)
                    if operand is not None and operand.value > 0:
                        count, next_index = operand.value, operand.next_part
            if factor < BIG_MULTIPLIER:
                if current is not None and current >= MAX_HUNDRED_COUNT:
                    break
                current, count_is_digits = count * factor, False
                last_hundred = factor
            else:
                if last_big is not None and factor >= last_big:
                    return group_start_best
                total += count * factor
                current, last_big, last_hundred = None, factor, None
            has_multiplier = True
            best = result(next_index)
            index = next_index
        return best


def _span(
    tokens: List[Token], parts: List[_Part], start: int, parsed: _Parsed, ambiguous: bool
) -> NumberSpan:
    used = parts[start : parsed.next_part]
    first, last = tokens[used[0].first], tokens[used[-1].last]
    single_plain = len(used) == 1 and used[0].role == DIGITS and used[0].plain
    return NumberSpan(
        start=first.start,
        end=last.end,
        value=parsed.value,
        ambiguous=ambiguous,
        has_multiplier=parsed.has_multiplier,
        has_words=any(part.role != DIGITS for part in used),
        plain=single_plain,
        token_start=used[0].first,
        token_end=used[-1].last + 1,
    )


def _compose_all(
    tokens: List[Token],
    parts: List[_Part],
    usable: Callable[[_Part], bool],
    first: int,
    last: int,
    include_ambiguous: bool,
    spans: List[NumberSpan],
) -> None:
    """Find the numbers in parts[first:last] and appends them to `spans`."""
    composer = _Composer(parts, usable)
    index = first
    while index < last:
        parsed = composer.parse(index)
        if parsed is None or parsed.next_part > last:
            index += 1
            continue
        used = parts[index : parsed.next_part]
        # Only values and multipliers tell that a number is meant ("a", "and" do not).
        evidence = [part for part in used if part.role in (VALUE, MULTIPLIER)]
        has_digits = any(part.role == DIGITS for part in used)
        every_part_free = all(part.free for part in used)
        if every_part_free or any(part.free for part in evidence):
            spans.append(_span(tokens, parts, index, parsed, ambiguous=False))
        elif not has_digits:
            if include_ambiguous:
                spans.append(_span(tokens, parts, index, parsed, ambiguous=True))
        else:
            # Digits with ambiguous words only ("50 cents"): read again without those words.
            _compose_all(
                tokens,
                parts,
                lambda part: usable(part) and (part.role == DIGITS or part.free),
                index,
                parsed.next_part,
                include_ambiguous,
                spans,
            )
        index = parsed.next_part


def find_numbers(
    tokens: List[Token],
    languages: Iterable[str] | None = None,
    *,
    lexicon: Lexicon | None = None,
    include_ambiguous: bool = False,
) -> List[NumberSpan]:
    """Find the numbers in tokenised text.

    Args:
        tokens: The tokens (from `tokenize`).
        languages: The message's languages (detected language plus English), or None when
            unknown; ambiguous words of other languages need an unambiguous number word.
        lexicon: The number words (default: `load_lexicon()`).
        include_ambiguous: Also return numbers made only of ambiguous words, flagged.

    Returns:
        The numbers, in text order; ordinals ("1st") are left out.
    """
    lexicon = lexicon if lexicon is not None else load_lexicon()
    active = frozenset(languages) if languages is not None else None
    parts = _segment(tokens, lexicon, active)
    spans: List[NumberSpan] = []
    _compose_all(tokens, parts, lambda part: True, 0, len(parts), include_ambiguous, spans)
    return spans


def parse_numbers(
    text: str,
    languages: Iterable[str] | None = None,
    *,
    lexicon: Lexicon | None = None,
    include_ambiguous: bool = False,
) -> List[NumberSpan]:
    """Find the numbers of a text, in any supported language.

    Args:
        text: The text; only its first MAX_CHARS characters are read.
        languages: The message's languages (detected language plus English), or None when
            unknown.
        lexicon: The number words (default: `load_lexicon()`).
        include_ambiguous: Also return numbers made only of ambiguous words, flagged.

    Returns:
        The numbers, in text order, with spans in the original text.
    """
    if not isinstance(text, str) or not text:
        return []
    lexicon = lexicon if lexicon is not None else load_lexicon()
    language_list = list(languages) if languages is not None else None
    tokens = tokenize(text[:MAX_CHARS], lexicon.allows_decimal_comma(language_list))
    return find_numbers(tokens, language_list, lexicon=lexicon, include_ambiguous=include_ambiguous)
