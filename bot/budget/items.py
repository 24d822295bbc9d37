"""The values the budget forms keep between messages (the actions store them in slots).

An amount item is ``{amount, frequency}`` (plus ``category`` for an expense), amounts as
exact decimal text; the affordability request, the savings target and the budget kept
while the client is asked about keeping it are dicts with the keys below. Everything is
JSON-ready.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Dict

KEY_AMOUNT = "amount"
KEY_FREQUENCY = "frequency"
KEY_CATEGORY = "category"
KEY_KIND = "kind"
KEY_RATE = "rate"
KEY_RATE_PERIOD = "rate_period"
KEY_TERM = "term"
KEY_TERM_UNIT = "term_unit"
KEY_METHOD = "method"
KEY_COUNT = "count"
KEY_PERIOD = "period"
KEY_DATE = "date"
KEY_INCOMES = "incomes"
KEY_EXPENSES = "expenses"
KIND_INSTALLMENT = "installment"
KIND_LOAN = "loan"
KIND_PERIODS = "periods"
KIND_AMOUNT = KEY_AMOUNT
KIND_DATE = KEY_DATE


def number(value: Any) -> Decimal | None:
    """Return ``value`` (an entity or slot value) as a finite Decimal, else None."""
    if isinstance(value, bool):
        return None
    try:
        found = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def decimal_text(value: Decimal) -> str:
    """Return ``value`` as exact text, whole numbers without exponent or decimals ("20000")."""
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def item(amount: Decimal, frequency: str | None, category: str | None = None) -> Dict[str, Any]:
    """Return an amount item: ``{amount, frequency}``, with ``category`` when given."""
    found: Dict[str, Any] = {KEY_AMOUNT: decimal_text(amount), KEY_FREQUENCY: frequency}
    if category is not None:
        found[KEY_CATEGORY] = category
    return found
