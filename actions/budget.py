"""Budget, affordability and savings conversations (issue 4; docs/budget.md).

Three forms collect what the math of ``bot/finance`` needs; submit actions call it and
utter domain responses (one per tip, reason or error code) with figures formatted in
the client's language:

- ``budget_form`` (start_budget): the period (week or month), income sources, then the
  expense categories one by one (Skip / Done buttons). A first message holding income
  and spending ("I earn 12000 a week and spend about 9000") fills it at once: the quick
  path. ``action_budget_route`` runs first and handles "forget my budget".
- ``affordability_form`` (check_affordability): an installment ("1500 a week") or loan
  terms ("20000 at 2% a month for 6 months"), then income, spending and current loan
  repayments unless the client has a saved budget.
- ``savings_form`` (plan_savings): a goal, then a date, a number of weeks or months, or
  an amount saved each week or month.

Client messages are read by :func:`read_message` from the entities of ``bot/nlu``
(amounts, frequencies, durations, rates) and the words of ``data/budget/<code>.yml``
(income and spending words, categories, done / skip / cancel), so adding a language is
adding data. Budgets are kept in ``bot/store/budget.py`` once the client agreed (asked
once per client).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import importlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Sequence, Tuple

import yaml
from babel.numbers import get_currency_precision
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine

from actions.common import language_of
from bot.finance.affordability import (
    DEFAULT_AFFORDABILITY_RULES,
    AffordabilityResult,
    AffordabilityRules,
    Level,
    LoanSuggestion,
    assess_installment,
    assess_loan,
)
from bot.finance.budget import (
    MAX_AMOUNT,
    BudgetErrorCode,
    BudgetInputError,
    BudgetResult,
    Category,
    Expense,
    Frequency,
    IncomeSource,
    Period,
    Tip,
    TipCode,
    build_budget,
    convert,
)
from bot.finance.savings import SavingsPlan, plan_by_amount, plan_by_deadline
from bot.finance.terms import LoanInputError, LoanTerms
from bot.i18n import format_date, format_money, format_number, format_percent
from bot.i18n.languages import language_codes
from bot.settings import PROJECT_ROOT, get_settings
from bot.store.budget import (
    BUDGET_TABLES,
    SavedBudget,
    budget_consent,
    forget_budgets,
    latest_budget,
    record_budget_consent,
    save_budget,
)
from bot.store.db import Base, get_engine, session_scope

logger = logging.getLogger(__name__)

# --- names -------------------------------------------------------------------------

FORM_BUDGET = "budget_form"
FORM_AFFORDABILITY = "affordability_form"
FORM_SAVINGS = "savings_form"

ACTION_BUDGET_ROUTE = "action_budget_route"
ACTION_ASK_BUDGET_EXPENSES_DONE = "action_ask_budget_expenses_done"
ACTION_BUDGET_SUBMIT = "action_budget_submit"
ACTION_BUDGET_CONSENT = "action_budget_consent"
ACTION_ASK_AFFORD_REQUEST = "action_ask_afford_request"
ACTION_AFFORDABILITY_SUBMIT = "action_affordability_submit"
ACTION_SAVINGS_SUBMIT = "action_savings_submit"
ACTION_LISTEN = "action_listen"
ACTION_EXTRACT_SLOTS = "action_extract_slots"
REQUESTED_SLOT = "requested_slot"

SLOT_BUDGET_ROUTE = "budget_route"
SLOT_BUDGET_PERIOD = "budget_period"
SLOT_BUDGET_INCOMES = "budget_incomes"
SLOT_BUDGET_INCOME_DONE = "budget_income_done"
SLOT_BUDGET_EXPENSES = "budget_expenses"
SLOT_BUDGET_CATEGORY = "budget_category"
SLOT_BUDGET_EXPENSES_DONE = "budget_expenses_done"
SLOT_BUDGET_CANCELLED = "budget_cancelled"
SLOT_BUDGET_CONSENT_PENDING = "budget_consent_pending"
SLOT_BUDGET_PENDING = "budget_pending"
ROUTE_FORM = "form"
ROUTE_FORGET = "forget"

SLOT_AFFORD_REQUEST = "afford_request"
SLOT_AFFORD_PENDING_AMOUNT = "afford_pending_amount"
SLOT_AFFORD_HAS_BUDGET = "afford_has_budget"
SLOT_AFFORD_INCOME = "afford_income"
SLOT_AFFORD_EXPENSES = "afford_expenses"
SLOT_AFFORD_LOANS = "afford_loans"
SLOT_AFFORD_CANCELLED = "afford_cancelled"

SLOT_SAVINGS_GOAL = "savings_goal"
SLOT_SAVINGS_TARGET = "savings_target"
SLOT_SAVINGS_RATE = "savings_rate"
SLOT_SAVINGS_CANCELLED = "savings_cancelled"

# The loans conversation (actions/loans.py): its loan_<field> slots are read, never set.
LOANS_MODULE = "actions.loans"
LOANS_OFFER_VALUES = "offer_values"
LOANS_TERMS_OF = "terms_of"
LOAN_SLOT_PREFIX = "loan_"
LOAN_FIELDS = ("amount", "rate", "rate_period", "term", "term_unit", "frequency", "method")
LOAN_REQUIRED_FIELDS = ("amount", "rate", "rate_period", "term", "term_unit")

INTENT_AFFIRM = "affirm"
INTENT_DENY = "deny"
INTENT_START_BUDGET = "start_budget"
INTENT_CHECK_AFFORDABILITY = "check_affordability"
INTENT_PLAN_SAVINGS = "plan_savings"
# Intents that leave a form for another topic unless the message is a form answer.
OTHER_TOPIC_INTENTS = frozenset(
    {
        "explain_interest",
        "calculate_loan",
        "request_schedule",
        "compare_loans",
        "ask_definition",
        "request_human",
        "complain",
        "opt_out",
        "delete_my_data",
        "choose_language",
        "start_lesson",
        "start_quiz",
        "show_progress",
        "bot_challenge",
        "ask_help",
        "out_of_scope",
    }
)
# Intents that interrupt a form only when the message holds nothing the form can use.
SOFT_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        INTENT_START_BUDGET,
        INTENT_CHECK_AFFORDABILITY,
        INTENT_PLAN_SAVINGS,
    }
)

# Entities (docs/nlu.md).
ENTITY_AMOUNT = "amount"
ENTITY_FREQUENCY = "frequency"
ENTITY_DURATION = "duration"
ENTITY_DURATION_UNIT = "duration_unit"
ENTITY_RATE = "rate"
ENTITY_RATE_PERIOD = "rate_period"
ENTITY_METHOD = "interest_method"

# Keys of the dicts kept in slots.
KEY_AMOUNT = "amount"
KEY_FREQUENCY = "frequency"
KEY_CATEGORY = "category"
KEY_KIND = "kind"
KEY_RATE = "rate"
KEY_RATE_PERIOD = "rate_period"
KEY_TERM = "term"
KEY_TERM_UNIT = "term_unit"
KEY_METHOD = "method"
KEY_COUNT = "count"
KEY_PERIOD = "period"
KEY_DATE = "date"
KEY_INCOMES = "incomes"
KEY_EXPENSES = "expenses"
KIND_INSTALLMENT = "installment"
KIND_LOAN = "loan"
KIND_PERIODS = "periods"

# Roles of an amount in a message.
ROLE_INCOME = "income"
ROLE_EXPENSE = "expense"

# Responses.
UTTER_INCOME_NOTED = "utter_budget_income_noted"
UTTER_INCOME_NOTED_PLAIN = "utter_budget_income_noted_plain"
UTTER_EXPENSE_NOTED = "utter_budget_expense_noted"
UTTER_EXPENSE_NOTED_PLAIN = "utter_budget_expense_noted_plain"
UTTER_ASK_EXPENSE = "utter_budget_ask_expense_{category}"
UTTER_RESULT = "utter_budget_result_{status}"
UTTER_TOP_CATEGORIES = "utter_budget_top_categories"
UTTER_TIP = "utter_budget_tip_{code}"
UTTER_TIP_BUFFER_SAVING = "utter_budget_tip_emergency_buffer_{period}s"
UTTER_ASK_CONSENT = "utter_budget_ask_consent"
UTTER_SAVED = "utter_budget_saved"
UTTER_SAVED_AGAIN = "utter_budget_saved_again"
UTTER_NOT_SAVED = "utter_budget_not_saved"
UTTER_FORGOTTEN = "utter_budget_forgotten"
UTTER_NOTHING_TO_FORGET = "utter_budget_nothing_to_forget"
UTTER_BUDGET_CANCELLED = "utter_budget_cancelled"
UTTER_ERROR = "utter_budget_error_{code}"
ERROR_NOT_UNDERSTOOD = "not_understood"
ERROR_HOW_OFTEN = "how_often"
ERROR_LOAN_AMOUNT_MISSING = "loan_amount_missing"
ERROR_CODES = frozenset(
    {
        ERROR_NOT_UNDERSTOOD,
        ERROR_HOW_OFTEN,
        ERROR_LOAN_AMOUNT_MISSING,
        BudgetErrorCode.NEGATIVE_AMOUNT.value,
        BudgetErrorCode.AMOUNT_TOO_LARGE.value,
        BudgetErrorCode.AMOUNT_NOT_POSITIVE.value,
        BudgetErrorCode.NO_INCOME.value,
        BudgetErrorCode.DATE_NOT_IN_FUTURE.value,
        BudgetErrorCode.ZERO_PERIODS.value,
        BudgetErrorCode.TOO_MANY_PERIODS.value,
        BudgetErrorCode.GOAL_NOT_REACHED.value,
        BudgetErrorCode.INVALID_RATE.value,
    }
)
"""Error codes that have a response (utter_budget_error_<code>)."""
UTTER_AFFORD_ASK_FREQUENCY = "utter_afford_ask_frequency"
UTTER_ASK_AFFORD_REQUEST = "utter_ask_afford_request"
UTTER_AFFORD_USING_BUDGET = "utter_afford_using_budget"
UTTER_AFFORD_BUDGET_MISSING = "utter_afford_budget_missing"
UTTER_AFFORD_LOAN_TERMS = "utter_afford_loan_terms_{method}"
UTTER_AFFORD_LEVEL = "utter_afford_{level}"
UTTER_AFFORD_REASON = "utter_afford_reason_{code}"
UTTER_AFFORD_FIT_INSTALLMENT = "utter_afford_fit_installment"
UTTER_AFFORD_FIT_AMOUNT = "utter_afford_fit_amount"
UTTER_AFFORD_FIT_TERM = "utter_afford_fit_term_{unit}s"
UTTER_AFFORD_NOTHING_FITS = "utter_afford_nothing_fits"
UTTER_AFFORD_REMINDER = "utter_afford_reminder_{code}"
UTTER_AFFORD_LOAN_INVALID = "utter_afford_loan_invalid"
UTTER_AFFORD_CANCELLED = "utter_afford_cancelled"
UTTER_SAVINGS_PLAN = "utter_savings_plan_{period}s"
UTTER_SAVINGS_REACH = "utter_savings_reach_{period}s"
UTTER_SAVINGS_INTEREST = "utter_savings_interest"
UTTER_SAVINGS_REALISM = "utter_savings_{realism}"
UTTER_SAVINGS_NO_SURPLUS = "utter_savings_no_surplus"
UTTER_SAVINGS_NO_BUDGET = "utter_savings_no_budget"
UTTER_SAVINGS_CANCELLED = "utter_savings_cancelled"

# Word data.
BUDGET_DATA_DIR = PROJECT_ROOT / "data" / "budget"
SOURCE_LANGUAGE = "en"
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
WILDCARD = "*"
NUKTAS = frozenset({"\u093c", "\u09bc"})
LATIN_END = "\u0250"
CLAUSE_MARKS = ",;.!?\n|"
BOUNDARY_COST = 1000
NEGATIVE_SIGNS = "-\u2212\u2013"
PHONE_LIKE_DIGITS = 10
DATE_PATTERN = re.compile(r"(?<!\d)(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?!\d)")
DIGIT_RUN = re.compile(r"\d[\d,.\u00a0 ]*\d|\d")
ZERO_PATTERN = re.compile(r"(?<![\d.,])0+(?:[.,]0+)?(?![\d.,])")
SHORT_DATE_DAYS = 62

# Periods and frequencies.
PERIOD_OF_FREQUENCY = {
    Frequency.DAILY.value: Period.WEEK.value,
    Frequency.WEEKLY.value: Period.WEEK.value,
    Frequency.FORTNIGHTLY.value: Period.WEEK.value,
    Frequency.MONTHLY.value: Period.MONTH.value,
    Frequency.YEARLY.value: Period.MONTH.value,
    Frequency.SEASONAL.value: Period.MONTH.value,
}
ANSWER_PERIODS = {
    Frequency.WEEKLY.value: Period.WEEK.value,
    Frequency.MONTHLY.value: Period.MONTH.value,
}
LOAN_FREQUENCIES = ("weekly", "fortnightly", "monthly")
UNIT_WEEK = "week"
UNIT_MONTH = "month"
UNIT_YEAR = "year"
UNIT_DAY = "day"
DAYS_PER_WEEK = 7
MONTHS_PER_YEAR = 12
WEEKS_PER_YEAR = 52
RATE_PER_MONTH_MAX = Decimal(10)
"""A loan rate given without its period is per month up to this, else per year."""
DEFAULT_METHOD = "flat"
PERCENT = Decimal(100)
MAX_SAVINGS_RATE = Decimal(100)
FIELD_GOAL = "goal"

# Deployment settings.
AFFORD_ENV_PREFIX = "MFI_AFFORD_"
AFFORD_RULE_FIELDS = (
    "green_surplus_share",
    "green_income_share",
    "amber_surplus_share",
    "amber_income_share",
    "max_term_months",
    "amount_step",
)

Say = Tuple[str, Dict[str, Any]]
"""A response to utter and its values."""


# --- word data ---------------------------------------------------------------------


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
    """A phrase of the word data and what it means."""

    keys: Tuple[str, ...]
    wildcard: bool
    kind: str
    value: str


@dataclass(frozen=True)
class Hit:
    """A phrase found in a message."""

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

    def find(self, text: str) -> List[Hit]:
        """Return the phrases in ``text``, longest first where they overlap."""
        tokens = tokenize(text)
        hits: List[Hit] = []
        index = 0
        while index < len(tokens):
            best: Tuple[int, Phrase] | None = None
            for phrase in self.phrases:
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
    words = data.get("words") or {}
    found: List[Phrase | None] = []
    for kind in WORD_KINDS:
        found += [_phrase(text, kind, kind) for text in words.get(kind) or []]
    for category, texts in (words.get("categories") or {}).items():
        Category(category)  # a typo in the data fails loudly
        found += [_phrase(text, KIND_CATEGORY, category) for text in texts or []]
    for number, names in enumerate(words.get("months") or [], start=1):
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
    labels = [data.get("labels") or {} for data in datas] + [fallback.get("labels") or {}]

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
        categories=merged("categories"),
        frequencies=merged("frequencies"),
        each_period=merged("each_period"),
    )


def reading_languages(tracker: Tracker) -> Tuple[str, ...]:
    """Return the languages to read a message in: the conversation's, the detected, en."""
    detected = (tracker.latest_message or {}).get("detected_language")
    known = set(language_codes())
    codes: List[str] = []
    for code in (language_of(tracker), detected, SOURCE_LANGUAGE):
        if isinstance(code, str) and code in known and code not in codes:
            codes.append(code)
    return tuple(codes)


