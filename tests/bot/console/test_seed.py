from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.console.events import EVENTS, decode
from bot.console.seed import seed
from bot.store.support import Complaint, Handoff


def test_seed_writes_rasa_shaped_events_reproducibly(engine: Engine) -> None:
    result = seed(engine, conversations=40, average_events=12, random_seed=7, now=1.7e9)
    with engine.connect() as connection:
        rows = connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all()
        senders = connection.execute(select(func.count(func.distinct(EVENTS.c.sender_id)))).scalar()
        handoffs = connection.execute(select(func.count()).select_from(Handoff)).scalar()
        complaints = connection.execute(select(func.count()).select_from(Complaint)).scalar()
    assert (result.conversations, result.events) == (40, len(rows))
    assert senders == 40 and handoffs == result.handoffs and complaints == result.complaints
    user = next(decode(row.data) for row in rows if row.type_name == "user")
    assert {"text", "parse_data", "input_channel", "timestamp"} <= set(user)
    assert user["parse_data"]["intent"]["name"] == "greet"
    assert all(row.timestamp <= 1.7e9 + 10_000 for row in rows)
    kinds = {row.type_name for row in rows}
    assert {"user", "bot", "action", "session_started"} <= kinds


def test_same_seed_same_conversations(tmp_path) -> None:  # noqa: ANN001
    from bot.store.db import get_engine

    first = get_engine(f"sqlite:///{tmp_path / 'a.db'}")
    second = get_engine(f"sqlite:///{tmp_path / 'b.db'}")
    for engine in (first, second):
        seed(engine, conversations=5, random_seed=11, now=1.7e9)
    with first.connect() as a, second.connect() as b:
        query = select(EVENTS.c.sender_id, EVENTS.c.data).order_by(EVENTS.c.id)
        assert a.execute(query).all() == b.execute(query).all()
