"""Deleting a client's data when they ask for it, with an audit entry that keeps no content.

A client's data is every row of the project's tables that has a ``conversation_id``
column (handoffs, complaints, consent, budgets, lesson progress, the console's index,
tags, notes and review state... including tables that features add later) and the events
Rasa's SQL tracker store keeps for the conversation (table ``events``, keyed by
``sender_id``), when they live in the same database (``MFI_DB_URL``, as in ``make run``).

``delete_client_data(conversation_id, actor)`` is the one complete deletion (the bot's
``delete_my_data`` action and the console's admin button call it): it deletes those rows
and events, replaces the conversation id in earlier audit entries by a random pseudonym
and drops their details (a reply's text), and writes one audit entry with that pseudonym
and the number of rows deleted per table.

Rasa saves a turn's events after its actions ran, so events of the deletion turn can be
stored again after the deletion; the function therefore also records a pending deletion
that ``purge_due`` (the console's background task) carries out ``delay_seconds`` later (it
deletes what was stored since, again without content).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Dict, List

from sqlalchemy import column, delete, func, inspect, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.sql.schema import Table

from bot.store import audit
from bot.store.console import AuditEntry, PendingDeletion
from bot.store.db import Base, get_engine, session_scope

logger = logging.getLogger(__name__)

CONVERSATION_COLUMN = "conversation_id"
RASA_EVENTS_TABLE = "events"  # rasa.core.tracker_store.SQLTrackerStore.SQLEvent
RASA_SENDER_COLUMN = "sender_id"
RASA_ACTION_COLUMN = "action_name"
DEFAULT_DELAY_SECONDS = 30
PSEUDONYM_PREFIX = "deleted-"
PURGE_ACTOR = "console"

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


def _delete_rows(conversation_id: str, actor: str, engine: Engine) -> Dict[str, int]:
    """Delete the conversation's rows and tracker events, without any audit entry.

    Args:
        conversation_id: the conversation (Rasa's sender id).
        actor: who asked for it; logged, with the number of rows per table but no
            content and no identifier.
        engine: the database.

    Returns:
        The number of rows deleted per existing table (Rasa's tracker events as ``events``).
    """
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


def new_pseudonym() -> str:
    """Return a random stand-in for a deleted client's conversation id in the audit log."""
    return PSEUDONYM_PREFIX + secrets.token_hex(6)


def delete_client_data(
    conversation_id: str,
    actor: str,
    engine: Engine | None = None,
    delay_seconds: int = DEFAULT_DELAY_SECONDS,
) -> Dict[str, int]:
    """Delete everything stored about one conversation's client; audit it without content.

    Args:
        conversation_id: the conversation (Rasa's sender id).
        actor: who asked: ``client`` for the client, or a staff username.
        engine: the database; the deployment's (``MFI_DB_URL``) by default.
        delay_seconds: when to delete again what Rasa stores after this call.

    Returns:
        The number of rows deleted per table (Rasa's tracker events as ``events``).
    """
    engine = engine or get_engine()
    for table_ in (AuditEntry.__table__, PendingDeletion.__table__):
        table_.create(engine, checkfirst=True)
    deleted = _delete_rows(conversation_id, actor, engine)
    pseudonym = new_pseudonym()
    now = dt.datetime.utcnow()
    with session_scope(engine) as session:
        audit.pseudonymise(session, conversation_id, pseudonym)
        audit.record(
            session,
            actor,
            audit.CLIENT_DATA_DELETE,
            pseudonym,
            {"rows": {name: count for name, count in deleted.items() if count}},
        )
        session.add(
            PendingDeletion(
                conversation_id=conversation_id,
                actor=actor,
                requested_at=now,
                not_before=now + dt.timedelta(seconds=delay_seconds),
            )
        )
    return deleted


def purge_due(engine: Engine, now: dt.datetime | None = None) -> List[Dict[str, int]]:
    """Carry out the pending deletions that are due; return the rows deleted by each."""
    now = now or dt.datetime.utcnow()
    with session_scope(engine) as session:
        due = list(
            session.execute(
                select(PendingDeletion.conversation_id)
                .where(PendingDeletion.not_before <= now)
                .distinct()
            ).scalars()
        )
    results = []
    for conversation_id in due:
        deleted = _delete_rows(conversation_id, PURGE_ACTOR, engine)
        results.append(deleted)
        if any(count for name, count in deleted.items() if name != PendingDeletion.__tablename__):
            logger.info("Deleted data stored again after a deletion: %s", deleted)
    return results
