"""Affordability: whether a budget can carry an installment or a loan.

Pure functions over ``Decimal`` money: no Rasa, no I/O. The installment (given, or
the regular payment of a loan quoted by :mod:`bot.finance.loan`) is converted to the
budget's period and checked against two rules (docs/budget.md):

* the new installment against the budget surplus;
* all loan repayments (existing + new) against income.

Amber and red results say why (reason codes with figures) and, for a loan, what
would fit: the largest amount that stays green and the shortest longer term that
makes the requested amount green, both found by searching over the loan engine so
fees, savings, grace and methods are respected. Bad budget-side values raise
:class:`~bot.finance.budget.BudgetInputError`; bad loan terms raise the engine's
``LoanInputError``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from bot.finance.budget import (
    MONEY_QUANTUM,
    BudgetErrorCode,
    BudgetInputError,
    BudgetResult,
    Category,
    Frequency,
    NumberLike,
    Period,
    StrEnum,
    conversion_factor,
    convert,
    round_money,
    share_of,
    to_amount,
    to_frequency,
    to_share,
)
from bot.finance.loan import LoanQuote, LoanTerms, quote
from bot.finance.terms import LoanInputError

LoanEngine = Callable[[LoanTerms], LoanQuote]

WEEKS_PER_MONTH = Decimal(52) / 12
SEARCH_UNIT_WEEK = "week"
SEARCH_UNIT_MONTH = "month"
TERM_UNIT_YEAR = "year"
MONTHS_PER_YEAR = 12
AMOUNT_STEP_DIGITS = 3
"""The automatic amount step keeps the first three digits of the requested amount."""


class Level(StrEnum):
    """Traffic-light answer."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class ReasonCode(StrEnum):
    """Why a result is amber or red; each reason carries its figures."""

    NO_SURPLUS = "no_surplus"
    SURPLUS_SHARE_HIGH = "surplus_share_high"
    OVER_SURPLUS = "over_surplus"
    DEBT_SHARE_HIGH = "debt_share_high"
    DEBT_OVER_CAP = "debt_over_cap"


class ReminderCode(StrEnum):
    """Reminders attached to a result."""

    EMERGENCY_BUFFER = "emergency_buffer"


