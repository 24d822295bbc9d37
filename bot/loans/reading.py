"""Client messages into loan values: amounts, rates, terms, costs, two offers at once.

``read_message`` reads a message's entities (bot/nlu extractor, button payloads) and its
text into a ``Reading``; ``assign_loan`` and ``assign_offers`` turn a reading into loan
values keyed like the slots (``bot.loans.fields``). No Rasa here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from bot.loans.fields import (
    AMOUNT,
    DEPOSIT,
    DEPOSIT_PCT,
    FIRST,
    FREQUENCY,
    FREQUENCY_OF_UNIT,
    GRACE,
    GRACE_UNIT,
    INSURANCE,
    INSURANCE_PCT,
    METHOD,
    RATE,
    RATE_PERIOD,
    RATE_PERIODS,
    SECOND,
    SHARED_FIELDS,
    TERM,
    TERM_UNIT,
    UNIT_OF_FREQUENCY,
    UPFRONT_FEE,
    UPFRONT_FEE_PCT,
    field_of,
    same_value,
    slot_value,
    to_decimal,
)
from bot.nlu import values as nlu_values
from bot.nlu.concepts import find_concepts
from bot.nlu.numbers import NUMBER, find_numbers, load_lexicon, tokenize

ENTITY_CURRENCY = "currency"
# Glossary concepts that turn the number next to them into a loan cost.
ADD_ON_CONCEPTS = {
    "processing_fee": (UPFRONT_FEE_PCT, UPFRONT_FEE),
    "compulsory_savings": (DEPOSIT_PCT, DEPOSIT),
    "insurance": (INSURANCE_PCT, INSURANCE),
    "grace_period": (None, None),
}
GRACE_CONCEPT = "grace_period"
# A bare number taken as the rate or term asked for is at most this.
MAX_RATE_GUESS = Decimal(100)
MAX_TERM_GUESS = Decimal(1560)
# Characters between a number and the word that makes it a fee, deposit, insurance, grace.
ADD_ON_GAP = 16
UNKNOWN_GAP = 10**6
SOURCE_LANGUAGE = "en"
MINUS_SIGNS = "-\u2212\u2013"


@dataclass
class Span:
    """A value found in a message, with its place (None for button payloads)."""

    value: Any
    start: int | None = None
    end: int | None = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def gap(self, other: Span) -> int:
        """Characters between two spans (0 when they touch or overlap; huge if unknown)."""
        if None in (self.start, self.end, other.start, other.end):
            return UNKNOWN_GAP
        return max(0, max(self.start, other.start) - min(self.end, other.end))


@dataclass
class Reading:
    """The loan values of one client message, in text order.

    Attributes:
        amounts: amounts of money (signed: "-500" is -500).
        rates: rates in percent; ``extra`` may hold their rate period and method.
        durations: durations; ``extra`` may hold their unit.
        frequencies: how often installments fall due.
        methods: interest methods not next to a rate.
        periods: rate periods not next to a rate (a button).
        units: duration units without a number ("months", a button).
        numbers: bare numbers no entity took ("6", "0 months"); ``extra`` may hold a unit.
        add_ons: (field, value, place) of fees, deposits, insurance and grace.
        currency: the ISO code named, if any.
    """

    amounts: List[Span] = field(default_factory=list)
    rates: List[Span] = field(default_factory=list)
    durations: List[Span] = field(default_factory=list)
    frequencies: List[Span] = field(default_factory=list)
    methods: List[Span] = field(default_factory=list)
    periods: List[Span] = field(default_factory=list)
    units: List[Span] = field(default_factory=list)
    numbers: List[Span] = field(default_factory=list)
    add_ons: List[Tuple[str, Any, Span]] = field(default_factory=list)
    currency: str | None = None

    @property
    def has_values(self) -> bool:
        """Whether the message gives a loan value (bare numbers and lone units aside)."""
        return bool(
            self.amounts
            or self.rates
            or self.durations
            or self.frequencies
            or self.methods
            or self.periods
            or self.add_ons
        )

    def count(self, name: str) -> int:
        """How many values of a field's kind the message gives."""
        kinds = {
            AMOUNT: self.amounts,
            RATE: self.rates,
            TERM: self.durations,
            FREQUENCY: self.frequencies,
        }
        return len(kinds.get(name, []))


