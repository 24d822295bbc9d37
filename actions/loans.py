"""Loans: what a loan costs, its schedule, two offers compared, interest and loan words.

The money math is ``bot.finance``; this module turns client messages into loan terms,
checks them with the engine (``LoanInputError`` codes pick the re-ask) and utters domain
responses with values formatted for the client's language and currency (docs/loans.md).

Three forms ask for what a message did not give, one question at a time:
``loan_form`` (then ``action_loan_quote``), ``loan_schedule_form`` (then
``action_loan_schedule``) and ``loan_compare_form`` (then ``action_compare_loans``). Their
slots are ``loan_<field>`` for the loan (the first offer of a comparison) and
``loan_b_<field>`` for the second offer; they are kept between questions, so a follow-up
("and for 12 months?") re-opens the form, which changes one value and answers again.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import logging
import os
import string
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

import yaml
from babel.numbers import get_currency_precision
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from actions.common import language_of, latest_entity, payload
from bot.finance import (
    PERIODS_PER_YEAR,
    ErrorCode,
    Frequency,
    LoanInputError,
    LoanQuote,
    LoanTerms,
    Period,
    installment_count,
    quote,
)
from bot.finance.compare import compare
from bot.glossary import lookup, term_keys
from bot.i18n import format_date, format_money, format_number, format_percent, translate
from bot.nlu import values as nlu_values
from bot.nlu.concepts import CONCEPT, find_concepts
from bot.nlu.numbers import NUMBER, find_numbers, load_lexicon, tokenize
from bot.settings import PROJECT_ROOT, get_settings

logger = logging.getLogger(__name__)

# --- names ---------------------------------------------------------------------------

ACTION_LOAN_QUOTE = "action_loan_quote"
ACTION_LOAN_SCHEDULE = "action_loan_schedule"
ACTION_COMPARE_LOANS = "action_compare_loans"
ACTION_EXPLAIN_INTEREST = "action_explain_interest"
ACTION_DEFINE_TERM = "action_define_term"
FORM_LOAN = "loan_form"
FORM_LOAN_SCHEDULE = "loan_schedule_form"
FORM_LOAN_COMPARE = "loan_compare_form"

INTENT_INFORM = "inform"
INTENT_FALLBACK = "nlu_fallback"
INTENT_CALCULATE_LOAN = "calculate_loan"
INTENT_REQUEST_SCHEDULE = "request_schedule"
INTENT_COMPARE_LOANS = "compare_loans"
INTENT_ASK_DEFINITION = "ask_definition"
# Intents whose messages are read for loan values while a loan form asks a question;
# other intents (a question, "no", "person") interrupt the form instead.
VALUE_INTENTS = frozenset(
    {
        INTENT_INFORM,
        INTENT_FALLBACK,
        INTENT_CALCULATE_LOAN,
        INTENT_REQUEST_SCHEDULE,
        INTENT_COMPARE_LOANS,
    }
)

ENTITY_CURRENCY = "currency"
ENTITY_CONCEPT = CONCEPT

# Loan fields: a slot is FIRST or SECOND + field ("loan_amount", "loan_b_amount").
AMOUNT = "amount"
RATE = "rate"
RATE_PERIOD = "rate_period"
TERM = "term"
TERM_UNIT = "term_unit"
FREQUENCY = "frequency"
METHOD = "method"
UPFRONT_FEE_PCT = "upfront_fee_pct"
UPFRONT_FEE = "upfront_fee"
DEPOSIT_PCT = "deposit_pct"
DEPOSIT = "deposit"
INSURANCE = "insurance"
INSURANCE_PCT = "insurance_pct"
GRACE = "grace"
GRACE_UNIT = "grace_unit"
BASIC_FIELDS = (AMOUNT, RATE, RATE_PERIOD, TERM, TERM_UNIT, FREQUENCY, METHOD)
ADD_ON_FIELDS = (
    UPFRONT_FEE_PCT,
    UPFRONT_FEE,
    DEPOSIT_PCT,
    DEPOSIT,
    INSURANCE,
    INSURANCE_PCT,
    GRACE,
    GRACE_UNIT,
)
FIELDS = BASIC_FIELDS + ADD_ON_FIELDS
# The second offer of a comparison takes these from the first unless it has its own.
SHARED_FIELDS = (AMOUNT, TERM, TERM_UNIT, FREQUENCY)
# What a new comparison asks again for the first offer when it gives no rate.
OFFER_FIELDS = (RATE, RATE_PERIOD, METHOD) + ADD_ON_FIELDS
FIRST = "loan_"
SECOND = "loan_b_"
OFFERS = (FIRST, SECOND)
SLOT_CURRENCY = "loan_currency"

# A rate "for the whole loan" (a flat rate quoted for the term, e.g. 15 % for 6 months).
PERIOD_TERM = "term"
PERIOD_VALUES = tuple(period.value for period in Period)
FREQUENCY_VALUES = tuple(frequency.value for frequency in Frequency)
RATE_PERIODS = PERIOD_VALUES + (PERIOD_TERM,)
DAY = "day"
DAYS_PER_WEEK = Decimal(7)
DAYS_PER_MONTH = Decimal(30)
FREQUENCY_OF_UNIT = {"week": "weekly", "month": "monthly", "year": "yearly", DAY: "daily"}
UNIT_OF_FREQUENCY = {frequency: unit for unit, frequency in FREQUENCY_OF_UNIT.items()}
METHOD_FLAT = "flat"
METHOD_DECLINING = "declining"

# Checks with unknown values use lenient stand-ins, so that only known values fail.
STAND_IN_AMOUNT = Decimal(10000)
STAND_IN_RATE_PERIOD = Period.YEAR.value
STAND_IN_TERM_UNIT = Period.WEEK.value
STAND_IN_FREQUENCY = Frequency.WEEKLY.value
# A bare number taken as the rate or term asked for is at most this.
MAX_RATE_GUESS = Decimal(100)
MAX_TERM_GUESS = Decimal(1560)
# Characters between a number and the word that makes it a fee, deposit, insurance, grace.
ADD_ON_GAP = 16
UNKNOWN_GAP = 10**6
SOURCE_LANGUAGE = "en"
MINUS_SIGNS = "-\u2212\u2013"

# The interest example: the client's amount (else this) for 12 months, monthly.
EXAMPLE_AMOUNT = Decimal(10000)
EXAMPLE_RATE = Decimal(2)
EXAMPLE_TERM_MONTHS = 12

# Chat schedule: first rows, then the last.
SCHEDULE_HEAD_ROWS = 5
PDF_ROWS_PER_PAGE = 40
PDF_PAGE_INCHES = (8.27, 11.69)
# Scripts up to this code point render in the PDF (matplotlib shapes no Indic script).
PDF_LAST_CODE_POINT = 0x08FF
PDF_FALLBACK_LANGUAGE = "en"

ENV_DOCUMENTS_DIR = "MFI_DOCUMENTS_DIR"
ENV_DOCUMENTS_URL = "MFI_DOCUMENTS_URL"
ENV_DOCUMENTS_KEEP_DAYS = "MFI_DOCUMENTS_KEEP_DAYS"
DEFAULT_DOCUMENTS_DIR = "var/documents"
DEFAULT_DOCUMENTS_KEEP_DAYS = 7
SECONDS_PER_DAY = 86400

# responses
UTTER_LOAN_QUOTE = "utter_loan_quote"
UTTER_LOAN_FEES = "utter_loan_fees"
UTTER_LOAN_DEPOSIT = "utter_loan_deposit"
UTTER_LOAN_GRACE = "utter_loan_grace"
UTTER_LOAN_ASSUMED_FLAT = "utter_loan_assumed_flat"
UTTER_LOAN_SCHEDULE = "utter_loan_schedule"
UTTER_SCHEDULE_DOCUMENT = "utter_schedule_document"
UTTER_SCHEDULE_SPREADSHEET = "utter_schedule_spreadsheet"
UTTER_LOAN_COMPARISON = "utter_loan_comparison"
UTTER_LOAN_COMPARE_INTRO = "utter_loan_compare_intro"
UTTER_LOAN_COMPARE_WITH_LAST = "utter_loan_compare_with_last"
UTTER_LOAN_FIRST_CHEAPER = "utter_loan_first_cheaper"
UTTER_LOAN_SECOND_CHEAPER = "utter_loan_second_cheaper"
UTTER_LOAN_FIRST_CHEAPER_APR = "utter_loan_first_cheaper_apr"
UTTER_LOAN_SECOND_CHEAPER_APR = "utter_loan_second_cheaper_apr"
UTTER_LOAN_SAME_COST = "utter_loan_same_cost"
UTTER_LOAN_REASON_FLAT = "utter_loan_reason_flat"
UTTER_LOAN_REASON_FEES = "utter_loan_reason_fees"
UTTER_LOAN_REASON_RATE = "utter_loan_reason_rate"
UTTER_LOAN_REASON_TERM = "utter_loan_reason_term"
UTTER_EXPLAIN_INTEREST = "utter_explain_interest"
UTTER_DEFINITION = "utter_definition"
UTTER_DEFINITION_UNKNOWN = "utter_definition_unknown"
UTTER_AMOUNT_INVALID = "utter_loan_amount_invalid"
UTTER_AMOUNT_TOO_LARGE = "utter_loan_amount_too_large"
UTTER_RATE_INVALID = "utter_loan_rate_invalid"
UTTER_RATE_TOO_HIGH = "utter_loan_rate_too_high"
UTTER_TERM_INVALID = "utter_loan_term_invalid"
UTTER_TERM_TOO_LONG = "utter_loan_term_too_long"
UTTER_TERM_TOO_SHORT = "utter_loan_term_too_short"
UTTER_FREQUENCY_INVALID = "utter_loan_frequency_invalid"
UTTER_CHOOSE_OPTION = "utter_loan_choose_option"
UTTER_GRACE_INVALID = "utter_loan_grace_invalid"
UTTER_GRACE_TOO_LONG = "utter_loan_grace_too_long"
UTTER_ADD_ON_INVALID = "utter_loan_add_on_invalid"
UTTER_DEDUCTIONS_TOO_HIGH = "utter_loan_deductions_too_high"
UTTER_VALUE_INVALID = "utter_loan_value_invalid"
# Phrases that other responses and documents are built from (never uttered alone).
PHRASE_RATE = {
    "week": "utter_loan_rate_per_week",
    "month": "utter_loan_rate_per_month",
    "year": "utter_loan_rate_per_year",
    PERIOD_TERM: "utter_loan_rate_per_term",
}
PHRASE_TERM = {
    ("week", True): "utter_loan_term_week",
    ("week", False): "utter_loan_term_weeks",
    ("month", True): "utter_loan_term_month",
    ("month", False): "utter_loan_term_months",
    ("year", True): "utter_loan_term_year",
    ("year", False): "utter_loan_term_years",
}
PHRASE_FREQUENCY = {
    "weekly": "utter_loan_every_week",
    "fortnightly": "utter_loan_every_two_weeks",
    "monthly": "utter_loan_every_month",
}
PHRASE_METHOD = {"flat": "utter_loan_method_flat", "declining": "utter_loan_method_declining"}
PHRASE_DOCUMENT_TITLE = "utter_loan_document_title"
PHRASE_DOCUMENT_COLUMNS = "utter_loan_document_columns"
PHRASE_DOCUMENT_TOTAL = "utter_loan_document_total"
COLUMN_SEPARATOR = "|"

# What a re-ask says when the question's answer was not understood.
NOT_UNDERSTOOD = {
    AMOUNT: UTTER_AMOUNT_INVALID,
    RATE: UTTER_RATE_INVALID,
    TERM: UTTER_TERM_INVALID,
    RATE_PERIOD: UTTER_CHOOSE_OPTION,
    TERM_UNIT: UTTER_CHOOSE_OPTION,
    FREQUENCY: UTTER_CHOOSE_OPTION,
}
# Engine error codes -> re-ask; not_a_number and the *_unknown codes depend on the field.
ERROR_RESPONSES = {
    ErrorCode.AMOUNT_NOT_POSITIVE: UTTER_AMOUNT_INVALID,
    ErrorCode.AMOUNT_TOO_LARGE: UTTER_AMOUNT_TOO_LARGE,
    ErrorCode.RATE_NEGATIVE: UTTER_RATE_INVALID,
    ErrorCode.RATE_TOO_HIGH: UTTER_RATE_TOO_HIGH,
    ErrorCode.TERM_NOT_POSITIVE: UTTER_TERM_INVALID,
    ErrorCode.TERM_TOO_LONG: UTTER_TERM_TOO_LONG,
    ErrorCode.TERM_TOO_SHORT: UTTER_TERM_TOO_SHORT,
    ErrorCode.FREQUENCY_UNKNOWN: UTTER_FREQUENCY_INVALID,
    ErrorCode.PERIOD_UNKNOWN: UTTER_CHOOSE_OPTION,
    ErrorCode.GRACE_NOT_INTEGER: UTTER_GRACE_INVALID,
    ErrorCode.GRACE_NEGATIVE: UTTER_GRACE_INVALID,
    ErrorCode.GRACE_TOO_LONG: UTTER_GRACE_TOO_LONG,
    ErrorCode.VALUE_NEGATIVE: UTTER_ADD_ON_INVALID,
    ErrorCode.VALUE_TOO_LARGE: UTTER_ADD_ON_INVALID,
    ErrorCode.PERCENT_TOO_HIGH: UTTER_ADD_ON_INVALID,
    ErrorCode.DEDUCTIONS_TOO_HIGH: UTTER_DEDUCTIONS_TOO_HIGH,
}
FIELD_NOT_A_NUMBER = {
    AMOUNT: UTTER_AMOUNT_INVALID,
    RATE: UTTER_RATE_INVALID,
    TERM: UTTER_TERM_INVALID,
}
# LoanTerms field at fault -> our field.
ENGINE_FIELDS = {
    "amount": AMOUNT,
    "rate": RATE,
    "rate_period": RATE_PERIOD,
    "term": TERM,
    "term_unit": TERM_UNIT,
    "frequency": FREQUENCY,
    "method": METHOD,
    "grace_installments": GRACE,
    "upfront_fee_pct": UPFRONT_FEE_PCT,
    "upfront_fee_fixed": UPFRONT_FEE,
    "insurance": INSURANCE,
    "deposit_pct": DEPOSIT_PCT,
}
# Glossary concepts that turn the number next to them into a loan cost.
ADD_ON_CONCEPTS = {
    "processing_fee": (UPFRONT_FEE_PCT, UPFRONT_FEE),
    "compulsory_savings": (DEPOSIT_PCT, DEPOSIT),
    "insurance": (INSURANCE_PCT, INSURANCE),
    "grace_period": (None, None),
}
GRACE_CONCEPT = "grace_period"
# Offered as buttons when the term asked about is not in the glossary.
SUGGESTED_TERMS = ("apr", "flat_rate", "declining_balance", "collateral", "guarantor", "penalty")
MAX_SUGGESTED_TERMS = 6


def today() -> dt.date:
    """The disbursement date of quotes (a function, so tests can fix it)."""
    return dt.date.today()


# --- reading a message -----------------------------------------------------------------


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from an entity or slot value, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def slot_value(value: Any) -> Any:
    """A value as stored in a slot: Decimals become JSON numbers (int when whole)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


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


