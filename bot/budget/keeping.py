"""The client's kept budget and consent, in the deployment's database.

Each function opens its own session on ``bot.store.db.get_engine()`` and creates the
budget tables on first use of an engine (``bot.store.budget``); they block, so the actions
run them in a thread. Clients are named by their conversation id.
"""

from __future__ import annotations

from typing import Dict

from sqlalchemy.engine import Engine

from bot.budget.budget_form import BudgetDraft
from bot.finance.budget import Period, build_budget
from bot.store.budget import (
    BUDGET_TABLES,
    SavedBudget,
    budget_consent,
    forget_budgets,
    latest_budget,
    record_budget_consent,
    save_budget,
)
from bot.store.db import Base, get_engine, session_scope

_ready_engines: Dict[str, Engine] = {}


def budget_engine() -> Engine:
    """Return the deployment's database, with the budget tables created on first use."""
    engine = get_engine()
    key = str(engine.url)
    if _ready_engines.get(key) is not engine:
        Base.metadata.create_all(engine, tables=BUDGET_TABLES)
        _ready_engines[key] = engine
    return engine


def load_saved_budget(conversation_id: str) -> SavedBudget | None:
    """Return the client's newest kept budget."""
    with session_scope(budget_engine()) as session:
        return latest_budget(session, conversation_id)


def load_consent(conversation_id: str) -> bool | None:
    """Return whether the client agreed to keep budgets (None: never asked)."""
    with session_scope(budget_engine()) as session:
        return budget_consent(session, conversation_id)


def store_budget(conversation_id: str, draft: BudgetDraft) -> None:
    """Keep the budget of ``draft`` for the client."""
    incomes, expenses = draft.inputs()
    budget = build_budget(incomes, expenses, draft.period or Period.MONTH.value)
    with session_scope(budget_engine()) as session:
        save_budget(session, conversation_id, budget, incomes, expenses)


def store_consent(conversation_id: str, given: bool) -> None:
    """Record the client's answer to keeping budgets."""
    with session_scope(budget_engine()) as session:
        record_budget_consent(session, conversation_id, given)


def forget(conversation_id: str) -> int:
    """Delete the client's kept budgets and consent; return how many budgets went."""
    with session_scope(budget_engine()) as session:
        return forget_budgets(session, conversation_id)
