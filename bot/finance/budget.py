"""Budget math: income and expenses in one period, surplus or deficit, and tips.

Pure functions over ``Decimal`` money: no Rasa, no I/O. Amounts come in with their
own frequency (daily, weekly, ... seasonal) and are converted to the one period the
client chose (a week or a month) with the conventions of docs/budget.md. The tips
are codes with the figures they need; the bot turns them into sentences.

Bad values raise :class:`BudgetInputError`, whose ``code`` and ``field`` let the
bot re-ask in the client's language. The savings and affordability modules share
the validation helpers and the error type defined here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from fractions import Fraction
from typing import TypeVar

MAX_AMOUNT = Decimal(10) ** 12
"""Largest amount accepted anywhere (one income, one expense, a goal, a loan)."""

MONEY_QUANTUM = Decimal("0.01")
"""Results are rounded to this unit; the bot formats them for the currency."""

SHARE_QUANTUM = Decimal("0.0001")
"""Shares are fractions rounded down to this unit (0.01 %), so they never add up
to more than the whole."""

DEFAULT_SEASONS_PER_YEAR = 2
MAX_SEASONS_PER_YEAR = 12

DAYS_PER_YEAR = Fraction(36525, 100)
WEEKS_PER_YEAR = 52
FORTNIGHTS_PER_YEAR = 26
MONTHS_PER_YEAR = 12
DAYS_PER_WEEK = 7

NumberLike = Decimal | int | float | str
EnumT = TypeVar("EnumT", bound=Enum)


class StrEnum(str, Enum):
    """A string enum whose ``str()`` and ``format()`` give the plain value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class Frequency(StrEnum):
    """How often an amount comes in or goes out."""

    DAILY = "daily"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    SEASONAL = "seasonal"


FREQUENCY_ALIASES: Mapping[str, Frequency] = {
    "day": Frequency.DAILY,
    "week": Frequency.WEEKLY,
    "fortnight": Frequency.FORTNIGHTLY,
    "month": Frequency.MONTHLY,
    "year": Frequency.YEARLY,
    "season": Frequency.SEASONAL,
    "harvest": Frequency.SEASONAL,
    "annual": Frequency.YEARLY,
    "annually": Frequency.YEARLY,
}


class Period(StrEnum):
    """The period a budget, an affordability check or a savings plan is shown in."""

    WEEK = "week"
    MONTH = "month"

    @property
    def frequency(self) -> Frequency:
        """The frequency of an amount paid once per this period."""
        return Frequency.WEEKLY if self is Period.WEEK else Frequency.MONTHLY


PERIOD_ALIASES: Mapping[str, Period] = {
    "weekly": Period.WEEK,
    "monthly": Period.MONTH,
}


class Category(StrEnum):
    """Expense categories of issue 4."""

    FOOD = "food"
    RENT = "rent"
    SCHOOL_FEES = "school_fees"
    TRANSPORT = "transport"
    BUSINESS_STOCK = "business_stock"
    AIRTIME = "airtime"
    HEALTH = "health"
    LOAN_REPAYMENTS = "loan_repayments"
    SAVINGS = "savings"
    OTHER = "other"


class BudgetErrorCode(StrEnum):
    """Machine-readable codes of :class:`BudgetInputError`."""

    NOT_A_NUMBER = "not_a_number"
    NEGATIVE_AMOUNT = "negative_amount"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    AMOUNT_TOO_LARGE = "amount_too_large"
    NO_INCOME = "no_income"
    INVALID_FREQUENCY = "invalid_frequency"
    INVALID_PERIOD = "invalid_period"
    INVALID_CATEGORY = "invalid_category"
    INVALID_SEASONS = "invalid_seasons"
    ZERO_PERIODS = "zero_periods"
    TOO_MANY_PERIODS = "too_many_periods"
    DATE_NOT_IN_FUTURE = "date_not_in_future"
    INVALID_RATE = "invalid_rate"
    INVALID_RULES = "invalid_rules"
    MISSING_TARGET = "missing_target"
    GOAL_NOT_REACHED = "goal_not_reached"


class BudgetInputError(ValueError):
    """A value the budget, affordability or savings math cannot use.

    Attributes:
        code: machine-readable reason (a :class:`BudgetErrorCode` value).
        field: the input the value was given for (e.g. ``"income"``, ``"goal"``).
    """

    def __init__(self, code: BudgetErrorCode, field: str, detail: str = "") -> None:
        self.code = str(code)
        self.field = field
        message = f"{self.code} ({field})"
        super().__init__(f"{message}: {detail}" if detail else message)