def same_value(one: Any, other: Any) -> bool:
    """Whether two slot or entity values are equal (numbers by value)."""
    first, second = to_decimal(one), to_decimal(other)
    if first is not None and second is not None:
        return first == second
    return str(one) == str(other)


def _signed(text: str, span: Span) -> Span:
    """Make a number negative when a minus sign is glued before it ("-500")."""
    start = span.start
    if start is None or start < 1 or text[start - 1] not in MINUS_SIGNS:
        return span
    if start >= 2 and text[start - 2].isalnum():
        return span
    return Span(-span.value, start - 1, span.end, span.extra)


def _attach(items: List[Span], targets: List[Span], key: str, leftovers: List[Span]) -> None:
    """Give each item to the nearest target that has no ``key`` yet, else to leftovers."""
    for item in items:
        free = [target for target in targets if key not in target.extra]
        if not free:
            leftovers.append(item)
            continue
        min(free, key=item.gap).extra[key] = item.value


def _languages(detected: str | None) -> List[str] | None:
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
        languages = _languages(detected_language)
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


def _period_word(reading: Reading) -> str | None:
    """The week/month/year a message names ("monthly", "months", a button)."""
    for spans in (reading.periods, reading.units):
        if spans:
            return str(spans[0].value)
    if reading.frequencies:
        return UNIT_OF_FREQUENCY.get(reading.frequencies[0].value)
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
    found: Dict[str, Any] = {}
    if answer in (AMOUNT, RATE, TERM) and reading.count(answer) <= index:
        number = _answer_number(reading, answer)
        if number is not None:
            found[answer] = number.value
            if number in amounts:
                amounts.remove(number)
            if answer == TERM and number.extra.get(TERM_UNIT):
                found[TERM_UNIT] = number.extra[TERM_UNIT]
    elif answer in (RATE_PERIOD, TERM_UNIT, FREQUENCY):
        word = _period_word(reading)
        if answer == FREQUENCY and word:
            found[FREQUENCY] = FREQUENCY_OF_UNIT.get(word, word)
        elif answer == RATE_PERIOD and word in RATE_PERIODS:
            found[RATE_PERIOD] = word
        elif answer == TERM_UNIT and word:
            found[TERM_UNIT] = word
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
    if RATE in found and answer == RATE and RATE_PERIOD not in found and reading.frequencies:
        period = UNIT_OF_FREQUENCY.get(reading.frequencies[0].value)
        if period in RATE_PERIODS:
            found[RATE_PERIOD] = period
    elif len(reading.frequencies) > index and FREQUENCY not in found:
        found[FREQUENCY] = reading.frequencies[index].value
    if len(reading.methods) > index and METHOD not in found:
        found[METHOD] = reading.methods[index].value
    return found


