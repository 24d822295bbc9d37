"""The savings form's draft, its updates and the plan (bot/budget/savings_form.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import List

import pytest

from bot.budget.presenting import NOTE_ERROR, Note
from bot.budget.reading import Mention, Reading, read_message
from bot.budget.savings_form import (
    ASK_SAVINGS_GOAL,
    ASK_SAVINGS_TARGET,
    SavingsDraft,
    annual_rate,
    currency_quantum,
    month_end,
    savings_target,
    update_savings,
)
from bot.budget.words import budget_words
from bot.finance.budget import Expense, IncomeSource, build_budget
from bot.nlu.values import extract_values

TODAY = dt.date(2026, 3, 1)
CENT = Decimal("0.01")


def read(text: str, language: str = "en") -> Reading:
    languages = [language, "en"]
    return read_message(
        text, extract_values(text, languages), "inform", budget_words(tuple(languages)), TODAY
    )


def codes(notes: List[Note]) -> List[str | None]:
    assert all(note.kind == NOTE_ERROR for note in notes)
    return [note.variant for note in notes]


def update(text: str, asked: str | None = None, draft: SavingsDraft | None = None):  # noqa: ANN201
    return update_savings(draft or SavingsDraft(), read(text), asked, TODAY, None, CENT)


def test_the_smallest_unit_of_a_currency() -> None:
    assert currency_quantum("KES") == CENT
    assert currency_quantum("UGX") == Decimal(1)


def test_questions_and_the_kind_of_target() -> None:
    assert SavingsDraft().next_question() == ASK_SAVINGS_GOAL
    assert SavingsDraft(goal="100").next_question() == ASK_SAVINGS_TARGET
    target = {"kind": "amount", "amount": "10", "period": "week"}
    complete = SavingsDraft(goal="100", target=target)
    assert complete.next_question() is None and complete.by_amount
    assert SavingsDraft(cancelled=True).next_question() is None


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("at 6% a year", Decimal(6)),
        ("at 1% a month", Decimal(12)),
        ("at 0.5% a week", Decimal(26)),
        ("at 5%", Decimal(5)),
        ("no rate", None),
    ],
)
def test_rates_are_per_year(text: str, rate: Decimal | None) -> None:
    assert annual_rate(read(text)) == rate


@pytest.mark.parametrize(
    ("month", "end"),
    [(12, dt.date(2026, 12, 31)), (2, dt.date(2027, 2, 28)), (3, dt.date(2026, 3, 31))],
)
def test_a_month_name_is_its_next_last_day(month: int, end: dt.date) -> None:
    assert month_end(month, TODAY) == end


@pytest.mark.parametrize(
    ("amount", "frequency", "target"),
    [
        ("500", "daily", {"kind": "amount", "amount": "3500", "period": "week"}),
        ("1000", "monthly", {"kind": "amount", "amount": "1000", "period": "month"}),
        ("1000", "fortnightly", {"kind": "amount", "amount": "500", "period": "week"}),
        ("1200", "yearly", {"kind": "amount", "amount": "100", "period": "month"}),
    ],
)
def test_a_deposit_per_period(amount: str, frequency: str, target: dict) -> None:
    mention = Mention(Decimal(amount), frequency, 0, len(amount))
    assert savings_target(Reading("inform"), [mention], TODAY, None, CENT) == target


@pytest.mark.parametrize(
    ("text", "budget_period", "target"),
    [
        ("in 6 months", None, {"kind": "periods", "count": 6, "period": "month"}),
        ("in 2 years", None, {"kind": "periods", "count": 24, "period": "month"}),
        ("in 30 days", None, {"kind": "periods", "count": 4, "period": "week"}),
        ("by december", None, {"kind": "date", "date": "2026-12-31", "period": "month"}),
        ("by december", "week", {"kind": "date", "date": "2026-12-31", "period": "week"}),
        ("by 15/04/2026", "month", {"kind": "date", "date": "2026-04-15", "period": "week"}),
        ("soon", None, None),
    ],
)
def test_a_time_or_a_date(text: str, budget_period: str | None, target: dict | None) -> None:
    assert savings_target(read(text), [], TODAY, budget_period, CENT) == target


def test_a_goal_and_a_time_in_one_message() -> None:
    draft, notes = update("hw can i save 10k in 3 months")
    assert (draft.goal, draft.target) == (
        "10000",
        {"kind": "periods", "count": 3, "period": "month"},
    )
    assert notes == [] and draft.next_question() is None
    plan = draft.plan(None, TODAY, CENT)
    assert plan.amount_per_period == Decimal("3333.34")


def test_the_largest_of_amounts_with_frequencies_is_the_goal() -> None:
    draft, _ = update_savings(
        SavingsDraft(),
        read("মাসে ১০০০ টাকা করে সঞ্চয় করলে কত দিনে ১২০০০ হবে", "bn"),
        None,
        TODAY,
        None,
        CENT,
    )
    assert draft.goal == "12000"
    assert draft.target == {"kind": "amount", "amount": "1000", "period": "month"}


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("by 1/1/2026", "date_not_in_future"),
        ("500", "how_often"),
        ("10 a month", "goal_not_reached"),
        ("by 1/1/2090", "too_many_periods"),
        ("soon", "not_understood"),
        ("-500 a week", "negative_amount"),
    ],
)
def test_bad_targets_are_asked_again(answer: str, code: str) -> None:
    draft, notes = update(answer, ASK_SAVINGS_TARGET, SavingsDraft(goal="50000"))
    assert draft.goal == "50000" and draft.target is None
    assert codes(notes) == [code]


def test_a_bad_goal_or_rate_is_asked_again() -> None:
    draft, notes = update("hello", ASK_SAVINGS_GOAL)
    assert draft.goal is None and codes(notes) == ["not_understood"]
    draft, notes = update("save 5000 in 3 months at 200% a year")
    assert draft.rate is None and codes(notes) == ["invalid_rate"]
    draft, notes = update("in 3 months", ASK_SAVINGS_TARGET, SavingsDraft(goal="0"))
    assert draft.goal is None and draft.target is not None
    assert codes(notes) == ["amount_not_positive"]


def test_a_plan_is_compared_with_the_saved_budget() -> None:
    budget = build_budget(
        [IncomeSource(Decimal(20000), "monthly")],
        [Expense("rent", Decimal(14000), "monthly")],
        "month",
    )
    draft, _ = update_savings(
        SavingsDraft(), read("save 60000 by december"), None, TODAY, budget, CENT
    )
    assert draft.target is not None and draft.target["period"] == "month"
    plan = draft.plan(budget, TODAY, CENT)
    assert plan.realism is not None and plan.share_of_surplus is not None


def test_cancel_stops_the_plan() -> None:
    draft, notes = update("cancel", ASK_SAVINGS_TARGET, SavingsDraft(goal="100"))
    assert draft.cancelled and notes == [] and draft.next_question() is None
