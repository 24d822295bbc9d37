"""The affordability form: "can I afford it?", from a message to the answer.

The form asks only what is missing (docs/budget.md, "Affordability"): the installment or
loan to check (``ASK_AFFORD_REQUEST``), then, without a saved budget, the income
(``ASK_AFFORD_INCOME``), the other spending (``ASK_AFFORD_EXPENSES``) and the current loan
repayments (``ASK_AFFORD_LOANS``). A loan the loans conversation holds is read with
``bot.loans`` (its values are keyed like its slots), so fees and deposits count as they do
in a loan quote. No Rasa here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from bot.budget.items import (
    KEY_AMOUNT,
    KEY_FREQUENCY,
    KEY_KIND,
    KEY_METHOD,
    KEY_RATE,
    KEY_RATE_PERIOD,
    KEY_TERM,
    KEY_TERM_UNIT,
    KIND_INSTALLMENT,
    KIND_LOAN,
    decimal_text,
    item,
    number,
)
from bot.budget.presenting import (
    ERROR_LOAN_AMOUNT_MISSING,
    ERROR_NOT_UNDERSTOOD,
    NOTE_AFFORD_BUDGET_MISSING,
    NOTE_AFFORD_LOAN_INVALID,
    Formatter,
    Note,
    affordability_notes,
    error,
    loan_terms_note,
    using_budget_note,
)
from bot.budget.reading import (
    PERIOD_OF_FREQUENCY,
    ROLE_EXPENSE,
    ROLE_INCOME,
    Mention,
    Reading,
    problem_of,
    with_roles,
)
from bot.budget.words import KIND_CANCEL
from bot.finance.affordability import (
    DEFAULT_AFFORDABILITY_RULES,
    AffordabilityRules,
    assess_installment,
    assess_loan,
)
from bot.finance.budget import (
    BudgetErrorCode,
    BudgetInputError,
    BudgetResult,
    Category,
    Expense,
    Frequency,
    IncomeSource,
    Period,
    build_budget,
)
from bot.finance.terms import LoanInputError, LoanTerms
from bot.loans.engine import terms_of
from bot.loans.fields import offer_values

logger = logging.getLogger(__name__)

ASK_AFFORD_REQUEST = "request"
ASK_AFFORD_INCOME = "income"
ASK_AFFORD_EXPENSES = "expenses"
ASK_AFFORD_LOANS = "loans"
QUESTIONS = (ASK_AFFORD_REQUEST, ASK_AFFORD_INCOME, ASK_AFFORD_EXPENSES, ASK_AFFORD_LOANS)
"""The form's questions, in the order it asks them."""

LOAN_REQUIRED_FIELDS = (KEY_AMOUNT, KEY_RATE, KEY_RATE_PERIOD, KEY_TERM, KEY_TERM_UNIT)
"""The values of a loan without which it cannot be checked."""
LOAN_FREQUENCIES = (
    Frequency.WEEKLY.value,
    Frequency.FORTNIGHTLY.value,
    Frequency.MONTHLY.value,
)
UNIT_WEEK = "week"
UNIT_MONTH = "month"
UNIT_YEAR = "year"
UNIT_DAY = "day"
DAYS_PER_WEEK = 7
RATE_PER_MONTH_MAX = Decimal(10)
"""A loan rate given without its period is per month up to this, else per year."""
DEFAULT_METHOD = "flat"

AFFORD_ENV_PREFIX = "MFI_AFFORD_"
AFFORD_RULE_FIELDS = (
    "green_surplus_share",
    "green_income_share",
    "amber_surplus_share",
    "amber_income_share",
    "max_term_months",
    "amount_step",
)
"""The rules a deployment may set, each with ``MFI_AFFORD_<FIELD>`` (docs/budget.md)."""


def affordability_rules(environ: Mapping[str, str]) -> AffordabilityRules:
    """Return the deployment's affordability rules from ``MFI_AFFORD_*`` variables.

    Bad settings are logged and the documented defaults are used instead.

    Args:
        environ: the environment variables (``os.environ``).
    """
    values = {}
    for name in AFFORD_RULE_FIELDS:
        text = environ.get(AFFORD_ENV_PREFIX + name.upper(), "").strip()
        if text:
            values[name] = text
    try:
        return AffordabilityRules.from_mapping(values)
    except BudgetInputError as problem:
        logger.error(
            "Affordability settings %s are invalid (%s); using the defaults", values, problem
        )
        return DEFAULT_AFFORDABILITY_RULES