# --- reading messages --------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """An amount in a message and what it is for.

    Attributes:
        amount: the amount (as the client wrote it, without sign).
        frequency: its frequency when the client gave one.
        start: where the amount starts in the text.
        end: where the amount ends.
        negative: a minus sign stood before it.
        role: income or expense, when words said so.
        category: the expense category, when a word named it.
    """

    amount: Decimal
    frequency: str | None
    start: int
    end: int
    negative: bool = False
    role: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Reading:
    """What a client message says, for the budget, affordability and savings forms.

    Attributes:
        intent: the message's intent.
        mentions: amounts, in text order.
        frequency: a frequency not attached to an amount ("per month"), if any.
        kinds: the kinds of words found (done, skip, cancel, forget, week, month...).
        only_words: the message is nothing but such words (e.g. "done").
        duration: (number, unit) of a duration ("6 months").
        rate: a rate in percent, and its period.
        rate_period: week, month or year, when given.
        method: flat or declining, when given.
        month: a month named (1-12), if any.
        date: a date written with digits (12/05/2027), if any.
        oversized: a number too long to be an amount (more than 9 digits) was written.
        zero: the message says 0 and no other amount.
    """

    intent: str | None
    mentions: Tuple[Mention, ...] = ()
    frequency: str | None = None
    kinds: FrozenSet[str] = frozenset()
    only_words: bool = False
    duration: Tuple[Decimal, str] | None = None
    rate: Decimal | None = None
    rate_period: str | None = None
    method: str | None = None
    month: int | None = None
    date: dt.date | None = None
    oversized: bool = False
    zero: bool = False

    def has(self, kind: str) -> bool:
        """Tell whether a word of ``kind`` (done, skip...) was found."""
        return kind in self.kinds

    @property
    def says_no(self) -> bool:
        """The client declined, skipped or said zero."""
        return self.intent == INTENT_DENY or self.has(KIND_SKIP) or self.zero

    @property
    def says_done(self) -> bool:
        """The client said that is all."""
        return self.has(KIND_DONE)

    @property
    def has_content(self) -> bool:
        """The message holds something a form can use."""
        return bool(
            self.mentions
            or self.frequency
            or self.duration
            or self.rate is not None
            or self.month
            or self.date
            or self.oversized
            or self.zero
            or self.kinds - {KIND_INCOME_WORD, KIND_EXPENSE_WORD, KIND_AND}
        )


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _positioned(entity: Mapping[str, Any]) -> bool:
    return isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int)


def _is_negative(text: str, start: int) -> bool:
    if start < 1 or text[start - 1] not in NEGATIVE_SIGNS:
        return False
    return start < 2 or not text[start - 2].isdigit()


def _pair_frequencies(
    amounts: List[Dict[str, Any]], frequencies: List[Dict[str, Any]]
) -> Tuple[Dict[int, Dict[str, Any]], str | None]:
    """Attach each frequency to the nearest amount beside it; return the rest's first."""
    paired: Dict[int, Dict[str, Any]] = {}
    lone: str | None = None
    for entity in frequencies:
        if not _positioned(entity):
            lone = lone or str(entity.get("value"))
            continue
        left = max(
            (i for i, a in enumerate(amounts) if _positioned(a) and a["end"] <= entity["start"]),
            default=None,
        )
        right = min(
            (i for i, a in enumerate(amounts) if _positioned(a) and a["start"] >= entity["end"]),
            default=None,
        )
        options = []
        if left is not None and left not in paired:
            options.append((entity["start"] - amounts[left]["end"], 0, left))
        if right is not None and right not in paired:
            options.append((amounts[right]["start"] - entity["end"], 1, right))
        if options:
            paired[min(options)[2]] = entity
        else:
            lone = lone or str(entity.get("value"))
    return paired, lone


