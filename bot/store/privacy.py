"""Deleting a client's data when they ask for it (the ``delete_my_data`` conversation).

A client's data is every row of the project's tables that has a ``conversation_id``
column (handoffs, complaints, consent, budgets, lesson progress... including tables that
features add later) and the events Rasa's SQL tracker store keeps for the conversation
(table ``events``, keyed by ``sender_id``), when they live in the same database
(``MFI_DB_URL``, as in ``make run``).
"""

from __future__ import annotations

import logging
from typing import Dict, List

from sqlalchemy import column, delete, func, inspect, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.sql.schema import Table

from bot.store.db import Base, get_engine, session_scope

logger = logging.getLogger(__name__)

CONVERSATION_COLUMN = "conversation_id"
RASA_EVENTS_TABLE = "events"  # rasa.core.tracker_store.SQLTrackerStore.SQLEvent
RASA_SENDER_COLUMN = "sender_id"
RASA_ACTION_COLUMN = "action_name"

_rasa_events = table(RASA_EVENTS_TABLE, column(RASA_SENDER_COLUMN), column(RASA_ACTION_COLUMN))


def conversation_tables() -> List[Table]:
    """Return the project's tables keyed by conversation, dependent tables first."""
    import bot.store.models  # noqa: F401 - registers every model on Base

    return [
        table_
        for table_ in reversed(Base.metadata.sorted_tables)
        if CONVERSATION_COLUMN in table_.c
    ]


def has_tracker_events(engine: Engine | None = None) -> bool:
    """Tell whether the database holds Rasa's tracker store (its ``events`` table)."""
    return inspect(engine or get_engine()).has_table(RASA_EVENTS_TABLE)


def tracker_event_count(
    conversation_id: str, action_name: str | None = None, engine: Engine | None = None
) -> int:
    """Count the conversation's stored tracker events (optionally of one action)."""
    engine = engine or get_engine()
    if not has_tracker_events(engine):
        return 0
    query = select(func.count()).select_from(_rasa_events)
    query = query.where(_rasa_events.c.sender_id == conversation_id)
    if action_name is not None:
        query = query.where(_rasa_events.c.action_name == action_name)
    with session_scope(engine) as session:
        return int(session.execute(query).scalar_one())


def delete_tracker_events(conversation_id: str, engine: Engine | None = None) -> int:
    """Delete the conversation's events from Rasa's SQL tracker store; return how many."""
    engine = engine or get_engine()
    if not has_tracker_events(engine):
        return 0
    statement = delete(_rasa_events).where(_rasa_events.c.sender_id == conversation_id)
    with session_scope(engine) as session:
        return int(session.execute(statement).rowcount or 0)


def delete_client_data(
    conversation_id: str, actor: str, engine: Engine | None = None
) -> Dict[str, int]:
    """Delete everything stored about one conversation's client.

    Args:
        conversation_id: the conversation (Rasa's sender id).
        actor: who asked for it (``client``, or a staff user name); logged, with the
            number of rows per table but no content and no identifier.
        engine: the database; the deployment's by default.

    Returns:
        The number of rows deleted per table (Rasa's tracker events as ``events``).
    """
    engine = engine or get_engine()
    existing = set(inspect(engine).get_table_names())
    deleted: Dict[str, int] = {}
    with session_scope(engine) as session:
        for table_ in conversation_tables():
            if table_.name not in existing:
                continue
            statement = delete(table_).where(table_.c[CONVERSATION_COLUMN] == conversation_id)
            deleted[table_.name] = int(session.execute(statement).rowcount or 0)
    deleted[RASA_EVENTS_TABLE] = delete_tracker_events(conversation_id, engine)
    logger.info("Client data deleted at the request of %s: %s", actor, deleted)
    return deleted
