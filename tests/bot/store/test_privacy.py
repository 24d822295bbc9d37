"""Deleting a client's data (bot/store/privacy.py): rows, tracker events, audit, purge."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.engine import Engine

from bot.store import audit, privacy
from bot.store.console import (
    MESSAGE_FTS_TABLE,
    PENDING_DELETION_TABLE,
    AuditEntry,
    ConversationSummary,
    IndexedMessage,
    Note,
    PendingDeletion,
    Tag,
)
from bot.store.db import Base, create_tables, get_engine, session_scope
from bot.store.support import Complaint, Handoff

WHATSAPP_ID = "whatsapp:+254712345678"
TELEGRAM_ID = "telegram:987654321"
MIGRATIONS_DIR = Path(privacy.__file__).resolve().parent / "migrations"

# the columns of Rasa's SQLTrackerStore ``events`` table that the deletion uses
EVENTS = Table(
    privacy.RASA_EVENTS_TABLE,
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column(privacy.RASA_SENDER_COLUMN, String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column(privacy.RASA_ACTION_COLUMN, String(255)),
    Column("data", String),
)


def write_events(engine: Engine, sender: str, count: int) -> None:
    with engine.begin() as connection:
        for _ in range(count):
            connection.execute(
                EVENTS.insert().values(sender_id=sender, type_name="user", data="{}")
            )


def count(engine: Engine, table: Table, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def full_text_matches(engine: Engine, word: str) -> int:
    query = text(f"SELECT count(*) FROM {MESSAGE_FTS_TABLE} WHERE {MESSAGE_FTS_TABLE} MATCH :w")
    with engine.connect() as connection:
        return int(connection.execute(query, {"w": word}).scalar_one())


@pytest.fixture
def engine(db_url: str) -> Engine:
    """The test database as deployed: the migrations (full-text index), the other tables
    and Rasa's ``events``."""
    engine = get_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    create_tables(engine)
    EVENTS.create(engine)
    return engine


def test_deletion_removes_everything_about_the_client(engine: Engine) -> None:
    write_events(engine, WHATSAPP_ID, 5)
    write_events(engine, TELEGRAM_ID, 3)
    with session_scope(engine) as session:
        for event_id, (sender, said) in enumerate(
            [
                (WHATSAPP_ID, "habari, nataka mkopo"),
                (WHATSAPP_ID, "riba ni nini? mkopo wangu"),
                (TELEGRAM_ID, "how much for a loan"),
            ],
            start=1,
        ):
            session.add(IndexedMessage(event_id=event_id, conversation_id=sender, text=said))
        session.add(ConversationSummary(conversation_id=WHATSAPP_ID, channel="whatsapp"))
        session.add(ConversationSummary(conversation_id=TELEGRAM_ID, channel="telegram"))
        session.add(Tag(conversation_id=WHATSAPP_ID, tag="x", created_by="a"))
        session.add(Note(conversation_id=WHATSAPP_ID, author="a", text="called her"))
        session.add(Handoff(conversation_id=WHATSAPP_ID, reason="request_human"))
        session.add(Complaint(reference="C-AAAAAA", conversation_id=WHATSAPP_ID, text="rude"))
        audit.record(session, "amina", audit.HANDOFF_REPLY, WHATSAPP_ID, {"text": "Habari Mama"})
        audit.record(session, "amina", audit.CONVERSATION_VIEW, TELEGRAM_ID)
    assert full_text_matches(engine, "mkopo") == 2

    deleted = privacy.delete_client_data(WHATSAPP_ID, "client", engine)

    assert deleted["events"] == 5 and deleted["mfi_console_message"] == 2
    for table in (
        ConversationSummary.__table__,
        IndexedMessage.__table__,
        Tag.__table__,
        Note.__table__,
        Handoff.__table__,
        Complaint.__table__,
    ):
        assert count(engine, table, conversation_id=WHATSAPP_ID) == 0, table.name
    assert count(engine, EVENTS, sender_id=WHATSAPP_ID) == 0
    assert count(engine, EVENTS, sender_id=TELEGRAM_ID) == 3
    assert count(engine, ConversationSummary.__table__, conversation_id=TELEGRAM_ID) == 1
    assert full_text_matches(engine, "mkopo") == 0  # the full-text index forgot them too
    assert full_text_matches(engine, "loan") == 1
    with session_scope(engine) as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())
    reply, view, deletion = entries
    assert reply.target.startswith(privacy.PSEUDONYM_PREFIX) and reply.detail is None
    assert view.target == TELEGRAM_ID
    assert deletion.action == audit.CLIENT_DATA_DELETE and deletion.actor == "client"
    assert deletion.target == reply.target
    assert WHATSAPP_ID not in deletion.detail and "mkopo" not in deletion.detail
    assert json.loads(deletion.detail)["rows"]["mfi_complaint"] == 1


