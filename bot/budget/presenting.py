"""What to tell the client about a budget, an affordability check or a savings plan.

A :class:`Note` is one message: its kind (``NOTE_*``), a variant code that picks among the
kind's messages (a budget status, a tip code, a level...) and its values, the figures and
labels formatted in the client's language by ``bot.i18n`` (:class:`Formatter`). The
actions utter one domain response per note (``actions/budget.py`` names them). No Rasa here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Mapping

from bot.budget.reading import ROLE_EXPENSE, ROLE_INCOME, Mention
from bot.budget.words import BudgetWords, budget_words, label_languages
from bot.finance.affordability import AffordabilityResult, Level, LoanSuggestion
from bot.finance.budget import BudgetResult, Category, Frequency, Period, Tip, TipCode
from bot.finance.loan import LoanQuote, LoanTerms
from bot.finance.savings import SavingsPlan
from bot.finance.terms import Period as RatePeriod
from bot.i18n import format_date, format_money, format_number, format_percent

# Kinds of notes; a ``variant`` is noted where the kind has one.
NOTE_ERROR = "error"  # variant: the error code
NOTE_INCOME_NOTED = "income_noted"
NOTE_INCOME_NOTED_PLAIN = "income_noted_plain"
NOTE_EXPENSE_NOTED = "expense_noted"
NOTE_EXPENSE_NOTED_PLAIN = "expense_noted_plain"
NOTE_BUDGET_RESULT = "budget_result"  # variant: the budget status
NOTE_TOP_CATEGORIES = "top_categories"
NOTE_TIP = "tip"  # variant: the tip code
NOTE_TIP_BUFFER_SAVING = "tip_buffer_saving"  # variant: the budget period
NOTE_AFFORD_USING_BUDGET = "afford_using_budget"
NOTE_AFFORD_BUDGET_MISSING = "afford_budget_missing"
NOTE_AFFORD_LOAN_TERMS = "afford_loan_terms"  # variant: the interest method
NOTE_AFFORD_LOAN_INVALID = "afford_loan_invalid"
NOTE_AFFORD_LEVEL = "afford_level"  # variant: the level
NOTE_AFFORD_REASON = "afford_reason"  # variant: the reason code
NOTE_AFFORD_REMINDER = "afford_reminder"  # variant: the reminder code
NOTE_AFFORD_FIT_INSTALLMENT = "afford_fit_installment"
NOTE_AFFORD_FIT_AMOUNT = "afford_fit_amount"
NOTE_AFFORD_FIT_TERM = "afford_fit_term"  # variant: the term unit
NOTE_AFFORD_NOTHING_FITS = "afford_nothing_fits"
NOTE_SAVINGS_PLAN = "savings_plan"  # variant: the period
NOTE_SAVINGS_REACH = "savings_reach"  # variant: the period
NOTE_SAVINGS_INTEREST = "savings_interest"
NOTE_SAVINGS_REALISM = "savings_realism"  # variant: the realism
NOTE_SAVINGS_NO_SURPLUS = "savings_no_surplus"
NOTE_SAVINGS_NO_BUDGET = "savings_no_budget"

# Error codes of the conversations (besides bot.finance.budget.BudgetErrorCode).
ERROR_NOT_UNDERSTOOD = "not_understood"
ERROR_HOW_OFTEN = "how_often"
ERROR_LOAN_AMOUNT_MISSING = "loan_amount_missing"

PERCENT = Decimal(100)
SHARE_PREFIX = "share"
COUNT_PARAMS = ("months", "periods")
PARAM_CATEGORY = "category"
PARAM_PERIODS = "periods"
PERIOD_FREQUENCY_OF_UNIT = {
    RatePeriod.WEEK.value: Frequency.WEEKLY.value,
    RatePeriod.MONTH.value: Frequency.MONTHLY.value,
    RatePeriod.YEAR.value: Frequency.YEARLY.value,
}
"""The frequency label that says a rate's period ("2% a month")."""


