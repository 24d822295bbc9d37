"""Deleting a client's data, with an audit entry that keeps no content.

``delete_client_data(conversation_id, actor)`` is what the bot's ``delete_my_data``
action calls (and the console's admin button): it deletes Rasa's tracker events of the
conversation and every row of the project's tables with a ``conversation_id`` column
(``bot.store.privacy``; the console's own index, tags, notes and review state included),
replaces the conversation id in earlier audit entries by a random pseudonym and drops
their details (a reply's text), and writes one audit entry with that pseudonym and the
number of rows deleted per table.

Rasa saves a turn's events after its actions ran, so events of the deletion turn can be
stored again after the deletion; the function therefore also records a pending deletion
that the console's background task (``purge_due``) carries out ``delay_seconds`` later (it
deletes what was stored since, again without content).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Dict, List

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.console import audit
from bot.store import privacy as store_privacy
from bot.store.console import AuditEntry, PendingDeletion
from bot.store.db import get_engine, session_scope

logger = logging.getLogger(__name__)

DEFAULT_DELAY_SECONDS = 30
PSEUDONYM_PREFIX = "deleted-"


def new_pseudonym() -> str:
    """A random stand-in for a deleted client's conversation id in the audit log."""
    return PSEUDONYM_PREFIX + secrets.token_hex(6)


def delete_client_data(
    conversation_id: str,
    actor: str,
    engine: Engine | None = None,
    delay_seconds: int = DEFAULT_DELAY_SECONDS,
) -> Dict[str, int]:
    """Deletes everything stored about one conversation's client; audits it without content.

    Args:
        conversation_id: the conversation (Rasa's sender id).
        actor: who asked: ``client`` for the client, or a staff username.
        engine: the database; the deployment's (``MFI_DB_URL``) by default.
        delay_seconds: when to delete again what Rasa stores after this call.

    Returns:
        The number of rows deleted per table (Rasa's tracker events as ``events``).
    """
    engine = engine or get_engine()
    for table in (AuditEntry.__table__, PendingDeletion.__table__):
        table.create(engine, checkfirst=True)
    deleted = store_privacy.delete_client_data(conversation_id, actor, engine)
    pseudonym = new_pseudonym()
    now = dt.datetime.utcnow()
    with session_scope(engine) as session:
        audit.pseudonymise(session, conversation_id, pseudonym)
        audit.record(
            session,
            actor,
            audit.CLIENT_DATA_DELETE,
            pseudonym,
            {"rows": {table: count for table, count in deleted.items() if count}},
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
    """Carries out the pending deletions that are due; returns the rows deleted by each."""
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
        deleted = store_privacy.delete_client_data(conversation_id, "console", engine)
        results.append(deleted)
        if any(count for table, count in deleted.items() if table != PendingDeletion.__tablename__):
            logger.info("Deleted data stored again after a deletion: %s", deleted)
    return results