@dataclass(frozen=True)
class AffordDraft:
    """What the affordability form has collected.

    Attributes:
        request: the installment or loan to check.
        pending_amount: an amount given without its frequency.
        has_budget: the client has a saved budget (no need to ask income and spending).
        income: income items (without a saved budget).
        expenses: spending items other than loans; () for none.
        loans: current loan repayment items; () for none.
        cancelled: the client stopped the check.
    """

    request: Mapping[str, Any] | None = None
    pending_amount: str | None = None
    has_budget: bool = False
    income: Tuple[Mapping[str, Any], ...] | None = None
    expenses: Tuple[Mapping[str, Any], ...] | None = None
    loans: Tuple[Mapping[str, Any], ...] | None = None
    cancelled: bool = False

    def next_question(self) -> str | None:
        """Return the next question to ask (``ASK_*``), or None when the form is complete."""
        if self.cancelled:
            return None
        if self.request is None:
            return ASK_AFFORD_REQUEST
        if self.has_budget:
            return None
        if not self.income:
            return ASK_AFFORD_INCOME
        if self.expenses is None:
            return ASK_AFFORD_EXPENSES
        if self.loans is None:
            return ASK_AFFORD_LOANS
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
        KEY_AMOUNT: decimal_text(amount),
        KEY_RATE: decimal_text(reading.rate),
        KEY_RATE_PERIOD: rate_period,
        KEY_TERM: decimal_text(term),
        KEY_TERM_UNIT: unit,
        KEY_FREQUENCY: frequency,
        KEY_METHOD: reading.method or DEFAULT_METHOD,
    }


def loan_request_of(loan_values: Mapping[str, Any]) -> Dict[str, Any] | None:
    """Return the loan the loans conversation holds, if complete.

    Args:
        loan_values: the loans conversation's values, keyed like its slots (``loan_amount``...;
            ``bot.loans.fields``).
    """
    values = dict(offer_values(loan_values))
    if any(values.get(name) in (None, "") for name in LOAN_REQUIRED_FIELDS):
        return None
    if values.get(KEY_FREQUENCY) not in LOAN_FREQUENCIES:
        values[KEY_FREQUENCY] = installment_frequency(values.get(KEY_TERM_UNIT))
    values[KEY_METHOD] = values.get(KEY_METHOD) or DEFAULT_METHOD
    return {KEY_KIND: KIND_LOAN, **{k: v for k, v in values.items() if v is not None}}


def update_affordability(
    draft: AffordDraft, reading: Reading, asked: str | None
) -> Tuple[AffordDraft, List[Note]]:
    """Apply a client message to the affordability form.

    Args:
        draft: the form so far.
        reading: the message.
        asked: the question asked (``ASK_*``); None when the message started the form.

    Returns:
        The new draft and the notes to tell (errors).
    """
    if reading.has(KIND_CANCEL) and not reading.mentions:
        return replace(draft, cancelled=True), []
    if asked in (None, ASK_AFFORD_REQUEST):
        first = rest = (ROLE_EXPENSE, None)
    elif asked == ASK_AFFORD_INCOME:
        first = rest = (ROLE_INCOME, None)
    elif asked == ASK_AFFORD_EXPENSES:
        first = rest = (ROLE_EXPENSE, Category.OTHER.value)
    else:
        first = rest = (ROLE_EXPENSE, Category.LOAN_REPAYMENTS.value)
    mentions = with_roles(reading.mentions, first, rest)
    problem = problem_of(reading, mentions)
    if problem is not None:
        return draft, [error(problem)]
    incomes = [m for m in mentions if m.role == ROLE_INCOME]
    spending = [m for m in mentions if m.role != ROLE_INCOME]
    new = draft
    notes: List[Note] = []
    if incomes and not draft.has_budget and asked in (None, ASK_AFFORD_REQUEST, ASK_AFFORD_INCOME):
        new = replace(
            new, income=(new.income or ()) + tuple(item(m.amount, m.frequency) for m in incomes)
        )
    if asked in (None, ASK_AFFORD_REQUEST):
        return _update_request(new, reading, spending, quiet=asked is None or bool(incomes))
    if asked == ASK_AFFORD_INCOME:
        if not incomes:
            code = BudgetErrorCode.NO_INCOME.value if reading.says_no else ERROR_NOT_UNDERSTOOD
            notes.append(error(code))
        return new, notes
    items = tuple(item(m.amount, m.frequency) for m in spending)
    loans = tuple(
        item(m.amount, m.frequency)
        for m in spending
        if m.category == Category.LOAN_REPAYMENTS.value
    )
    others = tuple(
        item(m.amount, m.frequency)
        for m in spending
        if m.category != Category.LOAN_REPAYMENTS.value
    )
    if asked == ASK_AFFORD_EXPENSES:
        if spending:
            new = replace(new, expenses=(new.expenses or ()) + others)
            if loans:
                new = replace(new, loans=(new.loans or ()) + loans)
        elif reading.says_no:
            new = replace(new, expenses=())
        else:
            notes.append(error(ERROR_NOT_UNDERSTOOD))
        return new, notes
    if spending:
        new = replace(new, loans=(new.loans or ()) + items)
    elif reading.says_no or reading.says_done:
        new = replace(new, loans=())
    else:
        notes.append(error(ERROR_NOT_UNDERSTOOD))
    return new, notes