class TipCode(StrEnum):
    """Budget tips; each comes with the figures its sentence needs (see docs)."""

    DEFICIT_TALK_TO_OFFICER = "deficit_talk_to_officer"
    DEFICIT_CUT_TOP_CATEGORY = "deficit_cut_top_category"
    DEFICIT_ADD_INCOME = "deficit_add_income"
    DEFICIT_AVOID_NEW_LOAN = "deficit_avoid_new_loan"
    TIGHT_CUT_TOP_CATEGORY = "tight_cut_top_category"
    TIGHT_AVOID_NEW_LOAN = "tight_avoid_new_loan"
    SURPLUS_SAVE_SHARE = "surplus_save_share"
    HIGH_DEBT_LOAD = "high_debt_load"
    HIGH_AIRTIME = "high_airtime"
    EMERGENCY_BUFFER = "emergency_buffer"


class BudgetStatus(StrEnum):
    """Overall state of a budget."""

    DEFICIT = "deficit"
    TIGHT = "tight"
    SURPLUS = "surplus"


# --- validation helpers (shared with savings.py and affordability.py) -------------


def to_decimal(value: NumberLike, field: str) -> Decimal:
    """Return ``value`` as a finite Decimal.

    Args:
        value: a Decimal, int, float or numeric string.
        field: the input name reported in errors.

    Raises:
        BudgetInputError: ``not_a_number`` for booleans, text, NaN or infinity.
    """
    if isinstance(value, bool):
        raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, field, repr(value))
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, (float, str)):
            number = Decimal(str(value).strip())
        else:
            raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, field, repr(value))
    except InvalidOperation as error:
        raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, field, repr(value)) from error
    if not number.is_finite():
        raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, field, repr(value))
    return number


def to_amount(value: NumberLike, field: str, *, positive: bool = False) -> Decimal:
    """Return ``value`` as a money amount between 0 (or above 0) and MAX_AMOUNT.

    Args:
        value: the amount.
        field: the input name reported in errors.
        positive: when True, zero is refused as well.

    Raises:
        BudgetInputError: ``not_a_number``, ``negative_amount``,
            ``amount_not_positive`` or ``amount_too_large``.
    """
    amount = to_decimal(value, field)
    if amount < 0:
        raise BudgetInputError(BudgetErrorCode.NEGATIVE_AMOUNT, field, str(amount))
    if positive and amount == 0:
        raise BudgetInputError(BudgetErrorCode.AMOUNT_NOT_POSITIVE, field)
    if amount > MAX_AMOUNT:
        raise BudgetInputError(BudgetErrorCode.AMOUNT_TOO_LARGE, field, str(amount))
    return amount + 0  # normalises -0 to 0


def to_frequency(value: Frequency | str, field: str = "frequency") -> Frequency:
    """Return the Frequency named by ``value`` (or by an alias such as "harvest")."""
    return _to_enum(Frequency, FREQUENCY_ALIASES, value, field, BudgetErrorCode.INVALID_FREQUENCY)


def to_period(value: Period | str, field: str = "period") -> Period:
    """Return the Period named by ``value`` ("week"/"month" or "weekly"/"monthly")."""
    return _to_enum(Period, PERIOD_ALIASES, value, field, BudgetErrorCode.INVALID_PERIOD)


def to_category(value: Category | str, field: str = "category") -> Category:
    """Return the expense Category named by ``value``."""
    return _to_enum(Category, {}, value, field, BudgetErrorCode.INVALID_CATEGORY)


def _to_enum(
    enum_type: type[EnumT],
    aliases: Mapping[str, EnumT],
    value: object,
    field: str,
    code: BudgetErrorCode,
) -> EnumT:
    if isinstance(value, enum_type):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        key = value.strip().lower()
        if key in aliases:
            return aliases[key]
        try:
            return enum_type(key)
        except ValueError:
            pass
    raise BudgetInputError(code, field, repr(value))


