"""Migrations on SQLite and PostgreSQL, and the console's queries on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.console.indexer import Indexer
from bot.console.listing import ConversationFilter, list_page
from bot.console.migrate import upgrade
from bot.console.seed import seed
from bot.store.db import create_tables, get_engine, session_scope
from bot.store.migrate import head_revision
from bot.store.privacy import delete_client_data

CONSOLE_TABLES = {
    "mfi_console_user",
    "mfi_console_session",
    "mfi_console_audit",
    "mfi_console_conversation",
    "mfi_console_message",
    "mfi_console_tag",
}


def test_upgrade_creates_tables_and_is_idempotent(db_url: str) -> None:
    engine = get_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert (
        CONSOLE_TABLES | {"mfi_console_message_fts", "mfi_alembic_version", "mfi_handoff"} <= tables
    )
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM mfi_alembic_version")).scalar()
            == head_revision()
        )


def test_upgrade_after_create_tables_adds_the_search_index(db_url: str) -> None:
    engine = get_engine(db_url)
    create_tables(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO mfi_console_message (event_id, conversation_id, text)"
                " VALUES (1, 'a', 'mkopo wangu')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT rowid FROM mfi_console_message_fts"
                " WHERE mfi_console_message_fts MATCH 'mkopo'"
            )
        ).all()
    assert found == [(1,)]


@pytest.mark.services
def test_postgresql_migrate_index_filter_search_delete(postgres: Engine) -> None:
    upgrade(postgres)
    upgrade(postgres)
    columns = {column["name"] for column in inspect(postgres).get_columns("mfi_console_message")}
    assert "tsv" in columns
    result = seed(postgres, conversations=60, average_events=14, random_seed=3)
    assert Indexer(postgres, batch_size=200).catch_up() == result.events
    with session_scope(postgres) as session:
        everything = list_page(session, ConversationFilter(), 1, 100)
        swahili = list_page(session, ConversationFilter(language="sw"), 1, 100)
        search = list_page(session, ConversationFilter(q="habari"), 1, 100)
        prefix = list_page(session, ConversationFilter(q="hab"), 1, 100)
        hostile = list_page(session, ConversationFilter(q="'); DROP TABLE events; --"), 1, 100)
        combined = list_page(
            session,
            ConversationFilter(language="sw", fallback=False, max_confidence=0.99),
            1,
            100,
        )
    assert everything.total == 60
    assert 0 < swahili.total < 60 and all(r.language == "sw" for r in swahili.rows)
    assert 0 < search.total <= swahili.total
    assert prefix.total >= search.total
    assert hostile.total == 0
    assert all(not r.fallback and r.language == "sw" for r in combined.rows)
    victim = search.rows[0].conversation_id
    delete_client_data(victim, "client", postgres)
    with session_scope(postgres) as session:
        after = list_page(session, ConversationFilter(q="habari"), 1, 100)
    assert after.total == search.total - 1
