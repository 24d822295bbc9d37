"""Tests of bot.finance.affordability: levels, reasons and green alternatives."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.finance.affordability import (
    AffordabilityRules,
    Level,
    ReasonCode,
    ReminderCode,
    assess_installment,
    assess_loan,
    auto_amount_step,
    max_green_amount,
    shortest_green_term,
)
from bot.finance.budget import (
    BudgetInputError,
    BudgetResult,
    Expense,
    IncomeSource,
    build_budget,
)
from bot.finance.loan import LoanTerms, quote
from bot.finance.terms import LoanInputError

D = Decimal
CENT = D("0.01")


def month_budget(income: Decimal, other: Decimal, loans: Decimal = D(0)) -> BudgetResult:
    """A monthly budget with one income, one other expense and existing loans."""
    expenses = [Expense("other", other), Expense("loan_repayments", loans)]
    return build_budget([IncomeSource(income, "monthly")], expenses, "month")


def flat_loan(amount: int, term: int = 12, **changes: object) -> LoanTerms:
    """A 2 %-per-month flat loan repaid monthly."""
    values: dict[str, object] = {
        "amount": amount,
        "rate": 2,
        "rate_period": "month",
        "term": term,
        "term_unit": "month",
        "frequency": "monthly",
        "method": "flat",
    }
    values.update(changes)
    return LoanTerms(**values)  # type: ignore[arg-type]


def level_for(budget: BudgetResult, terms: LoanTerms) -> Level:
    """The level of a loan's regular payment, without searching for alternatives."""
    payment = quote(terms).regular_payment
    return assess_installment(budget, payment, terms.frequency.value).level


# Surplus 4,000 a month, no loans: green up to 2,000 (half the surplus).
SURPLUS_BUDGET = month_budget(D(10000), D(6000))
# Surplus 9,000 with 1,000 of loans: green up to 2,000 (30 % of income, all loans).
DEBT_BUDGET = month_budget(D(10000), D(0), loans=D(1000))
# Surplus 8,000, no loans: green up to 4,000 a month.
LOAN_BUDGET = month_budget(D(20000), D(12000))


# --- installment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("installment", "level", "reasons"),
    [
        (D(2000), Level.GREEN, []),
        (D("2000.01"), Level.AMBER, [ReasonCode.SURPLUS_SHARE_HIGH]),
        (D(4000), Level.AMBER, [ReasonCode.SURPLUS_SHARE_HIGH, ReasonCode.DEBT_SHARE_HIGH]),
        (D("4000.01"), Level.RED, [ReasonCode.OVER_SURPLUS, ReasonCode.DEBT_SHARE_HIGH]),
    ],
)
def test_installment_against_the_surplus(
    installment: Decimal, level: Level, reasons: list[ReasonCode]
) -> None:
    result = assess_installment(SURPLUS_BUDGET, installment, "monthly")
    assert result.level is level
    assert [reason.code for reason in result.reasons] == reasons


@pytest.mark.parametrize(
    ("installment", "level", "reasons"),
    [
        (D(2000), Level.GREEN, []),
        (D("2000.01"), Level.AMBER, [ReasonCode.DEBT_SHARE_HIGH]),
        (D(4000), Level.AMBER, [ReasonCode.DEBT_SHARE_HIGH]),
        (D("4000.01"), Level.RED, [ReasonCode.DEBT_OVER_CAP]),
    ],
)
def test_all_repayments_against_income(
    installment: Decimal, level: Level, reasons: list[ReasonCode]
) -> None:
    result = assess_installment(DEBT_BUDGET, installment, "monthly")
    assert result.level is level
    assert [reason.code for reason in result.reasons] == reasons
    assert result.total_repayments == D(1000) + installment


def test_reasons_carry_their_figures() -> None:
    result = assess_installment(DEBT_BUDGET, D(4500), "monthly")
    (reason,) = result.reasons
    assert reason.level is Level.RED
    assert reason.params == {
        "total_repayments": D("5500.00"),
        "existing_repayments": D("1000.00"),
        "income": D("10000.00"),
        "share_of_income": D("0.55"),
        "limit": D("0.5"),
    }
    assert result.share_of_surplus == D("0.5")
    assert result.share_of_income == D("0.55")


def test_weekly_installment_is_compared_per_month() -> None:
    result = assess_installment(SURPLUS_BUDGET, D(1000), "weekly")
    assert result.installment_per_period == D("4333.33")
    assert result.level is Level.RED
    assert result.max_green_installment == D("461.53")  # 2,000 x 12/52