@dataclass(frozen=True)
class Note:
    """One message for the client.

    Attributes:
        kind: what it says (a ``NOTE_*``).
        variant: the code that picks the message among the kind's, if the kind has one.
        values: the figures and labels it shows, formatted for the client.
    """

    kind: str
    variant: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


def error(code: str) -> Note:
    """Return the note of an error code (``bot.finance`` codes and ``ERROR_*``)."""
    return Note(NOTE_ERROR, code)


@dataclass(frozen=True)
class Formatter:
    """Formats figures and labels in one language."""

    language: str
    words: BudgetWords

    @classmethod
    def for_language(cls, language: str) -> Formatter:
        """Return the formatter of ``language`` (labels missing in it are English)."""
        return cls(language, budget_words(label_languages(language)))

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


# --- budget ------------------------------------------------------------------------


def noted(mention: Mention, period: str | None, fmt: Formatter) -> Note:
    """Return the echo of an amount the client gave ("Noted: food, Ksh 150 a day").

    Args:
        mention: the amount, with its role and category.
        period: the budget's period, the frequency of amounts given without one.
        fmt: the client's formatter.
    """
    frequency = mention.frequency or (None if period is None else Period(period).frequency.value)
    values: Dict[str, str] = {"amount": fmt.money(mention.amount)}
    if mention.role == ROLE_EXPENSE:
        values["category"] = fmt.category(mention.category or Category.OTHER.value)
    if frequency is not None:
        values["frequency"] = fmt.frequency(frequency)
    if mention.role == ROLE_INCOME:
        return Note(NOTE_INCOME_NOTED if frequency else NOTE_INCOME_NOTED_PLAIN, values=values)
    return Note(NOTE_EXPENSE_NOTED if frequency else NOTE_EXPENSE_NOTED_PLAIN, values=values)


def budget_notes(budget: BudgetResult, fmt: Formatter) -> List[Note]:
    """Return the result, the top categories and the tips of a budget."""
    each = fmt.each(str(budget.period))
    values = {
        "income": fmt.money(budget.income),
        "expenses": fmt.money(budget.expenses),
        "surplus": fmt.money(budget.surplus),
        "deficit": fmt.money(budget.deficit),
        "each_period": each,
    }
    notes = [Note(NOTE_BUDGET_RESULT, str(budget.status), values)]
    top = list(budget.top_categories)
    if top and not (len(top) == 1 and top[0].category is Category.OTHER):
        lines = "\n".join(
            f"{fmt.category(str(s.category))}: {fmt.money(s.amount)} ({fmt.percent(s.share)})"
            for s in top
        )
        notes.append(Note(NOTE_TOP_CATEGORIES, values={"lines": lines, "each_period": each}))
    notes += [tip_note(tip, budget, fmt) for tip in budget.tips]
    return notes


def tip_note(tip: Tip, budget: BudgetResult, fmt: Formatter) -> Note:
    """Return the note of a budget tip with its figures."""
    values: Dict[str, str] = {"each_period": fmt.each(str(budget.period))}
    for name, value in tip.params.items():
        if name.startswith(SHARE_PREFIX):
            values[name] = fmt.percent(Decimal(str(value)))
        elif name == PARAM_CATEGORY:
            values[name] = fmt.category(str(value))
        elif name in COUNT_PARAMS:
            values[name] = fmt.number(int(str(value)))
        else:
            values[name] = fmt.money(Decimal(str(value)))
    if tip.code is TipCode.EMERGENCY_BUFFER and PARAM_PERIODS in tip.params:
        return Note(NOTE_TIP_BUFFER_SAVING, str(budget.period), values)
    return Note(NOTE_TIP, str(tip.code), values)


# --- affordability -----------------------------------------------------------------