def offer_add_ons(reading: Reading, default: str) -> Dict[str, Any]:
    """Slot values of fees and the like: of the offer whose rate is before them."""
    found: Dict[str, Any] = {}
    starts = sorted(span.start for span in reading.rates if span.start is not None)
    for name, value, span in reading.add_ons:
        offer = default
        if len(starts) >= 2 and span.start is not None:
            offer = SECOND if span.start > starts[1] else FIRST
        found[offer + name] = slot_value(value)
    return found


def assign_loan(reading: Reading, requested: str | None) -> Dict[str, Any]:
    """Slot values for one loan from a message (``requested``: the slot asked for)."""
    answer = field_of(requested)[1] if requested else None
    found = {
        FIRST + name: slot_value(value) for name, value in read_offer(reading, 0, answer).items()
    }
    found.update(offer_add_ons(reading, FIRST))
    return found


def assign_offers(
    reading: Reading, target: str, requested: str | None, slots: Mapping[str, Any]
) -> Dict[str, Any]:
    """Slot values for two offers from a message.

    Two values of a kind (two rates, two terms...) are one per offer; a single value is
    the ``target`` offer's, except the amount, term and frequency, which both offers
    share unless the first already has a different one.
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
                owner = SECOND if known is not None and not same_value(known, value) else FIRST
            found[owner + name] = slot_value(value)
    found.update(offer_add_ons(reading, target))
    return found


# --- values of a loan and its terms for the engine ------------------------------------


def field_of(slot: str) -> Tuple[str, str]:
    """(offer prefix, field) of a loan slot; ("", slot) for another slot."""
    for offer in (SECOND, FIRST):
        if slot.startswith(offer):
            return offer, slot[len(offer) :]
    return "", slot


def loan_slots(offer: str = FIRST) -> Tuple[str, ...]:
    """Every slot of one offer."""
    return tuple(offer + name for name in FIELDS)


def offer_values(slots: Mapping[str, Any], offer: str = FIRST) -> Dict[str, Any]:
    """The values of one offer from slot values; the second offer shares the first's basics."""
    values = {name: slots.get(FIRST + name) for name in FIELDS}
    if offer == SECOND:
        own = {name: slots.get(SECOND + name) for name in FIELDS}
        values = {
            name: own[name] if own[name] is not None or name not in SHARED_FIELDS else values[name]
            for name in FIELDS
        }
    return values


