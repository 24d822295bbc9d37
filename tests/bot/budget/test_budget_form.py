"""The budget form's draft and what one message changes (bot/budget/budget_form.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any, Dict, List

import pytest

from bot.budget.budget_form import (
    ASK_BUDGET_EXPENSES,
    ASK_BUDGET_INCOME_DONE,
    ASK_BUDGET_INCOMES,
    ASK_BUDGET_PERIOD,
    CATEGORY_ORDER,
    BudgetDraft,
    income_period,
    update_budget,
)
from bot.budget.presenting import (
    NOTE_ERROR,
    NOTE_EXPENSE_NOTED,
    NOTE_INCOME_NOTED,
    Formatter,
    Note,
)
from bot.budget.reading import Reading, read_message
from bot.budget.words import budget_words
from bot.finance.budget import BudgetInputError, Category
from bot.nlu.values import extract_values

TODAY = dt.date(2026, 3, 1)
FMT = Formatter.for_language("en")
WEEKLY_INCOME = {"amount": "3000", "frequency": "weekly"}
GUIDED = BudgetDraft(period="month", incomes=(WEEKLY_INCOME,), income_done=True)


def read(text: str, intent: str = "inform") -> Reading:
    if text.startswith("/"):
        entities: List[Dict[str, Any]] = []
        if "weekly" in text or "monthly" in text:
            entities = [{"entity": "frequency", "value": text.split('"')[3]}]
        return read_message(text, entities, intent, budget_words(("en",)), TODAY)
    return read_message(text, extract_values(text, ["en"]), intent, budget_words(("en",)), TODAY)


def kinds(notes: List[Note]) -> List[tuple]:
    return [(note.kind, note.variant) for note in notes]


def test_questions_come_in_order_until_the_form_is_complete() -> None:
    draft = BudgetDraft()
    assert draft.next_question() == ASK_BUDGET_PERIOD
    draft = BudgetDraft(period="week")
    assert draft.next_question() == ASK_BUDGET_INCOMES
    draft = BudgetDraft(period="week", incomes=(WEEKLY_INCOME,))
    assert draft.next_question() == ASK_BUDGET_INCOME_DONE
    assert GUIDED.next_question() == ASK_BUDGET_EXPENSES
    assert BudgetDraft(period="week", cancelled=True).next_question() is None
    done = BudgetDraft(
        period="week", incomes=(WEEKLY_INCOME,), income_done=True, expenses_done=True
    )
    assert done.next_question() is None


def test_categories_are_asked_in_order_skipping_those_given() -> None:
    assert CATEGORY_ORDER[0] == "food" and CATEGORY_ORDER[-1] == "other"
    draft = BudgetDraft(expenses=({"amount": "4000", "frequency": None, "category": "food"},))
    assert draft.category == "rent"
    every = tuple({"amount": "0", "frequency": None, "category": c} for c in CATEGORY_ORDER)
    assert BudgetDraft(expenses=every).category is None


def test_the_budget_kept_while_asking_for_consent_comes_back_whole() -> None:
    draft = BudgetDraft(
        period="week",
        incomes=(WEEKLY_INCOME,),
        expenses=({"amount": "900", "frequency": None, "category": "food"},),
    )
    back = BudgetDraft.from_pending(draft.pending())
    assert back.result() == draft.result()
    assert back.income_done and back.expenses_done


def test_amounts_without_frequency_are_per_budget_period() -> None:
    draft = BudgetDraft(
        period="week",
        incomes=({"amount": "3000", "frequency": None},),
        expenses=({"amount": "1000", "frequency": None, "category": "food"},),
    )
    budget = draft.result()
    assert (budget.income, budget.expenses) == (Decimal("3000.00"), Decimal("1000.00"))
    with pytest.raises(BudgetInputError):
        BudgetDraft(period="week").result()


def test_the_quick_path_fills_the_form_at_once() -> None:
    draft, notes = update_budget(
        BudgetDraft(), read("I earn 12000 a week and spend about 9000", "start_budget"), None, FMT
    )
    assert notes == []
    assert draft.incomes == ({"amount": "12000", "frequency": "weekly"},)
    assert draft.expenses == ({"amount": "9000", "frequency": None, "category": "other"},)
    assert (draft.period, draft.income_done, draft.expenses_done) == ("week", True, True)
    assert draft.next_question() is None


def test_an_income_alone_starts_the_guided_budget() -> None:
    draft, notes = update_budget(BudgetDraft(), read("I earn 800 daily", "start_budget"), None, FMT)
    assert notes == [] and draft.incomes == ({"amount": "800", "frequency": "daily"},)
    assert draft.next_question() == ASK_BUDGET_PERIOD


@pytest.mark.parametrize(
    ("text", "period", "notes"),
    [
        ('/inform{"frequency":"weekly"}', "week", []),
        ("month", "month", []),
        ("3000 a day", "week", [(NOTE_INCOME_NOTED, None)]),
        ("hello", None, [(NOTE_ERROR, "not_understood")]),
    ],
)
def test_the_period(text: str, period: str | None, notes: list) -> None:
    draft, said = update_budget(BudgetDraft(), read(text), ASK_BUDGET_PERIOD, FMT)
    assert draft.period == period
    assert kinds(said) == notes


@pytest.mark.parametrize(
    ("text", "intent", "code"),
    [
        ("0", "inform", "no_income"),
        ("nothing", "inform", "no_income"),
        ("no", "deny", "no_income"),
        ("hello there", "inform", "not_understood"),
        ("-5000 a week", "inform", "negative_amount"),
        ("1000000000000000", "inform", "amount_too_large"),
    ],
)
def test_bad_incomes_are_refused(text: str, intent: str, code: str) -> None:
    start = BudgetDraft(period="week")
    draft, notes = update_budget(start, read(text, intent), ASK_BUDGET_INCOMES, FMT)
    assert draft.incomes == ()
    assert notes == [Note(NOTE_ERROR, code)]


def test_several_incomes_in_one_message_are_each_echoed() -> None:
    start = BudgetDraft(period="month")
    text = "I earn 3000 a week and 40000 after harvest"
    draft, notes = update_budget(start, read(text), ASK_BUDGET_INCOMES, FMT)
    assert [entry["frequency"] for entry in draft.incomes] == ["weekly", "seasonal"]
    assert kinds(notes) == [(NOTE_INCOME_NOTED, None), (NOTE_INCOME_NOTED, None)]


@pytest.mark.parametrize(
    ("text", "intent", "done", "error"),
    [
        ("no", "deny", True, False),
        ("that's all", "inform", True, False),
        ("yes", "affirm", None, False),
        ("blah", "nlu_fallback", None, True),
    ],
)
def test_any_other_income(text: str, intent: str, done: bool | None, error: bool) -> None:
    start = BudgetDraft(period="week", incomes=(WEEKLY_INCOME,))
    draft, notes = update_budget(start, read(text, intent), ASK_BUDGET_INCOME_DONE, FMT)
    assert draft.income_done is done
    assert kinds(notes) == ([(NOTE_ERROR, "not_understood")] if error else [])


def test_an_expense_goes_to_the_category_asked_unless_named() -> None:
    draft, notes = update_budget(GUIDED, read("150 a day"), ASK_BUDGET_EXPENSES, FMT)
    assert draft.expenses == ({"amount": "150", "frequency": "daily", "category": "food"},)
    assert notes[0].kind == NOTE_EXPENSE_NOTED and notes[0].values["category"] == "Food"
    draft, _ = update_budget(GUIDED, read("rent 4000 a month"), ASK_BUDGET_EXPENSES, FMT)
    assert draft.expenses[0]["category"] == "rent"
    assert draft.category == "food"  # still asked


def test_skip_done_and_the_last_category() -> None:
    skipped, _ = update_budget(GUIDED, read("skip"), ASK_BUDGET_EXPENSES, FMT)
    assert skipped.expenses == ({"amount": "0", "frequency": None, "category": "food"},)
    assert skipped.category == "rent"
    given, _ = update_budget(skipped, read("food 200 a day"), ASK_BUDGET_EXPENSES, FMT)
    assert given.expenses == ({"amount": "200", "frequency": "daily", "category": "food"},)
    done, _ = update_budget(GUIDED, read("/affirm", "affirm"), ASK_BUDGET_EXPENSES, FMT)
    assert done.expenses_done is True
    all_but_other = tuple(
        {"amount": "0", "frequency": None, "category": c}
        for c in CATEGORY_ORDER
        if c != Category.OTHER.value
    )
    last = replace(GUIDED, expenses=all_but_other)
    finished, _ = update_budget(last, read("/deny", "deny"), ASK_BUDGET_EXPENSES, FMT)
    assert finished.expenses_done is True and finished.next_question() is None
    _, notes = update_budget(GUIDED, read("hmm"), ASK_BUDGET_EXPENSES, FMT)
    assert notes == [Note(NOTE_ERROR, "not_understood")]


def test_amounts_and_done_in_one_message() -> None:
    text = "food 150 a day, rent 4000 a month and that's all"
    draft, notes = update_budget(GUIDED, read(text), ASK_BUDGET_EXPENSES, FMT)
    assert [e["category"] for e in draft.expenses] == ["food", "rent"]
    assert draft.expenses_done is True and len(notes) == 2


def test_cancel_stops_the_form() -> None:
    draft, notes = update_budget(GUIDED, read("cancel"), ASK_BUDGET_EXPENSES, FMT)
    assert draft.cancelled and notes == [] and draft.next_question() is None


def test_the_period_of_the_first_income_with_a_frequency() -> None:
    incomes = [{"amount": "1", "frequency": None}, {"amount": "2", "frequency": "fortnightly"}]
    assert income_period(incomes) == "week"
    assert income_period([{"amount": "1", "frequency": "seasonal"}]) == "month"
    assert income_period([{"amount": "1", "frequency": None}]) is None
