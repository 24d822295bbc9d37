from __future__ import annotations

import datetime as dt
import json
from typing import Dict

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.console import audit
from bot.console.events import EVENTS
from bot.console.indexer import Indexer
from bot.console.listing import ConversationFilter, list_page
from bot.console.privacy import PSEUDONYM_PREFIX, delete_client_data, purge_due
from bot.store.console import (
    AuditEntry,
    ConversationSummary,
    IndexedMessage,
    Note,
    PendingDeletion,
    Tag,
)
from bot.store.db import session_scope
from bot.store.support import Complaint, Handoff

from .conftest import TELEGRAM_ID, WHATSAPP_ID
from .fakes import EventWriter


def count(engine: Engine, table, **where: str) -> int:  # noqa: ANN001
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_deletion_removes_everything_about_the_client(
    engine: Engine, conversations: Dict[str, str]
) -> None:
    Indexer(engine).catch_up()
    with session_scope(engine) as session:
        session.add(Tag(conversation_id=WHATSAPP_ID, tag="x", created_by="a"))
        session.add(Note(conversation_id=WHATSAPP_ID, author="a", text="called her"))
        session.add(Handoff(conversation_id=WHATSAPP_ID, reason="request_human"))
        session.add(Complaint(reference="C-AAAAAA", conversation_id=WHATSAPP_ID, text="rude"))
        audit.record(session, "amina", audit.HANDOFF_REPLY, WHATSAPP_ID, {"text": "Habari Mama"})
        audit.record(session, "amina", audit.CONVERSATION_VIEW, TELEGRAM_ID)
    deleted = delete_client_data(WHATSAPP_ID, "client", engine)
    assert deleted["events"] > 0 and deleted["mfi_console_message"] == 2
    for table in (
        EVENTS,
        ConversationSummary.__table__,
        IndexedMessage.__table__,
        Tag.__table__,
        Note.__table__,
        Handoff.__table__,
        Complaint.__table__,
    ):
        column = "sender_id" if table is EVENTS else "conversation_id"
        assert count(engine, table, **{column: WHATSAPP_ID}) == 0, table.name
    assert count(engine, EVENTS, sender_id=TELEGRAM_ID) > 0
    with session_scope(engine) as session:
        page = list_page(session, ConversationFilter(q="mkopo"), 1, 10)
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())
    assert page.total == 0  # the full-text index forgot the messages too
    reply, view, deletion = entries
    assert reply.target.startswith(PSEUDONYM_PREFIX) and reply.detail is None
    assert view.target == TELEGRAM_ID
    assert deletion.action == audit.CLIENT_DATA_DELETE and deletion.actor == "client"
    assert deletion.target == reply.target
    assert WHATSAPP_ID not in deletion.detail and "mkopo" not in deletion.detail
    assert json.loads(deletion.detail)["rows"]["mfi_complaint"] == 1


def test_what_rasa_stores_after_the_deletion_is_purged_later(
    engine: Engine, writer: EventWriter, conversations: Dict[str, str]
) -> None:
    delete_client_data(WHATSAPP_ID, "client", engine, delay_seconds=60)
    writer.turn(WHATSAPP_ID, "delete my data", "delete_my_data", "Done.", channel="whatsapp")
    Indexer(engine).catch_up()
    assert count(engine, PendingDeletion.__table__) == 1
    assert purge_due(engine) == []
    later = dt.datetime.utcnow() + dt.timedelta(seconds=61)
    [purged] = purge_due(engine, now=later)
    assert purged["events"] == 4 and purged["mfi_console_conversation"] == 1
    assert count(engine, EVENTS, sender_id=WHATSAPP_ID) == 0
    assert count(engine, PendingDeletion.__table__) == 0
    assert purge_due(engine, now=later) == []