def currency_digits(currency: str) -> int:
    """Decimals of a currency's minor unit (2 when Babel does not know it)."""
    try:
        return int(get_currency_precision(currency))
    except (KeyError, ValueError):  # pragma: no cover - Babel returns 2 for unknown codes
        return 2


def _term_in(values: Mapping[str, Any]) -> Tuple[Decimal | None, str | None]:
    """(term, unit) for the engine: days become months (30 days) or weeks."""
    term, unit = to_decimal(values.get(TERM)), values.get(TERM_UNIT)
    if unit == DAY:
        if term is not None and term and term % DAYS_PER_MONTH == 0:
            return term / DAYS_PER_MONTH, Period.MONTH.value
        return (term / DAYS_PER_WEEK if term is not None else None), Period.WEEK.value
    return term, unit


def terms_of(values: Mapping[str, Any], digits: int = 2, lenient: bool = False) -> LoanTerms:
    """Build the engine's LoanTerms from a loan's values.

    Args:
        values: field -> value (None when unknown).
        digits: decimals of the currency.
        lenient: put stand-ins for unknown values, chosen so that only known values can
            fail (a check before every value is known).

    Raises:
        LoanInputError: a value is wrong (its ``field`` names the LoanTerms field).
    """
    amount = to_decimal(values.get(AMOUNT))
    rate = to_decimal(values.get(RATE))
    period = values.get(RATE_PERIOD)
    term, unit = _term_in(values)
    frequency = values.get(FREQUENCY)
    if lenient:
        if unit is None:
            unit, term = STAND_IN_TERM_UNIT, term if term is not None else Decimal(1)
            if frequency is None or frequency in FREQUENCY_VALUES:
                frequency = STAND_IN_FREQUENCY
        elif term is None:
            term = Decimal(PERIODS_PER_YEAR[Period(unit)] if unit in PERIOD_VALUES else 1)
        frequency = frequency or STAND_IN_FREQUENCY
        rate = rate if rate is not None else Decimal(0)
        period = period or STAND_IN_RATE_PERIOD
    known_amount = amount is not None
    if lenient and amount is None:
        amount = STAND_IN_AMOUNT
    if period == PERIOD_TERM:
        years = _years(term, unit)
        if years is None or rate is None:
            period = STAND_IN_RATE_PERIOD
        else:
            rate, period = rate / years, Period.YEAR.value
    costs: Dict[str, Any] = {
        "upfront_fee_pct": to_decimal(values.get(UPFRONT_FEE_PCT)) or 0,
        "deposit_pct": to_decimal(values.get(DEPOSIT_PCT)) or 0,
    }
    if known_amount or not lenient:
        fee, deposit = to_decimal(values.get(UPFRONT_FEE)), to_decimal(values.get(DEPOSIT))
        insurance, insurance_pct = (
            to_decimal(values.get(INSURANCE)),
            to_decimal(values.get(INSURANCE_PCT)),
        )
        costs["upfront_fee_fixed"] = fee or 0
        if deposit and amount:
            costs["deposit_pct"] = costs["deposit_pct"] + deposit * 100 / amount
        costs["insurance"] = (insurance or 0) + (
            amount * insurance_pct / 100 if insurance_pct and amount else 0
        )
    grace = _grace_installments(values, unit, frequency, lenient)
    return LoanTerms(
        amount=amount,
        rate=rate,
        rate_period=period,
        term=term,
        term_unit=unit,
        frequency=frequency,
        method=values.get(METHOD) or METHOD_FLAT,
        grace_installments=grace,
        currency_digits=digits,
        **costs,
    )


def _years(term: Decimal | None, unit: str | None) -> Decimal | None:
    """A term in years, or None when it is not a positive term in a known unit."""
    if term is None or term <= 0 or unit not in PERIOD_VALUES:
        return None
    return term / PERIODS_PER_YEAR[Period(unit)]


def _grace_installments(
    values: Mapping[str, Any], unit: str | None, frequency: str | None, lenient: bool
) -> Any:
    grace = to_decimal(values.get(GRACE))
    if grace is None:
        return 0
    real = values.get(TERM) is not None and values.get(TERM_UNIT) is not None
    if lenient and not (real and values.get(FREQUENCY)):
        return 0
    grace_unit = values.get(GRACE_UNIT)
    if grace_unit in (None, ""):
        return grace
    if grace_unit == DAY:
        grace, grace_unit = grace / DAYS_PER_WEEK, Period.WEEK.value
    try:
        return installment_count(grace, Period(grace_unit), Frequency(frequency))
    except ValueError:
        return grace


def check(values: Mapping[str, Any], digits: int = 2) -> LoanInputError | None:
    """The first error among a loan's known values, or None."""
    try:
        terms_of(values, digits, lenient=True)
    except LoanInputError as error:
        return error
    return None


def blame(error: LoanInputError, candidates: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """The field to ask again for an engine error."""
    if error.code == ErrorCode.DEDUCTIONS_TOO_HIGH:
        for name in reversed(ADD_ON_FIELDS):
            if candidates.get(name) is not None:
                return name
        return AMOUNT
    name = ENGINE_FIELDS.get(error.field, AMOUNT)
    if name == UPFRONT_FEE and values.get(UPFRONT_FEE) is None:
        return UPFRONT_FEE_PCT
    if name == INSURANCE and values.get(INSURANCE) is None:
        return INSURANCE_PCT
    if name == DEPOSIT_PCT and values.get(DEPOSIT_PCT) is None:
        return DEPOSIT
    return name


def problems(
    values: Mapping[str, Any], candidates: Mapping[str, Any], digits: int = 2
) -> List[Tuple[str, LoanInputError]]:
    """Every (field, error) of a loan's values, clearing each faulty value in turn."""
    values = dict(values)
    found: List[Tuple[str, LoanInputError]] = []
    for _ in FIELDS:
        error = check(values, digits)
        if error is None:
            break
        name = blame(error, candidates, values)
        if values.get(name) is None:  # cannot clear it: stop rather than loop
            found.append((name, error))
            break
        found.append((name, error))
        values[name] = None
    return found


def error_response(error: LoanInputError, name: str) -> str:
    """The re-ask response for an engine error on a field."""
    if error.code == ErrorCode.NOT_A_NUMBER:
        return FIELD_NOT_A_NUMBER.get(name, UTTER_VALUE_INVALID)
    if error.code == ErrorCode.PERIOD_UNKNOWN or name in (RATE_PERIOD, TERM_UNIT):
        return UTTER_CHOOSE_OPTION
    return ERROR_RESPONSES.get(error.code, UTTER_VALUE_INVALID)


# --- formatting ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _domain_responses() -> Dict[str, Any]:
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle).get("responses") or {}


