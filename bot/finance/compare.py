"""Side-by-side comparison of two loan quotes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.finance.loan import LoanQuote

FIRST = "a"
SECOND = "b"
SAME = "same"
APR_TIE = Decimal("0.0001")


@dataclass(frozen=True)
class QuoteComparison:
    """Which of two quotes is cheaper, and by how much.

    Attributes:
        cheaper_by_apr: ``"a"``, ``"b"`` or ``"same"`` (APRs within 0.01 percentage point).
        cheaper_by_total_cost: ``"a"``, ``"b"`` or ``"same"`` (interest + fees + insurance).
        apr_difference: APR of the dearer quote minus APR of the cheaper one (a fraction,
            never negative).
        total_cost_difference: total cost of the dearer quote minus that of the cheaper one
            (money, never negative).
        same_amount: whether both quotes lend the same amount; if not, total cost compares
            loans of different size and APR is the fair yardstick.
    """

    cheaper_by_apr: str
    cheaper_by_total_cost: str
    apr_difference: Decimal
    total_cost_difference: Decimal
    same_amount: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form, differences as strings."""
        return {
            "cheaper_by_apr": self.cheaper_by_apr,
            "cheaper_by_total_cost": self.cheaper_by_total_cost,
            "apr_difference": str(self.apr_difference),
            "total_cost_difference": str(self.total_cost_difference),
            "same_amount": self.same_amount,
        }


def _cheaper(a: Decimal, b: Decimal, tie: Decimal) -> str:
    if abs(a - b) < tie:
        return SAME
    return FIRST if a < b else SECOND


def compare(a: LoanQuote, b: LoanQuote) -> QuoteComparison:
    """Compare two quotes (in the same currency) by APR and by total cost."""
    smallest_unit = min(a.terms.quantum, b.terms.quantum)
    return QuoteComparison(
        cheaper_by_apr=_cheaper(a.apr, b.apr, APR_TIE),
        cheaper_by_total_cost=_cheaper(a.total_cost, b.total_cost, smallest_unit),
        apr_difference=abs(a.apr - b.apr),
        total_cost_difference=abs(a.total_cost - b.total_cost),
        same_amount=a.terms.amount == b.terms.amount,
    )
