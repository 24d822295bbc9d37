"""Tests for bot.finance.bench (its figures, not its speed)."""

from __future__ import annotations

import pytest

from bot.finance.bench import BenchResult, benchmark_terms, run_all, run_benchmark
from bot.finance.loan import quote
from bot.finance.terms import Method


@pytest.mark.parametrize("method", list(Method))
def test_benchmark_loan_is_five_years_weekly_with_every_cost(method: Method) -> None:
    terms = benchmark_terms(method)
    assert terms.method is method
    assert terms.installments == 260
    result = quote(terms)
    assert result.apr > terms.nominal_annual_rate
    assert result.total_fees > result.upfront_fee > 0
    assert result.total_savings > result.deposit > 0


def test_run_benchmark_reports_ordered_timings() -> None:
    result = run_benchmark(repeat=5, method=Method.FLAT)
    assert result.repeat == 5
    assert result.installments == 260
    assert 0 < result.min_ms <= result.median_ms <= result.max_ms
    assert result.describe().startswith("flat ")


def test_run_all_covers_every_method() -> None:
    assert [result.method for result in run_all(repeat=1)] == list(Method)


def test_describe_flags_a_run_over_budget() -> None:
    slow = BenchResult(
        method=Method.FLAT, installments=260, repeat=1, median_ms=9.0, min_ms=9.0, max_ms=9.0
    )
    assert "OVER" in slow.describe()
    fast = BenchResult(
        method=Method.FLAT, installments=260, repeat=1, median_ms=1.0, min_ms=1.0, max_ms=1.0
    )
    assert "within" in fast.describe()
