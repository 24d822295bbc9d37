"""Entities with normalised values, found by rules in client messages of any language.

From a text (and the numbers bot/nlu/numbers.py finds in it) this module extracts the
entities of docs/nlu.md as dicts {"entity", "value", "start", "end"}: amount, currency,
rate, rate_period, duration, duration_unit, frequency, interest_method and topic. Words come
from locales/<code>/terms.yml (one per language of locales/languages.yml, format at the top of
locales/en/terms.yml) and currencies from bot/nlu/currencies.yml; the code knows no language.

Order of the rules (each consumes its words, so a word serves one entity):
1. rates: a number with a rate marker ("2%", "asilimia 2"), then its period ("per month");
2. frequencies that are always frequencies ("every week", "kila wiki");
3. durations: a number with a unit ("6 months", "miezi sita") that is not money-like;
4. amounts: other money-like numbers, with an adjacent currency and period ("500 a week");
5. periods left alone ("how much per month") become frequencies;
6. interest methods, topics and currencies anywhere.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

from bot.nlu.numbers import (
    NUMBER,
    WORD,
    Lexicon,
    NumberSpan,
    PhraseIndex,
    Token,
    find_numbers,
    language_codes,
    load_lexicon,
    locales_dir_or_default,
    read_yaml,
    tokenize,
)

CURRENCIES_FILE = Path(__file__).with_name("currencies.yml")
TERMS_FILE = "terms.yml"
MAX_CHARS = 2000

# Entity names (docs/nlu.md).
AMOUNT = "amount"
CURRENCY = "currency"
RATE = "rate"
RATE_PERIOD = "rate_period"
DURATION = "duration"
DURATION_UNIT = "duration_unit"
FREQUENCY = "frequency"
INTEREST_METHOD = "interest_method"
TOPIC = "topic"

# Keys of an entity dict.
ENTITY = "entity"
VALUE = "value"
START = "start"
END = "end"

PERIOD_FREQUENCIES = {
    "day": "daily",
    "week": "weekly",
    "fortnight": "fortnightly",
    "month": "monthly",
    "year": "yearly",
    "season": "seasonal",
}
FREQUENCY_PERIODS = {frequency: period for period, frequency in PERIOD_FREQUENCIES.items()}
RATE_PERIOD_VALUES = ("week", "month", "year")
# Longest duration believed in each unit; a larger number is an amount ("10000 mahina").
MAX_DURATION = {
    "day": Decimal(1095),
    "week": Decimal(260),
    "month": Decimal(120),
    "year": Decimal(30),
}
METHOD_VALUES = ("flat", "declining")
TOPIC_VALUES = ("budgeting", "saving", "interest", "borrowing", "repayment", "digital_safety")

# A number below this, without currency or multiplier, is not an amount (a menu choice "2",
# "3 children").
MIN_AMOUNT = Decimal(10)
# Numbers above this are not amounts, rates or durations (IDs, garbage).
MAX_VALUE = Decimal("1e15")
# Bare digit runs this long are phone or account numbers, not amounts.
PHONE_DIGITS = 10
# Words allowed between a rate and its period ("2% interest per month").
MAX_RATE_PERIOD_GAP = 2
# Symbols joining numbers of dates, times and fractions ("12/05/2024", "10:30").
_DATE_SEPARATORS = ("/", ":")
# Written after amounts by some clients ("5000/-", "5000/=").
_AMOUNT_ENDINGS = (("/", "-"), ("/", "="))


@dataclass
class Terms:
    """The phrases of all languages, by what they mean.

    Attributes:
        rate_after: Rate markers after the number.
        rate_before: Rate markers before the number.
        units: Duration units -> (unit, may stand before the number).
        frequencies: Phrases that are always a frequency.
        periods: Period phrases (after an amount or rate, or alone).
        attached_periods: Period phrases only right after an amount or a rate.
        rate_periods: Period phrases only right after a rate.
        methods: Interest methods.
        topics: Topics.
        currencies: Currency names -> (ISO code, only next to a number).
    """

    rate_after: PhraseIndex[str] = field(default_factory=PhraseIndex)
    rate_before: PhraseIndex[str] = field(default_factory=PhraseIndex)
    units: PhraseIndex[Tuple[str, bool]] = field(default_factory=PhraseIndex)
    frequencies: PhraseIndex[str] = field(default_factory=PhraseIndex)
    periods: PhraseIndex[str] = field(default_factory=PhraseIndex)
    attached_periods: PhraseIndex[str] = field(default_factory=PhraseIndex)
    rate_periods: PhraseIndex[str] = field(default_factory=PhraseIndex)
    methods: PhraseIndex[str] = field(default_factory=PhraseIndex)
    topics: PhraseIndex[str] = field(default_factory=PhraseIndex)
    currencies: PhraseIndex[Tuple[str, bool]] = field(default_factory=PhraseIndex)


def _phrases(section: Any, allowed: Iterable[str], where: str) -> Iterable[Tuple[str, str]]:
    """Yield (value, phrase) of a data-file section {value: [phrases]}, checking values."""
    allowed = tuple(allowed)
    for value, phrases in (section or {}).items():
        if value not in allowed:
            raise ValueError(f"{where}: unknown value {value!r} (expected one of {allowed})")
        for phrase in phrases or []:
            yield value, str(phrase)


def add_terms(terms: Terms, data: Dict[str, Any], where: str) -> None:
    """Add the content of one terms.yml to the terms.

    Args:
        terms: The terms to extend.
        data: The parsed terms.yml.
        where: The file name, for error messages.
    """
    rate = data.get("rate") or {}
    for phrase in rate.get("after") or []:
        terms.rate_after.add(str(phrase), RATE)
    for phrase in rate.get("before") or []:
        terms.rate_before.add(str(phrase), RATE)
    before = bool(data.get("units_before_number"))
    for unit, phrase in _phrases(data.get("units"), MAX_DURATION, where):
        terms.units.add(phrase, (unit, before))
    for frequency, phrase in _phrases(data.get("frequencies"), FREQUENCY_PERIODS, where):
        terms.frequencies.add(phrase, frequency)
    sections = (
        ("periods", terms.periods, PERIOD_FREQUENCIES),
        ("attached_periods", terms.attached_periods, PERIOD_FREQUENCIES),
        ("rate_periods", terms.rate_periods, RATE_PERIOD_VALUES),
        ("methods", terms.methods, METHOD_VALUES),
        ("topics", terms.topics, TOPIC_VALUES),
    )
    for name, index, allowed in sections:
        for value, phrase in _phrases(data.get(name), allowed, f"{where}: {name}"):
            index.add(phrase, value)


def add_currencies(terms: Terms, data: Dict[str, Any]) -> None:
    """Add the currency table (currencies.yml) to the terms.

    Args:
        terms: The terms to extend.
        data: The parsed currencies.yml.
    """
    for code, entry in (data.get("currencies") or {}).items():
        ambiguous = {str(name) for name in entry.get("ambiguous") or []}
        for name in entry.get("names") or []:
            terms.currencies.add(str(name), (str(code), str(name) in ambiguous))


def load_terms(locales_dir: Path | None = None, currencies_file: Path = CURRENCIES_FILE) -> Terms:
    """Return the terms.yml phrases of every language and the currencies (read once).

    Args:
        locales_dir: The locales directory (default: the deployment's).
        currencies_file: The currency table.

    Returns:
        The terms.
    """
    return _load_terms(locales_dir_or_default(locales_dir), Path(currencies_file))


@functools.lru_cache(maxsize=4)
def _load_terms(locales_dir: Path, currencies_file: Path) -> Terms:
    terms = Terms()
    for code in language_codes(locales_dir):
        path = locales_dir / code / TERMS_FILE
        if path.exists():
            add_terms(terms, read_yaml(path), str(path))
    add_currencies(terms, read_yaml(currencies_file))
    return terms


def json_number(value: Decimal) -> int | float:
    """Return a Decimal as an int when whole, else as a float.

    Args:
        value: The number.

    Returns:
        The number for an entity value.
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


class _Extraction:
    """The state of one extraction: tokens, which are used, and the entities found."""

    def __init__(self, tokens: List[Token], numbers: List[NumberSpan], terms: Terms) -> None:
        self.tokens = tokens
        self.terms = terms
        self.used = [False] * len(tokens)
        self.numbers = [number for number in numbers if not self._is_noise(number)]
        self.entities: List[Dict[str, Any]] = []
        self.currency_starts: set = set()

    # --- helpers ---------------------------------------------------------------------

    def _touching(self, one: int, other: int) -> bool:
        """Tell whether two neighbouring tokens have no space between them."""
        left, right = min(one, other), max(one, other)
        tokens = self.tokens
        return 0 <= left and right < len(tokens) and tokens[left].end == tokens[right].start

    def _is_noise(self, number: NumberSpan) -> bool:
        """Tell phone numbers, dates, times and fractions ("1/2") apart from values."""
        tokens = self.tokens
        first, last = number.token_start, number.token_end - 1
        key = tokens[first].key
        if number.value > MAX_VALUE:
            return True
        if number.plain and (len(key) >= PHONE_DIGITS or (len(key) > 1 and key[0] == "0")):
            return True
        if first > 0 and tokens[first - 1].key == "+" and self._touching(first - 1, first):
            return True
        for near, symbol, other in ((first, first - 1, first - 2), (last, last + 1, last + 2)):
            if (
                self._touching(near, symbol)
                and self._touching(symbol, other)
                and tokens[symbol].key in _DATE_SEPARATORS
                and tokens[other].kind == NUMBER
            ):
                return True
        return False

    def free(self, start: int, end: int) -> bool:
        """Tell whether tokens[start:end] exist and none is used yet."""
        return 0 <= start < end <= len(self.tokens) and not any(self.used[start:end])

    def use(self, start: int, end: int) -> None:
        """Mark tokens[start:end] as used."""
        for index in range(start, end):
            self.used[index] = True

    def add(self, entity: str, value: Any, first: int, end: int) -> None:
        """Add an entity covering tokens[first:end]."""
        self.entities.append(
            {
                ENTITY: entity,
                VALUE: value,
                START: self.tokens[first].start,
                END: self.tokens[end - 1].end,
            }
        )

    def match_after(self, index: int, phrase_index: PhraseIndex[Any]) -> Tuple[int, Any] | None:
        """Return (end, first item) of a free phrase starting at token `index`."""
        found = phrase_index.match(self.tokens, index)
        if found is None or not self.free(index, index + found[0]):
            return None
        return index + found[0], found[1][0]

    def match_before(self, index: int, phrase_index: PhraseIndex[Any]) -> Tuple[int, Any] | None:
        """Return (start, first item) of a free phrase ending just before token `index`."""
        found = phrase_index.match_ending(self.tokens, index)
        if found is None or not self.free(found[0], index):
            return None
        return found[0], found[1][0]

    def period_after(self, index: int, with_rate_periods: bool) -> Tuple[int, int, str] | None:
        """Return (start, end, period) of the longest period phrase starting at token `index`."""
        candidates = [
            (self.match_after(index, self.terms.attached_periods), None),
            (self.match_after(index, self.terms.periods), None),
            (self.match_after(index, self.terms.frequencies), FREQUENCY_PERIODS),
        ]
        if with_rate_periods:
            candidates.append((self.match_after(index, self.terms.rate_periods), None))
        best: Tuple[int, int, str] | None = None
        for found, mapping in candidates:
            if found is not None and (best is None or found[0] > best[1]):
                period = mapping[found[1]] if mapping else found[1]
                best = (index, found[0], period)
        return best

    def period_before(self, index: int) -> Tuple[int, int, str] | None:
        """Return (start, end, period) of a period phrase ending just before token `index`."""
        found = self.match_before(index, self.terms.periods)
        if found is not None:
            return found[0], index, found[1]
        found = self.match_before(index, self.terms.frequencies)
        if found is not None:
            return found[0], index, FREQUENCY_PERIODS[found[1]]
        return None

    def pending_numbers(self) -> List[NumberSpan]:
        """Return the numbers whose tokens are all still free."""
        return [n for n in self.numbers if self.free(n.token_start, n.token_end)]

    # --- rules -----------------------------------------------------------------------

    def rates(self) -> None:
        """Find rates ("2%", "asilimia 2") and their periods ("per month")."""
        for number in self.pending_numbers():
            after = self.match_after(number.token_end, self.terms.rate_after)
            if after is not None:
                first, end = number.token_start, after[0]
            else:
                before = self.match_before(number.token_start, self.terms.rate_before)
                if before is None:
                    continue
                first, end = before[0], number.token_end
            self.use(first, end)
            self.add(RATE, json_number(number.value), first, end)
            period = self._rate_period_after(end) or self.period_before(first)
            if period is not None and period[2] in RATE_PERIOD_VALUES:
                self.use(period[0], period[1])
                self.add(RATE_PERIOD, period[2], period[0], period[1])

    def _rate_period_after(self, index: int) -> Tuple[int, int, str] | None:
        for _gap in range(MAX_RATE_PERIOD_GAP + 1):
            if index >= len(self.tokens) or self.used[index]:
                return None
            period = self.period_after(index, with_rate_periods=True)
            if period is not None:
                return period
            if self.tokens[index].kind != WORD:
                return None
            index += 1
        return None

    def frequencies(self) -> None:
        """Find phrases that are always frequencies ("every week", "kila wiki")."""
        index = 0
        while index < len(self.tokens):
            found = self.match_after(index, self.terms.frequencies)
            if found is None:
                index += 1
                continue
            self.use(index, found[0])
            self.add(FREQUENCY, found[1], index, found[0])
            index = found[0]

    def currency_next_to(self, number: NumberSpan) -> Tuple[int, int, str] | None:
        """Return (start, end, code) of a currency right before or after a number."""
        before = self.match_before(number.token_start, self.terms.currencies)
        if before is not None:
            return before[0], number.token_start, before[1][0]
        after = self.match_after(number.token_end, self.terms.currencies)
        if after is not None:
            return number.token_end, after[0], after[1][0]
        return None

    def durations(self) -> None:
        """Find durations ("6 months", "miezi sita", "18mo") of numbers that are not money."""
        for number in self.pending_numbers():
            if number.has_multiplier:
                continue
            unit_span = None
            after = self.match_after(number.token_end, self.terms.units)
            if after is not None:
                unit_span = (number.token_end, after[0], after[1][0])
            else:
                before = self.match_before(number.token_start, self.terms.units)
                currency = self.match_after(number.token_end, self.terms.currencies)
                if before is not None and before[1][1] and currency is None:
                    unit_span = (before[0], number.token_start, before[1][0])
            if unit_span is None:
                continue
            start, end, unit = unit_span
            if not 0 < number.value <= MAX_DURATION[unit]:
                continue
            self.use(number.token_start, number.token_end)
            self.use(start, end)
            self.add(DURATION, json_number(number.value), number.token_start, number.token_end)
            self.add(DURATION_UNIT, unit, start, end)

    def _skip_amount_ending(self, index: int) -> int:
        for ending in _AMOUNT_ENDINGS:
            keys = tuple(token.key for token in self.tokens[index : index + len(ending)])
            if keys == ending:
                return index + len(ending)
        return index

    def amounts(self) -> None:
        """Find amounts, with their currency and period ("ksh 500 a week")."""
        for number in self.pending_numbers():
            currency = self.currency_next_to(number)
            money_like = currency is not None or number.has_multiplier
            if number.value <= 0 or (number.ambiguous and currency is None):
                continue
            if not money_like and number.value < MIN_AMOUNT:
                continue
            first, end = number.token_start, number.token_end
            self.use(first, end)
            self.add(AMOUNT, json_number(number.value), first, end)
            if currency is not None:
                self.use(currency[0], currency[1])
                self.currency_starts.add(currency[0])
                first, end = min(first, currency[0]), max(end, currency[1])
            period = self.period_after(self._skip_amount_ending(end), with_rate_periods=False)
            if period is None:
                period = self.period_before(first)
            if period is not None:
                self.use(period[0], period[1])
                self.add(FREQUENCY, PERIOD_FREQUENCIES[period[2]], period[0], period[1])

    def lone_periods(self) -> None:
        """Turn period phrases left alone into frequencies ("how much per month")."""
        index = 0
        while index < len(self.tokens):
            found = self.match_after(index, self.terms.periods)
            if found is None:
                index += 1
                continue
            self.use(index, found[0])
            self.add(FREQUENCY, PERIOD_FREQUENCIES[found[1]], index, found[0])
            index = found[0]

    def keywords(self, phrase_index: PhraseIndex[str], entity: str) -> None:
        """Add each value of a keyword list once, at its first place."""
        seen = set()
        index = 0
        while index < len(self.tokens):
            found = phrase_index.match(self.tokens, index)
            if found is None:
                index += 1
                continue
            length, values = found
            if values[0] not in seen:
                seen.add(values[0])
                self.add(entity, values[0], index, index + length)
            index += length

    def currencies(self) -> None:
        """Add the currencies named: next to an amount, or unambiguous names anywhere."""
        index = 0
        while index < len(self.tokens):
            found = self.terms.currencies.match(self.tokens, index)
            if found is None:
                index += 1
                continue
            length, items = found
            code, ambiguous = items[0]
            if index in self.currency_starts or not ambiguous:
                self.add(CURRENCY, code, index, index + length)
            index += length


def extract_values(
    text: str,
    languages: Iterable[str] | None = None,
    *,
    lexicon: Lexicon | None = None,
    terms: Terms | None = None,
) -> List[Dict[str, Any]]:
    """Extract the entities with normalised values from a message.

    Args:
        text: The message; only its first MAX_CHARS characters are read.
        languages: The message's languages (its detected language plus English), or None
            when unknown.
        lexicon: The number words (default: `load_lexicon()`).
        terms: The phrases (default: `load_terms()`).

    Returns:
        Entity dicts {"entity", "value", "start", "end"} sorted by position; values are
        strings, or numbers (int when whole) for amount, rate and duration.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    lexicon = lexicon if lexicon is not None else load_lexicon()
    terms = terms if terms is not None else load_terms()
    language_list = list(languages) if languages is not None else None
    tokens = tokenize(text[:MAX_CHARS], lexicon.allows_decimal_comma(language_list))
    numbers = find_numbers(tokens, language_list, lexicon=lexicon, include_ambiguous=True)
    extraction = _Extraction(tokens, numbers, terms)
    extraction.rates()
    extraction.frequencies()
    extraction.durations()
    extraction.amounts()
    extraction.lone_periods()
    extraction.keywords(terms.methods, INTEREST_METHOD)
    extraction.keywords(terms.topics, TOPIC)
    extraction.currencies()
    return sorted(extraction.entities, key=lambda entity: (entity[START], entity[END]))