class Formatter:
    """Numbers, money and phrases in the client's language and currency."""

    def __init__(self, language: str, currency: str, domain: Mapping[str, Any] | None = None):
        """Create a formatter; ``domain`` gives the phrase texts (else domain.yml)."""
        self.language = language
        self.currency = currency
        self.responses: Mapping[str, Any] = (domain or {}).get("responses") or _domain_responses()

    def money(self, value: Any) -> str:
        """An amount of money, e.g. ``KES 1,033.33``."""
        return format_money(Decimal(str(value)), self.language, self.currency)

    def number(self, value: Any, decimals: int = 0) -> str:
        """A plain number."""
        return format_number(Decimal(str(value)), self.language, decimals)

    def percent(self, fraction: Any, decimals: int = 1) -> str:
        """A fraction as a percentage: 0.417 gives ``41.7%``."""
        return format_percent(Decimal(str(fraction)), self.language, decimals)

    def rate_percent(self, rate: Any) -> str:
        """A rate given in percent, with the decimals it was given with (at most 2)."""
        number = Decimal(str(rate)).normalize()
        decimals = min(2, max(0, -number.as_tuple().exponent))
        return self.percent(number / 100, decimals)

    def phrase(self, name: str, **values: Any) -> str:
        """A response text (a phrase of a longer answer), translated and filled."""
        variations = self.responses.get(name) or [{}]
        text = translate(self.language, name, variations[0].get("text") or "")
        try:
            return string.Formatter().vformat(text, (), values)
        except (KeyError, IndexError, ValueError):
            logger.warning("Cannot fill %s in %s.", name, self.language)
            return text

    def rate(self, values: Mapping[str, Any]) -> str:
        """``2% per month``."""
        period = values.get(RATE_PERIOD) or Period.MONTH.value
        return self.phrase(PHRASE_RATE[period], rate=self.rate_percent(values.get(RATE) or 0))

    def term(self, values: Mapping[str, Any]) -> str:
        """``6 months``."""
        term, unit = _term_in(values)
        term = term if term is not None else Decimal(0)
        decimals = 0 if term == term.to_integral_value() else 1
        name = PHRASE_TERM[(unit or Period.MONTH.value, term == 1)]
        return self.phrase(name, term=self.number(term, decimals))

    def frequency(self, terms: LoanTerms) -> str:
        """``every week``."""
        return self.phrase(PHRASE_FREQUENCY[terms.frequency.value])

    def method(self, terms: LoanTerms) -> str:
        """``flat rate`` or ``declining balance`` of a loan."""
        return self.method_name(terms.method.value)

    def method_name(self, method: str | None) -> str:
        """``flat rate`` (also when unknown: it is assumed) or ``declining balance``."""
        name = PHRASE_METHOD.get(method or METHOD_FLAT, PHRASE_METHOD[METHOD_DECLINING])
        return self.phrase(name)

    def date(self, value: dt.date) -> str:
        """A date in the language's medium style."""
        return format_date(value, self.language)


def quote_values(quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter) -> Dict[str, str]:
    """The formatted figures of a quote, for responses."""
    terms = quoted.terms
    return {
        "amount": fmt.money(terms.amount),
        "rate": fmt.rate(values),
        "method": fmt.method(terms),
        "term": fmt.term(values),
        "frequency": fmt.frequency(terms),
        "count": fmt.number(quoted.installments),
        "installment": fmt.money(quoted.regular_payment),
        "interest": fmt.money(quoted.total_interest),
        "total_paid": fmt.money(quoted.total_paid),
        "total_cost": fmt.money(quoted.total_cost),
        "apr": fmt.percent(quoted.apr),
        "eir": fmt.percent(quoted.eir),
        "apr_rounded": fmt.percent(quoted.apr, 0),
    }


# --- documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleTable:
    """A schedule laid out for a document."""

    title: str
    columns: Tuple[str, ...]
    rows: Tuple[Tuple[str, ...], ...]
    total: Tuple[str, ...]


def documents_location() -> Tuple[Path, str] | None:
    """(folder, public URL) of schedule documents, or None when no URL is configured."""
    url = os.environ.get(ENV_DOCUMENTS_URL, "").strip()
    if not url:
        return None
    folder = Path(os.environ.get(ENV_DOCUMENTS_DIR, "").strip() or DEFAULT_DOCUMENTS_DIR)
    if not folder.is_absolute():
        folder = PROJECT_ROOT / folder
    return folder, url.rstrip("/")


def keep_days() -> int:
    """Days schedule documents are kept (``MFI_DOCUMENTS_KEEP_DAYS``)."""
    raw = os.environ.get(ENV_DOCUMENTS_KEEP_DAYS, "").strip()
    try:
        days = int(raw) if raw else DEFAULT_DOCUMENTS_KEEP_DAYS
    except ValueError:
        days = DEFAULT_DOCUMENTS_KEEP_DAYS
    return max(days, 1)


def schedule_table(quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter) -> ScheduleTable:
    """The whole schedule with localised labels, dates and numbers."""
    digits = quoted.terms.currency_digits
    figures = quote_values(quoted, values, fmt)
    columns = tuple(
        part.strip() for part in fmt.phrase(PHRASE_DOCUMENT_COLUMNS).split(COLUMN_SEPARATOR)
    )
    rows = tuple(
        (
            fmt.number(row.number),
            fmt.date(row.due_date),
            fmt.number(row.principal, digits),
            fmt.number(row.interest, digits),
            fmt.number(row.fees + row.savings, digits),
            fmt.number(row.payment, digits),
            fmt.number(row.balance, digits),
        )
        for row in quoted.schedule
    )
    schedule = quoted.schedule
    total = (
        fmt.phrase(PHRASE_DOCUMENT_TOTAL),
        "",
        fmt.number(sum(row.principal for row in schedule), digits),
        fmt.number(sum(row.interest for row in schedule), digits),
        fmt.number(sum(row.fees + row.savings for row in schedule), digits),
        fmt.number(sum(row.payment for row in schedule), digits),
        "",
    )
    title = fmt.phrase(PHRASE_DOCUMENT_TITLE, **figures)
    return ScheduleTable(title, columns, rows, total)


def csv_rows(quoted: LoanQuote, columns: Sequence[str]) -> List[List[str]]:
    """The schedule as spreadsheet rows: localised header, ISO dates, plain numbers."""
    rows: List[List[str]] = [list(columns)]
    for row in quoted.schedule:
        rows.append(
            [
                str(row.number),
                row.due_date.isoformat(),
                str(row.principal),
                str(row.interest),
                str(row.fees + row.savings),
                str(row.payment),
                str(row.balance),
            ]
        )
    return rows


