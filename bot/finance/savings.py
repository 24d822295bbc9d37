"""Savings planner: how much to save per period for a goal, or how long it takes.

Pure functions over ``Decimal`` money: no Rasa, no I/O; "today" is injectable.
Conventions (docs/budget.md): one deposit at the end of every period, the first one
period after today; optional interest at an annual rate in percent, credited every
period on the balance at the start of the period, rounded down to the cent. The
goal is reached on the date of the last deposit. When a budget is given, the saving
is compared with its surplus (realistic / stretch / unrealistic).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.finance.budget import (
    MONEY_QUANTUM,
    BudgetErrorCode,
    BudgetInputError,
    BudgetResult,
    NumberLike,
    Period,
    StrEnum,
    convert,
    share_of,
    to_amount,
    to_decimal,
    to_period,
    to_share,
)

MAX_SAVING_YEARS = 50
MAX_PERIODS = {Period.WEEK: 52 * MAX_SAVING_YEARS, Period.MONTH: 12 * MAX_SAVING_YEARS}
PERIODS_PER_YEAR = {Period.WEEK: 52, Period.MONTH: 12}
MAX_ANNUAL_RATE_PERCENT = Decimal(100)
HUNDRED = Decimal(100)
DAYS_PER_WEEK = 7


class Realism(StrEnum):
    """How a saving compares with the budget surplus."""

    REALISTIC = "realistic"
    STRETCH = "stretch"
    UNREALISTIC = "unrealistic"


@dataclass(frozen=True)
class SavingsRules:
    """Thresholds for judging a saving against the surplus (docs/budget.md).

    Attributes:
        realistic_share: a saving up to this share of the surplus is realistic.
        stretch_share: up to this share it is a stretch; above, unrealistic.
    """

    realistic_share: Decimal = Decimal("0.5")
    stretch_share: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        realistic = to_share(self.realistic_share, "realistic_share")
        stretch = to_share(self.stretch_share, "stretch_share")
        if realistic > stretch:
            raise BudgetInputError(BudgetErrorCode.INVALID_RULES, "realistic_share")
        object.__setattr__(self, "realistic_share", realistic)
        object.__setattr__(self, "stretch_share", stretch)


DEFAULT_SAVINGS_RULES = SavingsRules()


@dataclass(frozen=True)
class SavingsPlan:
    """A savings plan.

    Attributes:
        goal: the amount to reach.
        period: week or month (one deposit per period).
        amount_per_period: the deposit.
        periods: number of deposits.
        start_date: the day the plan was made ("today").
        target_date: the date of the last deposit, when the goal is reached.
        annual_rate_percent: interest on savings, percent per year (0 for none).
        deposits: amount_per_period x periods.
        interest: interest earned by the target date.
        final_balance: deposits + interest (>= goal).
        realism: compared with the budget surplus; None without a budget.
        share_of_surplus: the deposit in the budget's period / surplus; None
            without a budget or when there is no surplus.
        realistic_amount: the largest deposit per ``period`` that is realistic for
            the budget (0 when there is no surplus); None without a budget.
    """

    goal: Decimal
    period: Period
    amount_per_period: Decimal
    periods: int
    start_date: dt.date
    target_date: dt.date
    annual_rate_percent: Decimal
    deposits: Decimal
    interest: Decimal
    final_balance: Decimal
    realism: Realism | None
    share_of_surplus: Decimal | None
    realistic_amount: Decimal | None


def add_periods(start: dt.date, period: Period, count: int) -> dt.date:
    """Return ``start`` plus ``count`` weeks or months (month ends are clamped)."""
    if period is Period.WEEK:
        return start + dt.timedelta(days=DAYS_PER_WEEK * count)
    month_index = start.month - 1 + count
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def periods_until(start: dt.date, end: dt.date, period: Period) -> int:
    """Return the number of whole weeks or months from ``start`` to ``end``."""
    if period is Period.WEEK:
        return (end - start).days // DAYS_PER_WEEK
    count = (end.year - start.year) * 12 + end.month - start.month
    if count > 0 and add_periods(start, period, count) > end:
        count -= 1
    return count


def final_balance(
    amount_per_period: Decimal,
    periods: int,
    period: Period,
    annual_rate_percent: Decimal,
) -> Decimal:
    """Return the balance after ``periods`` end-of-period deposits with interest.

    Interest for a period is the balance at its start x annual rate / periods per
    year, rounded down to MONEY_QUANTUM.
    """
    rate = _periodic_rate(period, annual_rate_percent)
    balance = Decimal(0)
    for _ in range(periods):
        balance += _interest(balance, rate) + amount_per_period
    return balance


def plan_by_deadline(
    goal: NumberLike,
    period: Period | str,
    *,
    target_date: dt.date | None = None,
    periods: int | None = None,
    annual_rate_percent: NumberLike = 0,
    budget: BudgetResult | None = None,
    today: dt.date | None = None,
    rules: SavingsRules = DEFAULT_SAVINGS_RULES,
    quantum: Decimal = MONEY_QUANTUM,
) -> SavingsPlan:
    """Return the smallest deposit per period that reaches ``goal`` in time.

    Give either ``target_date`` (one deposit per whole period until that date)
    or ``periods``; ``periods`` wins when both are given.

    Args:
        goal: the amount to reach (> 0, at most MAX_AMOUNT).
        period: "week" or "month".
        target_date: the date the goal is needed by.
        periods: the number of deposits.
        annual_rate_percent: interest on savings in percent per year (0 to 100).
        budget: when given, the deposit is judged against its surplus.
        today: the day the plan starts (default: the system date).
        rules: realism thresholds.
        quantum: the deposit is rounded up to a multiple of this (e.g. 1 for a
            currency without cents).

    Raises:
        BudgetInputError: bad goal, period, rate or quantum; ``missing_target``
            without a date or periods; ``date_not_in_future``; ``zero_periods``
            when no whole period fits; ``too_many_periods`` beyond 50 years.
    """
    goal_amount = to_amount(goal, "goal", positive=True)
    period = to_period(period)
    rate_percent = _to_rate(annual_rate_percent)
    step = _to_quantum(quantum)
    start = _start_date(today)
    count = _count_periods(start, period, target_date, periods)
    amount = _smallest_deposit(goal_amount, count, period, rate_percent, step)
    return _plan(goal_amount, period, amount, count, start, rate_percent, budget, rules)


def plan_by_amount(
    goal: NumberLike,
    amount_per_period: NumberLike,
    period: Period | str,
    *,
    annual_rate_percent: NumberLike = 0,
    budget: BudgetResult | None = None,
    today: dt.date | None = None,
    rules: SavingsRules = DEFAULT_SAVINGS_RULES,
) -> SavingsPlan:
    """Return when ``goal`` is reached by saving ``amount_per_period``.

    Args:
        goal: the amount to reach (> 0, at most MAX_AMOUNT).
        amount_per_period: the deposit per period (> 0).
        period: "week" or "month".
        annual_rate_percent: interest on savings in percent per year (0 to 100).
        budget: when given, the deposit is judged against its surplus.
        today: the day the plan starts (default: the system date).
        rules: realism thresholds.

    Raises:
        BudgetInputError: bad goal, amount, period or rate; ``goal_not_reached``
            when it takes more than 50 years.
    """
    goal_amount = to_amount(goal, "goal", positive=True)
    amount = to_amount(amount_per_period, "amount_per_period", positive=True)
    period = to_period(period)
    rate_percent = _to_rate(annual_rate_percent)
    start = _start_date(today)
    rate = _periodic_rate(period, rate_percent)
    balance = Decimal(0)
    count = 0
    while balance < goal_amount:
        if count == MAX_PERIODS[period]:
            raise BudgetInputError(
                BudgetErrorCode.GOAL_NOT_REACHED,
                "amount_per_period",
                f"more than {MAX_SAVING_YEARS} years",
            )
        balance += _interest(balance, rate) + amount
        count += 1
    return _plan(goal_amount, period, amount, count, start, rate_percent, budget, rules)


def judge_saving(
    amount_per_period: Decimal,
    period: Period,
    budget: BudgetResult,
    rules: SavingsRules = DEFAULT_SAVINGS_RULES,
) -> tuple[Realism, Decimal | None]:
    """Compare a deposit with the budget surplus.

    Returns:
        The realism and the share of the surplus the deposit takes (None when
        the budget has no surplus).
    """
    per_budget_period = convert(amount_per_period, period.frequency, budget.period)
    if budget.surplus <= 0:
        return Realism.UNREALISTIC, None
    share = share_of(per_budget_period, budget.surplus)
    if per_budget_period <= budget.surplus * rules.realistic_share:
        return Realism.REALISTIC, share
    if per_budget_period <= budget.surplus * rules.stretch_share:
        return Realism.STRETCH, share
    return Realism.UNREALISTIC, share


def _plan(
    goal: Decimal,
    period: Period,
    amount: Decimal,
    count: int,
    start: dt.date,
    rate_percent: Decimal,
    budget: BudgetResult | None,
    rules: SavingsRules,
) -> SavingsPlan:
    balance = final_balance(amount, count, period, rate_percent)
    deposits = amount * count
    realism: Realism | None = None
    share: Decimal | None = None
    realistic_amount: Decimal | None = None
    if budget is not None:
        realism, share = judge_saving(amount, period, budget, rules)
        limit = max(Decimal(0), budget.surplus * rules.realistic_share)
        realistic_amount = convert(limit, budget.period.frequency, period).quantize(
            MONEY_QUANTUM, rounding=ROUND_FLOOR
        )
    return SavingsPlan(
        goal=goal,
        period=period,
        amount_per_period=amount,
        periods=count,
        start_date=start,
        target_date=add_periods(start, period, count),
        annual_rate_percent=rate_percent,
        deposits=deposits,
        interest=balance - deposits,
        final_balance=balance,
        realism=realism,
        share_of_surplus=share,
        realistic_amount=realistic_amount,
    )


def _count_periods(
    start: dt.date,
    period: Period,
    target_date: dt.date | None,
    periods: int | None,
) -> int:
    if periods is not None:
        if isinstance(periods, bool) or not isinstance(periods, int):
            raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, "periods", repr(periods))
        count = periods
    elif target_date is not None:
        if not isinstance(target_date, dt.date):
            raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, "target_date", repr(target_date))
        if isinstance(target_date, dt.datetime):
            target_date = target_date.date()
        if target_date <= start:
            raise BudgetInputError(BudgetErrorCode.DATE_NOT_IN_FUTURE, "target_date")
        count = periods_until(start, target_date, period)
    else:
        raise BudgetInputError(BudgetErrorCode.MISSING_TARGET, "target_date")
    if count < 1:
        raise BudgetInputError(BudgetErrorCode.ZERO_PERIODS, "periods", str(count))
    if count > MAX_PERIODS[period]:
        raise BudgetInputError(BudgetErrorCode.TOO_MANY_PERIODS, "periods", str(count))
    return count


def _smallest_deposit(
    goal: Decimal, count: int, period: Period, rate_percent: Decimal, step: Decimal
) -> Decimal:
    """Bisect over multiples of ``step`` for the smallest deposit reaching goal."""
    high = _ceil_steps(goal / count, step)  # enough without any interest
    rate = _periodic_rate(period, rate_percent)
    if rate == 0:
        return high * step
    growth = (1 + rate) ** count - 1
    exact = goal * rate / growth  # closed form, before rounding interest down
    low = max(0, int((exact / step).to_integral_value(rounding=ROUND_FLOOR)) - 1)
    # low * step < exact, so it falls short even with unrounded interest.
    while high - low > 1:
        middle = (low + high) // 2
        if final_balance(middle * step, count, period, rate_percent) >= goal:
            high = middle
        else:
            low = middle
    return high * step


def _ceil_steps(value: Decimal, step: Decimal) -> int:
    return int((value / step).to_integral_value(rounding=ROUND_CEILING))


def _periodic_rate(period: Period, annual_rate_percent: Decimal) -> Decimal:
    return annual_rate_percent / HUNDRED / PERIODS_PER_YEAR[period]


def _interest(balance: Decimal, rate: Decimal) -> Decimal:
    if rate == 0 or balance == 0:
        return Decimal(0)
    return (balance * rate).quantize(MONEY_QUANTUM, rounding=ROUND_FLOOR)


def _start_date(today: dt.date | None) -> dt.date:
    if today is None:
        return dt.date.today()
    if isinstance(today, dt.datetime):
        return today.date()
    if not isinstance(today, dt.date):
        raise BudgetInputError(BudgetErrorCode.NOT_A_NUMBER, "today", repr(today))
    return today


def _to_rate(value: NumberLike) -> Decimal:
    rate = to_decimal(value, "annual_rate_percent")
    if not 0 <= rate <= MAX_ANNUAL_RATE_PERCENT:
        raise BudgetInputError(BudgetErrorCode.INVALID_RATE, "annual_rate_percent")
    return rate


def _to_quantum(value: Decimal) -> Decimal:
    step = to_amount(value, "quantum", positive=True)
    if step > 1000:
        raise BudgetInputError(BudgetErrorCode.AMOUNT_TOO_LARGE, "quantum", str(step))
    return step