def _signed(text: str, span: Span) -> Span:
    """Make a number negative when a minus sign is glued before it ("-500")."""
    start = span.start
    if start is None or start < 1 or text[start - 1] not in MINUS_SIGNS:
        return span
    if start >= 2 and text[start - 2].isalnum():
        return span
    return Span(-span.value, start - 1, span.end, span.extra)


def _attach(items: List[Span], targets: List[Span], key: str, leftovers: List[Span]) -> None:
    """Give each item to the nearest target that has no ``key`` yet, else to leftovers.

    The target's place grows to cover the item ("2% per month" is one place), so that a
    word after it ("flat") is nearer to it than to the next rate.
    """
    for item in items:
        free = [target for target in targets if key not in target.extra]
        if not free:
            leftovers.append(item)
            continue
        target = min(free, key=item.gap)
        target.extra[key] = item.value
        if None not in (target.start, target.end, item.start, item.end):
            target.start, target.end = min(target.start, item.start), max(target.end, item.end)


def languages_for(detected: str | None) -> List[str] | None:
    """The languages to read a message in: the detected one and English (None: all)."""
    return [detected, SOURCE_LANGUAGE] if detected else None


def _bare_numbers(text: str, languages: List[str] | None, taken: List[Span]) -> List[Span]:
    """Numbers no entity took, with a duration unit next to them ("0 months", "miezi 0")."""
    lexicon = load_lexicon()
    units = nlu_values.load_terms().units
    tokens = tokenize(text[: nlu_values.MAX_CHARS], lexicon.allows_decimal_comma(languages))
    found: List[Span] = []
    for number in find_numbers(tokens, languages, lexicon=lexicon):
        span = Span(number.value, number.start, number.end)
        if any(span.gap(other) == 0 for other in taken):
            continue
        after = units.match(tokens, number.token_end)
        before = units.match_ending(tokens, number.token_start)
        if after is not None:
            span.extra[TERM_UNIT] = after[1][0][0]
        elif before is not None and before[1][0][1]:
            span.extra[TERM_UNIT] = before[1][0][0]
        found.append(_signed(text, span))
    return found


def _unit_words(text: str) -> List[Span]:
    """Duration units written without a number ("months")."""
    units = nlu_values.load_terms().units
    tokens = tokenize(text[: nlu_values.MAX_CHARS])
    found = []
    for index, token in enumerate(tokens):
        match = units.match(tokens, index) if token.kind != NUMBER else None
        if match is not None:
            found.append(Span(match[1][0][0], token.start, tokens[index + match[0] - 1].end))
    return found


def read_message(
    text: str, entities: Sequence[Mapping[str, Any]], detected_language: str | None = None
) -> Reading:
    """Read the loan values of a message from its entities (and its text for the rest).

    Args:
        text: the message text.
        entities: the entities of its parse data (bot/nlu extractor, button payloads).
        detected_language: the language it is written in, when known.

    Returns:
        The values, in text order; numbers next to "fee", "deposit", "insurance" or
        "grace" are costs of the loan (``add_ons``), not its amount or rate.
    """
    text = text or ""
    reading = Reading()
    rate_periods: List[Span] = []
    units: List[Span] = []
    methods: List[Span] = []
    taken: List[Span] = []
    numeric = {
        nlu_values.AMOUNT: reading.amounts,
        nlu_values.RATE: reading.rates,
        nlu_values.DURATION: reading.durations,
    }
    words = {
        nlu_values.RATE_PERIOD: rate_periods,
        nlu_values.DURATION_UNIT: units,
        nlu_values.FREQUENCY: reading.frequencies,
        nlu_values.INTEREST_METHOD: methods,
    }

    def position(entity: Mapping[str, Any]) -> int:
        start = entity.get("start")
        return start if isinstance(start, int) else len(text)

    for entity in sorted(entities or [], key=position):
        name, value = entity.get("entity"), entity.get("value")
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            start = end = None
        taken.append(Span(value, start, end))
        if name in numeric:
            number = to_decimal(value)
            if number is not None:
                numeric[name].append(_signed(text, Span(number, start, end)))
        elif name in words and value:
            words[name].append(Span(str(value), start, end))
        elif name == ENTITY_CURRENCY and value and reading.currency is None:
            reading.currency = str(value).upper()
    _attach(rate_periods, reading.rates, RATE_PERIOD, reading.periods)
    _attach(units, reading.durations, TERM_UNIT, reading.units)
    _attach(methods, reading.rates, METHOD, reading.methods)
    if text.strip():
        languages = languages_for(detected_language)
        reading.numbers = _bare_numbers(text, languages, taken)
        if not reading.durations and not reading.units:
            reading.units = _unit_words(text)
        _read_add_ons(text, languages, reading)
    return reading


