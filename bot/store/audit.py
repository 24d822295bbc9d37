"""The audit log: who viewed which conversation, exported what, replied what, and when.

``record`` is the one way to write an entry (the console's routers and
``bot.store.privacy`` use it); ``details`` are stored as JSON and must not hold more client
content than the action needs (a reply's text, yes; a deleted client's messages, never).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, List, Mapping, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.store.console import AuditEntry

LOGIN = "login"
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
CONVERSATION_VIEW = "conversation.view"
CONVERSATION_EXPORT = "conversation.export"
REVIEW = "conversation.review"
TAG_ADD = "tag.add"
TAG_REMOVE = "tag.remove"
NOTE_ADD = "note.add"
HANDOFF_TAKE = "handoff.take"
HANDOFF_REPLY = "handoff.reply"
HANDOFF_CLOSE = "handoff.close"
COMPLAINT_CLOSE = "complaint.close"
USER_CREATE = "user.create"
USER_UPDATE = "user.update"
CLIENT_DATA_DELETE = "client_data.delete"
CLIENT_DATA_DELETE_REQUEST = "client_data.delete_requested"


def record(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Adds an audit entry to ``session`` (committed with it)."""
    entry = AuditEntry(
        at=dt.datetime.utcnow(),
        actor=actor,
        action=action,
        target=target,
        detail=json.dumps(dict(detail), ensure_ascii=False, default=str) if detail else None,
    )
    session.add(entry)
    return entry


def pseudonymise(session: Session, target: str, replacement: str) -> int:
    """Replaces ``target`` in every entry and drops their details (client content)."""
    result = session.execute(
        update(AuditEntry)
        .where(AuditEntry.target == target)
        .values(target=replacement, detail=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page shows: entries matching every given field."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None


def search(
    session: Session, criteria: AuditFilter, *, offset: int, limit: int
) -> Tuple[List[AuditEntry], int]:
    """The matching entries (newest first) from ``offset``, and how many match in total."""
    query = select(AuditEntry)
    count = select(func.count()).select_from(AuditEntry)
    for column, value in (
        (AuditEntry.actor, criteria.actor),
        (AuditEntry.action, criteria.action),
        (AuditEntry.target, criteria.target),
    ):
        if value:
            query = query.where(column == value)
            count = count.where(column == value)
    rows = session.execute(
        query.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    ).scalars()
    return list(rows), int(session.execute(count).scalar_one())


def known_actions(session: Session) -> List[str]:
    """The action names that occur in the log, for the audit page's filter."""
    return list(
        session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars()
    )
