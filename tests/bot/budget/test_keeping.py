"""The client's kept budget and consent (bot/budget/keeping.py), on a fresh SQLite database."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect

from bot.budget.budget_form import BudgetDraft
from bot.budget.keeping import (
    budget_engine,
    forget,
    load_consent,
    load_saved_budget,
    store_budget,
    store_consent,
)
from bot.store.budget import BUDGET_TABLES

CLIENT = "telegram:42"
OTHER = "telegram:43"
DRAFT = BudgetDraft(
    period="week",
    incomes=({"amount": "12000", "frequency": "weekly"},),
    expenses=({"amount": "300", "frequency": "daily", "category": "food"},),
    income_done=True,
    expenses_done=True,
)


def test_the_budget_tables_are_created_on_first_use(db_url: str) -> None:
    engine = budget_engine()
    assert str(engine.url) == db_url
    names = set(inspect(engine).get_table_names())
    assert {table.name for table in BUDGET_TABLES} <= names
    assert budget_engine() is engine


def test_consent_is_unknown_until_asked(db_url: str) -> None:
    assert load_consent(CLIENT) is None
    store_consent(CLIENT, False)
    assert load_consent(CLIENT) is False
    store_consent(CLIENT, True)
    assert load_consent(CLIENT) is True
    assert load_consent(OTHER) is None


def test_a_kept_budget_comes_back_and_is_forgotten(db_url: str) -> None:
    assert load_saved_budget(CLIENT) is None
    store_consent(CLIENT, True)
    store_budget(CLIENT, DRAFT)
    saved = load_saved_budget(CLIENT)
    assert saved is not None and saved.period == "week"
    assert saved.income == Decimal("12000.00") and saved.expenses == Decimal("2100.00")
    assert saved.result() == DRAFT.result()
    assert load_saved_budget(OTHER) is None
    assert forget(CLIENT) == 1
    assert load_saved_budget(CLIENT) is None and load_consent(CLIENT) is None
    assert forget(CLIENT) == 0