def _gap_cost(text: str, start: int, end: int, boundaries: Sequence[Hit]) -> int:
    gap = text[start:end]
    cost = len(gap.strip())
    cost += BOUNDARY_COST * sum(gap.count(mark) for mark in CLAUSE_MARKS)
    cost += BOUNDARY_COST * sum(1 for hit in boundaries if start <= hit.start and hit.end <= end)
    return cost


def _assign(
    text: str, mentions: List[Mention], pool: Sequence[Hit], boundaries: Sequence[Hit]
) -> Dict[int, Hit]:
    """Give each mention at most one hit of ``pool``, nearest first (greedy)."""
    if not mentions or not pool:
        return {}
    before_first = min(hit.start for hit in pool) < mentions[0].start
    pairs = []
    for index, mention in enumerate(mentions):
        low = mentions[index - 1].end if index else 0
        high = mentions[index + 1].start if index + 1 < len(mentions) else len(text)
        for number, hit in enumerate(pool):
            if low <= hit.start and hit.end <= mention.start:
                cost = _gap_cost(text, hit.end, mention.start, boundaries)
                side = 0 if before_first else 1
            elif mention.end <= hit.start and hit.end <= high:
                cost = _gap_cost(text, mention.end, hit.start, boundaries)
                side = 1 if before_first else 0
            else:
                continue
            pairs.append((cost, side, index, number))
    taken: Dict[int, Hit] = {}
    used = set()
    for _cost, _side, index, number in sorted(pairs):
        if index not in taken and number not in used:
            taken[index] = pool[number]
            used.add(number)
    return taken


def _find_date(text: str, today: dt.date) -> dt.date | None:
    match = DATE_PATTERN.search(text)
    if match is None:
        return None
    first, second, third = (int(group) for group in match.groups())
    if first > 31:  # 2027-01-15
        year, month, day = first, second, third
    else:  # 15/01/2027
        day, month, year = first, second, third
    if year < 100:
        year += today.year // 100 * 100
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_message(
    text: str,
    entities: Sequence[Mapping[str, Any]],
    intent: str | None,
    words: BudgetWords,
    today: dt.date | None = None,
) -> Reading:
    """Read a client message for the budget, affordability and savings forms.

    Args:
        text: the message text (a button payload "/intent{...}" is read from entities).
        entities: the message's entities (bot/nlu/value_extractor.py).
        intent: the message's intent.
        words: the word data of the message's languages.
        today: the current date, for dates written without a year.
    """
    today = today or dt.date.today()
    text = text or ""
    payload = text.strip().startswith("/")
    hits = [] if payload else words.find(text)
    amounts = sorted(
        (e for e in entities if e.get("entity") == ENTITY_AMOUNT and _number(e.get("value"))),
        key=lambda e: e.get("start") if isinstance(e.get("start"), int) else len(text),
    )
    frequencies = [e for e in entities if e.get("entity") == ENTITY_FREQUENCY and e.get("value")]
    paired, lone = _pair_frequencies(amounts, frequencies)
    mentions: List[Mention] = []
    for index, entity in enumerate(amounts):
        amount = _number(entity["value"])
        assert amount is not None  # filtered above
        start = entity["start"] if _positioned(entity) else len(text)
        end = entity["end"] if _positioned(entity) else len(text)
        frequency = paired.get(index)
        mentions.append(
            Mention(
                amount=amount,
                frequency=None if frequency is None else str(frequency["value"]),
                start=start,
                end=end,
                negative=_positioned(entity) and _is_negative(text, entity["start"]),
            )
        )
    boundaries = [hit for hit in hits if hit.kind == KIND_AND]
    roles = _assign(
        text,
        mentions,
        [hit for hit in hits if hit.kind in (KIND_INCOME_WORD, KIND_EXPENSE_WORD)],
        boundaries,
    )
    categories = _assign(text, mentions, [h for h in hits if h.kind == KIND_CATEGORY], boundaries)
    for index, mention in enumerate(mentions):
        role_hit, category_hit = roles.get(index), categories.get(index)
        role = None
        if role_hit is not None:
            role = ROLE_INCOME if role_hit.kind == KIND_INCOME_WORD else ROLE_EXPENSE
        category = None if category_hit is None else category_hit.value
        if category is not None and role is None:
            role = ROLE_EXPENSE
        if role == ROLE_INCOME:
            category = None
        mentions[index] = replace(mention, role=role, category=category)
    return Reading(
        intent=intent,
        mentions=tuple(mentions),
        frequency=lone,
        kinds=frozenset(hit.kind for hit in hits),
        only_words=words.covers(text, hits) if hits else False,
        duration=_duration(entities),
        rate=_first_number(entities, ENTITY_RATE),
        rate_period=_first_value(entities, ENTITY_RATE_PERIOD),
        method=_first_value(entities, ENTITY_METHOD),
        month=next((int(hit.value) for hit in hits if hit.kind == KIND_MONTH_NAME), None),
        date=None if payload else _find_date(text, today),
        oversized=not mentions and _oversized(text),
        zero=not mentions and not payload and bool(ZERO_PATTERN.search(text)),
    )


def _oversized(text: str) -> bool:
    for match in DIGIT_RUN.finditer(text):
        if DATE_PATTERN.search(match.group()):
            continue
        if sum(char.isdigit() for char in match.group()) >= PHONE_LIKE_DIGITS:
            return True
    return False


def _first_value(entities: Sequence[Mapping[str, Any]], name: str) -> str | None:
    return next(
        (str(e["value"]) for e in entities if e.get("entity") == name and e.get("value")), None
    )


def _first_number(entities: Sequence[Mapping[str, Any]], name: str) -> Decimal | None:
    return next(
        (
            _number(e.get("value"))
            for e in entities
            if e.get("entity") == name and _number(e.get("value")) is not None
        ),
        None,
    )


def _duration(entities: Sequence[Mapping[str, Any]]) -> Tuple[Decimal, str] | None:
    number = _first_number(entities, ENTITY_DURATION)
    unit = _first_value(entities, ENTITY_DURATION_UNIT)
    if number is None or unit is None or number <= 0:
        return None
    return number, unit


def with_roles(
    mentions: Iterable[Mention],
    first: Tuple[str, str | None],
    rest: Tuple[str, str | None],
) -> List[Mention]:
    """Give amounts without a role the previous one's, else ``first`` then ``rest``.

    Args:
        mentions: the amounts of a message.
        first: (role, category) for the first amount when no word labelled any.
        rest: (role, category) for the others when no word labelled any.
    """
    mentions = list(mentions)
    labelled = any(mention.role for mention in mentions)
    result: List[Mention] = []
    for index, mention in enumerate(mentions):
        if mention.role is None:
            previous = result[-1] if result and labelled else None
            if previous is not None:
                role, category = previous.role, previous.category
            else:
                role, category = first if index == 0 else rest
            mention = replace(mention, role=role, category=category)
        result.append(mention)
    return result


def read_tracker(tracker: Tracker, today: dt.date | None = None) -> Reading:
    """Read the latest client message of ``tracker``."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    return read_message(
        str(message.get("text") or ""),
        message.get("entities") or [],
        intent,
        budget_words(reading_languages(tracker)),
        today,
    )


def problem_of(reading: Reading, mentions: Sequence[Mention]) -> str | None:
    """Return the error code of amounts the forms refuse (negative, too large), if any."""
    if reading.oversized:
        return BudgetErrorCode.AMOUNT_TOO_LARGE.value
    for mention in mentions:
        if mention.negative:
            return BudgetErrorCode.NEGATIVE_AMOUNT.value
        if mention.amount > MAX_AMOUNT:
            return BudgetErrorCode.AMOUNT_TOO_LARGE.value
    return None


# --- formatting --------------------------------------------------------------------


@dataclass(frozen=True)
class Formatter:
    """Formats figures and labels in one language."""

    language: str
    words: BudgetWords

    def money(self, value: Decimal) -> str:
        """Return an amount in the deployment's currency."""
        return format_money(value, self.language)

    def percent(self, share: Decimal) -> str:
        """Return a fraction as a whole percentage."""
        return format_percent(share, self.language, decimals=0)

    def number(self, value: int | Decimal) -> str:
        """Return a whole number."""
        return format_number(value, self.language)

    def date(self, value: dt.date) -> str:
        """Return a date."""
        return format_date(value, self.language)

    def frequency(self, frequency: str) -> str:
        """Return the label written after an amount ("a week")."""
        return self.words.frequencies.get(frequency, frequency)

    def each(self, period: str) -> str:
        """Return "each week" or "each month"."""
        return self.words.each_period.get(period, period)

    def category(self, category: str) -> str:
        """Return a category's name."""
        return self.words.categories.get(category, category)


def formatter_for(tracker: Tracker) -> Formatter:
    """Return the formatter of ``tracker``'s conversation."""
    language = language_of(tracker)
    return Formatter(language, budget_words(tuple(dict.fromkeys((language, SOURCE_LANGUAGE)))))


def currency_quantum() -> Decimal:
    """Return the smallest unit of the deployment's currency (1 for no cents)."""
    return Decimal(1).scaleb(-get_currency_precision(get_settings().currency))


def today() -> dt.date:
    """Return the current date (a function, so that tests can fix it)."""
    return dt.date.today()


def utter(dispatcher: CollectingDispatcher, says: Iterable[Say]) -> None:
    """Utter the responses with their values."""
    for response, values in says:
        dispatcher.utter_message(response=response, **values)


# --- store -------------------------------------------------------------------------

_ready_engines: Dict[str, Engine] = {}


