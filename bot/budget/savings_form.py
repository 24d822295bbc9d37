"""The savings form: a goal, and a date, a number of periods or an amount per period.

The form asks the goal (``ASK_SAVINGS_GOAL``) then how to reach it (``ASK_SAVINGS_TARGET``);
one message may say both (docs/budget.md, "Savings"). The plan is tried as soon as both are
known, so a value the plan refuses is asked again at once. Every function takes the date.
No Rasa here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from babel.numbers import get_currency_precision

from bot.budget.items import (
    KEY_AMOUNT,
    KEY_COUNT,
    KEY_DATE,
    KEY_KIND,
    KEY_PERIOD,
    KIND_AMOUNT,
    KIND_DATE,
    KIND_PERIODS,
    decimal_text,
)
from bot.budget.presenting import ERROR_HOW_OFTEN, ERROR_NOT_UNDERSTOOD, Note, error
from bot.budget.reading import (
    ANSWER_PERIODS,
    PERIOD_OF_FREQUENCY,
    Mention,
    Reading,
    problem_of,
)
from bot.budget.words import KIND_CANCEL
from bot.finance.budget import (
    BudgetErrorCode,
    BudgetInputError,
    BudgetResult,
    Frequency,
    Period,
    convert,
)
from bot.finance.savings import SavingsPlan, plan_by_amount, plan_by_deadline

ASK_SAVINGS_GOAL = "goal"
ASK_SAVINGS_TARGET = "target"
QUESTIONS = (ASK_SAVINGS_GOAL, ASK_SAVINGS_TARGET)
"""The form's questions, in the order it asks them."""

UNIT_WEEK = "week"
UNIT_MONTH = "month"
UNIT_YEAR = "year"
UNIT_DAY = "day"
DAYS_PER_WEEK = 7
MONTHS_PER_YEAR = 12
WEEKS_PER_YEAR = 52
ANNUAL_FACTORS = {UNIT_MONTH: MONTHS_PER_YEAR, UNIT_WEEK: WEEKS_PER_YEAR}
MAX_SAVINGS_RATE = Decimal(100)
SHORT_DATE_DAYS = 62
"""A date less than this many days away is planned in weeks."""
FIELD_GOAL = "goal"


def currency_quantum(currency: str) -> Decimal:
    """Return the smallest unit of ``currency`` (1 for a currency without cents)."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


@dataclass(frozen=True)
class SavingsDraft:
    """What the savings form has collected.

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

    def next_question(self) -> str | None:
        """Return the next question to ask (``ASK_*``), or None when the form is complete."""
        if self.cancelled:
            return None
        if self.goal is None:
            return ASK_SAVINGS_GOAL
        if self.target is None:
            return ASK_SAVINGS_TARGET
        return None

    @property
    def by_amount(self) -> bool:
        """The client gave the amount per period (the plan finds the date)."""
        return (self.target or {}).get(KEY_KIND) == KIND_AMOUNT

    def plan(self, budget: BudgetResult | None, on: dt.date, quantum: Decimal) -> SavingsPlan:
        """Return the savings plan (raises BudgetInputError for bad values).

        Args:
            budget: the client's saved budget, if any.
            on: today.
            quantum: the currency's smallest unit (deposits are rounded up to it).
        """
        target = self.target or {}
        rate = Decimal(self.rate or 0)
        period = target.get(KEY_PERIOD) or Period.MONTH.value
        if target.get(KEY_KIND) == KIND_AMOUNT:
            return plan_by_amount(
                self.goal or 0,
                target[KEY_AMOUNT],
                period,
                annual_rate_percent=rate,
                budget=budget,
                today=on,
            )
        if target.get(KEY_KIND) == KIND_DATE:
            return plan_by_deadline(
                self.goal or 0,
                period,
                target_date=dt.date.fromisoformat(target[KEY_DATE]),
                annual_rate_percent=rate,
                budget=budget,
                today=on,
                quantum=quantum,
            )
        return plan_by_deadline(
            self.goal or 0,
            period,
            periods=int(target.get(KEY_COUNT) or 0),
            annual_rate_percent=rate,
            budget=budget,
            today=on,
            quantum=quantum,
        )


def annual_rate(reading: Reading) -> Decimal | None:
    """Return a rate of the message as percent per year (x 12 monthly, x 52 weekly)."""
    if reading.rate is None:
        return None
    return reading.rate * ANNUAL_FACTORS.get(reading.rate_period or "", 1)


