"""The values the budget forms keep (bot/budget/items.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.budget.items import decimal_text, item, number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12000, Decimal(12000)),
        ("1500.50", Decimal("1500.50")),
        (2.5, Decimal("2.5")),
        (True, None),
        ("abc", None),
        (None, None),
        ("NaN", None),
        ("Infinity", None),
    ],
)
def test_numbers_from_entities_and_slots(value: object, expected: Decimal | None) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2E+4"), "20000"),
        (Decimal("20000.00"), "20000"),
        (Decimal("1500.5"), "1500.5"),
        (Decimal("0.25"), "0.25"),
    ],
)
def test_amounts_are_kept_as_exact_text(value: Decimal, expected: str) -> None:
    assert decimal_text(value) == expected


def test_items_have_a_category_only_when_given() -> None:
    assert item(Decimal(150), "daily") == {"amount": "150", "frequency": "daily"}
    assert item(Decimal(0), None, "food") == {
        "amount": "0",
        "frequency": None,
        "category": "food",
    }
