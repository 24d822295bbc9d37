"""Tests for bot.finance.terms: normalisation, installment count and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bot.finance.terms import (
    ErrorCode,
    Frequency,
    LoanInputError,
    LoanTerms,
    Method,
    Period,
    installment_count,
)

BASE: dict[str, Any] = {
    "amount": 10000,
    "rate": 2,
    "rate_period": "month",
    "term": 12,
    "term_unit": "month",
    "frequency": "monthly",
    "method": "flat",
}


def make(**changes: Any) -> LoanTerms:
    return LoanTerms(**{**BASE, **changes})


def test_inputs_are_normalised_to_decimal_and_enums() -> None:
    terms = make(amount="10_000.004", rate=2.5, rate_period="Months", frequency="WEEKLY")
    assert terms.amount == Decimal("10000.00")
    assert terms.rate == Decimal("2.5")
    assert terms.rate_period is Period.MONTH
    assert terms.frequency is Frequency.WEEKLY
    assert terms.method is Method.FLAT
    assert isinstance(terms.term, Decimal)


def test_money_is_rounded_to_the_currency_minor_unit() -> None:
    terms = make(amount="10000.5", fee_per_installment="12.345", currency_digits=0)
    assert terms.amount == Decimal(10001)
    assert terms.fee_per_installment == Decimal(12)
    assert make(fee_per_installment="12.345").fee_per_installment == Decimal("12.35")


def test_datetime_start_date_becomes_a_date() -> None:
    terms = make(start_date=dt.datetime(2025, 3, 1, 15, 30))
    assert terms.start_date == dt.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("term", "unit", "frequency", "expected"),
    [
        (12, Period.MONTH, Frequency.MONTHLY, 12),
        (6, Period.MONTH, Frequency.WEEKLY, 26),
        (6, Period.MONTH, Frequency.FORTNIGHTLY, 13),
        (1, Period.MONTH, Frequency.WEEKLY, 4),
        (2, Period.MONTH, Frequency.WEEKLY, 9),  # 8.67 rounds up
        (26, Period.WEEK, Frequency.MONTHLY, 6),
        (5, Period.YEAR, Frequency.WEEKLY, 260),
        (Decimal("1.5"), Period.YEAR, Frequency.MONTHLY, 18),
        (3, Period.WEEK, Frequency.FORTNIGHTLY, 2),  # 1.5 rounds half up
    ],
)
def test_installment_count(term: Any, unit: Period, frequency: Frequency, expected: int) -> None:
    assert installment_count(Decimal(term), unit, frequency) == expected


def test_derived_rates_and_costs() -> None:
    terms = make(upfront_fee_pct=2, upfront_fee_fixed=50, insurance=100, deposit_pct=10)
    assert terms.nominal_annual_rate == Decimal("0.24")
    assert terms.periodic_rate == Decimal("0.02")
    assert terms.term_in_rate_periods == 12
    assert terms.upfront_fee == Decimal("250.00")
    assert terms.deposit == Decimal("1000.00")
    assert terms.disbursed == Decimal("8650.00")
    weekly_year_rate = make(rate=30, rate_period="year", term=6, frequency="weekly")
    assert weekly_year_rate.term_in_rate_periods == Decimal("0.5")
    assert weekly_year_rate.installments == 26


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"amount": 0}, ErrorCode.AMOUNT_NOT_POSITIVE, "amount"),
        ({"amount": -5}, ErrorCode.AMOUNT_NOT_POSITIVE, "amount"),
        ({"amount": "0.004"}, ErrorCode.AMOUNT_NOT_POSITIVE, "amount"),
        ({"amount": 10**14}, ErrorCode.AMOUNT_TOO_LARGE, "amount"),
        ({"amount": "abc"}, ErrorCode.NOT_A_NUMBER, "amount"),
        ({"amount": float("nan")}, ErrorCode.NOT_A_NUMBER, "amount"),
        ({"amount": True}, ErrorCode.NOT_A_NUMBER, "amount"),
        ({"amount": None}, ErrorCode.NOT_A_NUMBER, "amount"),
        ({"rate": -1}, ErrorCode.RATE_NEGATIVE, "rate"),
        ({"rate": "100.01"}, ErrorCode.RATE_TOO_HIGH, "rate"),
        ({"rate": 24, "rate_period": "week"}, ErrorCode.RATE_TOO_HIGH, "rate"),
        ({"rate": 1201, "rate_period": "year"}, ErrorCode.RATE_TOO_HIGH, "rate"),
        ({"term": 0}, ErrorCode.TERM_NOT_POSITIVE, "term"),
        ({"term": -3}, ErrorCode.TERM_NOT_POSITIVE, "term"),
        ({"term": 361}, ErrorCode.TERM_TOO_LONG, "term"),
        ({"term": 31, "term_unit": "year"}, ErrorCode.TERM_TOO_LONG, "term"),
        ({"term": 1, "term_unit": "week"}, ErrorCode.TERM_TOO_SHORT, "term"),
        ({"grace_installments": 12}, ErrorCode.GRACE_TOO_LONG, "grace_installments"),
        ({"grace_installments": -1}, ErrorCode.GRACE_NEGATIVE, "grace_installments"),
        (
            {"grace_installments": "1.5"},
            ErrorCode.GRACE_NOT_INTEGER,
            "grace_installments",
        ),
        ({"upfront_fee_pct": -1}, ErrorCode.VALUE_NEGATIVE, "upfront_fee_pct"),
        ({"insurance": -1}, ErrorCode.VALUE_NEGATIVE, "insurance"),
        (
            {"savings_per_installment": "-0.5"},
            ErrorCode.VALUE_NEGATIVE,
            "savings_per_installment",
        ),
        (
            {"fee_per_installment": 10**14},
            ErrorCode.VALUE_TOO_LARGE,
            "fee_per_installment",
        ),
        ({"deposit_pct": 101}, ErrorCode.PERCENT_TOO_HIGH, "deposit_pct"),
        (
            {"upfront_fee_pct": 60, "deposit_pct": 40},
            ErrorCode.DEDUCTIONS_TOO_HIGH,
            "amount",
        ),
        ({"insurance": 10000}, ErrorCode.DEDUCTIONS_TOO_HIGH, "amount"),
        ({"method": "simple"}, ErrorCode.METHOD_UNKNOWN, "method"),
        ({"rate_period": "day"}, ErrorCode.PERIOD_UNKNOWN, "rate_period"),
        ({"term_unit": 3}, ErrorCode.PERIOD_UNKNOWN, "term_unit"),
        ({"frequency": "daily"}, ErrorCode.FREQUENCY_UNKNOWN, "frequency"),
        ({"start_date": "2025-01-01"}, ErrorCode.START_DATE_INVALID, "start_date"),
        ({"currency_digits": 5}, ErrorCode.CURRENCY_DIGITS_INVALID, "currency_digits"),
    ],
)
def test_bad_input_raises_one_error_type(changes: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(LoanInputError) as caught:
        make(**changes)
    assert caught.value.code == code
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)


def test_limits_themselves_are_accepted() -> None:
    assert make(rate=100).rate == 100
    assert make(rate=1200, rate_period="year").rate == 1200
    assert make(term=30, term_unit="year").installments == 360
    assert make(grace_installments=11).grace_installments == 11


def test_error_params_carry_the_limit_for_translations() -> None:
    with pytest.raises(LoanInputError) as caught:
        make(term=40, term_unit="year")
    assert caught.value.params == {"max": "30"}
    with pytest.raises(LoanInputError) as caught:
        make(grace_installments=20)
    assert caught.value.params == {"max": "11"}


def test_replace_revalidates() -> None:
    import dataclasses

    terms = make()
    assert dataclasses.replace(terms, amount=Decimal(500)).amount == 500
    with pytest.raises(LoanInputError):
        dataclasses.replace(terms, amount=Decimal(0))