def renders_in_pdf(texts: Iterable[str]) -> bool:
    """Whether the PDF font shows these texts (Latin, Greek, Cyrillic: not Indic scripts)."""
    return all(ord(char) <= PDF_LAST_CODE_POINT for text in texts for char in text)


def write_pdf(path: Path, table: ScheduleTable) -> None:
    """Write the schedule as a PDF, one page for up to 40 installments."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    pages = [
        table.rows[start : start + PDF_ROWS_PER_PAGE]
        for start in range(0, max(len(table.rows), 1), PDF_ROWS_PER_PAGE)
    ]
    with PdfPages(path) as pdf:
        for number, rows in enumerate(pages, start=1):
            figure = Figure(figsize=PDF_PAGE_INCHES)
            figure.text(0.06, 0.96, table.title, fontsize=11, weight="bold", wrap=True)
            axes = figure.add_axes([0.05, 0.04, 0.9, 0.89])
            axes.axis("off")
            cells = [list(row) for row in rows]
            if number == len(pages):
                cells.append(list(table.total))
            drawn = axes.table(
                cellText=cells, colLabels=list(table.columns), loc="upper center", cellLoc="right"
            )
            drawn.auto_set_font_size(False)
            drawn.set_fontsize(7.5)
            drawn.scale(1, 1.15)
            pdf.savefig(figure)


def write_documents(
    quoted: LoanQuote, table: ScheduleTable, pdf_table: ScheduleTable
) -> Tuple[str, str] | None:
    """Write the schedule as PDF and CSV; return their URLs (None when not configured)."""
    location = documents_location()
    if location is None:
        return None
    folder, base_url = location
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder, keep_days())
    name = f"schedule-{uuid.uuid4().hex}"
    pdf_path, csv_path = folder / f"{name}.pdf", folder / f"{name}.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(csv_rows(quoted, table.columns))
    write_pdf(pdf_path, pdf_table)
    return f"{base_url}/{pdf_path.name}", f"{base_url}/{csv_path.name}"


def prune(folder: Path, days: int) -> None:
    """Delete schedule documents older than ``days``."""
    limit = time.time() - days * SECONDS_PER_DAY
    for path in folder.glob("schedule-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


# --- the conversation's state ------------------------------------------------------------


def message_is_new(tracker: Tracker, form: str) -> bool:
    """Whether the client's latest message has not been handled since it came.

    A form re-run after an interruption (a definition asked in the middle) must not read
    the interrupting message again.
    """
    marker_seen = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action":
            if event.get("name") == form and not marker_seen:
                marker_seen = True
                continue
            return False
    return False


def is_activation(tracker: Tracker, form: str) -> bool:
    """Whether the form is being activated by the latest message (not asking yet)."""
    if tracker.active_loop_name != form:
        return True
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "active_loop" and event.get("name") == form:
            return True
    return False


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the latest message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def detected_language(tracker: Tracker) -> str | None:
    """The language the latest message is written in, when known."""
    return (tracker.latest_message or {}).get("detected_language")


def reading_of(tracker: Tracker) -> Reading:
    """The loan values of the latest message."""
    message = tracker.latest_message or {}
    return read_message(
        message.get("text") or "", message.get("entities") or [], detected_language(tracker)
    )


def deployment_currency(tracker: Tracker) -> str:
    """The currency loans are quoted in: the one the client named, else the deployment's."""
    return str(tracker.get_slot(SLOT_CURRENCY) or get_settings().currency)


# --- forms -------------------------------------------------------------------------------


class ValidateLoanForm(FormValidationAction):
    """Reads loan values from each message of ``loan_form`` and re-asks for bad ones."""

    FORM = FORM_LOAN

    def name(self) -> str:
        """Returns the action's name."""
        return f"validate_{self.FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Sets the slots the message gives; utters a re-ask for each bad value."""
        form = self.form_name()
        if not message_is_new(tracker, form):
            return []
        intent = latest_intent(tracker)
        reading = reading_of(tracker)
        if intent not in VALUE_INTENTS and not reading.has_values:
            return []
        activation = is_activation(tracker, form)
        requested = None if activation else tracker.get_slot(REQUESTED_SLOT)
        slots = dict(tracker.slots)
        updates: Dict[str, Any] = {}
        if activation:
            updates.update(self.reset(intent, reading, slots))
            slots.update(updates)
        candidates = self.assign(reading, requested, slots, activation)
        if reading.currency:
            candidates[SLOT_CURRENCY] = reading.currency
        updates.update(candidates)
        slots.update(candidates)
        currency = str(slots.get(SLOT_CURRENCY) or get_settings().currency)
        fmt = Formatter(language_of(tracker), currency, domain)
        for slot, error in self.problems(slots, candidates, currency_digits(currency)):
            dispatcher.utter_message(
                response=error_response(error, field_of(slot)[1]), **error_values(error, fmt)
            )
            updates[slot] = None
            slots[slot] = None
        if requested and not candidates and intent in VALUE_INTENTS:
            response = NOT_UNDERSTOOD.get(field_of(requested)[1], UTTER_VALUE_INVALID)
            dispatcher.utter_message(response=response)
            updates[requested] = None
        if activation:
            self.introduce(dispatcher, slots, fmt)
        return [SlotSet(slot, value) for slot, value in updates.items()]

    def introduce(
        self, dispatcher: CollectingDispatcher, slots: Mapping[str, Any], fmt: Formatter
    ) -> None:
        """What the form says when it starts (nothing: its first question says enough)."""

    def reset(self, intent: str | None, reading: Reading, slots: Mapping[str, Any]) -> Dict:
        """Slots cleared when the form starts: a new calculation forgets the old loan."""
        if intent == INTENT_CALCULATE_LOAN and not reading.has_values:
            return {slot: None for slot in loan_slots(FIRST)}
        return {}

    def assign(
        self, reading: Reading, requested: str | None, slots: Mapping[str, Any], start: bool
    ) -> Dict[str, Any]:
        """Slot values from the message for the loan."""
        return assign_loan(reading, requested)

    def problems(
        self, slots: Mapping[str, Any], candidates: Mapping[str, Any], digits: int
    ) -> List[Tuple[str, LoanInputError]]:
        """(slot, error) of every bad value of the loan."""
        values = offer_values(slots, FIRST)
        fields = {
            field_of(slot)[1]: value
            for slot, value in candidates.items()
            if slot.startswith(FIRST) and not slot.startswith(SECOND)
        }
        return [(FIRST + name, error) for name, error in problems(values, fields, digits)]


class ValidateLoanScheduleForm(ValidateLoanForm):
    """``loan_schedule_form``: like ``loan_form``; the schedule is of the loan discussed."""

    FORM = FORM_LOAN_SCHEDULE

    def reset(self, intent: str | None, reading: Reading, slots: Mapping[str, Any]) -> Dict:
        """Nothing is forgotten: "show the schedule" is about the loan just quoted."""
        return {}