def test_green_result_carries_the_emergency_buffer_reminder() -> None:
    green = assess_installment(SURPLUS_BUDGET, D(1500), "monthly")
    assert green.reminders == (ReminderCode.EMERGENCY_BUFFER,)
    assert green.reasons == ()
    amber = assess_installment(SURPLUS_BUDGET, D(3000), "monthly")
    assert amber.reminders == ()


def test_no_surplus_is_red_whatever_the_installment() -> None:
    budget = month_budget(D(10000), D(10500))
    result = assess_installment(budget, D(1), "weekly")
    assert result.level is Level.RED
    assert result.reasons[0].code is ReasonCode.NO_SURPLUS
    assert result.share_of_surplus is None
    assert result.max_green_installment == 0


@pytest.mark.parametrize(
    ("installment", "frequency", "code"),
    [
        (D(0), "weekly", "amount_not_positive"),
        (D(-10), "weekly", "negative_amount"),
        (D(10) ** 13, "weekly", "amount_too_large"),
        (D(100), "hourly", "invalid_frequency"),
    ],
)
def test_bad_installments_are_refused(installment: Decimal, frequency: str, code: str) -> None:
    with pytest.raises(BudgetInputError) as caught:
        assess_installment(SURPLUS_BUDGET, installment, frequency)
    assert caught.value.code == code


# --- rules -------------------------------------------------------------------------


def test_rules_can_be_overridden_by_a_deployment() -> None:
    rules = AffordabilityRules.from_mapping(
        {"green_surplus_share": "0.4", "max_term_months": "36", "amount_step": "500"}
    )
    assert rules.green_surplus_share == D("0.4")
    assert rules.max_term_months == 36
    assert rules.amount_step == D(500)
    result = assess_installment(SURPLUS_BUDGET, D(2000), "monthly", rules)
    assert result.level is Level.AMBER
    assert AffordabilityRules.from_mapping({"amount_step": ""}).amount_step is None


@pytest.mark.parametrize(
    "values",
    [
        {"green_surplus_share": "2", "amber_surplus_share": "1"},
        {"green_income_share": "0.6"},
        {"max_term_months": "0"},
        {"max_term_months": "many"},
        {"amount_step": "-5"},
        {"green_surplus_share": "abc"},
        {"unknown_rule": "1"},
    ],
)
def test_bad_rules_are_refused(values: dict[str, str]) -> None:
    with pytest.raises(BudgetInputError):
        AffordabilityRules.from_mapping(values)


def test_auto_amount_step_keeps_three_digits() -> None:
    assert auto_amount_step(D(20000)) == 100
    assert auto_amount_step(D(1500)) == 10
    assert auto_amount_step(D("750.50")) == 1
    assert auto_amount_step(D(1234567)) == 10000


# --- loans -------------------------------------------------------------------------


def test_affordable_loan_is_green_without_alternatives() -> None:
    result = assess_loan(LOAN_BUDGET, flat_loan(10000))
    assert result.level is Level.GREEN
    assert result.installment == D("1033.33")
    assert result.quote is not None and result.quote.installments == 12
    assert result.smaller_amount is None and result.longer_term is None
    assert result.reminders == (ReminderCode.EMERGENCY_BUFFER,)


def test_unaffordable_loan_gets_a_smaller_amount_and_a_longer_term() -> None:
    # 60,000 over 12 months: 5,000 + 1,200 interest = 6,200 a month, 31 % of income.
    result = assess_loan(LOAN_BUDGET, flat_loan(60000))
    assert result.level is Level.AMBER
    assert result.installment == D("6200.00")
    assert result.smaller_amount is not None
    # amount x (1/12 + 2 %) <= 4,000 gives 38,709; the step is 100.
    assert result.smaller_amount.terms.amount == D(38700)
    assert result.smaller_amount.installment == D("3999.00")
    assert result.longer_term is not None
    # 60,000 / t + 1,200 <= 4,000 gives t >= 21.4 months.
    assert result.longer_term.terms.term == 22
    assert result.longer_term.terms.term_unit.value == "month"
    assert result.longer_term.installment_per_period <= D(4000)


def test_no_longer_term_when_even_the_longest_is_too_much() -> None:
    result = assess_loan(LOAN_BUDGET, flat_loan(200000))
    assert result.level is Level.RED
    assert result.longer_term is None
    assert result.smaller_amount is not None
    assert result.smaller_amount.terms.amount == D(38000)  # step 1,000


