"""The fields of a loan and the keys of their values.

A loan value is keyed by an offer prefix and a field: ``loan_amount`` (the loan, or the
first offer of a comparison), ``loan_b_amount`` (the second offer). The domain's loan slots
carry the same names, so the actions set the values as they come.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Mapping, Tuple

from bot.finance import Frequency, Period

AMOUNT = "amount"
RATE = "rate"
RATE_PERIOD = "rate_period"
TERM = "term"
TERM_UNIT = "term_unit"
FREQUENCY = "frequency"
METHOD = "method"
UPFRONT_FEE_PCT = "upfront_fee_pct"
UPFRONT_FEE = "upfront_fee"
DEPOSIT_PCT = "deposit_pct"
DEPOSIT = "deposit"
INSURANCE = "insurance"
INSURANCE_PCT = "insurance_pct"
GRACE = "grace"
GRACE_UNIT = "grace_unit"
CURRENCY = "currency"
BASIC_FIELDS = (AMOUNT, RATE, RATE_PERIOD, TERM, TERM_UNIT, FREQUENCY, METHOD)
ADD_ON_FIELDS = (
    UPFRONT_FEE_PCT,
    UPFRONT_FEE,
    DEPOSIT_PCT,
    DEPOSIT,
    INSURANCE,
    INSURANCE_PCT,
    GRACE,
    GRACE_UNIT,
)
FIELDS = BASIC_FIELDS + ADD_ON_FIELDS
# A unit given with a wrong number is asked again with it ("0 months", "150% a month").
UNIT_OF_NUMBER = {TERM: TERM_UNIT, RATE: RATE_PERIOD, GRACE: GRACE_UNIT}
# The second offer of a comparison takes these from the first unless it has its own.
SHARED_FIELDS = (AMOUNT, TERM, TERM_UNIT, FREQUENCY)
# What a new comparison asks again for the first offer when it gives no rate.
OFFER_FIELDS = (RATE, RATE_PERIOD, METHOD) + ADD_ON_FIELDS

FIRST = "loan_"
SECOND = "loan_b_"
OFFERS = (FIRST, SECOND)
# The currency the client named with an amount (one for both offers).
CURRENCY_KEY = FIRST + CURRENCY

# A rate "for the whole loan" (a flat rate quoted for the term, e.g. 15 % for 6 months).
PERIOD_TERM = "term"
PERIOD_VALUES = tuple(period.value for period in Period)
FREQUENCY_VALUES = tuple(frequency.value for frequency in Frequency)
RATE_PERIODS = PERIOD_VALUES + (PERIOD_TERM,)
DAY = "day"
FREQUENCY_OF_UNIT = {"week": "weekly", "month": "monthly", "year": "yearly", DAY: "daily"}
UNIT_OF_FREQUENCY = {frequency: unit for unit, frequency in FREQUENCY_OF_UNIT.items()}
METHOD_FLAT = "flat"
METHOD_DECLINING = "declining"


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from an entity or slot value, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def slot_value(value: Any) -> Any:
    """A value as stored in a slot: Decimals become JSON numbers (int when whole)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def same_value(one: Any, other: Any) -> bool:
    """Whether two slot or entity values are equal (numbers by value)."""
    first, second = to_decimal(one), to_decimal(other)
    if first is not None and second is not None:
        return first == second
    return str(one) == str(other)


def field_of(key: str) -> Tuple[str, str]:
    """(offer prefix, field) of a loan key; ("", key) for another key."""
    for offer in (SECOND, FIRST):
        if key.startswith(offer):
            return offer, key[len(offer) :]
    return "", key


def loan_slots(offer: str = FIRST) -> Tuple[str, ...]:
    """Every key (slot) of one offer."""
    return tuple(offer + name for name in FIELDS)


def offer_values(slots: Mapping[str, Any], offer: str = FIRST) -> Dict[str, Any]:
    """The values of one offer from slot values; the second offer shares the first's basics."""
    values = {name: slots.get(FIRST + name) for name in FIELDS}
    if offer == SECOND:
        own = {name: slots.get(SECOND + name) for name in FIELDS}
        values = {
            name: own[name] if own[name] is not None or name not in SHARED_FIELDS else values[name]
            for name in FIELDS
        }
    return values
