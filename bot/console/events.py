"""Reading Rasa's tracker store: the ``events`` table of ``SQLTrackerStore``.

The table is Rasa's (``rasa run`` creates it); the console only reads it. ``EVENTS`` mirrors
its columns so that queries are built with SQLAlchemy, and so that tests and the seed
command can create it where Rasa has not run yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select
from sqlalchemy.engine import Connection, Engine

EVENTS_TABLE = "events"

rasa_metadata = MetaData()
EVENTS = Table(
    EVENTS_TABLE,
    rasa_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

USER = "user"
BOT = "bot"
ACTION = "action"
SLOT = "slot"
PAUSE = "pause"
RESUME = "resume"
SESSION_STARTED = "session_started"
ACTION_LISTEN = "action_listen"


@dataclass(frozen=True)
class StoredEvent:
    """One row of ``events`` with its JSON decoded."""

    id: int
    sender_id: str
    type_name: str
    timestamp: float | None
    data: Dict[str, Any]


def events_table_exists(connection: Connection) -> bool:
    """Whether Rasa's ``events`` table exists in this database."""
    return inspect(connection).has_table(EVENTS_TABLE)


def create_events_table(engine: Engine) -> None:
    """Creates ``events`` as Rasa would (seed command and tests only)."""
    rasa_metadata.create_all(engine)


def decode(data: str | None) -> Dict[str, Any]:
    """The event dict stored in a row's ``data`` (empty when unreadable)."""
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def load_events(
    connection: Connection,
    sender_id: str,
    *,
    after_id: int = 0,
    limit: int | None = None,
) -> List[StoredEvent]:
    """The conversation's events in order (only those after ``after_id``; the last ``limit``)."""
    query = select(
        EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data
    ).where(EVENTS.c.sender_id == sender_id, EVENTS.c.id > after_id)
    if limit is not None:
        query = query.order_by(EVENTS.c.id.desc()).limit(limit)
        rows = list(reversed(connection.execute(query).all()))
    else:
        rows = connection.execute(query.order_by(EVENTS.c.id)).all()
    return [
        StoredEvent(row.id, row.sender_id, row.type_name, row.timestamp, decode(row.data))
        for row in rows
    ]


def latest_input_channel(events: List[StoredEvent]) -> str | None:
    """The channel of the conversation's newest client message that names one."""
    for event in reversed(events):
        if event.type_name == USER and event.data.get("input_channel"):
            return str(event.data["input_channel"])
    return None