def budget_engine() -> Engine:
    """Return the deployment's database, with the budget tables created on first use."""
    engine = get_engine()
    key = str(engine.url)
    if _ready_engines.get(key) is not engine:
        Base.metadata.create_all(engine, tables=BUDGET_TABLES)
        _ready_engines[key] = engine
    return engine


def load_saved_budget(conversation_id: str) -> SavedBudget | None:
    """Return the client's newest kept budget."""
    with session_scope(budget_engine()) as session:
        return latest_budget(session, conversation_id)


def load_consent(conversation_id: str) -> bool | None:
    """Return whether the client agreed to keep budgets (None: never asked)."""
    with session_scope(budget_engine()) as session:
        return budget_consent(session, conversation_id)


def store_budget(conversation_id: str, draft: BudgetDraft) -> None:
    """Keep the budget of ``draft`` for the client."""
    incomes, expenses = draft.inputs()
    budget = build_budget(incomes, expenses, draft.period or Period.MONTH.value)
    with session_scope(budget_engine()) as session:
        save_budget(session, conversation_id, budget, incomes, expenses)


def store_consent(conversation_id: str, given: bool) -> None:
    """Record the client's answer to keeping budgets."""
    with session_scope(budget_engine()) as session:
        record_budget_consent(session, conversation_id, given)


def forget(conversation_id: str) -> int:
    """Delete the client's kept budgets and consent; return how many budgets went."""
    with session_scope(budget_engine()) as session:
        return forget_budgets(session, conversation_id)


# --- forms: shared -----------------------------------------------------------------


def answered_now(tracker: Tracker, form: str, also: Sequence[str] = ()) -> bool:
    """Tell whether the latest client message answers the form (no other action since)."""
    allowed = {ACTION_LISTEN, ACTION_EXTRACT_SLOTS, form, f"validate_{form}", *also}
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action" and event.get("name") not in allowed:
            return False
    return False


def is_interruption(reading: Reading) -> bool:
    """Tell whether a message asks about something else than the form's question."""
    if reading.intent in OTHER_TOPIC_INTENTS:
        return not reading.only_words
    if reading.intent in SOFT_INTENTS:
        return not reading.has_content
    return False


def _slot_events(values: Mapping[str, Any]) -> List[EventType]:
    return [SlotSet(name, value) for name, value in values.items()]


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _item(amount: Decimal, frequency: str | None, category: str | None = None) -> Dict[str, Any]:
    item: Dict[str, Any] = {KEY_AMOUNT: _decimal_text(amount), KEY_FREQUENCY: frequency}
    if category is not None:
        item[KEY_CATEGORY] = category
    return item


def _error(code: str) -> Say:
    """Return the error response of ``code`` (not understood for codes without one)."""
    return UTTER_ERROR.format(code=code if code in ERROR_CODES else ERROR_NOT_UNDERSTOOD), {}


# --- budget ------------------------------------------------------------------------

CATEGORY_ORDER = tuple(category.value for category in Category)


@dataclass(frozen=True)
class BudgetDraft:
    """What the budget form has collected so far (its slots).

    Attributes:
        period: week or month.
        incomes: income items {amount, frequency}.
        income_done: the client has no other income to add.
        expenses: expense items {category, amount, frequency}; amount 0 means skipped.
        expenses_done: the client has finished the expenses.
        cancelled: the client stopped the budget.
    """

    period: str | None = None
    incomes: Tuple[Mapping[str, Any], ...] = ()
    income_done: bool | None = None
    expenses: Tuple[Mapping[str, Any], ...] = ()
    expenses_done: bool | None = None
    cancelled: bool = False

    @classmethod
    def of(cls, tracker: Tracker) -> BudgetDraft:
        """Return the draft kept in ``tracker``'s slots."""
        return cls(
            period=tracker.get_slot(SLOT_BUDGET_PERIOD),
            incomes=tuple(tracker.get_slot(SLOT_BUDGET_INCOMES) or ()),
            income_done=tracker.get_slot(SLOT_BUDGET_INCOME_DONE),
            expenses=tuple(tracker.get_slot(SLOT_BUDGET_EXPENSES) or ()),
            expenses_done=tracker.get_slot(SLOT_BUDGET_EXPENSES_DONE),
            cancelled=bool(tracker.get_slot(SLOT_BUDGET_CANCELLED)),
        )

    @classmethod
    def from_pending(cls, data: Mapping[str, Any]) -> BudgetDraft:
        """Return the draft kept while the client is asked about keeping it."""
        return cls(
            period=data.get(KEY_PERIOD),
            incomes=tuple(data.get(KEY_INCOMES) or ()),
            expenses=tuple(data.get(KEY_EXPENSES) or ()),
            income_done=True,
            expenses_done=True,
        )

    def pending(self) -> Dict[str, Any]:
        """Return the data kept while the client is asked about keeping the budget."""
        return {
            KEY_PERIOD: self.period,
            KEY_INCOMES: list(self.incomes),
            KEY_EXPENSES: list(self.expenses),
        }

    def slots(self) -> Dict[str, Any]:
        """Return the slot values of this draft."""
        return {
            SLOT_BUDGET_PERIOD: self.period,
            SLOT_BUDGET_INCOMES: list(self.incomes) or None,
            SLOT_BUDGET_INCOME_DONE: self.income_done,
            SLOT_BUDGET_EXPENSES: list(self.expenses) or None,
            SLOT_BUDGET_CATEGORY: self.category,
            SLOT_BUDGET_EXPENSES_DONE: self.expenses_done,
            SLOT_BUDGET_CANCELLED: self.cancelled or None,
        }

    @property
    def answered(self) -> FrozenSet[str]:
        """The categories given or skipped."""
        return frozenset(str(item[KEY_CATEGORY]) for item in self.expenses)

    @property
    def category(self) -> str | None:
        """The next category to ask about (None when all were given or skipped)."""
        return next((c for c in CATEGORY_ORDER if c not in self.answered), None)

    def next_slot(self) -> str | None:
        """Return the next slot to ask for, or None when the form is complete."""
        if self.cancelled:
            return None
        if self.period is None:
            return SLOT_BUDGET_PERIOD
        if not self.incomes:
            return SLOT_BUDGET_INCOMES
        if self.income_done is None:
            return SLOT_BUDGET_INCOME_DONE
        if self.expenses_done is None:
            return SLOT_BUDGET_EXPENSES_DONE
        return None

    def inputs(self) -> Tuple[List[IncomeSource], List[Expense]]:
        """Return the income sources and expenses for bot.finance.budget."""
        incomes = [
            IncomeSource(Decimal(item[KEY_AMOUNT]), item[KEY_FREQUENCY] or self._own_frequency())
            for item in self.incomes
        ]
        expenses = [
            Expense(item[KEY_CATEGORY], Decimal(item[KEY_AMOUNT]), item.get(KEY_FREQUENCY))
            for item in self.expenses
        ]
        return incomes, expenses

    def _own_frequency(self) -> str:
        return Period(self.period or Period.MONTH.value).frequency.value

    def result(self) -> BudgetResult:
        """Return the budget (raises BudgetInputError for bad values)."""
        incomes, expenses = self.inputs()
        return build_budget(incomes, expenses, self.period or Period.MONTH.value)


def noted(mention: Mention, draft: BudgetDraft, fmt: Formatter) -> Say:
    """Return the echo of an amount the client gave ("Noted: food, Ksh 150 a day")."""
    frequency = mention.frequency or (
        None if draft.period is None else Period(draft.period).frequency.value
    )
    values: Dict[str, Any] = {"amount": fmt.money(mention.amount)}
    if mention.role == ROLE_EXPENSE:
        values["category"] = fmt.category(mention.category or Category.OTHER.value)
    if frequency is not None:
        values["frequency"] = fmt.frequency(frequency)
    if mention.role == ROLE_INCOME:
        return (UTTER_INCOME_NOTED if frequency else UTTER_INCOME_NOTED_PLAIN), values
    return (UTTER_EXPENSE_NOTED if frequency else UTTER_EXPENSE_NOTED_PLAIN), values


def period_of(reading: Reading) -> str | None:
    """Return the week or month the client chose in ``reading``, if any."""
    if reading.frequency in ANSWER_PERIODS:
        return ANSWER_PERIODS[reading.frequency]
    if reading.has(KIND_WEEK) and not reading.has(KIND_MONTH):
        return Period.WEEK.value
    if reading.has(KIND_MONTH) and not reading.has(KIND_WEEK):
        return Period.MONTH.value
    return None


