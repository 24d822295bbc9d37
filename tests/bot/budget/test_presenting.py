"""The notes of budgets, affordability checks and savings plans (bot/budget/presenting.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterator

import pytest

from bot.budget.presenting import (
    NOTE_AFFORD_FIT_AMOUNT,
    NOTE_AFFORD_FIT_INSTALLMENT,
    NOTE_AFFORD_FIT_TERM,
    NOTE_AFFORD_LEVEL,
    NOTE_AFFORD_LOAN_TERMS,
    NOTE_AFFORD_NOTHING_FITS,
    NOTE_AFFORD_REASON,
    NOTE_AFFORD_REMINDER,
    NOTE_AFFORD_USING_BUDGET,
    NOTE_BUDGET_RESULT,
    NOTE_ERROR,
    NOTE_EXPENSE_NOTED,
    NOTE_EXPENSE_NOTED_PLAIN,
    NOTE_INCOME_NOTED,
    NOTE_INCOME_NOTED_PLAIN,
    NOTE_SAVINGS_INTEREST,
    NOTE_SAVINGS_NO_BUDGET,
    NOTE_SAVINGS_NO_SURPLUS,
    NOTE_SAVINGS_PLAN,
    NOTE_SAVINGS_REACH,
    NOTE_SAVINGS_REALISM,
    NOTE_TIP,
    NOTE_TIP_BUFFER_SAVING,
    NOTE_TOP_CATEGORIES,
    Formatter,
    Note,
    affordability_notes,
    budget_notes,
    error,
    loan_terms_note,
    noted,
    savings_notes,
    tip_note,
    using_budget_note,
)
from bot.budget.reading import Mention
from bot.finance.affordability import assess_installment, assess_loan
from bot.finance.budget import Expense, IncomeSource, Tip, TipCode, build_budget
from bot.finance.loan import LoanTerms
from bot.finance.savings import plan_by_amount, plan_by_deadline
from bot.i18n import format_date, format_money, format_percent
from bot.settings import get_settings

TODAY = dt.date(2026, 3, 1)
LOAN_TERMS = LoanTerms(
    amount=100000,
    rate=2,
    rate_period="month",
    term=6,
    term_unit="month",
    frequency="monthly",
    method="flat",
    currency_digits=2,
)


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default currency (KES) and locales, whatever the environment says."""
    monkeypatch.delenv("MFI_CURRENCY", raising=False)
    monkeypatch.delenv("MFI_LOCALES", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def fmt(language: str = "en") -> Formatter:
    return Formatter.for_language(language)


def money(value: str | int | Decimal, language: str = "en") -> str:
    return format_money(Decimal(value), language)


def weekly_budget(income: int, **expenses: int):  # noqa: ANN201 - BudgetResult
    return build_budget(
        [IncomeSource(Decimal(income), "weekly")],
        [Expense(category, Decimal(amount), "weekly") for category, amount in expenses.items()],
        "week",
    )


def test_labels_are_in_the_clients_language_then_english() -> None:
    swahili = fmt("sw")
    assert swahili.category("food") != fmt().category("food")
    assert swahili.frequency("weekly") == "kwa wiki"
    assert swahili.each("month") == "kila mwezi"
    assert fmt().category("unknown") == "unknown"


def test_an_error_note_carries_its_code() -> None:
    assert error("no_income") == Note(NOTE_ERROR, "no_income")


@pytest.mark.parametrize(
    ("mention", "period", "kind", "labels"),
    [
        (
            Mention(Decimal(3000), "weekly", 0, 4, role="income"),
            None,
            NOTE_INCOME_NOTED,
            {"frequency": "a week"},
        ),
        (Mention(Decimal(3000), None, 0, 4, role="income"), None, NOTE_INCOME_NOTED_PLAIN, {}),
        (
            Mention(Decimal(150), None, 0, 3, role="expense", category="food"),
            "month",
            NOTE_EXPENSE_NOTED,
            {"category": "Food", "frequency": "a month"},
        ),
        (
            Mention(Decimal(150), None, 0, 3, role="expense"),
            None,
            NOTE_EXPENSE_NOTED_PLAIN,
            {"category": "Other costs"},
        ),
    ],
)
def test_each_amount_given_is_echoed(
    mention: Mention, period: str | None, kind: str, labels: dict
) -> None:
    values = {"amount": money(mention.amount), **labels}
    assert noted(mention, period, fmt()) == Note(kind, values=values)


def test_a_single_total_shows_no_top_categories() -> None:
    notes = budget_notes(weekly_budget(12000, other=9000), fmt())
    assert notes[0] == Note(
        NOTE_BUDGET_RESULT,
        "surplus",
        {
            "income": money(12000),
            "expenses": money(9000),
            "surplus": money(3000),
            "deficit": money(0),
            "each_period": "each week",
        },
    )
    assert [(n.kind, n.variant) for n in notes[1:]] == [
        (NOTE_TIP, "surplus_save_share"),
        (NOTE_TIP_BUFFER_SAVING, "week"),
    ]


def test_top_categories_are_listed_with_their_shares() -> None:
    notes = budget_notes(weekly_budget(10000, rent=6000, food=5000), fmt())
    assert (notes[0].kind, notes[0].variant) == (NOTE_BUDGET_RESULT, "deficit")
    top = notes[1]
    assert top.kind == NOTE_TOP_CATEGORIES
    assert top.values["lines"].splitlines()[0] == (
        f"Rent: {money(6000)} ({format_percent(Decimal('0.5454'), 'en', decimals=0)})"
    )


def test_tip_figures_are_formatted_by_their_name() -> None:
    budget = weekly_budget(10000, food=5000)
    tip = Tip(
        TipCode.DEFICIT_CUT_TOP_CATEGORY,
        {"category": "food", "share": Decimal("0.25"), "amount": Decimal(500), "months": 3},
    )
    assert tip_note(tip, budget, fmt()) == Note(
        NOTE_TIP,
        "deficit_cut_top_category",
        {
            "each_period": "each week",
            "category": "Food",
            "share": format_percent(Decimal("0.25"), "en", decimals=0),
            "amount": money(500),
            "months": "3",
        },
    )


def test_an_installment_that_fits_gets_the_reminders() -> None:
    budget = weekly_budget(12000, food=8000, loan_repayments=1000)
    notes = affordability_notes(assess_installment(budget, Decimal(1000), "weekly"), fmt())
    assert [(n.kind, n.variant) for n in notes] == [
        (NOTE_AFFORD_LEVEL, "green"),
        (NOTE_AFFORD_REMINDER, "emergency_buffer"),
    ]
    assert notes[0].values["installment"] == money(1000)
    assert notes[0].values["frequency"] == "a week"


def test_an_installment_too_large_gets_the_largest_that_fits() -> None:
    budget = weekly_budget(12000, food=8000, loan_repayments=1000)
    notes = affordability_notes(assess_installment(budget, Decimal(5000), "weekly"), fmt())
    assert (notes[0].kind, notes[0].variant) == (NOTE_AFFORD_LEVEL, "red")
    assert {n.kind for n in notes[1:-1]} == {NOTE_AFFORD_REASON}
    assert notes[-1] == Note(
        NOTE_AFFORD_FIT_INSTALLMENT, values={"amount": money(1500), "frequency": "a week"}
    )


def test_nothing_fits_a_budget_in_deficit() -> None:
    budget = weekly_budget(1000, food=1500)
    notes = affordability_notes(assess_installment(budget, Decimal(100), "weekly"), fmt())
    assert notes[-1] == Note(NOTE_AFFORD_NOTHING_FITS)


def test_a_loan_too_large_gets_a_smaller_amount_and_a_longer_term() -> None:
    budget = build_budget(
        [IncomeSource(Decimal(30000), "monthly")],
        [Expense("rent", Decimal(14000), "monthly")],
        "month",
    )
    terms = LOAN_TERMS
    result = assess_loan(budget, terms)
    assert result.quote is not None
    stated = loan_terms_note(terms, result.quote, str(result.frequency), fmt())
    assert (stated.kind, stated.variant) == (NOTE_AFFORD_LOAN_TERMS, "flat")
    assert stated.values["rate_period"] == "a month" and stated.values["count"] == "6"
    notes = affordability_notes(result, fmt())
    found = {(n.kind, n.variant): n.values for n in notes}
    assert found[(NOTE_AFFORD_FIT_AMOUNT, None)]["amount"] == money(42000)
    assert found[(NOTE_AFFORD_FIT_TERM, "month")]["term"] == "17"


def test_the_saved_budget_used_is_stated() -> None:
    budget = weekly_budget(12000, food=9000)
    assert using_budget_note(budget, fmt()) == Note(
        NOTE_AFFORD_USING_BUDGET,
        values={"income": money(12000), "surplus": money(3000), "each_period": "each week"},
    )


def test_a_plan_without_a_budget() -> None:
    plan = plan_by_deadline(10000, "month", periods=3, today=TODAY)
    notes = savings_notes(plan, False, None, fmt())
    assert notes == [
        Note(
            NOTE_SAVINGS_PLAN,
            "month",
            {
                "goal": money(10000),
                "amount": money("3333.34"),
                "periods": "3",
                "date": format_date(plan.target_date, "en"),
            },
        ),
        Note(NOTE_SAVINGS_NO_BUDGET),
    ]


def test_a_plan_with_interest_and_a_budget() -> None:
    budget = weekly_budget(12000, food=9000)
    plan = plan_by_amount(
        50000, 1000, "week", annual_rate_percent=Decimal(6), budget=budget, today=TODAY
    )
    notes = savings_notes(plan, True, budget, fmt())
    assert [(n.kind, n.variant) for n in notes] == [
        (NOTE_SAVINGS_REACH, "week"),
        (NOTE_SAVINGS_INTEREST, None),
        (NOTE_SAVINGS_REALISM, str(plan.realism)),
    ]
    assert notes[1].values["rate"] == format_percent(Decimal("0.06"), "en", decimals=0)
    assert notes[2].values["each_period"] == "each week"


def test_a_plan_with_a_budget_in_deficit() -> None:
    budget = weekly_budget(1000, food=1500)
    plan = plan_by_deadline(5000, "week", periods=10, budget=budget, today=TODAY)
    assert savings_notes(plan, False, budget, fmt())[-1] == Note(NOTE_SAVINGS_NO_SURPLUS)