def test_what_rasa_stores_after_the_deletion_is_purged_later(engine: Engine) -> None:
    write_events(engine, WHATSAPP_ID, 2)
    privacy.delete_client_data(WHATSAPP_ID, "client", engine, delay_seconds=60)
    privacy.delete_client_data(TELEGRAM_ID, "amina", engine, delay_seconds=600)
    write_events(engine, WHATSAPP_ID, 4)  # Rasa saves the deletion turn afterwards
    with session_scope(engine) as session:
        session.add(ConversationSummary(conversation_id=WHATSAPP_ID, channel="whatsapp"))
    assert count(engine, PendingDeletion.__table__) == 2
    assert privacy.purge_due(engine) == []

    later = dt.datetime.utcnow() + dt.timedelta(seconds=61)
    [purged] = privacy.purge_due(engine, now=later)

    assert purged["events"] == 4 and purged["mfi_console_conversation"] == 1
    assert purged[PENDING_DELETION_TABLE] == 1
    assert count(engine, EVENTS, sender_id=WHATSAPP_ID) == 0
    assert count(engine, PendingDeletion.__table__, conversation_id=WHATSAPP_ID) == 0
    assert count(engine, PendingDeletion.__table__, conversation_id=TELEGRAM_ID) == 1
    assert privacy.purge_due(engine, now=later) == []
    with session_scope(engine) as session:
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert actions == [audit.CLIENT_DATA_DELETE] * 2  # purging adds no entry


def test_every_table_keyed_by_conversation_is_deleted(db_url: str) -> None:
    parent = Table(
        "test_privacy_notes",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("conversation_id", String(255)),
    )
    child = Table(  # dependent rows go first (foreign keys are enforced)
        "test_privacy_note_lines",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("note_id", Integer, ForeignKey("test_privacy_notes.id"), nullable=False),
        Column("conversation_id", String(255)),
    )
    try:
        Base.metadata.create_all(get_engine())
        with session_scope(get_engine()) as session:
            session.execute(parent.insert(), [{"id": 1, "conversation_id": WHATSAPP_ID}])
            session.execute(parent.insert(), [{"id": 2, "conversation_id": WHATSAPP_ID}])
            session.execute(parent.insert(), [{"id": 3, "conversation_id": TELEGRAM_ID}])
            session.execute(child.insert(), [{"note_id": 1, "conversation_id": WHATSAPP_ID}])
            session.add(Handoff(conversation_id=WHATSAPP_ID, reason="fallback"))

        deleted = privacy.delete_client_data(WHATSAPP_ID, actor="client")

        assert deleted["test_privacy_notes"] == 2
        assert deleted["test_privacy_note_lines"] == 1
        assert deleted["mfi_handoff"] == 1
        assert deleted[privacy.RASA_EVENTS_TABLE] == 0
        with session_scope(get_engine()) as session:
            left = session.execute(select(parent.c.conversation_id)).scalars().all()
        assert left == [TELEGRAM_ID]
    finally:
        Base.metadata.remove(child)
        Base.metadata.remove(parent)


def test_tables_not_created_yet_are_skipped(db_url: str) -> None:
    deleted = privacy.delete_client_data(WHATSAPP_ID, actor="client")

    # only the audit log and the pending deletions are created (the audit has no such column)
    assert deleted == {PENDING_DELETION_TABLE: 0, privacy.RASA_EVENTS_TABLE: 0}
    assert count(get_engine(), PendingDeletion.__table__, conversation_id=WHATSAPP_ID) == 1
    assert privacy.tracker_event_count(WHATSAPP_ID) == 0
