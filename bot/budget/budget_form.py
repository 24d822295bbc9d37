"""The budget form: what it has collected, and what one client message changes.

The form asks, skipping what the client already said (docs/budget.md, "Budget"): the
period (``ASK_BUDGET_PERIOD``), the incomes (``ASK_BUDGET_INCOMES``), whether there is
another income (``ASK_BUDGET_INCOME_DONE``), then the expense categories one by one
(``ASK_BUDGET_EXPENSES``). A first message with income and spending fills it at once (the
quick path). No Rasa here: the actions keep a :class:`BudgetDraft` in slots and map the
questions to slots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Tuple

from bot.budget.items import (
    KEY_AMOUNT,
    KEY_CATEGORY,
    KEY_EXPENSES,
    KEY_FREQUENCY,
    KEY_INCOMES,
    KEY_PERIOD,
    item,
)
from bot.budget.presenting import ERROR_NOT_UNDERSTOOD, Formatter, Note, error, noted
from bot.budget.reading import (
    INTENT_AFFIRM,
    PERIOD_OF_FREQUENCY,
    ROLE_EXPENSE,
    ROLE_INCOME,
    Reading,
    period_of,
    problem_of,
    with_roles,
)
from bot.budget.words import KIND_CANCEL
from bot.finance.budget import (
    BudgetErrorCode,
    BudgetResult,
    Category,
    Expense,
    IncomeSource,
    Period,
    build_budget,
)

ASK_BUDGET_PERIOD = "period"
ASK_BUDGET_INCOMES = "incomes"
ASK_BUDGET_INCOME_DONE = "income_done"
ASK_BUDGET_EXPENSES = "expenses"
QUESTIONS = (ASK_BUDGET_PERIOD, ASK_BUDGET_INCOMES, ASK_BUDGET_INCOME_DONE, ASK_BUDGET_EXPENSES)
"""The form's questions, in the order it asks them."""

CATEGORY_ORDER = tuple(category.value for category in Category)
"""The order the expense categories are asked in."""


@dataclass(frozen=True)
class BudgetDraft:
    """What the budget form has collected so far.

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

    @property
    def answered(self) -> FrozenSet[str]:
        """The categories given or skipped."""
        return frozenset(str(entry[KEY_CATEGORY]) for entry in self.expenses)

    @property
    def category(self) -> str | None:
        """The next category to ask about (None when all were given or skipped)."""
        return next((c for c in CATEGORY_ORDER if c not in self.answered), None)

    def next_question(self) -> str | None:
        """Return the next question to ask (``ASK_*``), or None when the form is complete."""
        if self.cancelled:
            return None
        if self.period is None:
            return ASK_BUDGET_PERIOD
        if not self.incomes:
            return ASK_BUDGET_INCOMES
        if self.income_done is None:
            return ASK_BUDGET_INCOME_DONE
        if self.expenses_done is None:
            return ASK_BUDGET_EXPENSES
        return None

    def inputs(self) -> Tuple[List[IncomeSource], List[Expense]]:
        """Return the income sources and expenses for bot.finance.budget."""
        incomes = [
            IncomeSource(Decimal(entry[KEY_AMOUNT]), entry[KEY_FREQUENCY] or self._own_frequency())
            for entry in self.incomes
        ]
        expenses = [
            Expense(entry[KEY_CATEGORY], Decimal(entry[KEY_AMOUNT]), entry.get(KEY_FREQUENCY))
            for entry in self.expenses
        ]
        return incomes, expenses

    def _own_frequency(self) -> str:
        return Period(self.period or Period.MONTH.value).frequency.value

    def result(self) -> BudgetResult:
        """Return the budget (raises BudgetInputError for bad values)."""
        incomes, expenses = self.inputs()
        return build_budget(incomes, expenses, self.period or Period.MONTH.value)


def update_budget(
    draft: BudgetDraft, reading: Reading, asked: str | None, fmt: Formatter
) -> Tuple[BudgetDraft, List[Note]]:
    """Apply a client message to the budget form.

    Args:
        draft: the form so far.
        reading: the message.
        asked: the question asked (``ASK_*``); None when the message started the form.
        fmt: the client's formatter (for the echoes).

    Returns:
        The new draft and the notes to tell (echoes, errors).
    """
    if reading.has(KIND_CANCEL) and not reading.mentions:
        return replace(draft, cancelled=True), []
    starting = asked is None
    if starting:
        first, rest = (ROLE_INCOME, None), (ROLE_EXPENSE, Category.OTHER.value)
    elif asked == ASK_BUDGET_EXPENSES:
        first = rest = (ROLE_EXPENSE, draft.category or Category.OTHER.value)
    else:
        first = rest = (ROLE_INCOME, None)
    mentions = with_roles(reading.mentions, first, rest)
    problem = problem_of(reading, mentions)
    if problem is not None:
        return draft, [error(problem)]
    notes: List[Note] = []
    incomes = list(draft.incomes)
    expenses = list(draft.expenses)
    for mention in mentions:
        if mention.role == ROLE_INCOME:
            incomes.append(item(mention.amount, mention.frequency))
        else:
            category = mention.category or Category.OTHER.value
            expenses = [e for e in expenses if not _skipped(e, category)]
            expenses.append(item(mention.amount, mention.frequency, category))
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
                period=new.period or income_period(new.incomes),
                income_done=True,
                expenses_done=True,
            )
        return new, notes
    notes += [noted(mention, new.period, fmt) for mention in mentions]
    if asked == ASK_BUDGET_PERIOD:
        if new.period is None:
            new = replace(new, period=income_period(new.incomes))
        if new.period is None and not mentions:
            notes.append(error(ERROR_NOT_UNDERSTOOD))
    elif asked == ASK_BUDGET_INCOMES:
        if not new.incomes and not mentions:
            no_income = reading.says_no or reading.says_done
            notes.append(
                error(BudgetErrorCode.NO_INCOME.value if no_income else ERROR_NOT_UNDERSTOOD)
            )
    elif asked == ASK_BUDGET_INCOME_DONE:
        if not mentions and (reading.says_no or reading.says_done):
            new = replace(new, income_done=True)
        elif not mentions and reading.intent != INTENT_AFFIRM:
            notes.append(error(ERROR_NOT_UNDERSTOOD))
    else:  # the expenses, category by category
        current = draft.category
        if mentions:
            if reading.says_done:
                new = replace(new, expenses_done=True)
        elif reading.intent == INTENT_AFFIRM or reading.says_done:
            new = replace(new, expenses_done=True)
        elif reading.says_no and current is not None:
            new = replace(new, expenses=new.expenses + (item(Decimal(0), None, current),))
        else:
            notes.append(error(ERROR_NOT_UNDERSTOOD))
        if new.expenses_done is None and new.category is None:
            new = replace(new, expenses_done=True)
    return new, notes


def _skipped(entry: Mapping[str, Any], category: str) -> bool:
    return entry[KEY_CATEGORY] == category and Decimal(entry[KEY_AMOUNT]) == 0


def income_period(incomes: Iterable[Mapping[str, Any]]) -> str | None:
    """Return the period that suits the first income with a frequency (daily: week)."""
    return next((PERIOD_OF_FREQUENCY[i[KEY_FREQUENCY]] for i in incomes if i[KEY_FREQUENCY]), None)
