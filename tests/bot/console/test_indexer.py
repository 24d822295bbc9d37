from __future__ import annotations

from typing import Dict

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bot.console.events import StoredEvent
from bot.console.indexer import Indexer, summarise
from bot.store.console import ConversationIntent, ConversationSummary, IndexedMessage

from .conftest import REST_ID, TELEGRAM_ID, WHATSAPP_ID
from .fakes import EventWriter


def summaries(engine: Engine) -> Dict[str, ConversationSummary]:
    with engine.connect() as connection:
        rows = connection.execute(select(ConversationSummary.__table__)).all()
    return {row.conversation_id: row for row in rows}


def test_index_summarises_each_conversation(engine: Engine, conversations: Dict[str, str]) -> None:
    indexed = Indexer(engine).catch_up()
    assert indexed > 0
    rows = summaries(engine)
    assert set(rows) == {WHATSAPP_ID, TELEGRAM_ID, REST_ID}
    whatsapp = rows[WHATSAPP_ID]
    assert (whatsapp.channel, whatsapp.language, whatsapp.message_count) == ("whatsapp", "sw", 2)
    assert whatsapp.min_confidence == 0.42
    assert not whatsapp.fallback and not whatsapp.handoff
    assert whatsapp.first_ts < whatsapp.last_ts
    telegram = rows[TELEGRAM_ID]
    assert telegram.fallback and telegram.min_confidence == 0.2
    rest = rows[REST_ID]
    assert rest.handoff and rest.paused and rest.language == "hi"


def test_intents_and_client_messages_are_indexed(
    engine: Engine, conversations: Dict[str, str]
) -> None:
    Indexer(engine).catch_up()
    with engine.connect() as connection:
        intents = set(connection.execute(select(ConversationIntent.__table__)).all())
        messages = connection.execute(
            select(func.count()).select_from(IndexedMessage.__table__)
        ).scalar()
        found = connection.execute(
            text(
                "SELECT m.conversation_id FROM mfi_console_message_fts f JOIN mfi_console_message m"
                " ON m.event_id = f.rowid WHERE mfi_console_message_fts MATCH :q"
            ),
            {"q": '"इंसान"'},
        ).all()
    assert (TELEGRAM_ID, "nlu_fallback") in intents
    assert (WHATSAPP_ID, "explain_interest") in intents
    assert messages == 5
    assert [row[0] for row in found] == [REST_ID]


def test_new_events_are_folded_in_without_counting_twice(
    engine: Engine, writer: EventWriter, conversations: Dict[str, str]
) -> None:
    indexer = Indexer(engine, batch_size=3)
    indexer.catch_up()
    assert indexer.run() == 0
    writer.plain(REST_ID, "resume")
    writer.turn(REST_ID, "asante", "thank", "Karibu", language="sw", confidence=0.99)
    assert indexer.catch_up() == 5
    rest = summaries(engine)[REST_ID]
    assert rest.message_count == 2
    assert not rest.paused and rest.handoff
    assert rest.language == "sw"
    assert rest.min_confidence == 0.97


def test_a_batch_bound_limits_one_run(engine: Engine, conversations: Dict[str, str]) -> None:
    indexer = Indexer(engine, batch_size=4)
    assert indexer.run() == 4
    assert indexer.run(batch_size=2) == 2


def test_without_an_events_table_nothing_is_indexed(engine: Engine) -> None:
    assert Indexer(engine).run() == 0


def test_summarise_uses_the_newest_language_and_keeps_the_lowest_confidence() -> None:
    events = [
        StoredEvent(
            1,
            "a",
            "user",
            10.0,
            {
                "event": "user",
                "text": "hi",
                "input_channel": "x",
                "parse_data": {
                    "intent": {"name": "greet", "confidence": 0.8},
                    "detected_language": "en",
                },
            },
        ),
        StoredEvent(2, "a", "slot", 11.0, {"event": "slot", "name": "language", "value": "fr"}),
        StoredEvent(3, "a", "action", 12.0, {"name": "action_default_fallback"}),
        StoredEvent(
            4,
            "a",
            "user",
            13.0,
            {
                "event": "user",
                "text": "ok",
                "parse_data": {"intent": {"name": "affirm", "confidence": 0.95}},
            },
        ),
    ]
    summary = summarise("a", events)
    assert summary.language == "fr"
    assert summary.min_confidence == 0.8
    assert summary.fallback
    assert summary.intents == {"greet", "affirm"}
    assert summary.messages == [(1, "hi"), (4, "ok")]
    assert (summary.first_ts, summary.last_ts, summary.last_event_id) == (10.0, 13.0, 4)


@pytest.mark.services
def test_two_processes_indexing_one_postgresql_take_turns(postgres: Engine) -> None:
    """The console and the event consumer both index in production mode: no row twice."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.console.migrate import upgrade
    from bot.console.routers.analytics import ActivityIndexer
    from bot.console.seed import seed

    upgrade(postgres)
    seed(postgres, conversations=60, average_events=12, random_seed=3)
    # separate objects: separate thread locks, as in two processes
    runs = [Indexer(postgres, batch_size=50) for _ in range(4)]
    activity = [ActivityIndexer(postgres, batch_size=40) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda indexer: indexer.catch_up(), runs))
        list(pool.map(lambda indexer: indexer.catch_up(), activity))
    with postgres.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
        messages = connection.execute(select(func.count()).select_from(IndexedMessage)).scalar()
        users = connection.execute(
            text("SELECT count(*) FROM events WHERE type_name = 'user' AND data LIKE '%text%'")
        ).scalar_one()
        facts = connection.execute(text("SELECT count(*) FROM mfi_console_activity")).scalar_one()
    assert sum(done) == events
    assert 0 < messages <= users
    assert facts == messages
