"""Loan fields and the keys of their values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.loans.fields import (
    CURRENCY_KEY,
    FIELDS,
    FIRST,
    SECOND,
    field_of,
    loan_slots,
    offer_values,
    same_value,
    slot_value,
    to_decimal,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, Decimal(2)),
        (" 2.5 ", Decimal("2.5")),
        ("1e3", Decimal(1000)),
        (None, None),
        (True, None),
        ("abc", None),
        ("nan", None),
        ("inf", None),
        (float("inf"), None),
    ],
)
def test_to_decimal_takes_finite_numbers_only(value: object, expected: Decimal | None) -> None:
    assert to_decimal(value) == expected


def test_slot_values_are_json_numbers() -> None:
    assert slot_value(Decimal("20000")) == 20000 and isinstance(slot_value(Decimal(2)), int)
    assert slot_value(Decimal("2.5")) == 2.5 and isinstance(slot_value(Decimal("2.5")), float)
    assert slot_value("month") == "month"


def test_same_value_compares_numbers_by_value() -> None:
    assert same_value(12, "12.0") and same_value(Decimal(12), 12.0)
    assert same_value("month", "month")
    assert not same_value(12, 6) and not same_value("month", "week")


def test_a_key_is_an_offer_prefix_and_a_field() -> None:
    assert field_of("loan_b_rate") == (SECOND, "rate")
    assert field_of("loan_rate") == (FIRST, "rate")
    assert field_of(CURRENCY_KEY) == (FIRST, "currency")
    assert field_of("language") == ("", "language")
    assert loan_slots(SECOND) == tuple("loan_b_" + name for name in FIELDS)


def test_the_second_offer_shares_the_first_offers_basics_unless_it_has_its_own() -> None:
    slots = {
        "loan_amount": 10000,
        "loan_term": 12,
        "loan_term_unit": "month",
        "loan_frequency": "monthly",
        "loan_rate": 2,
        "loan_upfront_fee_pct": 1,
        "loan_b_rate": 30,
        "loan_b_term": 6,
    }

    first, second = offer_values(slots, FIRST), offer_values(slots, SECOND)

    assert (first["rate"], first["term"], first["upfront_fee_pct"]) == (2, 12, 1)
    assert (second["amount"], second["term"], second["term_unit"]) == (10000, 6, "month")
    assert (second["rate"], second["upfront_fee_pct"]) == (30, None)  # not shared
    assert set(first) == set(FIELDS)