def _read_add_ons(text: str, languages: List[str] | None, reading: Reading) -> None:
    """Move the numbers next to a fee, deposit, insurance or grace word to ``add_ons``."""
    for concept in find_concepts(text, languages):
        key = concept["value"]
        if key not in ADD_ON_CONCEPTS:
            continue
        word = Span(key, concept["start"], concept["end"])
        if key == GRACE_CONCEPT:
            pools = [reading.durations, reading.numbers]
        else:
            pools = [reading.rates, reading.amounts]
        near = [
            (word.gap(span), pool, span)
            for pool in pools
            for span in pool
            if word.gap(span) <= ADD_ON_GAP
        ]
        if not near:
            continue
        _, pool, span = min(near, key=lambda item: item[0])
        pool.remove(span)
        if key == GRACE_CONCEPT:
            reading.add_ons.append((GRACE, span.value, span))
            reading.add_ons.append((GRACE_UNIT, span.extra.get(TERM_UNIT), span))
        else:
            percent_field, money_field = ADD_ON_CONCEPTS[key]
            chosen = percent_field if pool is reading.rates else money_field
            reading.add_ons.append((chosen, span.value, span))


def _answer_number(reading: Reading, answer: str) -> Span | None:
    """A bare number (or a small amount) that answers the question for a number."""
    pool = list(reading.numbers)
    limit = {RATE: MAX_RATE_GUESS, TERM: MAX_TERM_GUESS}.get(answer)
    if limit is not None:
        pool += [span for span in reading.amounts if abs(span.value) <= limit]
    pool.sort(key=lambda span: span.start if span.start is not None else 0)
    return pool[0] if pool else None


def _period_word(reading: Reading) -> Tuple[str | None, Span | None]:
    """(week/month/year a message names: "months", "monthly", a button; its place)."""
    for spans in (reading.periods, reading.units):
        if spans:
            return str(spans[0].value), spans[0]
    if reading.frequencies:
        return UNIT_OF_FREQUENCY.get(reading.frequencies[0].value), reading.frequencies[0]
    return None, None


def _unit_next_to(reading: Reading, number: Span) -> str | None:
    """The duration unit written right after or before a number ("40 years")."""
    for unit in reading.units:
        if unit.gap(number) <= 1:
            return str(unit.value)
    return None


def read_offer(reading: Reading, index: int = 0, answer: str | None = None) -> Dict[str, Any]:
    """The fields of one offer: the ``index``-th value of each kind in the message.

    Args:
        reading: the message's values.
        index: 0 for the first value of each kind, 1 for the second (two offers).
        answer: the field the form asked for: a bare number or a lone unit is its value.

    Returns:
        field -> value (Decimal or word); add-ons are not included.
    """
    amounts = list(reading.amounts)
    frequencies = list(reading.frequencies)
    found: Dict[str, Any] = {}
    if answer in (AMOUNT, RATE, TERM) and reading.count(answer) <= index:
        number = _answer_number(reading, answer)
        if number is not None:
            found[answer] = number.value
            if number in amounts:
                amounts.remove(number)
            unit = number.extra.get(TERM_UNIT) or _unit_next_to(reading, number)
            if answer == TERM and unit:
                found[TERM_UNIT] = unit
    elif answer in (RATE_PERIOD, TERM_UNIT, FREQUENCY):
        word, place = _period_word(reading)
        if answer == FREQUENCY and word:
            found[FREQUENCY] = FREQUENCY_OF_UNIT.get(word, word)
        elif answer == RATE_PERIOD and word in RATE_PERIODS:
            found[RATE_PERIOD] = word
        elif answer == TERM_UNIT and word:
            found[TERM_UNIT] = word
        if found and place is not None:  # "per month" answers the question, nothing else
            frequencies = [span for span in frequencies if span is not place and span.gap(place)]
    for name, spans in ((AMOUNT, amounts), (TERM, reading.durations)):
        if len(spans) > index and name not in found:
            found[name] = spans[index].value
            if name == TERM and spans[index].extra.get(TERM_UNIT):
                found[TERM_UNIT] = spans[index].extra[TERM_UNIT]
    if len(reading.rates) > index and RATE not in found:
        rate = reading.rates[index]
        found[RATE] = rate.value
        for key in (RATE_PERIOD, METHOD):
            if rate.extra.get(key):
                found[key] = rate.extra[key]
    if RATE in found and answer == RATE and RATE_PERIOD not in found and frequencies:
        period = UNIT_OF_FREQUENCY.get(frequencies[0].value)
        if period in RATE_PERIODS:
            found[RATE_PERIOD] = period
    elif len(frequencies) > index and FREQUENCY not in found:
        found[FREQUENCY] = frequencies[index].value
    if len(reading.methods) > index and METHOD not in found:
        found[METHOD] = reading.methods[index].value
    return found