def update_budget(
    draft: BudgetDraft,
    reading: Reading,
    requested: str | None,
    fmt: Formatter,
) -> Tuple[BudgetDraft, List[Say]]:
    """Apply a client message to the budget form.

    Args:
        draft: the form so far.
        reading: the message.
        requested: the slot asked for; None when the message started the form.
        fmt: the client's formatter (for the echoes).

    Returns:
        The new draft and the responses to utter (echoes, errors).
    """
    if reading.has(KIND_CANCEL) and not reading.mentions:
        return replace(draft, cancelled=True), []
    starting = requested is None
    if starting:
        first, rest = (ROLE_INCOME, None), (ROLE_EXPENSE, Category.OTHER.value)
    elif requested == SLOT_BUDGET_EXPENSES_DONE:
        first = rest = (ROLE_EXPENSE, draft.category or Category.OTHER.value)
    else:
        first = rest = (ROLE_INCOME, None)
    mentions = with_roles(reading.mentions, first, rest)
    problem = problem_of(reading, mentions)
    if problem is not None:
        return draft, [_error(problem)]
    says: List[Say] = []
    incomes = list(draft.incomes)
    expenses = list(draft.expenses)
    for mention in mentions:
        if mention.role == ROLE_INCOME:
            incomes.append(_item(mention.amount, mention.frequency))
        else:
            category = mention.category or Category.OTHER.value
            expenses = [e for e in expenses if not _skipped(e, category)]
            expenses.append(_item(mention.amount, mention.frequency, category))
    new = replace(
        draft,
        period=draft.period or period_of(reading),
        incomes=tuple(incomes),
        expenses=tuple(expenses),
    )
    if starting:
        if new.incomes and new.expenses:  # the quick path: straight to the result
            new = replace(
                new,
                period=new.period or _income_period(new.incomes),
                income_done=True,
                expenses_done=True,
            )
        return new, says
    says += [noted(mention, new, fmt) for mention in mentions]
    if requested == SLOT_BUDGET_PERIOD:
        if new.period is None:
            new = replace(new, period=_income_period(new.incomes))
        if new.period is None and not mentions:
            says.append(_error(ERROR_NOT_UNDERSTOOD))
    elif requested == SLOT_BUDGET_INCOMES:
        if not new.incomes and not mentions:
            no_income = reading.says_no or reading.says_done
            says.append(
                _error(BudgetErrorCode.NO_INCOME.value if no_income else ERROR_NOT_UNDERSTOOD)
            )
    elif requested == SLOT_BUDGET_INCOME_DONE:
        if not mentions and (reading.says_no or reading.says_done):
            new = replace(new, income_done=True)
        elif not mentions and reading.intent != INTENT_AFFIRM:
            says.append(_error(ERROR_NOT_UNDERSTOOD))
    else:  # the expenses, category by category
        current = draft.category
        if mentions:
            if reading.says_done:
                new = replace(new, expenses_done=True)
        elif reading.intent == INTENT_AFFIRM or reading.says_done:
            new = replace(new, expenses_done=True)
        elif reading.says_no and current is not None:
            new = replace(new, expenses=new.expenses + (_item(Decimal(0), None, current),))
        else:
            says.append(_error(ERROR_NOT_UNDERSTOOD))
        if new.expenses_done is None and new.category is None:
            new = replace(new, expenses_done=True)
    return new, says


def _skipped(item: Mapping[str, Any], category: str) -> bool:
    return item[KEY_CATEGORY] == category and Decimal(item[KEY_AMOUNT]) == 0


def _income_period(incomes: Iterable[Mapping[str, Any]]) -> str | None:
    """Return the period that suits the first income with a frequency (daily: week)."""
    return next((PERIOD_OF_FREQUENCY[i[KEY_FREQUENCY]] for i in incomes if i[KEY_FREQUENCY]), None)


class ActionBudgetRoute(Action):
    """Starts a budget, or forgets the saved one ("forget my budget")."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_BUDGET_ROUTE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Delete the saved budget when asked to, else let the budget form start."""
        reading = read_tracker(tracker, today())
        if reading.has(KIND_FORGET) and not reading.mentions:
            deleted = await asyncio.to_thread(forget, tracker.sender_id)
            dispatcher.utter_message(
                response=UTTER_FORGOTTEN if deleted else UTTER_NOTHING_TO_FORGET
            )
            return [
                SlotSet(SLOT_BUDGET_ROUTE, ROUTE_FORGET),
                SlotSet(SLOT_BUDGET_CONSENT_PENDING, False),
            ]
        return [SlotSet(SLOT_BUDGET_ROUTE, ROUTE_FORM)]


class ValidateBudgetForm(Action):
    """Reads the client's answers to the budget form (and the quick path)."""

    def name(self) -> str:
        """Return the action's name."""
        return f"validate_{FORM_BUDGET}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Update the form's slots from the latest message and pick the next question."""
        starting = tracker.active_loop_name != FORM_BUDGET
        draft = BudgetDraft() if starting else BudgetDraft.of(tracker)
        if not starting and not answered_now(tracker, FORM_BUDGET):
            return [SlotSet(REQUESTED_SLOT, draft.next_slot())]
        reading = read_tracker(tracker, today())
        requested = None if starting else tracker.get_slot(REQUESTED_SLOT)
        if not starting and reading.intent == INTENT_START_BUDGET and not reading.has_content:
            draft, requested = BudgetDraft(), None  # the client starts again
        elif not starting and is_interruption(reading):
            return []
        draft, says = update_budget(draft, reading, requested, formatter_for(tracker))
        utter(dispatcher, says)
        return _slot_events(draft.slots()) + [SlotSet(REQUESTED_SLOT, draft.next_slot())]


class ActionAskBudgetExpensesDone(Action):
    """Asks for the next expense category (with Skip and Done buttons)."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_ASK_BUDGET_EXPENSES_DONE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utter the question of the current category."""
        category = BudgetDraft.of(tracker).category or Category.OTHER.value
        dispatcher.utter_message(response=UTTER_ASK_EXPENSE.format(category=category))
        return []


def budget_says(budget: BudgetResult, fmt: Formatter) -> List[Say]:
    """Return the result, the top categories and the tips of a budget."""
    each = fmt.each(str(budget.period))
    values = {
        "income": fmt.money(budget.income),
        "expenses": fmt.money(budget.expenses),
        "surplus": fmt.money(budget.surplus),
        "deficit": fmt.money(budget.deficit),
        "each_period": each,
    }
    says: List[Say] = [(UTTER_RESULT.format(status=budget.status), values)]
    top = [share for share in budget.top_categories]
    if top and not (len(top) == 1 and top[0].category is Category.OTHER):
        lines = "\n".join(
            f"{fmt.category(str(s.category))}: {fmt.money(s.amount)} ({fmt.percent(s.share)})"
            for s in top
        )
        says.append((UTTER_TOP_CATEGORIES, {"lines": lines, "each_period": each}))
    says += [tip_say(tip, budget, fmt) for tip in budget.tips]
    return says


def tip_say(tip: Tip, budget: BudgetResult, fmt: Formatter) -> Say:
    """Return the response of a budget tip with its figures."""
    values: Dict[str, Any] = {"each_period": fmt.each(str(budget.period))}
    for name, value in tip.params.items():
        if name.startswith("share"):
            values[name] = fmt.percent(Decimal(str(value)))
        elif name == "category":
            values[name] = fmt.category(str(value))
        elif name in ("months", "periods"):
            values[name] = fmt.number(int(str(value)))
        else:
            values[name] = fmt.money(Decimal(str(value)))
    if tip.code is TipCode.EMERGENCY_BUFFER and "periods" in tip.params:
        return UTTER_TIP_BUFFER_SAVING.format(period=budget.period), values
    return UTTER_TIP.format(code=tip.code), values


def budget_reset() -> Dict[str, Any]:
    """Return the slot values that clear the budget form."""
    return {**BudgetDraft().slots(), REQUESTED_SLOT: None}


class ActionBudgetSubmit(Action):
    """Shows the budget, keeps it when the client agreed, asks once otherwise."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_BUDGET_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Compute and utter the budget, then save it or ask to keep it."""
        draft = BudgetDraft.of(tracker)
        reset = budget_reset()
        if draft.cancelled:
            dispatcher.utter_message(response=UTTER_BUDGET_CANCELLED)
            return _slot_events({**reset, SLOT_BUDGET_CONSENT_PENDING: False})
        try:
            budget = draft.result()
        except BudgetInputError as error:
            utter(dispatcher, [_error(error.code)])
            return _slot_events({**reset, SLOT_BUDGET_CONSENT_PENDING: False})
        utter(dispatcher, budget_says(budget, formatter_for(tracker)))
        consent = await asyncio.to_thread(load_consent, tracker.sender_id)
        if consent is None:
            dispatcher.utter_message(response=UTTER_ASK_CONSENT)
            return _slot_events(
                {**reset, SLOT_BUDGET_PENDING: draft.pending(), SLOT_BUDGET_CONSENT_PENDING: True}
            )
        if consent:
            await asyncio.to_thread(store_budget, tracker.sender_id, draft)
            dispatcher.utter_message(response=UTTER_SAVED_AGAIN)
        return _slot_events(
            {**reset, SLOT_BUDGET_PENDING: None, SLOT_BUDGET_CONSENT_PENDING: False}
        )


class ActionBudgetConsent(Action):
    """Records the client's yes or no to keeping budgets (and keeps this one on yes)."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_BUDGET_CONSENT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Record the answer, save the pending budget on yes, confirm."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        given = intent == INTENT_AFFIRM
        await asyncio.to_thread(store_consent, tracker.sender_id, given)
        pending = tracker.get_slot(SLOT_BUDGET_PENDING)
        if given and pending:
            draft = BudgetDraft.from_pending(pending)
            await asyncio.to_thread(store_budget, tracker.sender_id, draft)
        dispatcher.utter_message(response=UTTER_SAVED if given else UTTER_NOT_SAVED)
        return [SlotSet(SLOT_BUDGET_PENDING, None), SlotSet(SLOT_BUDGET_CONSENT_PENDING, False)]


# --- affordability -----------------------------------------------------------------


def affordability_rules(environ: Mapping[str, str] | None = None) -> AffordabilityRules:
    """Return the deployment's affordability rules (``MFI_AFFORD_*``; docs/budget.md).

    Bad settings are logged and the documented defaults are used instead.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for field in AFFORD_RULE_FIELDS:
        text = environ.get(AFFORD_ENV_PREFIX + field.upper(), "").strip()
        if text:
            values[field] = text
    try:
        return AffordabilityRules.from_mapping(values)
    except BudgetInputError as error:
        logger.error(
            "Affordability settings %s are invalid (%s); using the defaults", values, error
        )
        return DEFAULT_AFFORDABILITY_RULES


