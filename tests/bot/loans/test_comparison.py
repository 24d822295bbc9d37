"""Which of two offers is cheaper, by what yardstick, and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Dict

from bot.finance import LoanQuote, quote
from bot.loans.comparison import (
    OFFER_A,
    OFFER_B,
    REASON_FEES,
    REASON_FLAT,
    REASON_RATE,
    REASON_TERM,
    SAME,
    judge,
    reason,
)
from bot.loans.engine import terms_of

LOAN = {
    "amount": 20000,
    "rate": 2,
    "rate_period": "month",
    "term": 12,
    "term_unit": "month",
    "frequency": "monthly",
    "method": "flat",
}


def quoted(**changes: Any) -> LoanQuote:
    values: Dict[str, Any] = {**LOAN, **changes}
    return quote(terms_of(values), today=lambda: dt.date(2025, 1, 31))


def test_a_declining_rate_beats_the_same_rate_flat() -> None:
    verdict = judge(quoted(), quoted(rate=24, rate_period="year", method="declining"))

    assert (verdict.cheaper, verdict.by_total_cost, verdict.reason) == (OFFER_B, True, REASON_FLAT)
    assert verdict.cost_difference > 0 and verdict.apr_difference > 0


def test_offers_of_different_amounts_are_judged_by_apr() -> None:
    verdict = judge(quoted(), quoted(amount=10000, upfront_fee_pct=2))

    assert (verdict.cheaper, verdict.by_total_cost, verdict.reason) == (OFFER_A, False, REASON_FEES)


def test_the_same_offer_costs_the_same_and_has_no_reason() -> None:
    verdict = judge(quoted(), quoted())
    assert (verdict.cheaper, verdict.reason) == (SAME, None)
    assert verdict.cost_difference == Decimal(0)


def test_reasons_name_fees_rate_or_term() -> None:
    assert reason(quoted(), quoted(upfront_fee=500), OFFER_A) == REASON_FEES
    assert reason(quoted(rate=3), quoted(), OFFER_B) == REASON_RATE
    assert reason(quoted(term=6), quoted(), OFFER_B) == REASON_TERM