def offer_add_ons(reading: Reading, default: str) -> Dict[str, Any]:
    """Values of fees and the like, of the offer whose rate is before them (else ``default``)."""
    found: Dict[str, Any] = {}
    starts = sorted(span.start for span in reading.rates if span.start is not None)
    for name, value, span in reading.add_ons:
        offer = default
        if len(starts) >= 2 and span.start is not None:
            offer = SECOND if span.start > starts[1] else FIRST
        found[offer + name] = slot_value(value)
    return found


def assign_loan(reading: Reading, requested: str | None) -> Dict[str, Any]:
    """Values of one loan (keyed like the slots) from a message.

    Args:
        reading: the message's values.
        requested: the key the form asked for (its bare number or unit is the answer).
    """
    answer = field_of(requested)[1] if requested else None
    found = {
        FIRST + name: slot_value(value) for name, value in read_offer(reading, 0, answer).items()
    }
    found.update(offer_add_ons(reading, FIRST))
    return found


def assign_offers(
    reading: Reading,
    target: str,
    requested: str | None,
    slots: Mapping[str, Any],
    share: bool = False,
) -> Dict[str, Any]:
    """Values of two offers (keyed like the slots) from a message.

    Two values of a kind (two rates, two terms...) are one per offer; a single value is
    the ``target`` offer's, except the amount, term and frequency, which both offers
    share unless the first already has a different one (or ``share``: always).

    Args:
        reading: the message's values.
        target: the offer (``FIRST`` or ``SECOND``) a single value belongs to.
        requested: the key the form asked for (its bare number or unit is the answer).
        slots: the current values (the first offer's shared fields).
        share: a single amount, term or frequency is always both offers'.
    """
    offer, answer = field_of(requested) if requested else (target, None)
    two = any(reading.count(name) >= 2 for name in (AMOUNT, RATE, TERM, FREQUENCY)) or (
        len(reading.methods) >= 2
    )
    found: Dict[str, Any] = {}
    if two:
        first = read_offer(reading, 0, answer if offer == FIRST else None)
        second = read_offer(reading, 1, answer if offer == SECOND else None)
        periods = {span.extra[RATE_PERIOD] for span in reading.rates if RATE_PERIOD in span.extra}
        if RATE in second and RATE_PERIOD not in second and len(periods) == 1:
            second[RATE_PERIOD] = next(iter(periods))
        found.update({FIRST + name: slot_value(value) for name, value in first.items()})
        found.update({SECOND + name: slot_value(value) for name, value in second.items()})
    else:
        for name, value in read_offer(reading, 0, answer if offer == target else None).items():
            owner = target
            if target == SECOND and name in SHARED_FIELDS:
                known = slots.get(FIRST + name)
                own = known is not None and not same_value(known, value) and not share
                owner = SECOND if own else FIRST
            found[owner + name] = slot_value(value)
    found.update(offer_add_ons(reading, target))
    return found


def concept_in_text(text: str, detected_language: str | None = None) -> str | None:
    """The glossary key of the first synonym ``find_concepts`` finds in the text, else None."""
    found = find_concepts(text, languages_for(detected_language))
    return str(found[0]["value"]) if found else None
