"""Tests of bot.finance.budget: conversions, totals, top categories, tips, errors."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.finance.budget import (
    MAX_AMOUNT,
    BudgetErrorCode,
    BudgetInputError,
    BudgetStatus,
    Category,
    Expense,
    Frequency,
    IncomeSource,
    Period,
    TipCode,
    TipRules,
    build_budget,
    conversion_factor,
    convert,
    to_amount,
    to_frequency,
    to_period,
)

D = Decimal

DEFICIT_TIPS = {
    TipCode.DEFICIT_TALK_TO_OFFICER,
    TipCode.DEFICIT_CUT_TOP_CATEGORY,
    TipCode.HIGH_AIRTIME,
    TipCode.DEFICIT_ADD_INCOME,
    TipCode.DEFICIT_AVOID_NEW_LOAN,
}
TIGHT_TIPS = {
    TipCode.TIGHT_CUT_TOP_CATEGORY,
    TipCode.HIGH_DEBT_LOAD,
    TipCode.HIGH_AIRTIME,
    TipCode.EMERGENCY_BUFFER,
    TipCode.TIGHT_AVOID_NEW_LOAN,
}
SURPLUS_TIPS = {
    TipCode.SURPLUS_SAVE_SHARE,
    TipCode.HIGH_DEBT_LOAD,
    TipCode.HIGH_AIRTIME,
    TipCode.EMERGENCY_BUFFER,
}
TIPS_BY_STATUS = {
    BudgetStatus.DEFICIT: DEFICIT_TIPS,
    BudgetStatus.TIGHT: TIGHT_TIPS,
    BudgetStatus.SURPLUS: SURPLUS_TIPS,
}


def codes(result) -> list[TipCode]:  # type: ignore[no-untyped-def]
    """The tip codes of a budget result, in order."""
    return [tip.code for tip in result.tips]


# --- conversions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "period", "seasons", "expected"),
    [
        ("daily", "month", 2, Fraction(36525, 1200)),
        ("daily", "week", 2, Fraction(7)),
        ("weekly", "month", 2, Fraction(52, 12)),
        ("weekly", "week", 2, Fraction(1)),
        ("fortnightly", "month", 2, Fraction(26, 12)),
        ("fortnightly", "week", 2, Fraction(1, 2)),
        ("monthly", "week", 2, Fraction(12, 52)),
        ("monthly", "month", 2, Fraction(1)),
        ("yearly", "month", 2, Fraction(1, 12)),
        ("yearly", "week", 2, Fraction(1, 52)),
        ("seasonal", "month", 2, Fraction(2, 12)),
        ("seasonal", "week", 3, Fraction(3, 52)),
        ("harvest", "month", 1, Fraction(1, 12)),
    ],
)
def test_conversion_factors_follow_the_documented_conventions(
    frequency: str, period: str, seasons: int, expected: Fraction
) -> None:
    assert conversion_factor(frequency, period, seasons) == expected


def test_daily_amount_is_30_4375_days_per_month() -> None:
    assert convert(D(300), Frequency.DAILY, Period.MONTH) == D("9131.25")


def test_seasonal_income_is_spread_over_the_year() -> None:
    result = build_budget([IncomeSource(D(60000), "seasonal")], [], "month")
    assert result.income == D("10000.00")  # 2 harvests of 60,000 a year


@given(st.sampled_from([f for f in Frequency if f is not Frequency.DAILY]))
def test_week_and_month_factors_describe_the_same_year(frequency: Frequency) -> None:
    per_week = conversion_factor(frequency, Period.WEEK)
    per_month = conversion_factor(frequency, Period.MONTH)
    assert per_week * 52 == per_month * 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Weekly ", Frequency.WEEKLY),
        ("harvest", Frequency.SEASONAL),
        ("annual", Frequency.YEARLY),
        ("month", Frequency.MONTHLY),
        ("day", Frequency.DAILY),
        (Frequency.DAILY, Frequency.DAILY),
    ],
)
def test_frequency_names_and_aliases(text: str, expected: Frequency) -> None:
    assert to_frequency(text) is expected


def test_period_accepts_adjectives() -> None:
    assert to_period("monthly") is Period.MONTH
    assert to_period("week") is Period.WEEK


def test_codes_print_as_their_plain_value() -> None:
    assert str(TipCode.EMERGENCY_BUFFER) == "emergency_buffer"
    assert f"budget.tip.{TipCode.HIGH_AIRTIME}" == "budget.tip.high_airtime"
    assert TipCode.HIGH_AIRTIME == "high_airtime"


# --- totals and top categories -----------------------------------------------------


def test_budget_converts_everything_to_the_chosen_month() -> None:
    result = build_budget(
        [IncomeSource(D(12000), "weekly"), IncomeSource(D(30000), "harvest")],
        [
            Expense("food", D(300), "daily"),
            Expense("rent", D(8000), "monthly"),
            Expense("airtime", D(50), "daily"),
            Expense("loan_repayments", D(1500), "weekly"),
            Expense("school_fees", D(15000), "seasonal", seasons_per_year=3),
        ],
        "month",
    )
    # 12000 x 52/12 = 52000; 30000 x 2/12 = 5000
    assert result.income == D("57000.00")
    assert result.by_category == {
        Category.FOOD: D("9131.25"),
        Category.RENT: D("8000.00"),
        Category.AIRTIME: D("1521.88"),
        Category.LOAN_REPAYMENTS: D("6500.00"),
        Category.SCHOOL_FEES: D("3750.00"),
    }
    assert result.expenses == D("28903.13")
    assert result.surplus == D("28096.87")
    assert result.deficit == 0
    assert result.status is BudgetStatus.SURPLUS
    assert [(c.category, c.share) for c in result.top_categories] == [
        (Category.FOOD, D("0.3159")),
        (Category.RENT, D("0.2767")),
        (Category.LOAN_REPAYMENTS, D("0.2248")),
    ]


def test_budget_in_weeks() -> None:
    result = build_budget(
        [IncomeSource(D(20000), "monthly"), IncomeSource(D(200), "daily")],
        [Expense("rent", D(5200), "monthly"), Expense("food", D(2000))],
        "week",
    )
    assert result.period is Period.WEEK
    assert result.income == D("4615.38") + D(1400)  # 20000 x 12/52, 200 x 7
    assert result.by_category[Category.RENT] == D("1200.00")
    assert result.by_category[Category.FOOD] == D("2000.00")  # per budget period


def test_same_category_is_added_up_and_zero_categories_are_not_top() -> None:
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [
            Expense("transport", D(100), "weekly"),
            Expense("transport", D(200), "monthly"),
            Expense("health", D(0)),
        ],
        "month",
    )
    assert result.category_total("transport") == D("633.33")
    assert result.category_total(Category.HEALTH) == 0
    assert [c.category for c in result.top_categories] == [Category.TRANSPORT]
    assert result.top_categories[0].share == 1


def test_ties_in_top_categories_follow_the_category_order() -> None:
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [Expense(c, D(100)) for c in ("other", "health", "food", "rent")],
        "month",
    )
    assert [c.category for c in result.top_categories] == [
        Category.FOOD,
        Category.RENT,
        Category.HEALTH,
    ]


def test_budget_without_expenses_has_the_whole_income_as_surplus() -> None:
    result = build_budget([IncomeSource(D(5000), "weekly")], [], "week")
    assert result.expenses == 0
    assert result.surplus == D("5000.00")
    assert result.top_categories == ()


# --- tips --------------------------------------------------------------------------


def test_deficit_with_existing_loans_talks_to_the_officer_first() -> None:
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [
            Expense("loan_repayments", D(4000)),
            Expense("food", D(5000)),
            Expense("transport", D(2000)),
        ],
        "month",
    )
    assert result.status is BudgetStatus.DEFICIT
    assert result.deficit == D("1000.00")
    assert codes(result) == [
        TipCode.DEFICIT_TALK_TO_OFFICER,
        TipCode.DEFICIT_CUT_TOP_CATEGORY,
        TipCode.DEFICIT_ADD_INCOME,
    ]
    assert result.tips[0].params == {
        "loan_repayments": D("4000.00"),
        "share_of_income": D("0.4"),
    }
    assert result.tips[1].params == {
        "category": Category.FOOD,
        "amount": D("5000.00"),
        "gap": D("1000.00"),
    }


def test_deficit_without_loans_or_flexible_costs_still_gets_two_tips() -> None:
    result = build_budget(
        [IncomeSource(D(1000), "monthly")],
        [Expense("rent", D(900)), Expense("school_fees", D(300))],
        "month",
    )
    assert codes(result) == [TipCode.DEFICIT_ADD_INCOME, TipCode.DEFICIT_AVOID_NEW_LOAN]
    assert result.tips[0].params == {"gap": D("200.00")}


def test_high_airtime_is_flagged_unless_it_is_already_the_top_cut() -> None:
    income = [IncomeSource(D(10000), "monthly")]
    with_food = build_budget(
        income,
        [Expense("food", D(9000)), Expense("airtime", D(1500))],
        "month",
    )
    assert codes(with_food)[:2] == [
        TipCode.DEFICIT_CUT_TOP_CATEGORY,
        TipCode.HIGH_AIRTIME,
    ]
    assert with_food.tips[1].params == {
        "amount": D("1500.00"),
        "share_of_income": D("0.15"),
    }
    airtime_on_top = build_budget(
        income, [Expense("airtime", D(9000)), Expense("rent", D(1500))], "month"
    )
    assert TipCode.HIGH_AIRTIME not in codes(airtime_on_top)
    assert airtime_on_top.tips[0].params["category"] is Category.AIRTIME


def test_surplus_suggests_saving_half_and_an_emergency_buffer() -> None:
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [Expense("food", D(4000)), Expense("rent", D(2000))],
        "month",
    )
    assert result.status is BudgetStatus.SURPLUS
    assert codes(result) == [TipCode.SURPLUS_SAVE_SHARE, TipCode.EMERGENCY_BUFFER]
    assert result.tips[0].params == {"surplus": D("4000.00"), "amount": D("2000.00")}
    assert result.tips[1].params == {
        "target": D("18000.00"),  # 3 months of 6,000
        "months": 3,
        "saving": D("2000.00"),
        "periods": 9,
    }


def test_weekly_surplus_buffer_counts_months_of_expenses() -> None:
    result = build_budget([IncomeSource(D(3000), "weekly")], [Expense("food", D(1200))], "week")
    buffer = result.tips[-1]
    assert buffer.code is TipCode.EMERGENCY_BUFFER
    assert buffer.params["target"] == D("15600.00")  # 1200 x 52/12 x 3
    assert buffer.params["periods"] == 18  # 15600 / 900 a week = 17.3


def test_surplus_with_heavy_debt_mentions_it() -> None:
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [Expense("loan_repayments", D(3500)), Expense("airtime", D(600))],
        "month",
    )
    assert codes(result) == [
        TipCode.SURPLUS_SAVE_SHARE,
        TipCode.HIGH_DEBT_LOAD,
        TipCode.HIGH_AIRTIME,
    ]
    assert result.tips[1].params["share_of_income"] == D("0.35")


def test_tight_budget_gets_its_own_advice() -> None:
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [Expense("food", D(6000)), Expense("rent", D(3800))],
        "month",
    )
    assert result.status is BudgetStatus.TIGHT
    assert codes(result) == [
        TipCode.TIGHT_CUT_TOP_CATEGORY,
        TipCode.EMERGENCY_BUFFER,
        TipCode.TIGHT_AVOID_NEW_LOAN,
    ]
    # 5 % of income is 500; the surplus is 200, so 300 more would make room.
    assert result.tips[0].params["target"] == D("300.00")
    assert "periods" not in result.tips[1].params  # no saving suggested yet


def test_zero_surplus_is_tight_even_without_a_tight_margin() -> None:
    result = build_budget(
        [IncomeSource(D(1000), "monthly")],
        [Expense("rent", D(1000))],
        "month",
        TipRules(tight_share=D(0)),
    )
    assert result.status is BudgetStatus.TIGHT


def test_tip_rules_are_configurable() -> None:
    rules = TipRules(save_share=D("0.2"), buffer_months=1, max_tips=2)
    result = build_budget(
        [IncomeSource(D(10000), "monthly")],
        [Expense("airtime", D(900)), Expense("loan_repayments", D(4000))],
        "month",
        rules,
    )
    assert len(result.tips) == 2
    assert result.tips[0].params["amount"] == D("1020.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"save_share": D("1.5")},
        {"tight_share": D(-1)},
        {"buffer_months": 0},
        {"max_tips": 1},
        {"flexible_categories": ("cigarettes",)},
        {"high_airtime_share": "lots"},
    ],
)
def test_bad_tip_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(BudgetInputError) as caught:
        TipRules(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code in {BudgetErrorCode.INVALID_RULES, "invalid_category"}


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "code", "field"),
    [
        (lambda: IncomeSource(D(-5), "weekly"), "negative_amount", "income"),
        (lambda: IncomeSource(D(10) ** 15, "weekly"), "amount_too_large", "income"),
        (lambda: IncomeSource("abc", "weekly"), "not_a_number", "income"),  # type: ignore[arg-type]
        (lambda: IncomeSource(float("nan"), "weekly"), "not_a_number", "income"),  # type: ignore[arg-type]
        (lambda: IncomeSource(True, "weekly"), "not_a_number", "income"),  # type: ignore[arg-type]
        (lambda: IncomeSource(D("Infinity"), "weekly"), "not_a_number", "income"),
        (lambda: IncomeSource(D(5), "hourly"), "invalid_frequency", "frequency"),  # type: ignore[arg-type]
        (
            lambda: IncomeSource(D(5), "seasonal", seasons_per_year=0),
            "invalid_seasons",
            "seasons_per_year",
        ),
        (lambda: Expense("rent", D(-1)), "negative_amount", "rent"),
        (lambda: Expense("beer", D(1)), "invalid_category", "category"),  # type: ignore[arg-type]
        (
            lambda: build_budget([], [Expense("rent", D(100))], "month"),
            "no_income",
            "income",
        ),
        (
            lambda: build_budget([IncomeSource(D(0), "weekly")], [Expense("food", D(1))], "week"),
            "no_income",
            "income",
        ),
        (
            lambda: build_budget([IncomeSource(D(1), "weekly")], [], "day"),
            "invalid_period",
            "period",
        ),
    ],
)
def test_bad_values_raise_one_error_type_with_a_code(build: object, code: str, field: str) -> None:
    with pytest.raises(BudgetInputError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.code == code
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_the_maximum_amount_itself_is_accepted() -> None:
    assert to_amount(MAX_AMOUNT, "income") == MAX_AMOUNT
    assert to_amount("1e12", "income") == MAX_AMOUNT
    assert to_amount(2.5, "income") == D("2.5")
    with pytest.raises(BudgetInputError):
        to_amount(MAX_AMOUNT + D("0.01"), "income")


# --- properties --------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2)
frequencies = st.sampled_from(list(Frequency))
incomes = st.lists(
    st.builds(
        IncomeSource,
        amount=st.decimals(min_value=D(1), max_value=D(10) ** 9, places=2),
        frequency=frequencies,
        seasons_per_year=st.integers(1, 12),
    ),
    min_size=1,
    max_size=4,
)
expenses = st.lists(
    st.builds(
        Expense,
        category=st.sampled_from(list(Category)),
        amount=amounts,
        frequency=st.one_of(st.none(), frequencies),
        seasons_per_year=st.integers(1, 12),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(incomes, expenses, st.sampled_from(list(Period)))
def test_budget_properties(
    income_sources: list[IncomeSource], expense_items: list[Expense], period: Period
) -> None:
    result = build_budget(income_sources, expense_items, period)
    assert result.surplus == result.income - result.expenses
    assert result.expenses == sum(result.by_category.values(), D(0))
    assert result.deficit == max(D(0), -result.surplus)
    top = result.top_categories
    assert len(top) <= 3
    assert sum((c.share for c in top), D(0)) <= 1
    assert all(c.amount > 0 and 0 <= c.share <= 1 for c in top)
    assert [c.amount for c in top] == sorted((c.amount for c in top), reverse=True)
    smaller = [a for c, a in result.by_category.items() if c not in {t.category for t in top}]
    assert all(a <= top[-1].amount for a in smaller) if top else not any(smaller)
    assert 2 <= len(result.tips) <= 3
    assert {tip.code for tip in result.tips} <= TIPS_BY_STATUS[result.status]
    assert (result.status is BudgetStatus.DEFICIT) == (result.surplus < 0)