def to_seasons(value: int, field: str = "seasons_per_year") -> int:
    """Return a number of seasons per year between 1 and MAX_SEASONS_PER_YEAR."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_SEASONS_PER_YEAR
    ):
        raise BudgetInputError(BudgetErrorCode.INVALID_SEASONS, field, repr(value))
    return value


def to_share(value: NumberLike, field: str) -> Decimal:
    """Return a rule threshold as a Decimal fraction in [0, 10]."""
    try:
        share = to_decimal(value, field)
    except BudgetInputError as error:
        raise BudgetInputError(BudgetErrorCode.INVALID_RULES, field) from error
    if not 0 <= share <= 10:
        raise BudgetInputError(BudgetErrorCode.INVALID_RULES, field, str(share))
    return share


# --- conversion --------------------------------------------------------------------


def _per_year(frequency: Frequency, seasons_per_year: int) -> Fraction:
    if frequency is Frequency.SEASONAL:
        return Fraction(seasons_per_year)
    return {
        Frequency.DAILY: DAYS_PER_YEAR,
        Frequency.WEEKLY: Fraction(WEEKS_PER_YEAR),
        Frequency.FORTNIGHTLY: Fraction(FORTNIGHTS_PER_YEAR),
        Frequency.MONTHLY: Fraction(MONTHS_PER_YEAR),
        Frequency.YEARLY: Fraction(1),
    }[frequency]


def conversion_factor(
    frequency: Frequency | str,
    period: Period | str,
    seasons_per_year: int = DEFAULT_SEASONS_PER_YEAR,
) -> Fraction:
    """Return how many times an amount of ``frequency`` occurs in one ``period``.

    Conventions (docs/budget.md): a month is a twelfth of the year and a week a
    fifty-second; daily amounts are x 30.4375 per month (365.25 / 12) but x 7 per
    week; a seasonal amount occurs ``seasons_per_year`` times a year.
    """
    frequency = to_frequency(frequency)
    period = to_period(period)
    seasons_per_year = to_seasons(seasons_per_year)
    if frequency is Frequency.DAILY and period is Period.WEEK:
        return Fraction(DAYS_PER_WEEK)
    periods_per_year = WEEKS_PER_YEAR if period is Period.WEEK else MONTHS_PER_YEAR
    return _per_year(frequency, seasons_per_year) / periods_per_year


def convert(
    amount: Decimal,
    frequency: Frequency | str,
    period: Period | str,
    seasons_per_year: int = DEFAULT_SEASONS_PER_YEAR,
) -> Decimal:
    """Return ``amount`` (paid at ``frequency``) expressed per ``period``, unrounded.

    Args:
        amount: a Decimal amount.
        frequency: how often the amount is paid or received.
        period: the target period (week or month).
        seasons_per_year: for seasonal amounts, the number of seasons in a year.
    """
    factor = conversion_factor(frequency, period, seasons_per_year)
    return amount * factor.numerator / factor.denominator


def round_money(amount: Decimal) -> Decimal:
    """Round a Decimal amount half-up to MONEY_QUANTUM."""
    return amount.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def share_of(part: Decimal, whole: Decimal) -> Decimal:
    """Return part / whole rounded down to SHARE_QUANTUM (whole must be > 0)."""
    return (part / whole).quantize(SHARE_QUANTUM, rounding=ROUND_FLOOR)


# --- inputs and results ------------------------------------------------------------


@dataclass(frozen=True)
class IncomeSource:
    """One source of income.

    Attributes:
        amount: the amount received each time (>= 0, at most MAX_AMOUNT).
        frequency: how often it is received.
        seasons_per_year: for seasonal (harvest) income, seasons in a year.
    """

    amount: Decimal
    frequency: Frequency
    seasons_per_year: int = DEFAULT_SEASONS_PER_YEAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_amount(self.amount, "income"))
        object.__setattr__(self, "frequency", to_frequency(self.frequency))
        object.__setattr__(self, "seasons_per_year", to_seasons(self.seasons_per_year))


@dataclass(frozen=True)
class Expense:
    """One expense.

    Attributes:
        category: the expense category.
        amount: the amount paid each time (>= 0, at most MAX_AMOUNT).
        frequency: how often it is paid; None means once per budget period.
        seasons_per_year: for seasonal expenses, seasons in a year.
    """

    category: Category
    amount: Decimal
    frequency: Frequency | None = None
    seasons_per_year: int = DEFAULT_SEASONS_PER_YEAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", to_category(self.category))
        object.__setattr__(self, "amount", to_amount(self.amount, str(self.category)))
        if self.frequency is not None:
            object.__setattr__(self, "frequency", to_frequency(self.frequency))
        object.__setattr__(self, "seasons_per_year", to_seasons(self.seasons_per_year))


@dataclass(frozen=True)
class CategoryShare:
    """An expense category's total and its share of all expenses.

    Attributes:
        category: the category.
        amount: its total in the budget period.
        share: amount / total expenses, a fraction rounded down to SHARE_QUANTUM.
    """

    category: Category
    amount: Decimal
    share: Decimal


@dataclass(frozen=True)
class Tip:
    """A budget tip: a code and the figures its sentence needs.

    Attributes:
        code: the tip code.
        params: figures by name (Decimal amounts and shares, Category, int).
    """

    code: TipCode
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TipRules:
    """Thresholds for choosing tips (defaults documented in docs/budget.md).

    Attributes:
        tight_share: a surplus below this share of income makes the budget "tight".
        save_share: share of the surplus suggested for saving.
        high_airtime_share: airtime above this share of income earns a tip.
        high_debt_share: loan repayments above this share of income earn a tip.
        buffer_months: months of expenses an emergency buffer should hold.
        flexible_categories: categories a client can usually trim.
        max_tips: most tips returned.
    """

    tight_share: Decimal = Decimal("0.05")
    save_share: Decimal = Decimal("0.5")
    high_airtime_share: Decimal = Decimal("0.05")
    high_debt_share: Decimal = Decimal("0.3")
    buffer_months: int = 3
    flexible_categories: tuple[Category, ...] = (
        Category.FOOD,
        Category.TRANSPORT,
        Category.AIRTIME,
        Category.OTHER,
    )
    max_tips: int = 3

    def __post_init__(self) -> None:
        for name in ("tight_share", "high_airtime_share", "high_debt_share"):
            object.__setattr__(self, name, to_share(getattr(self, name), name))
        save_share = to_share(self.save_share, "save_share")
        if save_share > 1:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "save_share")
        object.__setattr__(self, "save_share", save_share)
        if not isinstance(self.buffer_months, int) or not 1 <= self.buffer_months <= 24:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "buffer_months")
        if not isinstance(self.max_tips, int) or self.max_tips < 2:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "max_tips")
        object.__setattr__(
            self,
            "flexible_categories",
            tuple(to_category(c, "flexible_categories") for c in self.flexible_categories),
        )


DEFAULT_TIP_RULES = TipRules()


@dataclass(frozen=True)
class BudgetResult:
    """A budget in one period.

    Attributes:
        period: the period every amount is expressed in.
        income: total income per period.
        expenses: total expenses per period (the sum of ``by_category``).
        surplus: income - expenses (negative for a deficit).
        status: deficit, tight or surplus.
        by_category: total per category present in the input, per period.
        top_categories: up to three largest non-zero categories, largest first.
        tips: two or three tips matching the numbers.
    """

    period: Period
    income: Decimal
    expenses: Decimal
    surplus: Decimal
    status: BudgetStatus
    by_category: Mapping[Category, Decimal]
    top_categories: tuple[CategoryShare, ...]
    tips: tuple[Tip, ...]

    @property
    def deficit(self) -> Decimal:
        """The shortfall per period (0 when there is none)."""
        return max(Decimal(0), -self.surplus)

    def category_total(self, category: Category | str) -> Decimal:
        """Return the total of ``category`` per period (0 when absent)."""
        return self.by_category.get(to_category(category), Decimal(0))


TOP_CATEGORIES = 3


def build_budget(
    incomes: Iterable[IncomeSource],
    expenses: Iterable[Expense],
    period: Period | str,
    rules: TipRules = DEFAULT_TIP_RULES,
) -> BudgetResult:
    """Convert income and expenses to ``period`` and sums them up.

    Each source and category total is rounded to MONEY_QUANTUM, then totals are
    sums of the rounded figures, so surplus == income - expenses exactly.

    Args:
        incomes: income sources with their frequencies.
        expenses: expenses; one category may appear several times.
        period: week or month.
        rules: thresholds for the tips.

    Raises:
        BudgetInputError: ``no_income`` when the total income is zero, or any
            code from converting the period.
    """
    period = to_period(period)
    income = sum(
        (
            round_money(convert(source.amount, source.frequency, period, source.seasons_per_year))
            for source in incomes
        ),
        Decimal(0),
    )
    if income <= 0:
        raise BudgetInputError(BudgetErrorCode.NO_INCOME, "income")
    raw: dict[Category, Decimal] = {}
    for expense in expenses:
        frequency = expense.frequency or period.frequency
        per_period = convert(expense.amount, frequency, period, expense.seasons_per_year)
        raw[expense.category] = raw.get(expense.category, Decimal(0)) + per_period
    by_category = {category: round_money(total) for category, total in raw.items()}
    total_expenses = sum(by_category.values(), Decimal(0))
    surplus = income - total_expenses
    top = tuple(
        CategoryShare(category, amount, share_of(amount, total_expenses))
        for category, amount in sorted(
            ((c, a) for c, a in by_category.items() if a > 0),
            key=lambda item: (-item[1], list(Category).index(item[0])),
        )[:TOP_CATEGORIES]
    )
    status = _status(income, surplus, rules)
    tips = _choose_tips(period, income, total_expenses, surplus, status, by_category, rules)
    return BudgetResult(
        period=period,
        income=income,
        expenses=total_expenses,
        surplus=surplus,
        status=status,
        by_category=by_category,
        top_categories=top,
        tips=tips,
    )


def _status(income: Decimal, surplus: Decimal, rules: TipRules) -> BudgetStatus:
    if surplus < 0:
        return BudgetStatus.DEFICIT
    if surplus == 0 or surplus < income * rules.tight_share:
        return BudgetStatus.TIGHT
    return BudgetStatus.SURPLUS


def _choose_tips(
    period: Period,
    income: Decimal,
    expenses: Decimal,
    surplus: Decimal,
    status: BudgetStatus,
    by_category: Mapping[Category, Decimal],
    rules: TipRules,
) -> tuple[Tip, ...]:
    loans = by_category.get(Category.LOAN_REPAYMENTS, Decimal(0))
    airtime = by_category.get(Category.AIRTIME, Decimal(0))
    flexible = sorted(
        (
            (category, by_category[category])
            for category in rules.flexible_categories
            if by_category.get(category, Decimal(0)) > 0
        ),
        key=lambda item: -item[1],
    )
    top_flexible = flexible[0] if flexible else None
    high_airtime = (
        Tip(
            TipCode.HIGH_AIRTIME,
            {"amount": airtime, "share_of_income": share_of(airtime, income)},
        )
        if airtime > income * rules.high_airtime_share
        else None
    )
    # When airtime is the category to cut, the cut tip already covers it.
    airtime_unless_cut = (
        None if top_flexible is not None and top_flexible[0] is Category.AIRTIME else high_airtime
    )
    high_debt = (
        Tip(
            TipCode.HIGH_DEBT_LOAD,
            {"loan_repayments": loans, "share_of_income": share_of(loans, income)},
        )
        if loans > income * rules.high_debt_share
        else None
    )
    candidates: list[Tip | None]
    if status is BudgetStatus.DEFICIT:
        gap = -surplus
        candidates = [
            Tip(
                TipCode.DEFICIT_TALK_TO_OFFICER,
                {"loan_repayments": loans, "share_of_income": share_of(loans, income)},
            )
            if loans > 0
            else None,
            Tip(
                TipCode.DEFICIT_CUT_TOP_CATEGORY,
                {"category": top_flexible[0], "amount": top_flexible[1], "gap": gap},
            )
            if top_flexible
            else None,
            airtime_unless_cut,
            Tip(TipCode.DEFICIT_ADD_INCOME, {"gap": gap}),
            Tip(TipCode.DEFICIT_AVOID_NEW_LOAN, {"gap": gap}),
        ]
    elif status is BudgetStatus.TIGHT:
        target = round_money(income * rules.tight_share) - surplus
        candidates = [
            Tip(
                TipCode.TIGHT_CUT_TOP_CATEGORY,
                {
                    "category": top_flexible[0],
                    "amount": top_flexible[1],
                    "target": target,
                },
            )
            if top_flexible
            else None,
            high_debt,
            airtime_unless_cut,
            _emergency_buffer(period, expenses, Decimal(0), rules),
            Tip(TipCode.TIGHT_AVOID_NEW_LOAN, {"surplus": surplus}),
        ]
    else:
        candidates = [
            Tip(
                TipCode.SURPLUS_SAVE_SHARE,
                {"surplus": surplus, "amount": _saving_suggestion(surplus, rules)},
            ),
            high_debt,
            high_airtime,
            _emergency_buffer(period, expenses, _saving_suggestion(surplus, rules), rules),
        ]
    return tuple(tip for tip in candidates if tip is not None)[: rules.max_tips]


def _saving_suggestion(surplus: Decimal, rules: TipRules) -> Decimal:
    return (surplus * rules.save_share).quantize(MONEY_QUANTUM, rounding=ROUND_FLOOR)


def _emergency_buffer(period: Period, expenses: Decimal, saving: Decimal, rules: TipRules) -> Tip:
    """Buffer of ``buffer_months`` of expenses; with a saving, periods to build it."""
    monthly_expenses = convert(expenses, period.frequency, Period.MONTH)
    target = round_money(monthly_expenses * rules.buffer_months)
    params: dict[str, object] = {"target": target, "months": rules.buffer_months}
    if saving > 0 and target > 0:
        params["saving"] = saving
        params["periods"] = math.ceil(target / saving)
    return Tip(TipCode.EMERGENCY_BUFFER, params)
