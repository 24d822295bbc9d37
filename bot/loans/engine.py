"""Loan values into the engine: ``LoanTerms``, checks of known values, quotes.

Values are keyed by field (``bot.loans.fields``) and come from slots, so they may be
missing, words or numbers in any JSON form. ``terms_of`` builds the engine's terms (days,
rates for the whole loan, fixed deposits, grace in another unit); ``problems`` lists what
is wrong, field by field, so the form can ask again. No Rasa here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple

from babel.numbers import get_currency_precision

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
from bot.loans.fields import (
    ADD_ON_FIELDS,
    AMOUNT,
    DAY,
    DEPOSIT,
    DEPOSIT_PCT,
    FIELDS,
    FIRST,
    FREQUENCY,
    FREQUENCY_VALUES,
    GRACE,
    GRACE_UNIT,
    INSURANCE,
    INSURANCE_PCT,
    METHOD,
    METHOD_DECLINING,
    METHOD_FLAT,
    PERIOD_TERM,
    PERIOD_VALUES,
    RATE,
    RATE_PERIOD,
    TERM,
    TERM_UNIT,
    UPFRONT_FEE,
    UPFRONT_FEE_PCT,
    offer_values,
    to_decimal,
)
from bot.loans.reading import Span

Today = Callable[[], dt.date]

DAYS_PER_WEEK = Decimal(7)
DAYS_PER_MONTH = Decimal(30)
DEFAULT_CURRENCY_DIGITS = 2
# Checks with unknown values use lenient stand-ins, so that only known values fail.
STAND_IN_AMOUNT = Decimal(10000)
STAND_IN_RATE_PERIOD = Period.YEAR.value
STAND_IN_TERM_UNIT = Period.WEEK.value
STAND_IN_FREQUENCY = Frequency.WEEKLY.value
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
# The interest example: the client's amount (else this) for 12 months, monthly.
EXAMPLE_AMOUNT = Decimal(10000)
EXAMPLE_RATE = Decimal(2)
EXAMPLE_TERM_MONTHS = 12


def currency_digits(currency: str) -> int:
    """Decimals of a currency's minor unit (2 when Babel does not know it)."""
    try:
        return int(get_currency_precision(currency))
    except (KeyError, ValueError):  # pragma: no cover - Babel returns 2 for unknown codes
        return DEFAULT_CURRENCY_DIGITS


def term_in(values: Mapping[str, Any]) -> Tuple[Decimal | None, str | None]:
    """(term, unit) for the engine: days become months (30 days) or weeks."""
    term, unit = to_decimal(values.get(TERM)), values.get(TERM_UNIT)
    if unit == DAY:
        if term is not None and term and term % DAYS_PER_MONTH == 0:
            return term / DAYS_PER_MONTH, Period.MONTH.value
        return (term / DAYS_PER_WEEK if term is not None else None), Period.WEEK.value
    return term, unit


def terms_of(
    values: Mapping[str, Any], digits: int = DEFAULT_CURRENCY_DIGITS, lenient: bool = False
) -> LoanTerms:
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
    term, unit = term_in(values)
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


def method_assumed(values: Mapping[str, Any]) -> bool:
    """Whether a loan's interest method was not given (``terms_of`` assumes flat)."""
    return not values.get(METHOD)


def _years(term: Decimal | None, unit: str | None) -> Decimal | None:
    """A term in years, or None when it is not a positive term in a known unit."""
    if term is None or term <= 0 or unit not in PERIOD_VALUES:
        return None
    return term / PERIODS_PER_YEAR[Period(unit)]


def _grace_installments(
    values: Mapping[str, Any], unit: str | None, frequency: str | None, lenient: bool
) -> Any:
    """The grace period in installments (its unit converted with the frequency)."""
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


def check(
    values: Mapping[str, Any], digits: int = DEFAULT_CURRENCY_DIGITS
) -> LoanInputError | None:
    """The first error among a loan's known values, or None."""
    try:
        terms_of(values, digits, lenient=True)
    except LoanInputError as error:
        return error
    return None


def field_at_fault(error: LoanInputError) -> str:
    """Our field for the LoanTerms field an engine error names (the amount if unknown)."""
    return ENGINE_FIELDS.get(error.field, AMOUNT)


def blame(error: LoanInputError, candidates: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """The field to ask again for an engine error.

    Args:
        error: the engine's error.
        candidates: field -> value the latest message gave.
        values: field -> value of the whole loan.
    """
    if error.code == ErrorCode.DEDUCTIONS_TOO_HIGH:
        for name in reversed(ADD_ON_FIELDS):
            if candidates.get(name) is not None:
                return name
        return AMOUNT
    name = field_at_fault(error)
    if name == UPFRONT_FEE and values.get(UPFRONT_FEE) is None:
        return UPFRONT_FEE_PCT
    if name == INSURANCE and values.get(INSURANCE) is None:
        return INSURANCE_PCT
    if name == DEPOSIT_PCT and values.get(DEPOSIT_PCT) is None:
        return DEPOSIT
    return name


def problems(
    values: Mapping[str, Any],
    candidates: Mapping[str, Any],
    digits: int = DEFAULT_CURRENCY_DIGITS,
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


def quote_offer(
    slots: Mapping[str, Any], currency: str, offer: str = FIRST, today: Today | None = None
) -> Tuple[Dict[str, Any], LoanQuote]:
    """(values, quote) of one offer of the slots.

    Args:
        slots: slot values (``loan_<field>``, ``loan_b_<field>``).
        currency: the ISO code the loan is in (its decimals round the money).
        offer: ``FIRST`` or ``SECOND``.
        today: returns the disbursement date (default: today).

    Raises:
        LoanInputError: a value is wrong or missing.
    """
    values = offer_values(slots, offer)
    return values, quote(terms_of(values, currency_digits(currency)), today=today)


@dataclass(frozen=True)
class InterestExample:
    """One loan quoted flat and declining, to explain the difference.

    Attributes:
        amount: the amount lent.
        values: the loan's fields (the method aside).
        flat: the quote at a flat rate.
        declining: the quote on the declining balance.
    """

    amount: Decimal
    values: Dict[str, Any]
    flat: LoanQuote
    declining: LoanQuote


def interest_example(
    amount: Any, rates: Sequence[Span], currency: str, today: Today | None = None
) -> InterestExample:
    """Flat vs declining for the client's amount (else 10,000), 12 months, monthly.

    Args:
        amount: the client's loan amount, if known (else, or when not positive, 10,000).
        rates: the rates of the client's message: the first, with its period, is used
            when it is a valid rate (else 2% a month).
        currency: the ISO code the example is in.
        today: returns the disbursement date (default: today).
    """
    lent = to_decimal(amount)
    if lent is None or lent <= 0:
        lent = EXAMPLE_AMOUNT
    values: Dict[str, Any] = {
        AMOUNT: lent,
        RATE: EXAMPLE_RATE,
        RATE_PERIOD: Period.MONTH.value,
        TERM: EXAMPLE_TERM_MONTHS,
        TERM_UNIT: Period.MONTH.value,
        FREQUENCY: Frequency.MONTHLY.value,
    }
    digits = currency_digits(currency)
    if rates and rates[0].extra.get(RATE_PERIOD) in PERIOD_VALUES:
        asked = {**values, RATE: rates[0].value, RATE_PERIOD: rates[0].extra[RATE_PERIOD]}
        if check(asked, digits) is None:
            values = asked
    flat, declining = (
        quote(terms_of({**values, METHOD: method}, digits), today=today)
        for method in (METHOD_FLAT, METHOD_DECLINING)
    )
    return InterestExample(lent, values, flat, declining)