def month_end(month: int, on: dt.date) -> dt.date:
    """Return the last day of the next ``month`` (this year's if still ahead)."""
    year = on.year
    while True:
        following = dt.date(year + month // MONTHS_PER_YEAR, month % MONTHS_PER_YEAR + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > on:
            return end
        year += 1


def savings_target(
    reading: Reading,
    with_frequency: Sequence[Mention],
    on: dt.date,
    budget_period: str | None,
    quantum: Decimal,
) -> Dict[str, Any] | None:
    """Return how the client wants to reach the goal, from a message, if it says.

    Args:
        reading: the message.
        with_frequency: its amounts given with a frequency (the first is the deposit).
        on: today.
        budget_period: the saved budget's period, if any (for a date target).
        quantum: the currency's smallest unit (converted deposits are rounded to it).
    """
    if with_frequency:
        mention = with_frequency[0]
        amount, frequency = mention.amount, str(mention.frequency)
        if frequency == Frequency.DAILY.value:
            amount, frequency = amount * DAYS_PER_WEEK, Frequency.WEEKLY.value
        period = PERIOD_OF_FREQUENCY[frequency]
        per_period = amount
        if frequency not in ANSWER_PERIODS:  # fortnightly, yearly, seasonal
            per_period = convert(amount, frequency, period).quantize(quantum)
        return {KEY_KIND: KIND_AMOUNT, KEY_AMOUNT: decimal_text(per_period), KEY_PERIOD: period}
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
        KEY_KIND: KIND_DATE,
        KEY_DATE: date.isoformat(),
        KEY_PERIOD: period or Period.MONTH.value,
    }


def update_savings(
    draft: SavingsDraft,
    reading: Reading,
    asked: str | None,
    on: dt.date,
    budget: BudgetResult | None,
    quantum: Decimal,
) -> Tuple[SavingsDraft, List[Note]]:
    """Apply a client message to the savings form.

    Args:
        draft: the form so far.
        reading: the message.
        asked: the question asked (``ASK_*``); None when the message started the form.
        on: today.
        budget: the client's saved budget, if any (its period, and a trial plan).
        quantum: the currency's smallest unit.

    Returns:
        The new draft and the notes to tell (errors).
    """
    if reading.has(KIND_CANCEL) and not reading.mentions:
        return replace(draft, cancelled=True), []
    mentions = list(reading.mentions)
    problem = problem_of(reading, mentions)
    if problem is not None:
        return draft, [error(problem)]
    notes: List[Note] = []
    new = draft
    rate = annual_rate(reading)
    if rate is not None:
        if 0 <= rate <= MAX_SAVINGS_RATE:
            new = replace(new, rate=decimal_text(rate))
        else:
            notes.append(error(BudgetErrorCode.INVALID_RATE.value))
    plain = [m for m in mentions if m.frequency is None]
    with_frequency = [m for m in mentions if m.frequency is not None]
    if new.goal is None and not plain and len(with_frequency) > 1:
        # "1000 a month ... 12000 in days": the goal is the largest amount
        largest = max(with_frequency, key=lambda mention: mention.amount)
        plain = [largest]
        with_frequency = [m for m in with_frequency if m is not largest]
    if new.goal is None and plain and asked != ASK_SAVINGS_TARGET:
        new = replace(new, goal=decimal_text(plain[0].amount))
        plain = plain[1:]
    elif new.goal is None and asked == ASK_SAVINGS_GOAL and not with_frequency:
        notes.append(error(ERROR_NOT_UNDERSTOOD))
    target = savings_target(
        reading, with_frequency, on, None if budget is None else str(budget.period), quantum
    )
    if target is not None:
        new = replace(new, target=target)
    elif asked == ASK_SAVINGS_TARGET:
        notes.append(error(ERROR_HOW_OFTEN if plain else ERROR_NOT_UNDERSTOOD))
    if new.goal is not None and new.target is not None:
        try:
            new.plan(budget, on, quantum)
        except BudgetInputError as problem_found:
            if problem_found.field == FIELD_GOAL:
                new = replace(new, goal=None)
            else:
                new = replace(new, target=None)
            notes.append(error(problem_found.code))
    return new, notes