class ValidateLoanCompareForm(ValidateLoanForm):
    """``loan_compare_form``: two offers; a message may give both ("2% flat or 30%")."""

    FORM = FORM_LOAN_COMPARE

    def reset(self, intent: str | None, reading: Reading, slots: Mapping[str, Any]) -> Dict:
        """A new comparison forgets the old second offer (and the first's rate if it gives two)."""
        if intent != INTENT_COMPARE_LOANS:
            return {}
        cleared = {slot: None for slot in loan_slots(SECOND)}
        if len(reading.rates) >= 2 or slots.get(FIRST + RATE) is None:
            cleared.update({FIRST + name: None for name in OFFER_FIELDS})
        return cleared

    def assign(
        self, reading: Reading, requested: str | None, slots: Mapping[str, Any], start: bool
    ) -> Dict[str, Any]:
        """Slot values of both offers: the first and second of each kind, else one offer."""
        if requested and requested.startswith(SECOND):
            target = SECOND
        elif start and slots.get(FIRST + RATE) is not None:
            target = SECOND
        else:
            target = FIRST
        return assign_offers(reading, target, requested, slots)

    def introduce(
        self, dispatcher: CollectingDispatcher, slots: Mapping[str, Any], fmt: Formatter
    ) -> None:
        """Says what is compared when the second offer is still to be asked for."""
        if slots.get(SECOND + RATE) is not None:
            return
        first = offer_values(slots, FIRST)
        if first.get(RATE) is None or first.get(RATE_PERIOD) is None:
            dispatcher.utter_message(response=UTTER_LOAN_COMPARE_INTRO)
            return
        dispatcher.utter_message(
            response=UTTER_LOAN_COMPARE_WITH_LAST,
            rate=fmt.rate(first),
            method=fmt.method_name(first.get(METHOD)),
        )

    def problems(
        self, slots: Mapping[str, Any], candidates: Mapping[str, Any], digits: int
    ) -> List[Tuple[str, LoanInputError]]:
        """(slot, error) of every bad value of either offer."""
        found = super().problems(slots, candidates, digits)
        cleared = dict(slots)
        for slot, _ in found:
            cleared[slot] = None
        second = {
            field_of(slot)[1]: value
            for slot, value in candidates.items()
            if slot.startswith(SECOND)
        }
        for name, error in problems(offer_values(cleared, SECOND), second, digits):
            own = SECOND + name
            slot = (
                own if cleared.get(own) is not None or name not in SHARED_FIELDS else FIRST + name
            )
            if slot not in dict(found):
                found.append((slot, error))
        return found


def error_values(error: LoanInputError, fmt: Formatter) -> Dict[str, str]:
    """The values a re-ask shows (``max``), formatted."""
    maximum = to_decimal(error.params.get("max"))
    return {"max": fmt.number(maximum)} if maximum is not None else {}


# --- answers ------------------------------------------------------------------------------


def quote_offer(tracker: Tracker, offer: str = FIRST) -> Tuple[Dict[str, Any], LoanQuote]:
    """(values, quote) of an offer from the slots; raises LoanInputError when wrong."""
    values = offer_values(tracker.slots, offer)
    digits = currency_digits(deployment_currency(tracker))
    return values, quote(terms_of(values, digits), today=today)


def reask(
    dispatcher: CollectingDispatcher, error: LoanInputError, offer: str, fmt: Formatter
) -> List[EventType]:
    """Say what is wrong with a value and forget it (the next question asks again)."""
    name = ENGINE_FIELDS.get(error.field, AMOUNT)
    dispatcher.utter_message(response=error_response(error, name), **error_values(error, fmt))
    return [SlotSet(offer + name, None)]


def utter_quote_notes(
    dispatcher: CollectingDispatcher, quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter
) -> None:
    """The fees, deposit, grace and "assumed flat" lines that follow a quote."""
    fees = quoted.total_fees + quoted.insurance
    if fees:
        dispatcher.utter_message(response=UTTER_LOAN_FEES, fees=fmt.money(fees))
    if quoted.deposit:
        dispatcher.utter_message(
            response=UTTER_LOAN_DEPOSIT,
            deposit=fmt.money(quoted.deposit),
            disbursed=fmt.money(quoted.disbursed),
        )
    grace = quoted.terms.grace_installments
    if grace:
        dispatcher.utter_message(
            response=UTTER_LOAN_GRACE,
            grace=fmt.number(grace),
            grace_payment=fmt.money(quoted.schedule[0].payment),
        )
    if not values.get(METHOD):
        dispatcher.utter_message(response=UTTER_LOAN_ASSUMED_FLAT)


class ActionLoanQuote(Action):
    """What the loan costs: installment, count, interest, total, APR, EIR, one sentence."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_LOAN_QUOTE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Quotes the loan of the slots with the engine."""
        fmt = Formatter(language_of(tracker), deployment_currency(tracker), domain)
        try:
            values, quoted = quote_offer(tracker)
        except LoanInputError as error:
            return reask(dispatcher, error, FIRST, fmt)
        dispatcher.utter_message(response=UTTER_LOAN_QUOTE, **quote_values(quoted, values, fmt))
        utter_quote_notes(dispatcher, quoted, values, fmt)
        return []


def schedule_lines(quoted: LoanQuote, fmt: Formatter) -> str:
    """The first installments and the last, one line each, for a chat."""
    digits = quoted.terms.currency_digits
    rows = list(quoted.schedule)
    shown = (
        rows
        if len(rows) <= SCHEDULE_HEAD_ROWS + 1
        else rows[:SCHEDULE_HEAD_ROWS] + [None] + rows[-1:]
    )
    lines = []
    for row in shown:
        if row is None:
            lines.append("…")
            continue
        lines.append(
            " | ".join(
                (
                    fmt.number(row.number),
                    fmt.date(row.due_date),
                    fmt.number(row.payment, digits),
                    fmt.number(row.balance, digits),
                )
            )
        )
    return "\n".join(lines)


