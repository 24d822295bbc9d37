"""Keeps the console's search tables in step with Rasa's ``events`` table.

Rasa appends events; the indexer reads those with an id above the last one it saw (a
bounded batch per run) and folds them into one summary row per conversation (channel,
language, first/last time, counts, lowest NLU confidence, fallback and handoff flags,
paused), the set of intents per conversation, and the text of client messages (which the
full-text index covers). Each conversation remembers the last event folded into it, so a
run never counts an event twice; on PostgreSQL, where ids can become visible out of order,
every run looks again at the last ``POSTGRESQL_OVERLAP`` ids.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Set, Tuple

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.engine import Connection, Engine, Row

from bot.console.events import (
    ACTION,
    EVENTS,
    PAUSE,
    RESUME,
    SLOT,
    USER,
    StoredEvent,
    decode,
    events_table_exists,
)
from bot.i18n.conversation import language_of_event
from bot.store.console import (
    ConversationIntent,
    ConversationSummary,
    IndexedMessage,
    IndexState,
)

INDEX_NAME = "events"
RESTART = "restart"
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset(
    {"action_default_fallback", "action_fallback", "action_two_stage_fallback", "utter_default"}
)
HANDOFF_INTENTS = frozenset({"request_human", "complain"})
POSTGRESQL_OVERLAP = 1000
SENDER_CHUNK = 200
MAX_MESSAGE_CHARS = 4000
KEY = "conversation_id"
# the only events whose JSON the summary needs (actions: the row's action_name suffices)
DECODED_TYPES = frozenset({USER, SLOT})

SUMMARY = ConversationSummary.__table__
INTENTS = ConversationIntent.__table__
MESSAGES = IndexedMessage.__table__
STATE = IndexState.__table__


@dataclass
class Summary:
    """What the console knows about one conversation (a row of the summary table)."""

    conversation_id: str
    channel: str | None = None
    language: str | None = None
    first_ts: float | None = None
    last_ts: float | None = None
    event_count: int = 0
    message_count: int = 0
    min_confidence: float | None = None
    fallback: bool = False
    handoff: bool = False
    paused: bool = False
    last_event_id: int = 0
    intents: Set[str] = field(default_factory=set)
    messages: List[Tuple[int, str]] = field(default_factory=list)

    def fold(self, event: StoredEvent) -> None:
        """Adds one event (newer than every event folded so far)."""
        data = event.data
        self.event_count += 1
        self.last_event_id = max(self.last_event_id, event.id)
        if event.timestamp is not None:
            self.first_ts = (
                event.timestamp if self.first_ts is None else min(self.first_ts, event.timestamp)
            )
            self.last_ts = (
                event.timestamp if self.last_ts is None else max(self.last_ts, event.timestamp)
            )
        if event.type_name in DECODED_TYPES:
            language = language_of_event(data) if data.get("event") else None
            if language:
                self.language = language
        if event.type_name == USER:
            self._fold_user(event)
        elif event.type_name == ACTION:
            if data.get("name") in FALLBACK_ACTIONS:
                self.fallback = True
        elif event.type_name == PAUSE:
            self.paused = True
            self.handoff = True
        elif event.type_name in (RESUME, RESTART):
            self.paused = False

    def _fold_user(self, event: StoredEvent) -> None:
        data = event.data
        self.message_count += 1
        if data.get("input_channel"):
            self.channel = str(data["input_channel"])[:64]
        intent = (data.get("parse_data") or {}).get("intent") or {}
        name = intent.get("name")
        if name:
            self.intents.add(str(name)[:255])
            if name == FALLBACK_INTENT:
                self.fallback = True
            if name in HANDOFF_INTENTS:
                self.handoff = True
        confidence = intent.get("confidence")
        if isinstance(confidence, (int, float)):
            self.min_confidence = (
                float(confidence)
                if self.min_confidence is None
                else min(self.min_confidence, float(confidence))
            )
        text = data.get("text")
        if isinstance(text, str) and text.strip():
            self.messages.append((event.id, text[:MAX_MESSAGE_CHARS]))

    def row(self) -> Dict[str, object]:
        """The summary table's columns."""
        return {
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "language": self.language,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "event_count": self.event_count,
            "message_count": self.message_count,
            "min_confidence": self.min_confidence,
            "fallback": self.fallback,
            "handoff": self.handoff,
            "paused": self.paused,
            "last_event_id": self.last_event_id,
        }


def summarise(conversation_id: str, events: Iterable[StoredEvent]) -> Summary:
    """The summary of a whole conversation from its events (in id order)."""
    summary = Summary(conversation_id)
    for event in events:
        summary.fold(event)
    return summary


# PostgreSQL advisory lock keys: one indexing run at a time per index, across processes
ADVISORY_LOCK_KEYS = {"events": 7_314_001, "analytics": 7_314_002}


