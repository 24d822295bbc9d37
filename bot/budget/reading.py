"""Client messages into what the budget, affordability and savings forms need.

:func:`read_message` reads the entities of ``bot/nlu`` (amounts, frequencies, durations,
rates, interest methods) and the words of ``data/budget/<code>.yml`` (``bot.budget.words``)
and decides what each amount is for (docs/budget.md, "Reading messages"): a frequency goes
to the nearest amount beside it; income, spending and category words go to the nearest
amount in their clause; a minus sign, a digit run too long to be an amount, a lone "0",
a date and a month name are noted. No Rasa here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Sequence, Tuple

from bot.budget.items import number
from bot.budget.words import (
    KIND_AND,
    KIND_CATEGORY,
    KIND_DONE,
    KIND_EXPENSE_WORD,
    KIND_INCOME_WORD,
    KIND_MONTH,
    KIND_MONTH_NAME,
    KIND_SKIP,
    KIND_WEEK,
    BudgetWords,
    Hit,
)
from bot.finance.budget import MAX_AMOUNT, BudgetErrorCode, Frequency, Period

INTENT_AFFIRM = "affirm"
INTENT_DENY = "deny"
INTENT_START_BUDGET = "start_budget"
INTENT_CHECK_AFFORDABILITY = "check_affordability"
INTENT_PLAN_SAVINGS = "plan_savings"
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
"""Intents that leave a form for another topic unless the message is a form answer."""
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
"""Intents that interrupt a form only when the message holds nothing the form can use."""

# Entities (docs/nlu.md).
ENTITY_AMOUNT = "amount"
ENTITY_FREQUENCY = "frequency"
ENTITY_DURATION = "duration"
ENTITY_DURATION_UNIT = "duration_unit"
ENTITY_RATE = "rate"
ENTITY_RATE_PERIOD = "rate_period"
ENTITY_METHOD = "interest_method"
ENTITY_START = "start"
ENTITY_END = "end"
ENTITY_NAME = "entity"
ENTITY_VALUE = "value"

# Roles of an amount in a message.
ROLE_INCOME = "income"
ROLE_EXPENSE = "expense"

PAYLOAD_START = "/"
CLAUSE_MARKS = ",;.!?\n|"
BOUNDARY_COST = 1000
NEGATIVE_SIGNS = "-\u2212\u2013"
PHONE_LIKE_DIGITS = 10
DATE_PATTERN = re.compile(r"(?<!\d)(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?!\d)")
DIGIT_RUN = re.compile(r"\d[\d,.\u00a0 ]*\d|\d")
ZERO_PATTERN = re.compile(r"(?<![\d.,])0+(?:[.,]0+)?(?![\d.,])")
MAX_DAY = 31

PERIOD_OF_FREQUENCY = {
    Frequency.DAILY.value: Period.WEEK.value,
    Frequency.WEEKLY.value: Period.WEEK.value,
    Frequency.FORTNIGHTLY.value: Period.WEEK.value,
    Frequency.MONTHLY.value: Period.MONTH.value,
    Frequency.YEARLY.value: Period.MONTH.value,
    Frequency.SEASONAL.value: Period.MONTH.value,
}
"""The budget period that suits an amount of each frequency."""
ANSWER_PERIODS = {
    Frequency.WEEKLY.value: Period.WEEK.value,
    Frequency.MONTHLY.value: Period.MONTH.value,
}
"""Frequencies that name a period when they are the answer ("weekly": a week)."""

Role = Tuple[str, str | None]
"""A role and a category given to amounts no word labelled."""


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
        period_word: "week" or "month" when a word names one of them outside the
            entities ("hafte me 12000"; not the "a month" of "10000 a month").
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
    period_word: str | None = None

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


def _positioned(entity: Mapping[str, Any]) -> bool:
    return isinstance(entity.get(ENTITY_START), int) and isinstance(entity.get(ENTITY_END), int)


def _is_negative(text: str, start: int) -> bool:
    if start < 1 or text[start - 1] not in NEGATIVE_SIGNS:
        return False
    return start < 2 or not text[start - 2].isdigit()


def _pair_frequencies(
    amounts: List[Mapping[str, Any]], frequencies: List[Mapping[str, Any]]
) -> Tuple[Dict[int, Mapping[str, Any]], str | None]:
    """Attach each frequency to the nearest amount beside it; return the rest's first."""
    paired: Dict[int, Mapping[str, Any]] = {}
    lone: str | None = None
    for entity in frequencies:
        if not _positioned(entity):
            lone = lone or str(entity.get(ENTITY_VALUE))
            continue
        start, end = entity[ENTITY_START], entity[ENTITY_END]
        left = max(
            (i for i, a in enumerate(amounts) if _positioned(a) and a[ENTITY_END] <= start),
            default=None,
        )
        right = min(
            (i for i, a in enumerate(amounts) if _positioned(a) and a[ENTITY_START] >= end),
            default=None,
        )
        options = []
        if left is not None and left not in paired:
            options.append((start - amounts[left][ENTITY_END], 0, left))
        if right is not None and right not in paired:
            options.append((amounts[right][ENTITY_START] - end, 1, right))
        if options:
            paired[min(options)[2]] = entity
        else:
            lone = lone or str(entity.get(ENTITY_VALUE))
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
        for rank, hit in enumerate(pool):
            if low <= hit.start and hit.end <= mention.start:
                cost = _gap_cost(text, hit.end, mention.start, boundaries)
                side = 0 if before_first else 1
            elif mention.end <= hit.start and hit.end <= high:
                cost = _gap_cost(text, mention.end, hit.start, boundaries)
                side = 1 if before_first else 0
            else:
                continue
            pairs.append((cost, side, index, rank))
    taken: Dict[int, Hit] = {}
    used = set()
    for _cost, _side, index, rank in sorted(pairs):
        if index not in taken and rank not in used:
            taken[index] = pool[rank]
            used.add(rank)
    return taken