class ActionLoanSchedule(Action):
    """The repayment schedule: first rows and totals in the chat, the rest as documents."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_LOAN_SCHEDULE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utters the schedule table and sends the PDF and CSV when documents are served."""
        language = language_of(tracker)
        fmt = Formatter(language, deployment_currency(tracker), domain)
        try:
            values, quoted = quote_offer(tracker)
        except LoanInputError as error:
            return reask(dispatcher, error, FIRST, fmt)
        figures = quote_values(quoted, values, fmt)
        dispatcher.utter_message(
            response=UTTER_LOAN_SCHEDULE, rows=schedule_lines(quoted, fmt), **figures
        )
        urls = await self.documents(quoted, values, fmt, domain)
        if urls is not None:
            pdf_url, csv_url = urls
            dispatcher.utter_message(response=UTTER_SCHEDULE_DOCUMENT, attachment=pdf_url)
            dispatcher.utter_message(response=UTTER_SCHEDULE_SPREADSHEET, attachment=csv_url)
        if not values.get(METHOD):
            dispatcher.utter_message(response=UTTER_LOAN_ASSUMED_FLAT)
        return []

    @staticmethod
    async def documents(
        quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter, domain: Mapping[str, Any]
    ) -> Tuple[str, str] | None:
        """Write the documents off the event loop; None when not configured or failed."""
        if documents_location() is None:
            return None
        table = schedule_table(quoted, values, fmt)
        pdf_table = table
        if not renders_in_pdf(chain((table.title,), table.columns, *table.rows)):
            pdf_table = schedule_table(
                quoted, values, Formatter(PDF_FALLBACK_LANGUAGE, fmt.currency, domain)
            )
        try:
            return await asyncio.to_thread(write_documents, quoted, table, pdf_table)
        except Exception:  # noqa: BLE001 - a document must never break the answer
            logger.exception("Could not write the schedule documents.")
            return None


class ActionCompareLoans(Action):
    """Two offers side by side (APR, total cost), which is cheaper and why."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_COMPARE_LOANS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Quotes both offers of the slots and compares them."""
        fmt = Formatter(language_of(tracker), deployment_currency(tracker), domain)
        quotes = []
        for offer in OFFERS:
            try:
                quotes.append(quote_offer(tracker, offer))
            except LoanInputError as error:
                return reask(dispatcher, error, offer, fmt)
        (values_a, first), (values_b, second) = quotes
        figures: Dict[str, str] = {}
        for suffix, (values, quoted) in (("a", quotes[0]), ("b", quotes[1])):
            figures.update(
                {
                    f"{key}_{suffix}": value
                    for key, value in quote_values(quoted, values, fmt).items()
                }
            )
        dispatcher.utter_message(response=UTTER_LOAN_COMPARISON, **figures)
        result = compare(first, second)
        cheaper = result.cheaper_by_total_cost if result.same_amount else result.cheaper_by_apr
        differences = {
            "cost_difference": fmt.money(result.total_cost_difference),
            "apr_difference": fmt.percent(result.apr_difference),
        }
        if cheaper == "same":
            dispatcher.utter_message(response=UTTER_LOAN_SAME_COST)
        else:
            verdicts = {
                ("a", True): UTTER_LOAN_FIRST_CHEAPER,
                ("b", True): UTTER_LOAN_SECOND_CHEAPER,
                ("a", False): UTTER_LOAN_FIRST_CHEAPER_APR,
                ("b", False): UTTER_LOAN_SECOND_CHEAPER_APR,
            }
            dispatcher.utter_message(
                response=verdicts[(cheaper, result.same_amount)], **differences
            )
            dispatcher.utter_message(response=reason(first, second, cheaper))
        if not values_a.get(METHOD) or not values_b.get(METHOD):
            dispatcher.utter_message(response=UTTER_LOAN_ASSUMED_FLAT)
        return []


def reason(first: LoanQuote, second: LoanQuote, cheaper: str) -> str:
    """Why the cheaper offer is cheaper, in one response."""
    low, high = (first, second) if cheaper == "a" else (second, first)
    if low.terms.method != high.terms.method and high.terms.method.value == METHOD_FLAT:
        return UTTER_LOAN_REASON_FLAT
    extra_high = high.total_fees + high.insurance + high.deposit
    extra_low = low.total_fees + low.insurance + low.deposit
    if extra_high > extra_low and low.terms.nominal_annual_rate >= high.terms.nominal_annual_rate:
        return UTTER_LOAN_REASON_FEES
    if low.terms.nominal_annual_rate < high.terms.nominal_annual_rate:
        return UTTER_LOAN_REASON_RATE
    return UTTER_LOAN_REASON_TERM


# --- interest and loan words ----------------------------------------------------------------


class ActionExplainInterest(Action):
    """Flat vs declining, with an example computed in the client's currency."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_EXPLAIN_INTEREST

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utters the example: the client's amount (or 10,000) at the rate asked about."""
        fmt = Formatter(language_of(tracker), deployment_currency(tracker), domain)
        amount = to_decimal(tracker.get_slot(FIRST + AMOUNT))
        if amount is None or amount <= 0:
            amount = EXAMPLE_AMOUNT
        values = {
            AMOUNT: amount,
            RATE: EXAMPLE_RATE,
            RATE_PERIOD: Period.MONTH.value,
            TERM: EXAMPLE_TERM_MONTHS,
            TERM_UNIT: Period.MONTH.value,
            FREQUENCY: Frequency.MONTHLY.value,
        }
        digits = currency_digits(fmt.currency)
        rates = reading_of(tracker).rates
        if rates and rates[0].extra.get(RATE_PERIOD) in PERIOD_VALUES:
            asked = {**values, RATE: rates[0].value, RATE_PERIOD: rates[0].extra[RATE_PERIOD]}
            if check(asked, digits) is None:
                values = asked
        flat, declining = (
            quote(terms_of({**values, METHOD: method}, digits), today=today)
            for method in (METHOD_FLAT, METHOD_DECLINING)
        )
        dispatcher.utter_message(
            response=UTTER_EXPLAIN_INTEREST,
            amount=fmt.money(amount),
            rate=fmt.rate(values),
            term=fmt.term(values),
            flat_interest=fmt.money(flat.total_interest),
            declining_interest=fmt.money(declining.total_interest),
            difference=fmt.money(flat.total_interest - declining.total_interest),
        )
        return []


def concept_asked(tracker: Tracker) -> str | None:
    """The glossary key the latest message asks about (entity, else found in its text)."""
    value = latest_entity(tracker, ENTITY_CONCEPT)
    if value:
        return str(value)
    text = (tracker.latest_message or {}).get("text") or ""
    found = find_concepts(text, _languages(detected_language(tracker)))
    return str(found[0]["value"]) if found else None


class ActionDefineTerm(Action):
    """Explains a loan word from the glossary; unknown words get a few terms as buttons."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_DEFINE_TERM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utters the definition in the client's language, or the suggestions."""
        language = language_of(tracker)
        key = concept_asked(tracker)
        term = lookup(key, language) if key else None
        if term is not None:
            dispatcher.utter_message(
                response=UTTER_DEFINITION, term=term.term, definition=term.definition
            )
            return []
        keys = [key for key in SUGGESTED_TERMS if key in term_keys()][:MAX_SUGGESTED_TERMS]
        buttons = []
        for suggested in keys:
            entry = lookup(suggested, language)
            if entry is not None:
                buttons.append(
                    {
                        "title": entry.term,
                        "payload": payload(INTENT_ASK_DEFINITION, {ENTITY_CONCEPT: suggested}),
                    }
                )
        dispatcher.utter_message(response=UTTER_DEFINITION_UNKNOWN, buttons=buttons)
        return []
