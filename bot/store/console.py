"""The staff console's own tables (created by the Alembic migrations in ``migrations/``).

Staff accounts, their sessions and failed logins; the audit log; review state, tags and
notes per conversation; training feedback (corrected intents and entities of client
messages, exported as NLU data); the analytics' facts per client message; and the search
index the console keeps beside Rasa's ``events`` table (one summary row per conversation,
its intents, and the text of client messages, which a full-text index covers: SQLite FTS5
or a PostgreSQL ``tsvector``).

Rows that belong to a client's conversation carry a ``conversation_id`` column, so that
deleting a client's data (``bot.store.privacy``) finds them; the audit log keeps its
``target`` under another name on purpose, so that it survives (pseudonymised).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from bot.store.db import Base

USER_TABLE = "mfi_console_user"
SESSION_TABLE = "mfi_console_session"
LOGIN_FAILURE_TABLE = "mfi_console_login_failure"
AUDIT_TABLE = "mfi_console_audit"
CONVERSATION_TABLE = "mfi_console_conversation"
CONVERSATION_INTENT_TABLE = "mfi_console_conversation_intent"
MESSAGE_TABLE = "mfi_console_message"
MESSAGE_FTS_TABLE = "mfi_console_message_fts"  # SQLite only (FTS5), made by the migration
REVIEW_TABLE = "mfi_console_review"
TAG_TABLE = "mfi_console_tag"
NOTE_TABLE = "mfi_console_note"
INDEX_STATE_TABLE = "mfi_console_index_state"
PENDING_DELETION_TABLE = "mfi_console_pending_deletion"
NLU_CORRECTION_TABLE = "mfi_console_nlu_correction"
ACTIVITY_TABLE = "mfi_console_activity"

USERNAME_LENGTH = 150
CONVERSATION_ID_LENGTH = 255
TAG_LENGTH = 64


def utcnow() -> dt.datetime:
    """The current time in UTC (naive, as stored)."""
    return dt.datetime.utcnow()


class ConsoleUser(Base):
    """A staff member who can log in to the console."""

    __tablename__ = USER_TABLE

    id = Column(Integer, primary_key=True)
    username = Column(String(USERNAME_LENGTH), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime, nullable=True)


class ConsoleSession(Base):
    """A logged-in browser: the cookie holds a random token, the row its SHA-256."""

    __tablename__ = SESSION_TABLE

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(
        Integer, ForeignKey(f"{USER_TABLE}.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)


class LoginFailure(Base):
    """One failed login, counted per username and per client address for throttling."""

    __tablename__ = LOGIN_FAILURE_TABLE

    id = Column(Integer, primary_key=True)
    key = Column(String(300), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_mfi_console_login_failure_key_at", "key", "at"),)


class AuditEntry(Base):
    """Who did what, on which conversation or user, and when."""

    __tablename__ = AUDIT_TABLE

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(USERNAME_LENGTH), nullable=False, index=True)
    action = Column(String(64), nullable=False, index=True)
    target = Column(String(CONVERSATION_ID_LENGTH), nullable=True, index=True)
    detail = Column(Text, nullable=True)  # JSON


class ConversationSummary(Base):
    """One row per conversation (Rasa sender), derived from its events by the indexer."""

    __tablename__ = CONVERSATION_TABLE

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False, unique=True)
    channel = Column(String(64), nullable=True)
    language = Column(String(16), nullable=True)
    first_ts = Column(Float, nullable=True)
    last_ts = Column(Float, nullable=True, index=True)
    event_count = Column(Integer, nullable=False, default=0)
    message_count = Column(Integer, nullable=False, default=0)
    min_confidence = Column(Float, nullable=True, index=True)
    fallback = Column(Boolean, nullable=False, default=False)
    handoff = Column(Boolean, nullable=False, default=False)
    paused = Column(Boolean, nullable=False, default=False)
    last_event_id = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_mfi_console_conversation_channel_last", "channel", "last_ts"),
        Index("ix_mfi_console_conversation_language_last", "language", "last_ts"),
        Index("ix_mfi_console_conversation_fallback_last", "fallback", "last_ts"),
        Index("ix_mfi_console_conversation_handoff_last", "handoff", "last_ts"),
    )


class ConversationIntent(Base):
    """An intent that occurs in a conversation (for the intent filter)."""

    __tablename__ = CONVERSATION_INTENT_TABLE

    conversation_id = Column(String(CONVERSATION_ID_LENGTH), primary_key=True)
    intent = Column(String(255), primary_key=True)

    __table_args__ = (
        Index("ix_mfi_console_conversation_intent_intent", "intent", "conversation_id"),
    )


class IndexedMessage(Base):
    """The text of one client message (event id from Rasa's ``events``), full-text indexed."""

    __tablename__ = MESSAGE_TABLE

    event_id = Column(Integer, primary_key=True, autoincrement=False)
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False, index=True)
    text = Column(Text, nullable=False)