@dataclass(frozen=True)
class AffordabilityRules:
    """Affordability thresholds, as fractions (defaults in docs/budget.md).

    Attributes:
        green_surplus_share: green when the installment is at most this share of
            the surplus...
        green_income_share: ...and all repayments at most this share of income.
        amber_surplus_share: amber up to this share of the surplus...
        amber_income_share: ...and this share of income (50 %: the Reserve Bank of
            India's cap on microfinance repayment obligations); red beyond either.
        max_term_months: the longest term suggested as an alternative.
        amount_step: suggested amounts are multiples of this; None picks a round
            step from the requested amount (its first three digits).
    """

    green_surplus_share: Decimal = Decimal("0.5")
    green_income_share: Decimal = Decimal("0.3")
    amber_surplus_share: Decimal = Decimal(1)
    amber_income_share: Decimal = Decimal("0.5")
    max_term_months: int = 24
    amount_step: Decimal | None = None

    def __post_init__(self) -> None:
        for name in (
            "green_surplus_share",
            "green_income_share",
            "amber_surplus_share",
            "amber_income_share",
        ):
            object.__setattr__(self, name, to_share(getattr(self, name), name))
        if self.green_surplus_share > self.amber_surplus_share:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "green_surplus_share")
        if self.green_income_share > self.amber_income_share:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "green_income_share")
        months = self.max_term_months
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 360:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "max_term_months")
        if self.amount_step is not None:
            object.__setattr__(
                self,
                "amount_step",
                to_amount(self.amount_step, "amount_step", positive=True),
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> AffordabilityRules:
        """Build rules from text settings keyed by field name (e.g. env or config).

        Unknown keys are refused with ``invalid_rules`` so typos do not pass
        silently; missing keys keep their defaults.
        """
        known = {item.name: item for item in dataclasses.fields(cls)}
        kwargs: dict[str, object] = {}
        for key, text in values.items():
            if key not in known:
                raise BudgetInputError(BudgetErrorCode.INVALID_RULES, key)
            if key == "max_term_months":
                try:
                    kwargs[key] = int(text)
                except ValueError as error:
                    raise BudgetInputError(BudgetErrorCode.INVALID_RULES, key) from error
            elif key == "amount_step" and not str(text).strip():
                kwargs[key] = None
            else:
                kwargs[key] = str(text)
        return cls(**kwargs)  # type: ignore[arg-type]


DEFAULT_AFFORDABILITY_RULES = AffordabilityRules()


@dataclass(frozen=True)
class Reason:
    """Why a result is not green.

    Attributes:
        code: the reason.
        level: amber or red.
        params: figures by name (Decimal amounts and shares).
    """

    code: ReasonCode
    level: Level
    params: Mapping[str, Decimal]


@dataclass(frozen=True)
class LoanSuggestion:
    """A loan that would be green for the budget.

    Attributes:
        terms: the suggested terms (the request with another amount or term).
        quote: the engine's quote for them.
        installment: the regular payment (``quote.regular_payment``).
        installment_per_period: that payment in the budget's period.
    """

    terms: LoanTerms
    quote: LoanQuote
    installment: Decimal
    installment_per_period: Decimal


@dataclass(frozen=True)
class AffordabilityResult:
    """The answer to "can I afford it?".

    Attributes:
        level: green, amber or red.
        period: the budget's period, in which the figures below are expressed.
        installment: the installment checked, in its own frequency.
        frequency: how often it is paid.
        installment_per_period: the installment in the budget's period.
        income: budget income per period.
        surplus: budget surplus per period (negative for a deficit).
        existing_repayments: the budget's loan_repayments per period.
        total_repayments: existing + new, per period.
        share_of_surplus: installment / surplus; None when there is no surplus.
        share_of_income: total repayments / income.
        reasons: why the result is amber or red (empty when green).
        reminders: reminder codes (green results carry "emergency_buffer").
        max_green_installment: the largest installment, in ``frequency``, that
            would be green (0 when none would).
        quote: the loan's quote when a loan was checked.
        smaller_amount: the largest green amount for the same terms, if any.
        longer_term: the shortest longer term that makes the amount green, if any.
    """

    level: Level
    period: Period
    installment: Decimal
    frequency: Frequency
    installment_per_period: Decimal
    income: Decimal
    surplus: Decimal
    existing_repayments: Decimal
    total_repayments: Decimal
    share_of_surplus: Decimal | None
    share_of_income: Decimal
    reasons: tuple[Reason, ...]
    reminders: tuple[ReminderCode, ...]
    max_green_installment: Decimal
    quote: LoanQuote | None = None
    smaller_amount: LoanSuggestion | None = None
    longer_term: LoanSuggestion | None = None


def assess_installment(
    budget: BudgetResult,
    installment: NumberLike,
    frequency: Frequency | str,
    rules: AffordabilityRules = DEFAULT_AFFORDABILITY_RULES,
) -> AffordabilityResult:
    """Check an installment ("can I afford 1500 a week?") against a budget.

    Args:
        budget: the client's budget.
        installment: the amount paid each time (> 0).
        frequency: how often (daily, weekly, fortnightly, monthly, ...).
        rules: the thresholds.

    Raises:
        BudgetInputError: bad installment or frequency.
    """
    amount = to_amount(installment, "installment", positive=True)
    return _assess(budget, amount, to_frequency(frequency), rules)


def assess_loan(
    budget: BudgetResult,
    terms: LoanTerms,
    rules: AffordabilityRules = DEFAULT_AFFORDABILITY_RULES,
    *,
    engine: LoanEngine = quote,
) -> AffordabilityResult:
    """Check a loan against a budget, with green alternatives when it does not fit.

    The installment checked is the quote's regular payment (principal, interest,
    fee and compulsory savings of the first full installment), paid at the loan's
    frequency; the last installment may differ from it by rounding only.

    Args:
        budget: the client's budget.
        terms: the requested loan.
        rules: the thresholds.
        engine: the loan engine (``bot.finance.loan.quote``).

    Raises:
        LoanInputError: the engine refused the requested terms.
    """
    loan_quote = engine(terms)
    frequency = _loan_frequency(terms)
    result = _assess(budget, loan_quote.regular_payment, frequency, rules)
    smaller = longer = None
    if result.level is not Level.GREEN:
        smaller = max_green_amount(budget, terms, rules, engine=engine)
        longer = shortest_green_term(budget, terms, rules, engine=engine)
    return dataclasses.replace(result, quote=loan_quote, smaller_amount=smaller, longer_term=longer)


def max_green_amount(
    budget: BudgetResult,
    terms: LoanTerms,
    rules: AffordabilityRules = DEFAULT_AFFORDABILITY_RULES,
    *,
    engine: LoanEngine = quote,
) -> LoanSuggestion | None:
    """Return the largest amount, up to the one requested, that stays green.

    Bisects over multiples of the amount step, quoting each candidate with the
    engine. Amounts the engine refuses (e.g. fixed fees larger than the amount)
    count as "not too big", so the search is not misled; the answer is checked.

    Returns:
        The suggestion, or None when no multiple of the step up to the requested
        amount is green.
    """
    step = rules.amount_step or auto_amount_step(terms.amount)
    frequency = _loan_frequency(terms)

    def candidate(steps: int) -> LoanSuggestion | None:
        try:
            new_terms = dataclasses.replace(terms, amount=step * steps)
            loan_quote = engine(new_terms)
        except LoanInputError:
            return None
        return _suggestion(budget, new_terms, loan_quote, frequency)

    def not_too_big(steps: int) -> bool:
        found = candidate(steps)
        return found is None or _is_green(budget, found, frequency, rules)

    low = 0  # zero is "not too big" by definition
    high = int((terms.amount / step).to_integral_value(rounding=ROUND_FLOOR))
    if high < 1:
        return None
    if not not_too_big(high):
        while high - low > 1:
            middle = (low + high) // 2
            if not_too_big(middle):
                low = middle
            else:
                high = middle
        best = low
    else:
        best = high
    if best < 1:
        return None
    found = candidate(best)
    if found is None or not _is_green(budget, found, frequency, rules):
        return None
    return found


def shortest_green_term(
    budget: BudgetResult,
    terms: LoanTerms,
    rules: AffordabilityRules = DEFAULT_AFFORDABILITY_RULES,
    *,
    engine: LoanEngine = quote,
) -> LoanSuggestion | None:
    """Return the shortest term longer than requested that makes the amount green.

    Terms in weeks are searched in whole weeks, others in whole months, up to
    ``rules.max_term_months`` (in weeks: x 52/12, rounded down). Bisection assumes
    a longer term never raises the installment, as for all the engine's methods.

    Returns:
        The suggestion, or None when even the longest allowed term is not green.
    """
    frequency = _loan_frequency(terms)
    unit_value = str(getattr(terms.term_unit, "value", terms.term_unit))
    if unit_value == SEARCH_UNIT_WEEK:
        unit = SEARCH_UNIT_WEEK
        current = terms.term
        bound = int(
            (rules.max_term_months * WEEKS_PER_MONTH).to_integral_value(rounding=ROUND_FLOOR)
        )
    else:
        unit = SEARCH_UNIT_MONTH
        months_per_unit = MONTHS_PER_YEAR if unit_value == TERM_UNIT_YEAR else 1
        current = terms.term * months_per_unit
        bound = rules.max_term_months

    def candidate(term: int) -> LoanSuggestion | None:
        try:
            new_terms = dataclasses.replace(terms, term=Decimal(term), term_unit=unit)
            loan_quote = engine(new_terms)
        except LoanInputError:
            return None
        return _suggestion(budget, new_terms, loan_quote, frequency)

    def green(term: int) -> bool:
        found = candidate(term)
        return found is not None and _is_green(budget, found, frequency, rules)

    low = int(current.to_integral_value(rounding=ROUND_FLOOR))  # not green (or <= asked)
    high = bound
    if high <= low or not green(high):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if green(middle):
            high = middle
        else:
            low = middle
    return candidate(high)


def auto_amount_step(amount: Decimal) -> Decimal:
    """Return a round step keeping the first three digits of ``amount`` (min 1).

    20,000 gives 100; 1,500 gives 10; 750 gives 1.
    """
    whole = int(amount.to_integral_value(rounding=ROUND_FLOOR))
    digits = len(str(whole)) if whole > 0 else 1
    return Decimal(10) ** max(0, digits - AMOUNT_STEP_DIGITS)


# --- internals ---------------------------------------------------------------------


def _loan_frequency(terms: LoanTerms) -> Frequency:
    return to_frequency(str(getattr(terms.frequency, "value", terms.frequency)))


def _suggestion(
    budget: BudgetResult, terms: LoanTerms, loan_quote: LoanQuote, frequency: Frequency
) -> LoanSuggestion:
    payment = loan_quote.regular_payment
    per_period = convert(payment, frequency, budget.period)
    return LoanSuggestion(
        terms=terms,
        quote=loan_quote,
        installment=payment,
        installment_per_period=round_money(per_period),
    )


def _is_green(
    budget: BudgetResult,
    suggestion: LoanSuggestion,
    frequency: Frequency,
    rules: AffordabilityRules,
) -> bool:
    return _assess(budget, suggestion.installment, frequency, rules).level is Level.GREEN


def _assess(
    budget: BudgetResult,
    installment: Decimal,
    frequency: Frequency,
    rules: AffordabilityRules,
) -> AffordabilityResult:
    """Compare the unrounded per-period installment with the rules."""
    per_period = convert(installment, frequency, budget.period)
    income = budget.income
    surplus = budget.surplus
    existing = budget.category_total(Category.LOAN_REPAYMENTS)
    total = existing + per_period
    reasons: list[Reason] = []
    share_of_surplus: Decimal | None = None
    if surplus <= 0:
        reasons.append(
            Reason(
                ReasonCode.NO_SURPLUS,
                Level.RED,
                {"surplus": surplus, "installment": round_money(per_period)},
            )
        )
    else:
        share_of_surplus = share_of(per_period, surplus)
        if per_period > surplus * rules.green_surplus_share:
            over = per_period > surplus * rules.amber_surplus_share
            reasons.append(
                Reason(
                    ReasonCode.OVER_SURPLUS if over else ReasonCode.SURPLUS_SHARE_HIGH,
                    Level.RED if over else Level.AMBER,
                    {
                        "installment": round_money(per_period),
                        "surplus": surplus,
                        "share_of_surplus": share_of_surplus,
                        "limit": (rules.amber_surplus_share if over else rules.green_surplus_share),
                    },
                )
            )
    share_of_income = share_of(total, income)
    if total > income * rules.green_income_share:
        over = total > income * rules.amber_income_share
        reasons.append(
            Reason(
                ReasonCode.DEBT_OVER_CAP if over else ReasonCode.DEBT_SHARE_HIGH,
                Level.RED if over else Level.AMBER,
                {
                    "total_repayments": round_money(total),
                    "existing_repayments": existing,
                    "income": income,
                    "share_of_income": share_of_income,
                    "limit": rules.amber_income_share if over else rules.green_income_share,
                },
            )
        )
    levels = {reason.level for reason in reasons}
    level = Level.RED if Level.RED in levels else Level.AMBER if levels else Level.GREEN
    return AffordabilityResult(
        level=level,
        period=budget.period,
        installment=installment,
        frequency=frequency,
        installment_per_period=round_money(per_period),
        income=income,
        surplus=surplus,
        existing_repayments=existing,
        total_repayments=round_money(total),
        share_of_surplus=share_of_surplus,
        share_of_income=share_of_income,
        reasons=tuple(reasons),
        reminders=(ReminderCode.EMERGENCY_BUFFER,) if level is Level.GREEN else (),
        max_green_installment=_max_green_installment(budget, existing, frequency, rules),
    )


def _max_green_installment(
    budget: BudgetResult,
    existing: Decimal,
    frequency: Frequency,
    rules: AffordabilityRules,
) -> Decimal:
    """Return the largest installment in ``frequency`` meeting both green rules."""
    limit = min(
        budget.surplus * rules.green_surplus_share,
        budget.income * rules.green_income_share - existing,
    )
    if limit <= 0:
        return Decimal(0)
    factor = conversion_factor(frequency, budget.period)
    amount = (limit * factor.denominator / factor.numerator).quantize(
        MONEY_QUANTUM, rounding=ROUND_FLOOR
    )
    if convert(amount, frequency, budget.period) > limit:  # division rounded up
        amount -= MONEY_QUANTUM
    return max(amount, Decimal(0))
