"""Saved budgets and the consent to keep them (bot/store/budget.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from bot.finance.budget import BudgetResult, BudgetStatus, Expense, IncomeSource, build_budget
from bot.store import privacy
from bot.store.budget import (
    BudgetConsent,
    BudgetRecord,
    budget_consent,
    forget_budgets,
    items_json,
    latest_budget,
    parse_items,
    record_budget_consent,
    save_budget,
)
from bot.store.db import create_tables, get_engine, session_scope

CLIENT = "whatsapp:+254700000001"
OTHER = "telegram:42"
T0 = dt.datetime(2026, 3, 1, 9, 0)

INCOMES = [IncomeSource(Decimal(3000), "weekly"), IncomeSource(Decimal(40000), "seasonal")]
EXPENSES = [
    Expense("food", Decimal(150), "daily"),
    Expense("rent", Decimal(4000), "monthly"),
    Expense("school_fees", Decimal(6000), "yearly"),
    Expense("loan_repayments", Decimal(500), "weekly"),
    Expense("other", Decimal(300)),
]


@pytest.fixture
def engine(db_url: str) -> Engine:
    create_tables()
    return get_engine()


def save(
    conversation_id: str,
    incomes: list = INCOMES,
    expenses: list = EXPENSES,
    period: str = "month",
    now: dt.datetime = T0,
) -> BudgetResult:
    budget = build_budget(incomes, expenses, period)
    with session_scope() as session:
        save_budget(session, conversation_id, budget, incomes, expenses, now=now)
    return budget


def test_items_round_trip_keeps_amounts_frequencies_and_seasons() -> None:
    incomes, expenses = parse_items(items_json(INCOMES, EXPENSES))
    assert incomes == tuple(INCOMES)
    assert expenses == tuple(EXPENSES)
    assert expenses[-1].frequency is None


def test_no_budget_before_one_is_saved(engine: Engine) -> None:
    with session_scope() as session:
        assert latest_budget(session, CLIENT) is None


def test_latest_budget_gives_the_figures_and_rebuilds_the_budget(engine: Engine) -> None:
    budget = save(CLIENT)
    with session_scope() as session:
        saved = latest_budget(session, CLIENT)
    assert saved is not None
    assert saved.period == "month"
    assert (saved.income, saved.expenses, saved.surplus) == (
        budget.income,
        budget.expenses,
        budget.surplus,
    )
    assert saved.surplus == saved.income - saved.expenses
    assert saved.status == budget.status.value == BudgetStatus.SURPLUS.value
    assert not saved.in_deficit
    assert saved.created_at == T0
    assert saved.result() == budget


def test_latest_budget_is_the_newest_of_this_client(engine: Engine) -> None:
    save(CLIENT, now=T0)
    newer = save(
        CLIENT,
        incomes=[IncomeSource(Decimal(1000), "weekly")],
        expenses=[Expense("food", Decimal(2000), "weekly")],
        period="week",
        now=T0 + dt.timedelta(days=1),
    )
    save(OTHER, now=T0 + dt.timedelta(days=2))
    with session_scope() as session:
        saved = latest_budget(session, CLIENT)
    assert saved is not None
    assert saved.period == "week"
    assert saved.surplus == newer.surplus == Decimal("-1000.00")
    assert saved.in_deficit


def test_consent_is_unknown_then_recorded_and_changed(engine: Engine) -> None:
    with session_scope() as session:
        assert budget_consent(session, CLIENT) is None
        record_budget_consent(session, CLIENT, True, now=T0)
    with session_scope() as session:
        assert budget_consent(session, CLIENT) is True
        assert budget_consent(session, OTHER) is None
        record_budget_consent(session, CLIENT, False)
    with session_scope() as session:
        assert budget_consent(session, CLIENT) is False
        assert session.query(BudgetConsent).count() == 1


def test_forget_deletes_the_clients_budgets_and_consent_only(engine: Engine) -> None:
    save(CLIENT)
    save(CLIENT)
    save(OTHER)
    with session_scope() as session:
        record_budget_consent(session, CLIENT, True)
        record_budget_consent(session, OTHER, True)
    with session_scope() as session:
        assert forget_budgets(session, CLIENT) == 2
    with session_scope() as session:
        assert latest_budget(session, CLIENT) is None
        assert budget_consent(session, CLIENT) is None
        assert latest_budget(session, OTHER) is not None
        assert budget_consent(session, OTHER) is True
        assert forget_budgets(session, CLIENT) == 0


def test_deleting_a_clients_data_deletes_their_budgets(engine: Engine) -> None:
    save(CLIENT)
    save(OTHER)
    with session_scope() as session:
        record_budget_consent(session, CLIENT, True)
    deleted = privacy.delete_client_data(CLIENT, actor="client")
    assert deleted[BudgetRecord.__tablename__] == 1
    assert deleted[BudgetConsent.__tablename__] == 1
    with session_scope() as session:
        assert latest_budget(session, CLIENT) is None
        assert latest_budget(session, OTHER) is not None