def _update_request(
    draft: AffordDraft, reading: Reading, spending: Sequence[Mention], quiet: bool
) -> Tuple[AffordDraft, List[Note]]:
    """Take the installment or loan from the message (quiet: no error when none)."""
    pending = number(draft.pending_amount) if draft.pending_amount else None
    amount = spending[0].amount if spending else pending
    frequency = spending[0].frequency if spending else None
    if amount is not None:
        loan = loan_request(amount, reading, frequency)
        if loan is not None:
            return replace(draft, request=loan, pending_amount=None), []
        frequency = frequency or reading.frequency
        if frequency is not None:
            request = {KEY_KIND: KIND_INSTALLMENT, **item(amount, frequency)}
            return replace(draft, request=request, pending_amount=None), []
        return replace(draft, pending_amount=decimal_text(amount)), []
    if reading.rate is not None and reading.duration is not None:
        return draft, [error(ERROR_LOAN_AMOUNT_MISSING)]
    if quiet:
        return draft, []
    return draft, [error(ERROR_NOT_UNDERSTOOD)]


def loan_terms(request: Mapping[str, Any], digits: int) -> LoanTerms:
    """Return the LoanTerms of a loan request (raises LoanInputError for bad terms).

    Read as the loans conversation reads its values (``bot.loans.engine.terms_of``), so
    its fields (fees, deposit, grace, a rate for the whole term) count as in a loan quote.

    Args:
        request: the loan request (``KIND_LOAN``).
        digits: the decimals of the deployment's currency.
    """
    values = {key: value for key, value in request.items() if key != KEY_KIND}
    return terms_of(values, digits)


def assess(
    draft: AffordDraft,
    saved: BudgetResult | None,
    rules: AffordabilityRules,
    fmt: Formatter,
    digits: int,
) -> List[Note]:
    """Return the answer to the affordability form's request.

    Args:
        draft: the completed form.
        saved: the client's saved budget (used when ``draft.has_budget``), if any.
        rules: the deployment's affordability rules.
        fmt: the client's formatter.
        digits: the decimals of the deployment's currency.

    Raises:
        BudgetInputError: the income or spending given cannot make a budget.
    """
    request = draft.request or {}
    notes: List[Note] = []
    if draft.has_budget:
        if saved is None:
            return [Note(NOTE_AFFORD_BUDGET_MISSING)]
        budget = saved
        notes.append(using_budget_note(budget, fmt))
    else:
        budget = draft.budget()
    if request.get(KEY_KIND) == KIND_LOAN:
        try:
            terms = loan_terms(request, digits)
            result = assess_loan(budget, terms, rules)
        except LoanInputError:
            return [Note(NOTE_AFFORD_LOAN_INVALID)]
        quote = result.quote
        assert quote is not None  # assess_loan always quotes
        notes.append(loan_terms_note(terms, quote, str(result.frequency), fmt))
    else:
        result = assess_installment(
            budget, Decimal(request[KEY_AMOUNT]), request[KEY_FREQUENCY], rules
        )
    return notes + affordability_notes(result, fmt)
