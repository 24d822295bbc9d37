"""Clients' saved budgets and their consent to keep them, by conversation.

A budget is kept only when the client said yes to keeping it (asked once, recorded in
``mfi_budget_consent``); "forget my budget" deletes the client's budgets and that answer.
Both tables have a ``conversation_id``, so ``bot.store.privacy`` deletes them with the
rest of a client's data. Amounts are stored as exact decimal text; ``items`` keeps what
the client said (income sources and expenses with their frequencies) so the budget can
be rebuilt with :func:`bot.finance.budget.build_budget` for affordability checks and
savings plans. Times are naive UTC. Functions take a session
(``bot.store.db.session_scope``) and, where it matters, the current time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Text, delete
from sqlalchemy.orm import Session

from bot.finance.budget import (
    DEFAULT_SEASONS_PER_YEAR,
    BudgetResult,
    BudgetStatus,
    Expense,
    IncomeSource,
    Period,
    build_budget,
)
from bot.store.db import Base

ITEMS_INCOMES = "incomes"
ITEMS_EXPENSES = "expenses"
KEY_AMOUNT = "amount"
KEY_FREQUENCY = "frequency"
KEY_CATEGORY = "category"
KEY_SEASONS = "seasons_per_year"


def utcnow() -> dt.datetime:
    """Return the current time in UTC (naive, as stored)."""
    return dt.datetime.utcnow()


class BudgetRecord(Base):
    """One budget a client made and agreed to keep."""

    __tablename__ = "mfi_budget"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    period = Column(String(8), nullable=False)
    income = Column(String(32), nullable=False)
    expenses = Column(String(32), nullable=False)
    surplus = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False)
    items = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class BudgetConsent(Base):
    """Whether a client agreed to have their budgets kept (asked once)."""

    __tablename__ = "mfi_budget_consent"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True, index=True)
    given = Column(Boolean, nullable=False)
    answered_at = Column(DateTime, nullable=False, default=utcnow)


BUDGET_TABLES = [BudgetRecord.__table__, BudgetConsent.__table__]


@dataclass(frozen=True)
class SavedBudget:
    """A kept budget, per its period.

    Attributes:
        period: ``week`` or ``month``.
        income: total income per period.
        expenses: total expenses per period.
        surplus: income - expenses (negative for a deficit).
        status: ``deficit``, ``tight`` or ``surplus`` (bot.finance.budget.BudgetStatus).
        created_at: when it was saved (naive UTC).
        incomes: the income sources as given (amount, frequency, seasons_per_year).
        expense_items: the expenses as given (category, amount, frequency or None).
    """

    period: str
    income: Decimal
    expenses: Decimal
    surplus: Decimal
    status: str
    created_at: dt.datetime
    incomes: Tuple[IncomeSource, ...]
    expense_items: Tuple[Expense, ...]

    @property
    def in_deficit(self) -> bool:
        """Whether the client spends more than they earn."""
        return self.status == BudgetStatus.DEFICIT.value

    def result(self) -> BudgetResult:
        """Rebuild the full budget (categories, tips) from what the client said."""
        return build_budget(self.incomes, self.expense_items, self.period)


def items_json(incomes: Sequence[IncomeSource], expenses: Sequence[Expense]) -> str:
    """Return the JSON text that ``items`` stores for these inputs."""
    data: Dict[str, List[Dict[str, Any]]] = {
        ITEMS_INCOMES: [
            {
                KEY_AMOUNT: str(source.amount),
                KEY_FREQUENCY: str(source.frequency),
                KEY_SEASONS: source.seasons_per_year,
            }
            for source in incomes
        ],
        ITEMS_EXPENSES: [
            {
                KEY_CATEGORY: str(expense.category),
                KEY_AMOUNT: str(expense.amount),
                KEY_FREQUENCY: None if expense.frequency is None else str(expense.frequency),
                KEY_SEASONS: expense.seasons_per_year,
            }
            for expense in expenses
        ],
    }
    return json.dumps(data, separators=(",", ":"))


def parse_items(text: str) -> Tuple[Tuple[IncomeSource, ...], Tuple[Expense, ...]]:
    """Return the income sources and expenses stored in ``items`` JSON text."""
    data: Mapping[str, Any] = json.loads(text)
    incomes = tuple(
        IncomeSource(
            Decimal(item[KEY_AMOUNT]),
            item[KEY_FREQUENCY],
            int(item.get(KEY_SEASONS, DEFAULT_SEASONS_PER_YEAR)),
        )
        for item in data.get(ITEMS_INCOMES, [])
    )
    expenses = tuple(
        Expense(
            item[KEY_CATEGORY],
            Decimal(item[KEY_AMOUNT]),
            item.get(KEY_FREQUENCY),
            int(item.get(KEY_SEASONS, DEFAULT_SEASONS_PER_YEAR)),
        )
        for item in data.get(ITEMS_EXPENSES, [])
    )
    return incomes, expenses


def save_budget(
    session: Session,
    conversation_id: str,
    budget: BudgetResult,
    incomes: Sequence[IncomeSource],
    expenses: Sequence[Expense],
    now: dt.datetime | None = None,
) -> BudgetRecord:
    """Store a budget the client agreed to keep; return the new row."""
    record = BudgetRecord(
        conversation_id=conversation_id,
        period=str(budget.period),
        income=str(budget.income),
        expenses=str(budget.expenses),
        surplus=str(budget.surplus),
        status=str(budget.status),
        items=items_json(incomes, expenses),
        created_at=now or utcnow(),
    )
    session.add(record)
    session.flush()
    return record


def latest_budget(session: Session, conversation_id: str) -> SavedBudget | None:
    """Return the client's newest kept budget, or None when there is none."""
    record = (
        session.query(BudgetRecord)
        .filter(BudgetRecord.conversation_id == conversation_id)
        .order_by(BudgetRecord.created_at.desc(), BudgetRecord.id.desc())
        .first()
    )
    if record is None:
        return None
    incomes, expenses = parse_items(record.items)
    return SavedBudget(
        period=Period(record.period).value,
        income=Decimal(record.income),
        expenses=Decimal(record.expenses),
        surplus=Decimal(record.surplus),
        status=record.status,
        created_at=record.created_at,
        incomes=incomes,
        expense_items=expenses,
    )


def budget_consent(session: Session, conversation_id: str) -> bool | None:
    """Return the client's answer to "shall I keep your budget?", or None if never asked."""
    row = (
        session.query(BudgetConsent)
        .filter(BudgetConsent.conversation_id == conversation_id)
        .first()
    )
    return None if row is None else bool(row.given)


def record_budget_consent(
    session: Session, conversation_id: str, given: bool, now: dt.datetime | None = None
) -> BudgetConsent:
    """Record (or change) the client's answer; return the row."""
    row = (
        session.query(BudgetConsent)
        .filter(BudgetConsent.conversation_id == conversation_id)
        .first()
    )
    if row is None:
        row = BudgetConsent(conversation_id=conversation_id)
        session.add(row)
    row.given = given
    row.answered_at = now or utcnow()
    session.flush()
    return row


def forget_budgets(session: Session, conversation_id: str) -> int:
    """Delete the client's kept budgets and consent answer; return the budgets deleted.

    The consent answer goes too, so the next budget asks again before keeping anything.
    """
    deleted = session.execute(
        delete(BudgetRecord).where(BudgetRecord.conversation_id == conversation_id)
    ).rowcount
    session.execute(delete(BudgetConsent).where(BudgetConsent.conversation_id == conversation_id))
    return int(deleted or 0)