class Review(Base):
    """A conversation marked reviewed, up to the event timestamp it had then."""

    __tablename__ = REVIEW_TABLE

    conversation_id = Column(String(CONVERSATION_ID_LENGTH), primary_key=True)
    reviewed_by = Column(String(USERNAME_LENGTH), nullable=False)
    reviewed_at = Column(DateTime, nullable=False, default=utcnow)
    upto_ts = Column(Float, nullable=True)


class Tag(Base):
    """A label staff put on a conversation."""

    __tablename__ = TAG_TABLE

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False)
    tag = Column(String(TAG_LENGTH), nullable=False)
    created_by = Column(String(USERNAME_LENGTH), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "tag", name="uq_mfi_console_tag"),
        Index("ix_mfi_console_tag_tag", "tag", "conversation_id"),
    )


class Note(Base):
    """A staff note on a conversation."""

    __tablename__ = NOTE_TABLE

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False, index=True)
    author = Column(String(USERNAME_LENGTH), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class IndexState(Base):
    """How far the indexer has read Rasa's ``events`` table."""

    __tablename__ = INDEX_STATE_TABLE

    name = Column(String(32), primary_key=True)
    last_event_id = Column(Integer, nullable=False, default=0)


class PendingDeletion(Base):
    """A client's data to delete once the conversation has been quiet for a moment.

    Deleting from inside a running action would be undone when Rasa saves the tracker
    after the action; the console's background task deletes it a little later.
    """

    __tablename__ = PENDING_DELETION_TABLE

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False, index=True)
    actor = Column(String(USERNAME_LENGTH), nullable=False)
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    not_before = Column(DateTime, nullable=False, default=utcnow)


CORRECTION_NEW = "new"  # not exported yet (or changed since the last export)
CORRECTION_EXPORTED = "exported"


class NluCorrection(Base):
    """A supervisor's correction of one client message: the right intent and entities.

    ``text`` is the message as exported (whitespace collapsed); ``entities`` is a JSON list
    of ``{"entity", "value", "start", "end"}`` over that text. ``language`` is the file the
    example goes to (``data/nlu/<language>/``).
    """

    __tablename__ = NLU_CORRECTION_TABLE

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, nullable=False, unique=True)  # the message in Rasa's ``events``
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False, index=True)
    text = Column(Text, nullable=False)
    language = Column(String(16), nullable=True)
    predicted_intent = Column(String(255), nullable=True)
    predicted_confidence = Column(Float, nullable=True)
    intent = Column(String(255), nullable=False)
    entities = Column(Text, nullable=False, default="[]")
    status = Column(String(16), nullable=False, default=CORRECTION_NEW)
    corrected_by = Column(String(USERNAME_LENGTH), nullable=False)
    corrected_at = Column(DateTime, nullable=False, default=utcnow)
    exported_by = Column(String(USERNAME_LENGTH), nullable=True)
    exported_at = Column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_mfi_console_nlu_correction_status_language", "status", "language", "id"),
    )


class MessageActivity(Base):
    """One client message as the analytics count it: UTC day, channel, language, intent.

    Derived from the message index (``IndexedMessage``) and Rasa's ``events`` by
    ``bot.console.routers.analytics`` (its cursor is the ``analytics`` row of
    ``mfi_console_index_state``); channel and language are the conversation's when the
    message was indexed. Its two covering indexes serve the analytics page's aggregates.
    """

    __tablename__ = ACTIVITY_TABLE

    event_id = Column(Integer, primary_key=True, autoincrement=False)
    conversation_id = Column(String(CONVERSATION_ID_LENGTH), nullable=False, index=True)
    day = Column(Integer, nullable=False)  # days since 1970-01-01 (UTC)
    channel = Column(String(64), nullable=True)
    language = Column(String(16), nullable=True)
    intent = Column(String(255), nullable=True)

    __table_args__ = (
        Index(
            "ix_mfi_console_activity_day",
            "day",
            "channel",
            "language",
            "conversation_id",
            "intent",
        ),
        Index("ix_mfi_console_activity_day_intent", "day", "intent"),
    )