@dataclass(frozen=True)
class AffordDraft:
    """What the affordability form has collected (its slots).

    Attributes:
        request: the installment or loan to check.
        pending_amount: an amount given without its frequency.
        has_budget: the client has a saved budget (no need to ask income and spending).
        income: income items (without a saved budget).
        expenses: spending items other than loans; [] for none.
        loans: current loan repayment items; [] for none.
        cancelled: the client stopped the check.
    """

    request: Mapping[str, Any] | None = None
    pending_amount: str | None = None
    has_budget: bool = False
    income: Tuple[Mapping[str, Any], ...] | None = None
    expenses: Tuple[Mapping[str, Any], ...] | None = None
    loans: Tuple[Mapping[str, Any], ...] | None = None
    cancelled: bool = False

    @classmethod
    def of(cls, tracker: Tracker) -> AffordDraft:
        """Return the draft kept in ``tracker``'s slots."""

        def items(name: str) -> Tuple[Mapping[str, Any], ...] | None:
            value = tracker.get_slot(name)
            return None if value is None else tuple(value)

        return cls(
            request=tracker.get_slot(SLOT_AFFORD_REQUEST),
            pending_amount=tracker.get_slot(SLOT_AFFORD_PENDING_AMOUNT),
            has_budget=bool(tracker.get_slot(SLOT_AFFORD_HAS_BUDGET)),
            income=items(SLOT_AFFORD_INCOME),
            expenses=items(SLOT_AFFORD_EXPENSES),
            loans=items(SLOT_AFFORD_LOANS),
            cancelled=bool(tracker.get_slot(SLOT_AFFORD_CANCELLED)),
        )

    def slots(self) -> Dict[str, Any]:
        """Return the slot values of this draft."""

        def items(value: Tuple[Mapping[str, Any], ...] | None) -> List[Any] | None:
            return None if value is None else list(value)

        return {
            SLOT_AFFORD_REQUEST: None if self.request is None else dict(self.request),
            SLOT_AFFORD_PENDING_AMOUNT: self.pending_amount,
            SLOT_AFFORD_HAS_BUDGET: self.has_budget,
            SLOT_AFFORD_INCOME: items(self.income),
            SLOT_AFFORD_EXPENSES: items(self.expenses),
            SLOT_AFFORD_LOANS: items(self.loans),
            SLOT_AFFORD_CANCELLED: self.cancelled or None,
        }

    def next_slot(self) -> str | None:
        """Return the next slot to ask for, or None when the form is complete."""
        if self.cancelled:
            return None
        if self.request is None:
            return SLOT_AFFORD_REQUEST
        if self.has_budget:
            return None
        if not self.income:
            return SLOT_AFFORD_INCOME
        if self.expenses is None:
            return SLOT_AFFORD_EXPENSES
        if self.loans is None:
            return SLOT_AFFORD_LOANS
        return None

    @property
    def period(self) -> str:
        """The period to compare in: the installment's (week for weekly ones)."""
        frequency = (self.request or {}).get(KEY_FREQUENCY) or Frequency.MONTHLY.value
        return PERIOD_OF_FREQUENCY.get(frequency, Period.MONTH.value)

    def budget(self) -> BudgetResult:
        """Return the budget made of the income and spending the client gave."""
        incomes = [
            IncomeSource(
                Decimal(i[KEY_AMOUNT]), i[KEY_FREQUENCY] or Period(self.period).frequency.value
            )
            for i in self.income or ()
        ]
        expenses = [
            Expense(category, Decimal(i[KEY_AMOUNT]), i[KEY_FREQUENCY])
            for category, items in (
                (Category.OTHER.value, self.expenses or ()),
                (Category.LOAN_REPAYMENTS.value, self.loans or ()),
            )
            for i in items
        ]
        return build_budget(incomes, expenses, self.period)


def installment_frequency(term_unit: Any) -> str:
    """Return the usual installment frequency of a term unit: weekly for weeks, else monthly."""
    return Frequency.WEEKLY.value if term_unit == UNIT_WEEK else Frequency.MONTHLY.value


def loan_request(
    amount: Decimal, reading: Reading, frequency: str | None = None
) -> Dict[str, Any] | None:
    """Return loan terms from an amount and a message's rate and duration, if complete.

    A rate without its period is per month up to 10 %, per year above; the method is
    flat unless the client said declining; installments are weekly for terms in weeks,
    monthly otherwise, unless the client said how often.
    """
    if reading.rate is None or reading.duration is None:
        return None
    term, unit = reading.duration
    if unit == UNIT_DAY:
        term, unit = max(Decimal(1), (term / DAYS_PER_WEEK).to_integral_value()), UNIT_WEEK
    rate_period = reading.rate_period or (
        UNIT_MONTH if reading.rate <= RATE_PER_MONTH_MAX else UNIT_YEAR
    )
    frequency = frequency or reading.frequency
    if frequency not in LOAN_FREQUENCIES:
        frequency = installment_frequency(unit)
    return {
        KEY_KIND: KIND_LOAN,
        KEY_AMOUNT: _decimal_text(amount),
        KEY_RATE: _decimal_text(reading.rate),
        KEY_RATE_PERIOD: rate_period,
        KEY_TERM: _decimal_text(term),
        KEY_TERM_UNIT: unit,
        KEY_FREQUENCY: frequency,
        KEY_METHOD: reading.method or DEFAULT_METHOD,
    }


def _loans_module() -> ModuleType | None:
    """Return actions.loans (the loans conversation) when it offers its loan helpers."""
    try:
        module = importlib.import_module(LOANS_MODULE)
    except ImportError:
        return None
    if all(hasattr(module, name) for name in (LOANS_OFFER_VALUES, LOANS_TERMS_OF)):
        return module
    return None


def loan_request_from_slots(tracker: Tracker) -> Dict[str, Any] | None:
    """Return the loan the loans conversation holds (its loan_* slots), if complete."""
    slots = tracker.current_slot_values()
    module = _loans_module()
    if module is not None:
        values = dict(getattr(module, LOANS_OFFER_VALUES)(slots))
    else:
        values = {field: slots.get(LOAN_SLOT_PREFIX + field) for field in LOAN_FIELDS}
    if any(values.get(field) in (None, "") for field in LOAN_REQUIRED_FIELDS):
        return None
    if values.get(KEY_FREQUENCY) not in LOAN_FREQUENCIES:
        values[KEY_FREQUENCY] = installment_frequency(values.get(KEY_TERM_UNIT))
    values[KEY_METHOD] = values.get(KEY_METHOD) or DEFAULT_METHOD
    return {KEY_KIND: KIND_LOAN, **{k: v for k, v in values.items() if v is not None}}


def update_affordability(
    draft: AffordDraft, reading: Reading, requested: str | None
) -> Tuple[AffordDraft, List[Say]]:
    """Apply a client message to the affordability form.

    Args:
        draft: the form so far.
        reading: the message.
        requested: the slot asked for; None when the message started the form.

    Returns:
        The new draft and the responses to utter (errors).
    """
    if reading.has(KIND_CANCEL) and not reading.mentions:
        return replace(draft, cancelled=True), []
    if requested in (None, SLOT_AFFORD_REQUEST):
        first = rest = (ROLE_EXPENSE, None)
    elif requested == SLOT_AFFORD_INCOME:
        first = rest = (ROLE_INCOME, None)
    elif requested == SLOT_AFFORD_EXPENSES:
        first = rest = (ROLE_EXPENSE, Category.OTHER.value)
    else:
        first = rest = (ROLE_EXPENSE, Category.LOAN_REPAYMENTS.value)
    mentions = with_roles(reading.mentions, first, rest)
    problem = problem_of(reading, mentions)
    if problem is not None:
        return draft, [_error(problem)]
    incomes = [m for m in mentions if m.role == ROLE_INCOME]
    spending = [m for m in mentions if m.role != ROLE_INCOME]
    new = draft
    says: List[Say] = []
    if (
        incomes
        and not draft.has_budget
        and requested in (None, SLOT_AFFORD_REQUEST, SLOT_AFFORD_INCOME)
    ):
        new = replace(
            new, income=(new.income or ()) + tuple(_item(m.amount, m.frequency) for m in incomes)
        )
    if requested in (None, SLOT_AFFORD_REQUEST):
        new, says = _update_request(new, reading, spending, requested is None)
        return new, says
    if requested == SLOT_AFFORD_INCOME:
        if not incomes:
            code = BudgetErrorCode.NO_INCOME.value if reading.says_no else ERROR_NOT_UNDERSTOOD
            says.append(_error(code))
        return new, says
    items = tuple(_item(m.amount, m.frequency) for m in spending)
    loans = tuple(
        _item(m.amount, m.frequency)
        for m in spending
        if m.category == Category.LOAN_REPAYMENTS.value
    )
    others = tuple(
        _item(m.amount, m.frequency)
        for m in spending
        if m.category != Category.LOAN_REPAYMENTS.value
    )
    if requested == SLOT_AFFORD_EXPENSES:
        if spending:
            new = replace(new, expenses=(new.expenses or ()) + others)
            if loans:
                new = replace(new, loans=(new.loans or ()) + loans)
        elif reading.says_no:
            new = replace(new, expenses=())
        else:
            says.append(_error(ERROR_NOT_UNDERSTOOD))
        return new, says
    if spending:
        new = replace(new, loans=(new.loans or ()) + items)
    elif reading.says_no or reading.says_done:
        new = replace(new, loans=())
    else:
        says.append(_error(ERROR_NOT_UNDERSTOOD))
    return new, says


