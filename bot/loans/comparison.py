"""Which of two loan offers is cheaper, by what yardstick, and why. No Rasa here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.finance import LoanQuote
from bot.finance.compare import FIRST as OFFER_A
from bot.finance.compare import SAME, compare
from bot.finance.compare import SECOND as OFFER_B
from bot.loans.fields import METHOD_FLAT

__all__ = [
    "OFFER_A",
    "OFFER_B",
    "REASON_FEES",
    "REASON_FLAT",
    "REASON_RATE",
    "REASON_TERM",
    "SAME",
    "Verdict",
    "judge",
    "reason",
]

# Why the cheaper offer is cheaper.
REASON_FLAT = "flat"  # the dearer one charges a flat rate, the cheaper one does not
REASON_FEES = "fees"  # the dearer one has more fees, insurance or deposit
REASON_RATE = "rate"  # the cheaper one has the lower nominal rate
REASON_TERM = "term"  # none of these: the term or the schedule


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing two offers.

    Attributes:
        cheaper: ``OFFER_A``, ``OFFER_B`` or ``SAME``.
        by_total_cost: True when both lend the same amount and the total cost decides;
            False when the APR decides (different amounts).
        cost_difference: total cost of the dearer offer minus the cheaper one's.
        apr_difference: APR of the dearer offer minus the cheaper one's (a fraction).
        reason: one of the ``REASON_*`` codes (None when they cost the same).
    """

    cheaper: str
    by_total_cost: bool
    cost_difference: Decimal
    apr_difference: Decimal
    reason: str | None


def judge(first: LoanQuote, second: LoanQuote) -> Verdict:
    """Compare two quotes: by total cost for the same amount, else by APR."""
    result = compare(first, second)
    cheaper = result.cheaper_by_total_cost if result.same_amount else result.cheaper_by_apr
    return Verdict(
        cheaper=cheaper,
        by_total_cost=result.same_amount,
        cost_difference=result.total_cost_difference,
        apr_difference=result.apr_difference,
        reason=None if cheaper == SAME else reason(first, second, cheaper),
    )


def reason(first: LoanQuote, second: LoanQuote, cheaper: str) -> str:
    """Why the cheaper offer (``OFFER_A`` or ``OFFER_B``) is cheaper: a ``REASON_*`` code."""
    low, high = (first, second) if cheaper == OFFER_A else (second, first)
    if low.terms.method != high.terms.method and high.terms.method.value == METHOD_FLAT:
        return REASON_FLAT
    extra_high = high.total_fees + high.insurance + high.deposit
    extra_low = low.total_fees + low.insurance + low.deposit
    if extra_high > extra_low and low.terms.nominal_annual_rate >= high.terms.nominal_annual_rate:
        return REASON_FEES
    if low.terms.nominal_annual_rate < high.terms.nominal_annual_rate:
        return REASON_RATE
    return REASON_TERM