def test_no_longer_term_beyond_the_bound() -> None:
    terms = flat_loan(200000, term=30, rate=0)  # 200,000 / t <= 4,000 from 50 months
    assert level_for(LOAN_BUDGET, terms) is Level.AMBER
    assert shortest_green_term(LOAN_BUDGET, terms) is None
    longer_bound = AffordabilityRules(max_term_months=120)
    suggestion = shortest_green_term(LOAN_BUDGET, terms, longer_bound)
    assert suggestion is not None and suggestion.terms.term == 50


def test_term_in_years_is_searched_in_months() -> None:
    suggestion = shortest_green_term(LOAN_BUDGET, flat_loan(60000, term=1, term_unit="year"))
    assert suggestion is not None
    assert (suggestion.terms.term, suggestion.terms.term_unit.value) == (22, "month")


def test_term_in_weeks_is_searched_in_weeks_up_to_104() -> None:
    terms = flat_loan(60000, term=26, term_unit="week", frequency="weekly")
    assert level_for(LOAN_BUDGET, terms) is Level.RED
    suggestion = shortest_green_term(LOAN_BUDGET, terms)
    assert suggestion is not None
    # weekly: 60000 / w + 276.92; per month x 52/12: 260000 / w + 1200 <= 4000
    assert suggestion.terms.term == 93
    assert suggestion.terms.term_unit.value == "week"
    shorter = dataclasses.replace(terms, term=92)
    assert level_for(LOAN_BUDGET, shorter) is not Level.GREEN
    assert shortest_green_term(LOAN_BUDGET, dataclasses.replace(terms, amount=100000)) is None


def test_fees_and_savings_are_part_of_the_installment() -> None:
    terms = flat_loan(60000, fee_per_installment=300, savings_per_installment=200)
    suggestion = max_green_amount(LOAN_BUDGET, terms)
    assert suggestion is not None
    # amount x 0.10333 + 500 <= 4,000 gives 33,870
    assert suggestion.terms.amount == D(33800)
    assert suggestion.installment == suggestion.quote.regular_payment


def test_declining_balance_loans_are_searched_with_the_engine() -> None:
    terms = flat_loan(60000, rate=24, rate_period="year", method="declining")
    result = assess_loan(LOAN_BUDGET, terms)
    assert result.level is Level.AMBER
    assert result.smaller_amount is not None
    amount = result.smaller_amount.terms.amount
    assert level_for(LOAN_BUDGET, result.smaller_amount.terms) is Level.GREEN
    bigger = dataclasses.replace(terms, amount=amount + 100)
    assert level_for(LOAN_BUDGET, bigger) is not Level.GREEN


def test_amounts_the_engine_refuses_do_not_mislead_the_search() -> None:
    terms = flat_loan(60000, upfront_fee_fixed=5000)  # amounts <= 5,000 are refused
    suggestion = max_green_amount(LOAN_BUDGET, terms)
    assert suggestion is not None and suggestion.terms.amount == D(38700)
    small_budget = month_budget(D(2000), D(1200))  # green up to 400 a month
    assert max_green_amount(small_budget, terms) is None


def test_never_more_than_asked() -> None:
    terms = flat_loan(38750)  # not a multiple of the step 100; 38,700 fits
    suggestion = max_green_amount(LOAN_BUDGET, terms)
    assert suggestion is not None and suggestion.terms.amount == D(38700)
    assert max_green_amount(LOAN_BUDGET, flat_loan(30000)) is not None
    assert max_green_amount(LOAN_BUDGET, flat_loan(30000)).terms.amount == D(30000)  # type: ignore[union-attr]


def test_custom_amount_step() -> None:
    rules = AffordabilityRules(amount_step=D(5000))
    suggestion = max_green_amount(LOAN_BUDGET, flat_loan(60000), rules)
    assert suggestion is not None and suggestion.terms.amount == D(35000)


def test_the_engine_is_injectable_and_its_errors_pass_through() -> None:
    calls: list[LoanTerms] = []

    def refusing(terms: LoanTerms):  # type: ignore[no-untyped-def]
        calls.append(terms)
        raise LoanInputError("rate_too_high", "rate", "too high")

    with pytest.raises(LoanInputError) as caught:
        assess_loan(LOAN_BUDGET, flat_loan(60000), engine=refusing)
    assert caught.value.code == "rate_too_high"
    assert calls == [flat_loan(60000)]


