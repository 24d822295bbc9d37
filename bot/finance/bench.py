"""Benchmark: quote a 5-year weekly loan (260 installments, schedule and APR).

Run ``python -m bot.finance bench``; the figures are recorded in docs/finance.md.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import dataclass

from bot.finance.loan import quote
from bot.finance.terms import Frequency, LoanTerms, Method, Period

DEFAULT_REPEAT = 200
BUDGET_MS = 5.0
BENCH_START = dt.date(2025, 1, 6)


def benchmark_terms(method: Method = Method.DECLINING) -> LoanTerms:
    """Return a 5-year weekly loan with every kind of cost, for one interest method."""
    return LoanTerms(
        amount="250000",
        rate="28",
        rate_period=Period.YEAR,
        term=5,
        term_unit=Period.YEAR,
        frequency=Frequency.WEEKLY,
        method=method,
        grace_installments=4,
        upfront_fee_pct="2",
        fee_per_installment="50",
        insurance="1500",
        deposit_pct="10",
        savings_per_installment="100",
        start_date=BENCH_START,
    )


@dataclass(frozen=True)
class BenchResult:
    """Timings of ``quote`` in milliseconds for one method."""

    method: Method
    installments: int
    repeat: int
    median_ms: float
    min_ms: float
    max_ms: float

    def describe(self) -> str:
        """Return one line for the console."""
        verdict = "within" if self.median_ms < BUDGET_MS else "OVER"
        return (
            f"{self.method.value:<26} {self.installments} weekly installments, schedule + APR: "
            f"median {self.median_ms:.2f} ms (min {self.min_ms:.2f}, max {self.max_ms:.2f}, "
            f"{self.repeat} runs; {verdict} the {BUDGET_MS:.0f} ms budget)"
        )


def run_benchmark(repeat: int = DEFAULT_REPEAT, method: Method = Method.DECLINING) -> BenchResult:
    """Time ``quote`` (validation, schedule, totals, IRR) ``repeat`` times."""
    terms = benchmark_terms(method)
    installments = quote(terms).installments
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        quote(terms)
        timings.append((time.perf_counter() - started) * 1000)
    return BenchResult(
        method=method,
        installments=installments,
        repeat=repeat,
        median_ms=statistics.median(timings),
        min_ms=min(timings),
        max_ms=max(timings),
    )


def run_all(repeat: int = DEFAULT_REPEAT) -> list[BenchResult]:
    """Time every interest method."""
    return [run_benchmark(repeat, method) for method in Method]
