"""Loan terms: units, limits, input normalisation and validation.

``LoanTerms`` is what a client or a loan officer tells us about a loan. Building one
checks every input and raises ``LoanInputError`` (a ``ValueError`` with a
machine-readable ``code`` and ``field``) so the bot can answer with a translated message
instead of a traceback.

Conventions (see docs/finance.md):
    * rates and percentages are given in percent: ``rate=2`` is 2 % per ``rate_period``;
    * 1 year = 52 weeks = 26 fortnights = 12 months;
    * number of installments n = round(term in years x installments per year), half up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum


class Method(str, Enum):
    """How interest is charged."""

    FLAT = "flat"
    DECLINING = "declining"
    DECLINING_EQUAL_PRINCIPAL = "declining_equal_principal"


class Period(str, Enum):
    """Unit of a rate period or of a loan term."""

    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Frequency(str, Enum):
    """How often installments fall due."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


PERIODS_PER_YEAR: Mapping[Period, int] = {
    Period.WEEK: 52,
    Period.MONTH: 12,
    Period.YEAR: 1,
}
INSTALLMENTS_PER_YEAR: Mapping[Frequency, int] = {
    Frequency.WEEKLY: 52,
    Frequency.FORTNIGHTLY: 26,
    Frequency.MONTHLY: 12,
}

MAX_AMOUNT = Decimal(10) ** 13
MAX_RATE_PCT_PER_MONTH = Decimal(100)
MAX_TERM_YEARS = Decimal(30)
MAX_PERCENT = Decimal(100)
MAX_CURRENCY_DIGITS = 4
DEFAULT_CURRENCY_DIGITS = 2
HUNDRED = Decimal(100)


class ErrorCode:
    """Codes of ``LoanInputError``; the bot picks a translated message by code."""

    NOT_A_NUMBER = "not_a_number"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    AMOUNT_TOO_LARGE = "amount_too_large"
    RATE_NEGATIVE = "rate_negative"
    RATE_TOO_HIGH = "rate_too_high"
    TERM_NOT_POSITIVE = "term_not_positive"
    TERM_TOO_LONG = "term_too_long"
    TERM_TOO_SHORT = "term_too_short"
    GRACE_NOT_INTEGER = "grace_not_integer"
    GRACE_NEGATIVE = "grace_negative"
    GRACE_TOO_LONG = "grace_too_long"
    VALUE_NEGATIVE = "value_negative"
    VALUE_TOO_LARGE = "value_too_large"
    PERCENT_TOO_HIGH = "percent_too_high"
    DEDUCTIONS_TOO_HIGH = "deductions_too_high"
    METHOD_UNKNOWN = "method_unknown"
    PERIOD_UNKNOWN = "period_unknown"
    FREQUENCY_UNKNOWN = "frequency_unknown"
    START_DATE_INVALID = "start_date_invalid"
    CURRENCY_DIGITS_INVALID = "currency_digits_invalid"
    CURRENCY_UNKNOWN = "currency_unknown"


