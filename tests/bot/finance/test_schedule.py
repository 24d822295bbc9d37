"""Tests for bot.finance.schedule: due dates, shares and the three methods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bot.finance.schedule import (
    add_months,
    annuity_installment,
    build_schedule,
    due_date,
    even_share,
    flat_interest,
)
from bot.finance.terms import Frequency, LoanTerms

CENT = Decimal("0.01")
START = dt.date(2025, 1, 31)


def terms(**changes: Any) -> LoanTerms:
    base: dict[str, Any] = {
        "amount": 10000,
        "rate": 2,
        "rate_period": "month",
        "term": 12,
        "term_unit": "month",
        "frequency": "monthly",
        "method": "flat",
    }
    return LoanTerms(**{**base, **changes})


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 1, 31), 2, dt.date(2025, 3, 31)),
        (dt.date(2025, 11, 15), 3, dt.date(2026, 2, 15)),
        (dt.date(2025, 3, 31), 12, dt.date(2026, 3, 31)),
        (dt.date(2025, 5, 31), 25, dt.date(2027, 6, 30)),
    ],
)
def test_add_months_clamps_to_month_end(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_due_dates_per_frequency() -> None:
    start = dt.date(2025, 1, 1)
    assert due_date(start, Frequency.WEEKLY, 1) == dt.date(2025, 1, 8)
    assert due_date(start, Frequency.WEEKLY, 52) == dt.date(2025, 12, 31)
    assert due_date(start, Frequency.FORTNIGHTLY, 2) == dt.date(2025, 1, 29)
    assert due_date(start, Frequency.MONTHLY, 13) == dt.date(2026, 2, 1)


def test_even_share_never_overdraws() -> None:
    assert even_share(Decimal("10000.00"), 12, CENT) == Decimal("833.33")
    assert even_share(Decimal("100.00"), 3, CENT) == Decimal("33.33")
    assert even_share(Decimal("2.00"), 3, CENT) == Decimal("0.67")
    # 6.00 / 1000 = 0.006 rounds to 0.01, but 999 x 0.01 > 6.00: the share is floored.
    assert even_share(Decimal("6.00"), 1000, CENT) == Decimal("0.00")
    assert even_share(Decimal(7), 2, Decimal(1)) == Decimal(4)


def test_annuity_installment() -> None:
    assert annuity_installment(Decimal(10000), Decimal("0.02"), 12, CENT) == Decimal("945.60")
    assert annuity_installment(Decimal(1200), Decimal(0), 12, CENT) == Decimal("100.00")


def test_flat_interest_uses_the_term_in_rate_periods() -> None:
    assert flat_interest(terms(term=6)) == Decimal("1200.00")
    assert flat_interest(terms(rate=30, rate_period="year", term=6)) == Decimal("1500.00")
    assert flat_interest(terms(rate="0.5", rate_period="week", term=26, term_unit="week")) == (
        Decimal("1300.00")
    )


def test_flat_schedule_rows() -> None:
    schedule = build_schedule(terms(), START)
    rows = schedule.rows
    assert schedule.installment == Decimal("1033.33")
    assert [row.number for row in rows] == list(range(1, 13))
    assert rows[0].due_date == dt.date(2025, 2, 28)
    assert rows[0].principal == Decimal("833.33")
    assert rows[0].interest == Decimal("200.00")
    assert rows[0].balance == Decimal("9166.67")
    assert rows[-1].principal == Decimal("833.37")
    assert rows[-1].balance == 0
    assert sum(row.interest for row in rows) == Decimal("2400.00")


def test_flat_weekly_last_installment_absorbs_rounding() -> None:
    rows = build_schedule(terms(rate="2.5", term=6, frequency="weekly"), START).rows
    assert len(rows) == 26
    assert {row.payment for row in rows[:-1]} == {Decimal("442.31")}
    assert rows[-1].principal == Decimal("384.50")
    assert rows[-1].interest == Decimal("57.75")
    assert sum(row.principal for row in rows) == Decimal("10000.00")
    assert sum(row.interest for row in rows) == Decimal("1500.00")


def test_flat_grace_pays_interest_only() -> None:
    schedule = build_schedule(terms(grace_installments=2), START)
    rows = schedule.rows
    assert [(row.principal, row.interest) for row in rows[:2]] == [
        (Decimal(0), Decimal("200.00")),
        (Decimal(0), Decimal("200.00")),
    ]
    assert rows[2].principal == Decimal("1000.00")
    assert schedule.installment == Decimal("1200.00")
    assert sum(row.principal for row in rows) == Decimal("10000.00")


def test_declining_equal_installments() -> None:
    schedule = build_schedule(terms(rate=24, rate_period="year", method="declining"), START)
    rows = schedule.rows
    assert schedule.installment == Decimal("945.60")
    assert rows[0].interest == Decimal("200.00")
    assert rows[0].principal == Decimal("745.60")
    assert rows[1].interest == Decimal("185.09")
    assert all(row.payment == Decimal("945.60") for row in rows[:-1])
    assert rows[-1].payment == Decimal("945.55")
    assert sum(row.principal for row in rows) == Decimal("10000.00")
    assert sum(row.interest for row in rows) == Decimal("1347.15")


def test_declining_with_grace() -> None:
    loan = terms(rate=24, rate_period="year", method="declining", grace_installments=2)
    schedule = build_schedule(loan, START)
    rows = schedule.rows
    assert [row.payment for row in rows[:2]] == [Decimal("200.00")] * 2
    assert rows[1].balance == Decimal("10000.00")
    assert schedule.installment == Decimal("1113.27")
    assert rows[2].payment == Decimal("1113.27")


def test_declining_equal_principal() -> None:
    loan = terms(amount=12000, rate=12, rate_period="year", method="declining_equal_principal")
    schedule = build_schedule(loan, START)
    rows = schedule.rows
    assert schedule.installment == Decimal("1120.00")
    assert [row.principal for row in rows] == [Decimal("1000.00")] * 12
    assert [row.interest for row in rows[:3]] == [
        Decimal("120.00"),
        Decimal("110.00"),
        Decimal("100.00"),
    ]
    assert sum(row.interest for row in rows) == Decimal("780.00")


def test_fees_and_savings_are_added_to_each_payment() -> None:
    rows = build_schedule(terms(fee_per_installment=10, savings_per_installment=50), START).rows
    assert rows[0].fees == Decimal("10.00")
    assert rows[0].savings == Decimal("50.00")
    assert rows[0].payment == Decimal("1093.33")
    assert rows[0].installment == Decimal("1033.33")


def test_zero_decimal_currency() -> None:
    rows = build_schedule(terms(amount=100000, currency_digits=0, term=7), START).rows
    assert all(row.principal == row.principal.to_integral_value() for row in rows)
    assert sum(row.principal for row in rows) == 100000
    assert rows[0].principal == Decimal(14286)
    assert rows[-1].principal == Decimal(14284)


def test_tiny_loan_never_overdraws() -> None:
    rows = build_schedule(
        terms(amount="6.00", rate="0.01", term=20, term_unit="year", frequency="weekly"),
        START,
    ).rows
    assert len(rows) == 1040
    assert all(row.principal >= 0 and row.interest >= 0 and row.balance >= 0 for row in rows)
    assert sum(row.principal for row in rows) == Decimal("6.00")
