"""Tests of bot.finance.savings: deposits per period, time to goal, realism."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.finance.budget import (
    BudgetInputError,
    Expense,
    IncomeSource,
    Period,
    build_budget,
)
from bot.finance.savings import (
    MAX_PERIODS,
    Realism,
    SavingsRules,
    add_periods,
    final_balance,
    periods_until,
    plan_by_amount,
    plan_by_deadline,
)

D = Decimal
TODAY = dt.date(2026, 1, 31)
CENT = D("0.01")


def budget_with_surplus(surplus: Decimal, period: str = "month"):  # type: ignore[no-untyped-def]
    """A budget with income 10,000 per period and the given surplus."""
    expenses = [Expense("food", D(10000) - surplus)] if surplus < 10000 else []
    return build_budget([IncomeSource(D(10000), period)], expenses, period)


# --- dates -------------------------------------------------------------------------


def test_months_are_added_with_month_ends_clamped() -> None:
    assert add_periods(TODAY, Period.MONTH, 1) == dt.date(2026, 2, 28)
    assert add_periods(TODAY, Period.MONTH, 25) == dt.date(2028, 2, 29)
    assert add_periods(TODAY, Period.MONTH, 11) == dt.date(2026, 12, 31)
    assert add_periods(TODAY, Period.WEEK, 2) == dt.date(2026, 2, 14)


@pytest.mark.parametrize(
    ("end", "period", "expected"),
    [
        (dt.date(2026, 4, 30), Period.MONTH, 3),
        (dt.date(2026, 4, 29), Period.MONTH, 2),
        (dt.date(2026, 2, 28), Period.MONTH, 1),
        (dt.date(2026, 2, 27), Period.MONTH, 0),
        (dt.date(2026, 2, 28), Period.WEEK, 4),
        (dt.date(2026, 2, 27), Period.WEEK, 3),
    ],
)
def test_whole_periods_until_a_date(end: dt.date, period: Period, expected: int) -> None:
    assert periods_until(TODAY, end, period) == expected


# --- by deadline -------------------------------------------------------------------


def test_goal_by_number_of_months_without_interest() -> None:
    plan = plan_by_deadline(D(50000), "month", periods=10, today=TODAY)
    assert plan.amount_per_period == D("5000.00")
    assert plan.periods == 10
    assert plan.target_date == dt.date(2026, 11, 30)
    assert plan.deposits == plan.final_balance == D("50000.00")
    assert plan.interest == 0
    assert plan.realism is None and plan.share_of_surplus is None


def test_deposit_is_rounded_up_so_the_goal_is_reached() -> None:
    plan = plan_by_deadline(D(100), "week", periods=3, today=TODAY)
    assert plan.amount_per_period == D("33.34")
    assert plan.final_balance == D("100.02")


def test_deposit_can_be_rounded_to_whole_units() -> None:
    plan = plan_by_deadline(D(100), "week", periods=3, today=TODAY, quantum=D(1))
    assert plan.amount_per_period == D(34)


def test_goal_by_date_counts_whole_periods_before_it() -> None:
    plan = plan_by_deadline(
        D(20000), "week", target_date=dt.date(2026, 3, 1), today=TODAY
    )  # 29 days: 4 whole weeks
    assert plan.periods == 4
    assert plan.amount_per_period == D("5000.00")
    assert plan.target_date == dt.date(2026, 2, 28)


def test_interest_lowers_the_deposit() -> None:
    # 1,000 a month for 12 months at 12 %/year would be 12,682.50 with exact interest;
    # interest is rounded down to the cent each month, so a cent more may be needed.
    plan = plan_by_deadline(D("12682.50"), "month", periods=12, annual_rate_percent=12)
    assert plan.amount_per_period in {D("1000.00"), D("1000.01")}
    assert plan.final_balance >= D("12682.50")
    assert final_balance(plan.amount_per_period - CENT, 12, Period.MONTH, D(12)) < D("12682.50")
    assert plan.interest == plan.final_balance - plan.deposits > 0


def test_interest_is_credited_on_the_balance_at_the_start_of_each_period() -> None:
    # 0 + 100; 100 x 1 % = 1 + 100; 201 x 1 % = 2.01 + 100
    assert final_balance(D(100), 3, Period.MONTH, D(12)) == D("303.01")
    assert final_balance(D(100), 2, Period.WEEK, D(52)) == D("201.00")


def test_today_defaults_to_the_system_date() -> None:
    before = dt.date.today()
    plan = plan_by_deadline(D(1000), "month", periods=2)
    assert before <= plan.start_date <= dt.date.today()


# --- by amount ---------------------------------------------------------------------


def test_time_to_goal_without_interest() -> None:
    plan = plan_by_amount(D(50000), D(2000), "month", today=TODAY)
    assert plan.periods == 25
    assert plan.target_date == dt.date(2028, 2, 29)
    assert plan.final_balance == D(50000)


def test_time_to_goal_with_interest_is_shorter() -> None:
    plain = plan_by_amount(D(50000), D(2000), "month", today=TODAY)
    earning = plan_by_amount(D(50000), D(2000), "month", today=TODAY, annual_rate_percent=10)
    assert earning.periods == 23
    assert earning.periods < plain.periods
    assert earning.final_balance >= D(50000)


def test_time_to_goal_in_weeks() -> None:
    plan = plan_by_amount(D(1000), D(300), "weekly", today=TODAY)
    assert plan.period is Period.WEEK
    assert plan.periods == 4
    assert plan.target_date == dt.date(2026, 2, 28)


# --- realism -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deposit", "realism", "share"),
    [
        (D(2000), Realism.REALISTIC, D("0.5")),
        (D("2000.01"), Realism.STRETCH, D("0.5000")),
        (D(4000), Realism.STRETCH, D(1)),
        (D("4000.01"), Realism.UNREALISTIC, D("1.0000")),
    ],
)
def test_saving_is_judged_against_the_surplus(
    deposit: Decimal, realism: Realism, share: Decimal
) -> None:
    budget = budget_with_surplus(D(4000))
    plan = plan_by_amount(D(100000), deposit, "month", budget=budget, today=TODAY)
    assert plan.realism is realism
    assert plan.share_of_surplus == share
    assert plan.realistic_amount == D("2000.00")


def test_weekly_saving_is_compared_in_the_budget_period() -> None:
    budget = budget_with_surplus(D(4000))  # per month
    plan = plan_by_amount(D(10000), D(500), "week", budget=budget, today=TODAY)
    # 500 a week = 2,166.67 a month, above half of 4,000
    assert plan.realism is Realism.STRETCH
    assert plan.realistic_amount == D("461.53")  # 2,000 a month x 12/52


def test_any_saving_is_unrealistic_in_a_deficit() -> None:
    budget = build_budget([IncomeSource(D(1000), "monthly")], [Expense("rent", D(1200))], "month")
    plan = plan_by_deadline(D(1000), "month", periods=10, budget=budget, today=TODAY)
    assert plan.realism is Realism.UNREALISTIC
    assert plan.share_of_surplus is None
    assert plan.realistic_amount == 0


def test_realism_rules_are_configurable() -> None:
    budget = budget_with_surplus(D(4000))
    rules = SavingsRules(realistic_share=D("0.25"), stretch_share=D("0.5"))
    plan = plan_by_amount(D(100000), D(1500), "month", budget=budget, today=TODAY, rules=rules)
    assert plan.realism is Realism.STRETCH
    with pytest.raises(BudgetInputError) as caught:
        SavingsRules(realistic_share=D("0.8"), stretch_share=D("0.5"))
    assert caught.value.code == "invalid_rules"


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "code", "field"),
    [
        (lambda: plan_by_deadline(0, "month", periods=3), "amount_not_positive", "goal"),
        (lambda: plan_by_deadline(-5, "month", periods=3), "negative_amount", "goal"),
        (
            lambda: plan_by_deadline(D(10) ** 15, "month", periods=3),
            "amount_too_large",
            "goal",
        ),
        (lambda: plan_by_deadline(100, "month", periods=0), "zero_periods", "periods"),
        (lambda: plan_by_deadline(100, "month", periods=-2), "zero_periods", "periods"),
        (
            lambda: plan_by_deadline(100, "month", periods=MAX_PERIODS[Period.MONTH] + 1),
            "too_many_periods",
            "periods",
        ),
        (lambda: plan_by_deadline(100, "month"), "missing_target", "target_date"),
        (
            lambda: plan_by_deadline(100, "month", target_date=TODAY, today=TODAY),
            "date_not_in_future",
            "target_date",
        ),
        (
            lambda: plan_by_deadline(100, "month", target_date=dt.date(2026, 2, 27), today=TODAY),
            "zero_periods",
            "periods",
        ),
        (
            lambda: plan_by_deadline(100, "month", periods=3, annual_rate_percent=150),
            "invalid_rate",
            "annual_rate_percent",
        ),
        (
            lambda: plan_by_deadline(100, "month", periods=3, annual_rate_percent=-1),
            "invalid_rate",
            "annual_rate_percent",
        ),
        (lambda: plan_by_deadline(100, "year", periods=3), "invalid_period", "period"),
        (
            lambda: plan_by_amount(100, 0, "month"),
            "amount_not_positive",
            "amount_per_period",
        ),
        (
            lambda: plan_by_amount(D(10) ** 12, CENT, "month"),
            "goal_not_reached",
            "amount_per_period",
        ),
        (lambda: plan_by_amount("lots", 10, "month"), "not_a_number", "goal"),
    ],
)
def test_bad_values_raise_budget_input_error(call: object, code: str, field: str) -> None:
    with pytest.raises(BudgetInputError) as caught:
        call()  # type: ignore[operator]
    assert (caught.value.code, caught.value.field) == (code, field)


# --- properties --------------------------------------------------------------------

goals = st.decimals(min_value=CENT, max_value=D(10) ** 9, places=2)
rates = st.one_of(st.just(D(0)), st.decimals(min_value=0, max_value=30, places=2))
periods = st.sampled_from(list(Period))
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))


@settings(max_examples=150, deadline=None)
@given(goals, periods, st.integers(1, 260), rates)
def test_deposit_reaches_the_goal_and_is_the_smallest_that_does(
    goal: Decimal, period: Period, count: int, rate: Decimal
) -> None:
    plan = plan_by_deadline(goal, period, periods=count, annual_rate_percent=rate, today=TODAY)
    assert plan.periods == count
    assert plan.final_balance >= goal
    assert final_balance(plan.amount_per_period - CENT, count, period, rate) < goal
    if rate == 0:
        assert plan.amount_per_period * count >= goal
        assert (plan.amount_per_period - CENT) * count < goal


@settings(max_examples=150, deadline=None)
@given(goals, st.decimals(min_value=1, max_value=D(10) ** 6, places=2), periods, rates, days)
def test_time_to_goal_is_the_first_period_that_reaches_it(
    goal: Decimal, deposit: Decimal, period: Period, rate: Decimal, today: dt.date
) -> None:
    try:
        plan = plan_by_amount(goal, deposit, period, annual_rate_percent=rate, today=today)
    except BudgetInputError as error:
        assert error.code == "goal_not_reached"
        assert final_balance(deposit, MAX_PERIODS[period], period, rate) < goal
        return
    assert plan.final_balance >= goal
    assert final_balance(deposit, plan.periods - 1, period, rate) < goal
    assert plan.target_date == add_periods(today, period, plan.periods)
    assert periods_until(today, plan.target_date, period) == plan.periods


@settings(max_examples=100, deadline=None)
@given(days, st.integers(1, 700), periods)
def test_periods_until_inverts_add_periods(start: dt.date, count: int, period: Period) -> None:
    end = add_periods(start, period, count)
    assert periods_until(start, end, period) == count
    assert periods_until(start, end - dt.timedelta(days=1), period) == count - 1