def hold_index(connection: Connection, name: str) -> None:
    """Waits for other processes updating index ``name``, then holds it until commit.

    In production mode both the console and the event consumer (``bot.production``)
    index; on PostgreSQL a transaction-scoped advisory lock makes their runs take turns,
    so they never insert the same rows. SQLite runs in one process (``make run``), where
    the indexers' thread locks suffice.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEYS[name]}
        )


class BatchIndexer:
    """One index over Rasa's ``events``, updated in bounded batches.

    A run holds the index (a thread lock, and on PostgreSQL ``hold_index``) and does
    nothing until Rasa has made ``events`` (when its first server starts). Subclasses
    name their index and fold one batch in ``_run``. Safe to call from several threads
    and processes.
    """

    index_name: str

    def __init__(self, engine: Engine, batch_size: int) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._events_exist = False

    def run(self, batch_size: int | None = None) -> int:
        """Folds up to ``batch_size`` new rows into the index; returns how many were new."""
        with self._lock, self.engine.begin() as connection:
            if not self._events_exist:
                self._events_exist = events_table_exists(connection)
                if not self._events_exist:
                    return 0
            hold_index(connection, self.index_name)
            return self._run(connection, batch_size or self.batch_size)

    def _run(self, connection: Connection, batch_size: int) -> int:
        raise NotImplementedError


class Indexer(BatchIndexer):
    """Reads new events in bounded batches into the conversation summaries and messages."""

    index_name = INDEX_NAME

    def __init__(self, engine: Engine, batch_size: int = 5000) -> None:
        super().__init__(engine, batch_size)

    def catch_up(self, batch_size: int | None = None) -> int:
        """Indexes every new event, batch after batch; returns how many."""
        total = 0
        while True:
            done = self.run(batch_size)
            total += done
            if done == 0:
                return total

    def _run(self, connection: Connection, batch_size: int) -> int:
        cursor = connection.execute(
            select(STATE.c.last_event_id).where(STATE.c.name == INDEX_NAME)
        ).scalar()
        known_cursor = cursor is not None
        cursor = cursor or 0
        overlap = POSTGRESQL_OVERLAP if connection.dialect.name == "postgresql" else 0
        start = max(0, cursor - overlap)
        rows = connection.execute(
            select(
                EVENTS.c.id,
                EVENTS.c.sender_id,
                EVENTS.c.type_name,
                EVENTS.c.timestamp,
                EVENTS.c.action_name,
                EVENTS.c.data,
            )
            .where(EVENTS.c.id > start)
            .order_by(EVENTS.c.id)
            .limit(batch_size + (cursor - start))
        ).all()
        new = [row for row in rows if row.id > cursor]
        if not new:
            return 0
        by_sender: Dict[str, List[Row]] = {}
        for row in rows:
            by_sender.setdefault(row.sender_id, []).append(row)
        senders = list(by_sender)
        for index in range(0, len(senders), SENDER_CHUNK):
            chunk = senders[index : index + SENDER_CHUNK]
            self._index_senders(connection, {sender: by_sender[sender] for sender in chunk})
        last = max(row.id for row in new)
        if known_cursor:
            connection.execute(
                update(STATE).where(STATE.c.name == INDEX_NAME).values(last_event_id=last)
            )
        else:
            connection.execute(insert(STATE).values(name=INDEX_NAME, last_event_id=last))
        return len(new)

    def _index_senders(self, connection: Connection, rows: Dict[str, List[Row]]) -> None:
        """Folds each sender's rows newer than the sender's summary into it."""
        existing = {
            row.conversation_id: row
            for row in connection.execute(
                select(SUMMARY).where(SUMMARY.c.conversation_id.in_(list(rows)))
            ).all()
        }
        events: Dict[str, List[StoredEvent]] = {}
        for sender, sender_rows in rows.items():
            seen = existing[sender].last_event_id if sender in existing else 0
            for row in sender_rows:
                if row.id <= seen:
                    continue
                if row.type_name in DECODED_TYPES:
                    data = decode(row.data)
                elif row.type_name == ACTION:
                    data = {"name": row.action_name}
                else:
                    data = {}
                events.setdefault(sender, []).append(
                    StoredEvent(row.id, sender, row.type_name, row.timestamp, data)
                )
        if not events:
            return
        inserts: List[Dict[str, object]] = []
        updates: List[Dict[str, object]] = []
        summaries: List[Summary] = []
        for sender, new_events in events.items():
            summary = _from_row(existing[sender]) if sender in existing else Summary(sender)
            for event in new_events:
                summary.fold(event)
            summaries.append(summary)
            (updates if sender in existing else inserts).append(summary.row())
        if inserts:
            connection.execute(insert(SUMMARY), inserts)
        if updates:
            connection.execute(
                update(SUMMARY)
                .where(SUMMARY.c.conversation_id == bindparam("key"))
                .values({name: bindparam(f"v_{name}") for name in updates[0] if name != KEY}),
                [
                    {"key": values[KEY], **{f"v_{name}": value for name, value in values.items()}}
                    for values in updates
                ],
            )
        self._add_intents(connection, summaries)
        messages = [
            {"event_id": event_id, "conversation_id": summary.conversation_id, "text": text}
            for summary in summaries
            for event_id, text in summary.messages
        ]
        if messages:
            connection.execute(insert(MESSAGES), messages)

    @staticmethod
    def _add_intents(connection: Connection, summaries: List[Summary]) -> None:
        wanted = {(s.conversation_id, intent) for s in summaries for intent in s.intents}
        if not wanted:
            return
        have = set(
            connection.execute(
                select(INTENTS.c.conversation_id, INTENTS.c.intent).where(
                    INTENTS.c.conversation_id.in_({cid for cid, _ in wanted})
                )
            ).all()
        )
        missing = [{"conversation_id": c, "intent": i} for c, i in sorted(wanted - have)]
        if missing:
            connection.execute(insert(INTENTS), missing)


def _from_row(row: Row) -> Summary:
    """A summary to fold new events into, from its stored row (intents and messages empty)."""
    values = dict(row._mapping)
    values.pop("id", None)
    for flag in ("fallback", "handoff", "paused"):
        values[flag] = bool(values[flag])
    return Summary(**values)
