from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.console.bench import run_benchmark, scenarios
from bot.console.indexer import Indexer
from bot.console.listing import ConversationFilter, list_page
from bot.console.seed import seed
from bot.store.db import session_scope


def test_benchmark_times_each_scenario_over_http(engine: Engine) -> None:
    seed(engine, conversations=40, random_seed=5)
    Indexer(engine).catch_up()
    (conversations, events), timings = run_benchmark(engine, repeat=2)
    assert conversations == 40 and events > 40
    assert [timing.name for timing in timings] == [name for name, _ in scenarios(dt.date.today())]
    assert all(timing.median_ms > 0 for timing in timings)
    by_name = {timing.name: timing for timing in timings}
    assert by_name["newest first, no filter"].matches == 40
    with session_scope(engine) as session:
        swahili = list_page(
            session, ConversationFilter(channel="whatsapp", language="sw"), 1, 10
        ).total
    assert by_name["channel + language"].matches == swahili