def using_budget_note(budget: BudgetResult, fmt: Formatter) -> Note:
    """Return the note that the check uses the client's saved budget."""
    values = {
        "income": fmt.money(budget.income),
        "surplus": fmt.money(budget.surplus),
        "each_period": fmt.each(str(budget.period)),
    }
    return Note(NOTE_AFFORD_USING_BUDGET, values=values)


def loan_terms_note(terms: LoanTerms, quote: LoanQuote, frequency: str, fmt: Formatter) -> Note:
    """Return the note that states the loan terms checked, so the client can correct them.

    Args:
        terms: the loan's terms.
        quote: their quote.
        frequency: the installments' frequency.
        fmt: the client's formatter.
    """
    values = {
        "count": fmt.number(quote.installments),
        "installment": fmt.money(quote.regular_payment),
        "frequency": fmt.frequency(frequency),
        "rate": fmt.percent(terms.rate / PERCENT),
        "rate_period": fmt.frequency(PERIOD_FREQUENCY_OF_UNIT[terms.rate_period.value]),
    }
    return Note(NOTE_AFFORD_LOAN_TERMS, terms.method.value, values)


def affordability_notes(result: AffordabilityResult, fmt: Formatter) -> List[Note]:
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
    notes = [Note(NOTE_AFFORD_LEVEL, str(result.level), level_values)]
    for reason in result.reasons:
        params = reason.params
        values: Dict[str, str] = {"each_period": each}
        if "surplus" in params:
            values["surplus"] = fmt.money(params["surplus"])
        if "limit" in params:
            values["limit"] = fmt.percent(params["limit"])
        if "share_of_surplus" in params:
            values["share"] = fmt.percent(params["share_of_surplus"])
        if "share_of_income" in params:
            values["share"] = fmt.percent(params["share_of_income"])
        notes.append(Note(NOTE_AFFORD_REASON, str(reason.code), values))
    if result.level is Level.GREEN:
        notes += [Note(NOTE_AFFORD_REMINDER, str(code)) for code in result.reminders]
        return notes
    suggestions = [
        _suggestion_note(NOTE_AFFORD_FIT_AMOUNT, result.smaller_amount, fmt, frequency, False),
        _suggestion_note(NOTE_AFFORD_FIT_TERM, result.longer_term, fmt, frequency, True),
    ]
    found = [note for note in suggestions if note is not None]
    if not found and result.max_green_installment > 0:
        values = {"amount": fmt.money(result.max_green_installment), "frequency": frequency}
        found = [Note(NOTE_AFFORD_FIT_INSTALLMENT, values=values)]
    return notes + (found or [Note(NOTE_AFFORD_NOTHING_FITS)])


def _suggestion_note(
    kind: str, suggestion: LoanSuggestion | None, fmt: Formatter, frequency: str, by_unit: bool
) -> Note | None:
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
    return Note(kind, unit if by_unit else None, values)


# --- savings -----------------------------------------------------------------------


def savings_notes(
    plan: SavingsPlan, by_amount: bool, budget: BudgetResult | None, fmt: Formatter
) -> List[Note]:
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
    notes = [Note(NOTE_SAVINGS_REACH if by_amount else NOTE_SAVINGS_PLAN, period, values)]
    if plan.interest > 0:
        interest = {
            "rate": fmt.percent(plan.annual_rate_percent / PERCENT),
            "interest": fmt.money(plan.interest),
        }
        notes.append(Note(NOTE_SAVINGS_INTEREST, values=interest))
    if budget is None or plan.realism is None:
        return notes + [Note(NOTE_SAVINGS_NO_BUDGET)]
    if budget.surplus <= 0:
        return notes + [Note(NOTE_SAVINGS_NO_SURPLUS)]
    realism = {
        "share": fmt.percent(plan.share_of_surplus or Decimal(0)),
        "each_period": fmt.each(str(budget.period)),
        "realistic": fmt.money(plan.realistic_amount or Decimal(0)),
        "frequency": frequency,
    }
    notes.append(Note(NOTE_SAVINGS_REALISM, str(plan.realism), realism))
    return notes
