"""Loan values into the engine: terms, checks, quotes, the interest example."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.finance import ErrorCode, LoanInputError
from bot.loans.engine import (
    blame,
    check,
    currency_digits,
    field_at_fault,
    interest_example,
    method_assumed,
    problems,
    quote_offer,
    term_in,
    terms_of,
)
from bot.loans.reading import Span

TODAY = dt.date(2025, 1, 31)
LOAN = {
    "amount": 10000,
    "rate": 2,
    "rate_period": "month",
    "term": 12,
    "term_unit": "month",
    "frequency": "monthly",
    "method": "flat",
}


def today() -> dt.date:
    return TODAY


def test_lenient_checks_fail_only_on_known_values() -> None:
    assert check({"rate": 150}) is None  # could be per year
    assert check({"rate": 150, "rate_period": "month"}).code == "rate_too_high"
    assert check({"term": 40}) is None  # could be 40 weeks
    assert check({"term": 40, "term_unit": "year"}).code == "term_too_long"
    assert check({"term": 2, "term_unit": "week", "frequency": "monthly"}).code == (
        "term_too_short"
    )
    assert check({"frequency": "daily"}).code == "frequency_unknown"
    assert check({"amount": 0}).code == "amount_not_positive"
    assert check({}) is None and check(LOAN) is None


def test_terms_of_converts_days_whole_loan_rates_and_fixed_deposits() -> None:
    terms = terms_of(
        {
            "amount": 10000,
            "rate": 15,
            "rate_period": "term",
            "term": 182,
            "term_unit": "day",
            "frequency": "weekly",
            "deposit": 1000,
        }
    )
    assert (terms.term, terms.term_unit.value, terms.installments) == (26, "week", 26)
    assert terms.rate_period.value == "year" and terms.rate == 30
    assert terms.deposit == Decimal("1000.00")
    with pytest.raises(LoanInputError):
        terms_of({"amount": 10000})


def test_days_in_whole_months_become_months() -> None:
    assert term_in({"term": 90, "term_unit": "day"}) == (3, "month")
    assert term_in({"term": 14, "term_unit": "day"}) == (2, "week")
    assert term_in({"term": 6, "term_unit": "month"}) == (6, "month")
    assert term_in({}) == (None, None)


def test_terms_of_assumes_flat_and_adds_costs() -> None:
    terms = terms_of(
        {**LOAN, "method": None, "upfront_fee": 300, "insurance": 100, "insurance_pct": 1}
    )
    assert terms.method.value == "flat" and method_assumed({**LOAN, "method": None})
    assert not method_assumed(LOAN)
    assert terms.upfront_fee == Decimal(300)
    assert terms.insurance == Decimal(200)  # 100 + 1% of 10,000


def test_a_grace_period_in_months_is_counted_in_installments() -> None:
    weekly = {**LOAN, "frequency": "weekly", "grace": 1, "grace_unit": "month"}
    assert terms_of(weekly).grace_installments == 4
    assert terms_of({**LOAN, "grace": 2}).grace_installments == 2  # no unit: installments
    # while the term is unknown, the grace period is not checked
    assert check({"grace": 30, "grace_unit": "month"}) is None


def test_the_field_to_ask_again_is_the_one_at_fault() -> None:
    error = check({**LOAN, "rate": 150})
    assert field_at_fault(error) == "rate" and blame(error, {}, LOAN) == "rate"

    deductions = check({**LOAN, "upfront_fee_pct": 60, "deposit_pct": 50})
    assert deductions.code == ErrorCode.DEDUCTIONS_TOO_HIGH
    assert blame(deductions, {"deposit_pct": 50}, {}) == "deposit_pct"
    assert blame(deductions, {}, {}) == "amount"

    fee = check({**LOAN, "upfront_fee_pct": 150})
    assert blame(fee, {}, {**LOAN, "upfront_fee_pct": 150}) == "upfront_fee_pct"


def test_problems_lists_every_bad_value_in_turn() -> None:
    values = {**LOAN, "amount": -5, "rate": 150, "term": 50, "term_unit": "year"}

    found = problems(values, {})

    assert [(name, error.code) for name, error in found] == [
        ("amount", ErrorCode.AMOUNT_NOT_POSITIVE),
        ("rate", ErrorCode.RATE_TOO_HIGH),
        ("term", ErrorCode.TERM_TOO_LONG),
    ]
    assert problems(LOAN, {}) == []


def test_an_offer_is_quoted_from_the_slots_in_the_currencys_decimals() -> None:
    slots = {"loan_" + name: value for name, value in LOAN.items()}

    values, quoted = quote_offer(slots, "KES", today=today)
    _, in_shillings = quote_offer(slots, "UGX", today=today)

    assert values == {**LOAN, **{name: None for name in values if name not in LOAN}}
    assert quoted.regular_payment == Decimal("1033.33")
    assert in_shillings.regular_payment == Decimal("1033")
    assert quoted.schedule[0].due_date == dt.date(2025, 2, 28)
    assert currency_digits("UGX") == 0 and currency_digits("KES") == 2
    with pytest.raises(LoanInputError):
        quote_offer({}, "KES")


def test_the_interest_example_uses_the_clients_amount_and_rate() -> None:
    default = interest_example(None, [], "KES", today)
    assert default.amount == 10000
    assert (default.flat.total_interest, default.declining.total_interest) == (
        Decimal("2400.00"),
        Decimal("1347.15"),
    )

    asked = interest_example(50000, [Span(Decimal(3), 0, 2, {"rate_period": "month"})], "KES")
    assert asked.amount == 50000 and asked.values["rate"] == 3
    assert asked.flat.total_interest == Decimal("18000.00")


def test_the_interest_example_ignores_bad_amounts_and_rates() -> None:
    too_high = [Span(Decimal(300), 0, 2, {"rate_period": "month"})]
    no_period = [Span(Decimal(3), 0, 2)]
    for amount, rates in ((-5, too_high), ("abc", no_period)):
        example = interest_example(amount, rates, "KES", today)
        assert example.amount == 10000
        assert (example.values["rate"], example.values["rate_period"]) == (2, "month")
