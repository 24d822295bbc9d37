"""Tests for bot.finance.compare."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bot.finance.compare import FIRST, SAME, SECOND, compare
from bot.finance.loan import LoanQuote, quote
from bot.finance.terms import LoanTerms


def make_quote(**changes: Any) -> LoanQuote:
    base: dict[str, Any] = {
        "amount": 10000,
        "rate": 2,
        "rate_period": "month",
        "term": 12,
        "term_unit": "month",
        "frequency": "monthly",
        "method": "flat",
        "start_date": dt.date(2025, 1, 1),
    }
    return quote(LoanTerms(**{**base, **changes}))


def test_declining_is_cheaper_than_flat_at_the_same_nominal_rate() -> None:
    flat = make_quote()
    declining = make_quote(method="declining")
    result = compare(flat, declining)
    assert result.cheaper_by_apr == SECOND
    assert result.cheaper_by_total_cost == SECOND
    assert result.apr_difference == flat.apr - declining.apr
    assert result.total_cost_difference == flat.total_cost - declining.total_cost
    assert result.total_cost_difference == Decimal("2400.00") - declining.total_interest
    assert result.same_amount


def test_order_of_arguments() -> None:
    dear = make_quote(upfront_fee_pct=3)
    cheap = make_quote()
    assert compare(cheap, dear).cheaper_by_apr == FIRST
    assert compare(cheap, dear).cheaper_by_total_cost == FIRST
    assert compare(cheap, dear).total_cost_difference == Decimal("300.00")


def test_identical_quotes_are_the_same() -> None:
    result = compare(make_quote(), make_quote())
    assert result.cheaper_by_apr == SAME
    assert result.cheaper_by_total_cost == SAME
    assert result.apr_difference == 0
    assert result.total_cost_difference == 0


def test_apr_and_total_cost_can_disagree() -> None:
    # A longer loan at a lower rate costs more in total but less per year.
    short = make_quote(term=6)
    long = make_quote(rate="1.5", term=24)
    result = compare(short, long)
    assert result.cheaper_by_apr == SECOND
    assert result.cheaper_by_total_cost == FIRST


def test_different_amounts_are_flagged() -> None:
    result = compare(make_quote(), make_quote(amount=5000))
    assert not result.same_amount
    assert result.cheaper_by_apr == SAME
    assert result.cheaper_by_total_cost == SECOND
    assert result.as_dict()["cheaper_by_total_cost"] == SECOND
    assert result.as_dict()["total_cost_difference"] == "1200.00"