class LoanInputError(ValueError):
    """Bad loan input, explained by a stable ``code`` and the ``field`` at fault.

    Attributes:
        code: one of the ``ErrorCode`` constants, e.g. ``"rate_too_high"``.
        field: the input at fault, e.g. ``"rate"`` (a ``LoanTerms`` field name).
        params: values a translated message may show, e.g. ``{"max": "30"}``.
    """

    def __init__(
        self,
        code: str,
        field: str,
        message: str,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.params: dict[str, str] = dict(params or {})


def to_decimal(value: object, field: str) -> Decimal:
    """Convert an int, float, numeric string or Decimal to a finite Decimal.

    Raises:
        LoanInputError: ``not_a_number`` if the value is not a finite number.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        result = Decimal("NaN")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            result = Decimal("NaN")
    else:
        result = Decimal("NaN")
    if not result.is_finite():
        raise LoanInputError(
            ErrorCode.NOT_A_NUMBER, field, f"{field} must be a number, got {value!r}"
        )
    return result


def _parse_enum(enum_type: type[Enum], value: object, field: str, code: str) -> Enum:
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace("-", "_").replace(" ", "_")
        for member in enum_type:
            if text in (member.value, member.value + "s"):
                return member
    allowed = ", ".join(member.value for member in enum_type)
    raise LoanInputError(
        code,
        field,
        f"{field} must be one of {allowed}, got {value!r}",
        {"allowed": allowed},
    )


def money_quantum(currency_digits: int) -> Decimal:
    """Return the currency's minor unit, e.g. ``Decimal("0.01")`` for 2 digits."""
    return Decimal(1).scaleb(-currency_digits)


def round_money(value: Decimal, quantum: Decimal) -> Decimal:
    """Round an amount to the minor unit, half up."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def installment_count(term: Decimal, term_unit: Period, frequency: Frequency) -> int:
    """Return the number of installments: round(term in years x installments per year)."""
    exact = term * INSTALLMENTS_PER_YEAR[frequency] / PERIODS_PER_YEAR[term_unit]
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LoanTerms:
    """A loan offer, validated on construction.

    Numbers may be given as Decimal, int, float or numeric string; they are stored as
    Decimal. Percentages are in percent (``2`` means 2 %).

    Attributes:
        amount: principal lent, in currency units.
        rate: quoted nominal interest rate in percent per ``rate_period``. For a flat
            rate quoted for the whole term (e.g. "15 % for 6 months"), give the
            equivalent per-period rate (2.5 per month, or 30 per year).
        rate_period: "week", "month" or "year".
        term: loan term, counted in ``term_unit``.
        term_unit: "week", "month" or "year".
        frequency: "weekly", "fortnightly" or "monthly".
        method: "flat", "declining" (equal installments) or "declining_equal_principal".
        grace_installments: first installments that pay interest (and fees, savings) only.
        upfront_fee_pct: fee in percent of the amount, deducted at disbursement.
        upfront_fee_fixed: fixed fee deducted at disbursement.
        fee_per_installment: fixed fee paid with every installment.
        insurance: insurance premium, deducted at disbursement.
        deposit_pct: compulsory savings held back at disbursement, in percent of the
            amount, returned at maturity.
        savings_per_installment: compulsory savings paid with every installment,
            returned at maturity.
        start_date: disbursement date; ``None`` means the day of the quote.
        currency_digits: decimals of the currency's minor unit (0 to 4).
    """

    amount: Decimal
    rate: Decimal
    rate_period: Period
    term: Decimal
    term_unit: Period
    frequency: Frequency
    method: Method
    grace_installments: int = 0
    upfront_fee_pct: Decimal = Decimal(0)
    upfront_fee_fixed: Decimal = Decimal(0)
    fee_per_installment: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    deposit_pct: Decimal = Decimal(0)
    savings_per_installment: Decimal = Decimal(0)
    start_date: dt.date | None = None
    currency_digits: int = DEFAULT_CURRENCY_DIGITS

    def __post_init__(self) -> None:
        """Normalise every input and validates the loan as a whole."""
        enums = {
            "rate_period": _parse_enum(
                Period, self.rate_period, "rate_period", ErrorCode.PERIOD_UNKNOWN
            ),
            "term_unit": _parse_enum(Period, self.term_unit, "term_unit", ErrorCode.PERIOD_UNKNOWN),
            "frequency": _parse_enum(
                Frequency, self.frequency, "frequency", ErrorCode.FREQUENCY_UNKNOWN
            ),
            "method": _parse_enum(Method, self.method, "method", ErrorCode.METHOD_UNKNOWN),
        }
        decimals = {name: to_decimal(getattr(self, name), name) for name in _DECIMAL_FIELDS}
        grace = _to_int(self.grace_installments, "grace_installments", ErrorCode.GRACE_NOT_INTEGER)
        digits = _to_int(self.currency_digits, "currency_digits", ErrorCode.CURRENCY_DIGITS_INVALID)
        if not 0 <= digits <= MAX_CURRENCY_DIGITS:
            raise LoanInputError(
                ErrorCode.CURRENCY_DIGITS_INVALID,
                "currency_digits",
                f"currency_digits must be between 0 and {MAX_CURRENCY_DIGITS}, got {digits}",
                {"max": str(MAX_CURRENCY_DIGITS)},
            )
        quantum = money_quantum(digits)
        for name in _MONEY_FIELDS:
            value = decimals[name]
            if abs(value) > MAX_AMOUNT:
                code = ErrorCode.AMOUNT_TOO_LARGE if name == "amount" else ErrorCode.VALUE_TOO_LARGE
                raise LoanInputError(
                    code,
                    name,
                    f"{name} must be at most {MAX_AMOUNT}, got {value}",
                    {"max": str(MAX_AMOUNT)},
                )
            decimals[name] = round_money(value, quantum)
        start_date = self.start_date
        if start_date is not None and not isinstance(start_date, dt.date):
            raise LoanInputError(
                ErrorCode.START_DATE_INVALID,
                "start_date",
                f"start_date must be a date, got {start_date!r}",
            )
        if isinstance(start_date, dt.datetime):
            start_date = start_date.date()
        normalised: dict[str, object] = {
            **enums,
            **decimals,
            "grace_installments": grace,
            "currency_digits": digits,
            "start_date": start_date,
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)
        self._validate()

    @property
    def installments_per_year(self) -> int:
        """Installments in one year for the frequency (52, 26 or 12)."""
        return INSTALLMENTS_PER_YEAR[self.frequency]

    @property
    def installments(self) -> int:
        """Number of installments n (see ``installment_count``)."""
        return installment_count(self.term, self.term_unit, self.frequency)

    @property
    def term_years(self) -> Decimal:
        """The term in years."""
        return self.term / PERIODS_PER_YEAR[self.term_unit]

    @property
    def term_in_rate_periods(self) -> Decimal:
        """The term counted in rate periods (6 months is 6 for a monthly rate)."""
        return self.term * PERIODS_PER_YEAR[self.rate_period] / PERIODS_PER_YEAR[self.term_unit]

    @property
    def nominal_annual_rate(self) -> Decimal:
        """The quoted rate annualised, as a fraction (2 % per month gives 0.24)."""
        return self.rate * PERIODS_PER_YEAR[self.rate_period] / HUNDRED

    @property
    def periodic_rate(self) -> Decimal:
        """Declining-balance rate per installment, as a fraction."""
        return self.nominal_annual_rate / self.installments_per_year

    @property
    def quantum(self) -> Decimal:
        """The currency's minor unit."""
        return money_quantum(self.currency_digits)

    @property
    def upfront_fee(self) -> Decimal:
        """Percentage plus fixed upfront fee, rounded to the minor unit."""
        return round_money(
            self.amount * self.upfront_fee_pct / HUNDRED + self.upfront_fee_fixed,
            self.quantum,
        )

    @property
    def deposit(self) -> Decimal:
        """Compulsory savings held back at disbursement, rounded to the minor unit."""
        return round_money(self.amount * self.deposit_pct / HUNDRED, self.quantum)

    @property
    def disbursed(self) -> Decimal:
        """Cash the client actually receives: amount less fee, insurance and deposit."""
        return self.amount - self.upfront_fee - self.insurance - self.deposit

    def _validate(self) -> None:
        amount = self.amount
        if amount <= 0:
            raise LoanInputError(
                ErrorCode.AMOUNT_NOT_POSITIVE,
                "amount",
                f"amount must be positive, got {amount}",
            )
        if self.rate < 0:
            raise LoanInputError(
                ErrorCode.RATE_NEGATIVE,
                "rate",
                f"rate must not be negative, got {self.rate}",
            )
        monthly_pct = (
            self.rate * PERIODS_PER_YEAR[self.rate_period] / PERIODS_PER_YEAR[Period.MONTH]
        )
        if monthly_pct > MAX_RATE_PCT_PER_MONTH:
            raise LoanInputError(
                ErrorCode.RATE_TOO_HIGH,
                "rate",
                f"rate must be at most {MAX_RATE_PCT_PER_MONTH}% per month, got "
                f"{self.rate}% per {self.rate_period.value}",
                {"max": str(MAX_RATE_PCT_PER_MONTH)},
            )
        if self.term <= 0:
            raise LoanInputError(
                ErrorCode.TERM_NOT_POSITIVE,
                "term",
                f"term must be positive, got {self.term}",
            )
        if self.term_years > MAX_TERM_YEARS:
            raise LoanInputError(
                ErrorCode.TERM_TOO_LONG,
                "term",
                f"term must be at most {MAX_TERM_YEARS} years, got {self.term} "
                f"{self.term_unit.value}s",
                {"max": str(MAX_TERM_YEARS)},
            )
        if self.installments < 1:
            raise LoanInputError(
                ErrorCode.TERM_TOO_SHORT,
                "term",
                f"a term of {self.term} {self.term_unit.value}s gives no "
                f"{self.frequency.value} installment",
            )
        grace = self.grace_installments
        if grace < 0:
            raise LoanInputError(
                ErrorCode.GRACE_NEGATIVE,
                "grace_installments",
                f"grace_installments must not be negative, got {grace}",
            )
        if grace >= self.installments:
            raise LoanInputError(
                ErrorCode.GRACE_TOO_LONG,
                "grace_installments",
                f"grace_installments must be fewer than the {self.installments} installments, "
                f"got {grace}",
                {"max": str(self.installments - 1)},
            )
        for name in _COST_FIELDS:
            value = getattr(self, name)
            if value < 0:
                raise LoanInputError(
                    ErrorCode.VALUE_NEGATIVE,
                    name,
                    f"{name} must not be negative, got {value}",
                )
        for name in _PERCENT_FIELDS:
            value = getattr(self, name)
            if value > MAX_PERCENT:
                raise LoanInputError(
                    ErrorCode.PERCENT_TOO_HIGH,
                    name,
                    f"{name} must be at most {MAX_PERCENT}%, got {value}",
                    {"max": str(MAX_PERCENT)},
                )
        if self.disbursed <= 0:
            raise LoanInputError(
                ErrorCode.DEDUCTIONS_TOO_HIGH,
                "amount",
                f"upfront fee, insurance and deposit ({amount - self.disbursed}) leave nothing "
                f"of the amount {amount} to disburse",
            )


_DECIMAL_FIELDS = (
    "amount",
    "rate",
    "term",
    "upfront_fee_pct",
    "upfront_fee_fixed",
    "fee_per_installment",
    "insurance",
    "deposit_pct",
    "savings_per_installment",
)
_COST_FIELDS = (
    "upfront_fee_pct",
    "upfront_fee_fixed",
    "fee_per_installment",
    "insurance",
    "deposit_pct",
    "savings_per_installment",
)
_PERCENT_FIELDS = ("upfront_fee_pct", "deposit_pct")
_MONEY_FIELDS = (
    "amount",
    "upfront_fee_fixed",
    "fee_per_installment",
    "insurance",
    "savings_per_installment",
)


def _to_int(value: object, field: str, code: str) -> int:
    if isinstance(value, bool):
        raise LoanInputError(code, field, f"{field} must be a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        number = to_decimal(value, field)
    except LoanInputError as error:
        raise LoanInputError(
            code, field, f"{field} must be a whole number, got {value!r}"
        ) from error
    if number != number.to_integral_value():
        raise LoanInputError(code, field, f"{field} must be a whole number, got {value!r}")
    return int(number)