def _update_request(
    draft: AffordDraft, reading: Reading, spending: Sequence[Mention], starting: bool
) -> Tuple[AffordDraft, List[Say]]:
    pending = _number(draft.pending_amount) if draft.pending_amount else None
    amount = spending[0].amount if spending else pending
    frequency = spending[0].frequency if spending else None
    if amount is not None:
        loan = loan_request(amount, reading, frequency)
        if loan is not None:
            return replace(draft, request=loan, pending_amount=None), []
        frequency = frequency or reading.frequency
        if frequency is not None:
            request = {KEY_KIND: KIND_INSTALLMENT, **_item(amount, frequency)}
            return replace(draft, request=request, pending_amount=None), []
        return replace(draft, pending_amount=_decimal_text(amount)), []
    if reading.rate is not None and reading.duration is not None:
        return draft, [_error(ERROR_LOAN_AMOUNT_MISSING)]
    if starting:
        return draft, []
    return draft, [_error(ERROR_NOT_UNDERSTOOD)]


class ValidateAffordabilityForm(Action):
    """Reads the client's answers to the affordability form."""

    def name(self) -> str:
        """Return the action's name."""
        return f"validate_{FORM_AFFORDABILITY}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Update the form's slots from the latest message and pick the next question."""
        starting = tracker.active_loop_name != FORM_AFFORDABILITY
        draft = AffordDraft.of(tracker)
        if not starting and not answered_now(tracker, FORM_AFFORDABILITY):
            return [SlotSet(REQUESTED_SLOT, draft.next_slot())]
        reading = read_tracker(tracker, today())
        requested = None if starting else tracker.get_slot(REQUESTED_SLOT)
        restart = reading.intent == INTENT_CHECK_AFFORDABILITY and not reading.has_content
        if starting or restart:
            saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
            draft, requested = AffordDraft(has_budget=saved is not None), None
        elif is_interruption(reading):
            return []
        draft, says = update_affordability(draft, reading, requested)
        if starting and draft.request is None and not draft.pending_amount:
            loan = loan_request_from_slots(tracker)
            if loan is not None:
                draft = replace(draft, request=loan)
        utter(dispatcher, says)
        return _slot_events(draft.slots()) + [SlotSet(REQUESTED_SLOT, draft.next_slot())]


class ActionAskAffordRequest(Action):
    """Asks for the installment or loan, or how often a given amount would be paid."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_ASK_AFFORD_REQUEST

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utter the question."""
        pending = _number(tracker.get_slot(SLOT_AFFORD_PENDING_AMOUNT))
        if pending is None:
            dispatcher.utter_message(response=UTTER_ASK_AFFORD_REQUEST)
        else:
            fmt = formatter_for(tracker)
            dispatcher.utter_message(response=UTTER_AFFORD_ASK_FREQUENCY, amount=fmt.money(pending))
        return []


def affordability_says(result: AffordabilityResult, fmt: Formatter) -> List[Say]:
    """Return the answer: the level, why, what would fit, and the reminders."""
    each = fmt.each(str(result.period))
    frequency = fmt.frequency(str(result.frequency))
    level_values = {
        "installment": fmt.money(result.installment),
        "frequency": frequency,
        "share_of_surplus": fmt.percent(result.share_of_surplus or Decimal(0)),
        "share_of_income": fmt.percent(result.share_of_income),
        "each_period": each,
    }
    says: List[Say] = [(UTTER_AFFORD_LEVEL.format(level=result.level), level_values)]
    for reason in result.reasons:
        params = reason.params
        values: Dict[str, Any] = {"each_period": each}
        if "surplus" in params:
            values["surplus"] = fmt.money(params["surplus"])
        if "limit" in params:
            values["limit"] = fmt.percent(params["limit"])
        if "share_of_surplus" in params:
            values["share"] = fmt.percent(params["share_of_surplus"])
        if "share_of_income" in params:
            values["share"] = fmt.percent(params["share_of_income"])
        says.append((UTTER_AFFORD_REASON.format(code=reason.code), values))
    if result.level is Level.GREEN:
        says += [(UTTER_AFFORD_REMINDER.format(code=code), {}) for code in result.reminders]
        return says
    suggestions = [
        _suggestion_say(UTTER_AFFORD_FIT_AMOUNT, result.smaller_amount, fmt, frequency),
        _suggestion_say(UTTER_AFFORD_FIT_TERM, result.longer_term, fmt, frequency),
    ]
    found = [say for say in suggestions if say is not None]
    if not found and result.max_green_installment > 0:
        found = [
            (
                UTTER_AFFORD_FIT_INSTALLMENT,
                {"amount": fmt.money(result.max_green_installment), "frequency": frequency},
            )
        ]
    return says + (found or [(UTTER_AFFORD_NOTHING_FITS, {})])


def _suggestion_say(
    response: str, suggestion: LoanSuggestion | None, fmt: Formatter, frequency: str
) -> Say | None:
    if suggestion is None:
        return None
    terms = suggestion.terms
    unit = str(getattr(terms.term_unit, "value", terms.term_unit))
    values = {
        "amount": fmt.money(terms.amount),
        "installment": fmt.money(suggestion.installment),
        "frequency": frequency,
        "term": fmt.number(terms.term),
    }
    return response.format(unit=unit), values


def loan_terms(request: Mapping[str, Any]) -> LoanTerms:
    """Return the LoanTerms of a loan request (raises LoanInputError for bad terms).

    Uses the loans conversation's ``terms_of`` when it is there, so that its fields
    (fees, deposit, grace, a rate for the whole term) count as they do in a loan quote.
    """
    values = {key: value for key, value in request.items() if key != KEY_KIND}
    digits = get_currency_precision(get_settings().currency)
    module = _loans_module()
    if module is not None:
        return getattr(module, LOANS_TERMS_OF)(values, digits)
    return LoanTerms(
        amount=values[KEY_AMOUNT],
        rate=values[KEY_RATE],
        rate_period=values[KEY_RATE_PERIOD],
        term=values[KEY_TERM],
        term_unit=values[KEY_TERM_UNIT],
        frequency=values[KEY_FREQUENCY],
        method=values[KEY_METHOD],
        currency_digits=digits,
    )


def assess(
    draft: AffordDraft, saved: SavedBudget | None, rules: AffordabilityRules, fmt: Formatter
) -> List[Say]:
    """Return the answer to the affordability form's request."""
    request = draft.request or {}
    says: List[Say] = []
    if draft.has_budget:
        if saved is None:
            return [(UTTER_AFFORD_BUDGET_MISSING, {})]
        budget = saved.result()
        says.append(
            (
                UTTER_AFFORD_USING_BUDGET,
                {
                    "income": fmt.money(budget.income),
                    "surplus": fmt.money(budget.surplus),
                    "each_period": fmt.each(str(budget.period)),
                },
            )
        )
    else:
        budget = draft.budget()
    if request.get(KEY_KIND) == KIND_LOAN:
        try:
            terms = loan_terms(request)
            result = assess_loan(budget, terms, rules)
        except LoanInputError:
            return [(UTTER_AFFORD_LOAN_INVALID, {})]
        quote = result.quote
        assert quote is not None  # assess_loan always quotes
        says.append(
            (
                UTTER_AFFORD_LOAN_TERMS.format(method=terms.method.value),
                {
                    "count": fmt.number(quote.installments),
                    "installment": fmt.money(quote.regular_payment),
                    "frequency": fmt.frequency(str(result.frequency)),
                    "rate": fmt.percent(terms.rate / PERCENT),
                    "rate_period": fmt.frequency(PERIOD_FREQUENCY_OF_UNIT[terms.rate_period.value]),
                },
            )
        )
    else:
        result = assess_installment(
            budget, Decimal(request[KEY_AMOUNT]), request[KEY_FREQUENCY], rules
        )
    return says + affordability_says(result, fmt)


PERIOD_FREQUENCY_OF_UNIT = {
    UNIT_WEEK: Frequency.WEEKLY.value,
    UNIT_MONTH: Frequency.MONTHLY.value,
    UNIT_YEAR: Frequency.YEARLY.value,
}


class ActionAffordabilitySubmit(Action):
    """Answers "can I afford it?" with the saved budget or the figures just given."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_AFFORDABILITY_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Assess the request and utter the answer; clear the form."""
        draft = AffordDraft.of(tracker)
        reset = {**AffordDraft().slots(), SLOT_AFFORD_HAS_BUDGET: None, REQUESTED_SLOT: None}
        if draft.cancelled or draft.request is None:
            dispatcher.utter_message(response=UTTER_AFFORD_CANCELLED)
            return _slot_events(reset)
        saved = None
        if draft.has_budget:
            saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
        try:
            says = await asyncio.to_thread(
                assess, draft, saved, affordability_rules(), formatter_for(tracker)
            )
        except BudgetInputError as error:
            says = [_error(error.code)]
        utter(dispatcher, says)
        return _slot_events(reset)


# --- savings -----------------------------------------------------------------------