def find_date(text: str, today: dt.date) -> dt.date | None:
    """Return the date written with digits in ``text`` (15/01/2027, 2027-01-15), if any.

    Args:
        text: the message text.
        today: the current date (its century completes two-digit years).
    """
    match = DATE_PATTERN.search(text)
    if match is None:
        return None
    first, second, third = (int(group) for group in match.groups())
    if first > MAX_DAY:  # 2027-01-15
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
    payload = text.strip().startswith(PAYLOAD_START)
    hits = [] if payload else words.find(text)
    amounts = sorted(
        (
            e
            for e in entities
            if e.get(ENTITY_NAME) == ENTITY_AMOUNT and number(e.get(ENTITY_VALUE))
        ),
        key=lambda e: e.get(ENTITY_START) if isinstance(e.get(ENTITY_START), int) else len(text),
    )
    frequencies = [
        e for e in entities if e.get(ENTITY_NAME) == ENTITY_FREQUENCY and e.get(ENTITY_VALUE)
    ]
    paired, lone = _pair_frequencies(amounts, frequencies)
    mentions: List[Mention] = []
    for index, entity in enumerate(amounts):
        amount = number(entity[ENTITY_VALUE])
        assert amount is not None  # filtered above
        positioned = _positioned(entity)
        frequency = paired.get(index)
        mentions.append(
            Mention(
                amount=amount,
                frequency=None if frequency is None else str(frequency[ENTITY_VALUE]),
                start=entity[ENTITY_START] if positioned else len(text),
                end=entity[ENTITY_END] if positioned else len(text),
                negative=positioned and _is_negative(text, entity[ENTITY_START]),
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
        date=None if payload else find_date(text, today),
        oversized=not mentions and _oversized(text),
        zero=not mentions and not payload and bool(ZERO_PATTERN.search(text)),
        period_word=_period_word(hits, entities),
    )


def _period_word(hits: Sequence[Hit], entities: Sequence[Mapping[str, Any]]) -> str | None:
    """Return week or month when words outside the entities name only one of them."""
    spans = [(e[ENTITY_START], e[ENTITY_END]) for e in entities if _positioned(e)]
    kinds = {
        hit.kind
        for hit in hits
        if hit.kind in (KIND_WEEK, KIND_MONTH)
        and not any(start < hit.end and hit.start < end for start, end in spans)
    }
    return next(iter(kinds)) if len(kinds) == 1 else None


def _oversized(text: str) -> bool:
    for match in DIGIT_RUN.finditer(text):
        if DATE_PATTERN.search(match.group()):
            continue
        if sum(char.isdigit() for char in match.group()) >= PHONE_LIKE_DIGITS:
            return True
    return False


def _first_value(entities: Sequence[Mapping[str, Any]], name: str) -> str | None:
    return next(
        (
            str(e[ENTITY_VALUE])
            for e in entities
            if e.get(ENTITY_NAME) == name and e.get(ENTITY_VALUE)
        ),
        None,
    )


def _first_number(entities: Sequence[Mapping[str, Any]], name: str) -> Decimal | None:
    return next(
        (
            number(e.get(ENTITY_VALUE))
            for e in entities
            if e.get(ENTITY_NAME) == name and number(e.get(ENTITY_VALUE)) is not None
        ),
        None,
    )


def _duration(entities: Sequence[Mapping[str, Any]]) -> Tuple[Decimal, str] | None:
    count = _first_number(entities, ENTITY_DURATION)
    unit = _first_value(entities, ENTITY_DURATION_UNIT)
    if count is None or unit is None or count <= 0:
        return None
    return count, unit


def with_roles(mentions: Iterable[Mention], first: Role, rest: Role) -> List[Mention]:
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


def period_of(reading: Reading) -> str | None:
    """Return the week or month the client chose in ``reading``, if any."""
    if reading.frequency in ANSWER_PERIODS:
        return ANSWER_PERIODS[reading.frequency]
    return reading.period_word


def is_interruption(reading: Reading) -> bool:
    """Tell whether a message asks about something else than the form's question."""
    if reading.intent in OTHER_TOPIC_INTENTS:
        return not reading.only_words
    if reading.intent in SOFT_INTENTS:
        return not reading.has_content
    return False