def test_loan_with_no_surplus_has_no_green_alternative() -> None:
    result = assess_loan(month_budget(D(10000), D(10000)), flat_loan(5000))
    assert result.level is Level.RED
    assert result.smaller_amount is None and result.longer_term is None


# --- properties --------------------------------------------------------------------


@st.composite
def budgets(draw: st.DrawFn) -> BudgetResult:
    """Monthly budgets with a surplus: expenses and loans are shares of income."""
    income = D(draw(st.integers(1000, 10**6)))
    spent = draw(st.integers(0, 95)) * income / 100
    loans = draw(st.integers(0, 100)) * spent / 100
    return month_budget(income, (spent - loans).quantize(CENT), loans.quantize(CENT))


@st.composite
def loans_for(draw: st.DrawFn, budget: BudgetResult) -> LoanTerms:
    """Loans from a tenth of to twenty times the monthly income."""
    amount = int(budget.income * draw(st.integers(1, 200)) / 10)
    return LoanTerms(
        amount=max(amount, 100),
        rate=draw(st.decimals(min_value=0, max_value=5, places=1)),
        rate_period="month",
        term=draw(st.integers(1, 24)),
        term_unit="month",
        frequency=draw(st.sampled_from(["weekly", "fortnightly", "monthly"])),
        method=draw(st.sampled_from(["flat", "declining", "declining_equal_principal"])),
        fee_per_installment=draw(st.sampled_from([0, 50])),
    )


budget_and_loan = budgets().flatmap(lambda budget: st.tuples(st.just(budget), loans_for(budget)))


@settings(max_examples=60, deadline=None)
@given(budget_and_loan)
def test_suggestions_are_green_and_as_large_or_short_as_possible(
    case: tuple[BudgetResult, LoanTerms],
) -> None:
    budget, terms = case
    result = assess_loan(budget, terms)
    event(f"level {result.level}")
    event(f"smaller amount: {result.smaller_amount is not None}")
    event(f"longer term: {result.longer_term is not None}")
    if result.level is Level.GREEN:
        assert result.smaller_amount is None and result.longer_term is None
        assert result.reminders == (ReminderCode.EMERGENCY_BUFFER,)
        return
    assert result.reasons
    smaller = result.smaller_amount
    if smaller is not None:
        step = auto_amount_step(terms.amount)
        amount = smaller.terms.amount
        assert amount < terms.amount
        assert amount % step == 0
        assert level_for(budget, smaller.terms) is Level.GREEN
        if amount + step <= terms.amount:
            bigger = dataclasses.replace(terms, amount=amount + step)
            assert level_for(budget, bigger) is not Level.GREEN
    longer = result.longer_term
    if longer is not None:
        assert terms.term < longer.terms.term <= 24
        assert level_for(budget, longer.terms) is Level.GREEN
        if longer.terms.term - 1 > terms.term:
            shorter = dataclasses.replace(longer.terms, term=longer.terms.term - 1)
            assert level_for(budget, shorter) is not Level.GREEN
    else:
        assert level_for(budget, dataclasses.replace(terms, term=24)) is not Level.GREEN


levels = [Level.GREEN, Level.AMBER, Level.RED]


@settings(max_examples=200, deadline=None)
@given(
    budgets(),
    st.decimals(min_value=CENT, max_value=10**6, places=2),
    st.decimals(min_value=CENT, max_value=10**6, places=2),
    st.sampled_from(["daily", "weekly", "fortnightly", "monthly"]),
)
def test_a_bigger_installment_is_never_easier(
    budget: BudgetResult, first: Decimal, second: Decimal, frequency: str
) -> None:
    low, high = sorted((first, second))
    low_level = assess_installment(budget, low, frequency).level
    high_level = assess_installment(budget, high, frequency).level
    assert levels.index(low_level) <= levels.index(high_level)


@settings(max_examples=200, deadline=None)
@given(budgets(), st.sampled_from(["daily", "weekly", "fortnightly", "monthly"]))
def test_max_green_installment_is_the_green_limit(budget: BudgetResult, frequency: str) -> None:
    limit = assess_installment(budget, D(1), frequency).max_green_installment
    if limit > 0:
        assert assess_installment(budget, limit, frequency).level is Level.GREEN
    assert assess_installment(budget, limit + CENT, frequency).level is not Level.GREEN