@dataclass(frozen=True)
class SavingsDraft:
    """What the savings form has collected (its slots).

    Attributes:
        goal: the amount to reach.
        target: how: {kind: periods, count, period}, {kind: date, date, period} or
            {kind: amount, amount, period}.
        rate: interest on savings in percent per year, when the client gave one.
        cancelled: the client stopped the plan.
    """

    goal: str | None = None
    target: Mapping[str, Any] | None = None
    rate: str | None = None
    cancelled: bool = False

    @classmethod
    def of(cls, tracker: Tracker) -> SavingsDraft:
        """Return the draft kept in ``tracker``'s slots."""
        return cls(
            goal=tracker.get_slot(SLOT_SAVINGS_GOAL),
            target=tracker.get_slot(SLOT_SAVINGS_TARGET),
            rate=tracker.get_slot(SLOT_SAVINGS_RATE),
            cancelled=bool(tracker.get_slot(SLOT_SAVINGS_CANCELLED)),
        )

    def slots(self) -> Dict[str, Any]:
        """Return the slot values of this draft."""
        return {
            SLOT_SAVINGS_GOAL: self.goal,
            SLOT_SAVINGS_TARGET: None if self.target is None else dict(self.target),
            SLOT_SAVINGS_RATE: self.rate,
            SLOT_SAVINGS_CANCELLED: self.cancelled or None,
        }

    def next_slot(self) -> str | None:
        """Return the next slot to ask for, or None when the form is complete."""
        if self.cancelled:
            return None
        if self.goal is None:
            return SLOT_SAVINGS_GOAL
        if self.target is None:
            return SLOT_SAVINGS_TARGET
        return None

    def plan(self, budget: BudgetResult | None, on: dt.date) -> SavingsPlan:
        """Return the savings plan (raises BudgetInputError for bad values)."""
        target = self.target or {}
        rate = Decimal(self.rate or 0)
        period = target.get(KEY_PERIOD) or Period.MONTH.value
        if target.get(KEY_KIND) == KEY_AMOUNT:
            return plan_by_amount(
                self.goal or 0,
                target[KEY_AMOUNT],
                period,
                annual_rate_percent=rate,
                budget=budget,
                today=on,
            )
        if target.get(KEY_KIND) == KEY_DATE:
            return plan_by_deadline(
                self.goal or 0,
                period,
                target_date=dt.date.fromisoformat(target[KEY_DATE]),
                annual_rate_percent=rate,
                budget=budget,
                today=on,
                quantum=currency_quantum(),
            )
        return plan_by_deadline(
            self.goal or 0,
            period,
            periods=int(target.get(KEY_COUNT) or 0),
            annual_rate_percent=rate,
            budget=budget,
            today=on,
            quantum=currency_quantum(),
        )


def annual_rate(reading: Reading) -> Decimal | None:
    """Return a rate of the message as percent per year (x 12 monthly, x 52 weekly)."""
    if reading.rate is None:
        return None
    factor = {UNIT_MONTH: MONTHS_PER_YEAR, UNIT_WEEK: WEEKS_PER_YEAR}.get(
        reading.rate_period or "", 1
    )
    return reading.rate * factor


def month_end(month: int, on: dt.date) -> dt.date:
    """Return the last day of the next ``month`` (this year's if still ahead)."""
    year = on.year
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > on:
            return end
        year += 1


def savings_target(
    reading: Reading, with_frequency: Sequence[Mention], on: dt.date, budget_period: str | None
) -> Dict[str, Any] | None:
    """Return how the client wants to reach the goal, from a message, if it says."""
    if with_frequency:
        mention = with_frequency[0]
        amount, frequency = mention.amount, str(mention.frequency)
        if frequency == Frequency.DAILY.value:
            amount, frequency = amount * DAYS_PER_WEEK, Frequency.WEEKLY.value
        period = PERIOD_OF_FREQUENCY[frequency]
        per_period = amount
        if frequency not in ANSWER_PERIODS:  # fortnightly, yearly, seasonal
            per_period = convert(amount, frequency, period).quantize(currency_quantum())
        return {KEY_KIND: KEY_AMOUNT, KEY_AMOUNT: _decimal_text(per_period), KEY_PERIOD: period}
    if reading.duration is not None:
        count, unit = reading.duration
        if unit == UNIT_DAY:
            count, unit = count // DAYS_PER_WEEK, UNIT_WEEK
        elif unit == UNIT_YEAR:
            count, unit = count * MONTHS_PER_YEAR, UNIT_MONTH
        return {KEY_KIND: KIND_PERIODS, KEY_COUNT: int(count), KEY_PERIOD: unit}
    date = reading.date or (month_end(reading.month, on) if reading.month else None)
    if date is None:
        return None
    period = ANSWER_PERIODS.get(reading.frequency or "") or budget_period
    if (date - on).days < SHORT_DATE_DAYS:
        period = Period.WEEK.value
    return {
        KEY_KIND: KEY_DATE,
        KEY_DATE: date.isoformat(),
        KEY_PERIOD: period or Period.MONTH.value,
    }


def update_savings(
    draft: SavingsDraft,
    reading: Reading,
    requested: str | None,
    on: dt.date,
    budget: BudgetResult | None,
) -> Tuple[SavingsDraft, List[Say]]:
    """Apply a client message to the savings form.

    Args:
        draft: the form so far.
        reading: the message.
        requested: the slot asked for; None when the message started the form.
        on: today.
        budget: the client's saved budget, if any (its period, and a trial plan).

    Returns:
        The new draft and the responses to utter (errors).
    """
    if reading.has(KIND_CANCEL) and not reading.mentions:
        return replace(draft, cancelled=True), []
    mentions = list(reading.mentions)
    problem = problem_of(reading, mentions)
    if problem is not None:
        return draft, [_error(problem)]
    says: List[Say] = []
    new = draft
    rate = annual_rate(reading)
    if rate is not None:
        if 0 <= rate <= MAX_SAVINGS_RATE:
            new = replace(new, rate=_decimal_text(rate))
        else:
            says.append(_error(BudgetErrorCode.INVALID_RATE.value))
    plain = [m for m in mentions if m.frequency is None]
    with_frequency = [m for m in mentions if m.frequency is not None]
    if new.goal is None and plain and requested != SLOT_SAVINGS_TARGET:
        new = replace(new, goal=_decimal_text(plain[0].amount))
        plain = plain[1:]
    elif new.goal is None and requested == SLOT_SAVINGS_GOAL and not with_frequency:
        says.append(_error(ERROR_NOT_UNDERSTOOD))
    target = savings_target(
        reading, with_frequency, on, None if budget is None else str(budget.period)
    )
    if target is not None:
        new = replace(new, target=target)
    elif requested == SLOT_SAVINGS_TARGET:
        says.append(_error(ERROR_HOW_OFTEN if plain else ERROR_NOT_UNDERSTOOD))
    if new.goal is not None and new.target is not None:
        try:
            new.plan(budget, on)
        except BudgetInputError as error:
            if error.field == FIELD_GOAL:
                new = replace(new, goal=None)
            else:
                new = replace(new, target=None)
            says.append(_error(error.code))
    return new, says


class ValidateSavingsForm(Action):
    """Reads the client's answers to the savings form."""

    def name(self) -> str:
        """Return the action's name."""
        return f"validate_{FORM_SAVINGS}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Update the form's slots from the latest message and pick the next question."""
        starting = tracker.active_loop_name != FORM_SAVINGS
        draft = SavingsDraft() if starting else SavingsDraft.of(tracker)
        if not starting and not answered_now(tracker, FORM_SAVINGS):
            return [SlotSet(REQUESTED_SLOT, draft.next_slot())]
        on = today()
        reading = read_tracker(tracker, on)
        requested = None if starting else tracker.get_slot(REQUESTED_SLOT)
        if not starting and reading.intent == INTENT_PLAN_SAVINGS and not reading.has_content:
            draft, requested = SavingsDraft(), None
        elif not starting and is_interruption(reading):
            return []
        saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
        budget = None if saved is None else saved.result()
        draft, says = update_savings(draft, reading, requested, on, budget)
        utter(dispatcher, says)
        return _slot_events(draft.slots()) + [SlotSet(REQUESTED_SLOT, draft.next_slot())]


def savings_says(
    plan: SavingsPlan, by_amount: bool, budget: BudgetResult | None, fmt: Formatter
) -> List[Say]:
    """Return the plan, its interest, and whether it fits the budget.

    Args:
        plan: the plan.
        by_amount: the client gave the amount per period (we found the date).
        budget: the client's saved budget, if any.
        fmt: the client's formatter.
    """
    period = str(plan.period)
    frequency = fmt.frequency(Period(period).frequency.value)
    values = {
        "goal": fmt.money(plan.goal),
        "amount": fmt.money(plan.amount_per_period),
        "periods": fmt.number(plan.periods),
        "date": fmt.date(plan.target_date),
    }
    sentence = UTTER_SAVINGS_REACH if by_amount else UTTER_SAVINGS_PLAN
    says: List[Say] = [(sentence.format(period=period), values)]
    if plan.interest > 0:
        says.append(
            (
                UTTER_SAVINGS_INTEREST,
                {
                    "rate": fmt.percent(plan.annual_rate_percent / PERCENT),
                    "interest": fmt.money(plan.interest),
                },
            )
        )
    if budget is None or plan.realism is None:
        return says + [(UTTER_SAVINGS_NO_BUDGET, {})]
    if budget.surplus <= 0:
        return says + [(UTTER_SAVINGS_NO_SURPLUS, {})]
    says.append(
        (
            UTTER_SAVINGS_REALISM.format(realism=plan.realism),
            {
                "share": fmt.percent(plan.share_of_surplus or Decimal(0)),
                "each_period": fmt.each(str(budget.period)),
                "realistic": fmt.money(plan.realistic_amount or Decimal(0)),
                "frequency": frequency,
            },
        )
    )
    return says


class ActionSavingsSubmit(Action):
    """Answers the savings plan, compared with the saved budget when there is one."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_SAVINGS_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Compute the plan and utter it; clear the form."""
        draft = SavingsDraft.of(tracker)
        reset = {**SavingsDraft().slots(), REQUESTED_SLOT: None}
        if draft.cancelled or draft.goal is None or draft.target is None:
            dispatcher.utter_message(response=UTTER_SAVINGS_CANCELLED)
            return _slot_events(reset)
        saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
        budget = None if saved is None else saved.result()
        try:
            plan = draft.plan(budget, today())
        except BudgetInputError as error:
            utter(dispatcher, [_error(error.code)])
            return _slot_events(reset)
        by_amount = (draft.target or {}).get(KEY_KIND) == KEY_AMOUNT
        utter(dispatcher, savings_says(plan, by_amount, budget, formatter_for(tracker)))
        return _slot_events(reset)
