"""Timing the conversation list (``python -m bot.console bench``), for docs/console.md.

Each scenario is a real HTTP request to the console app in this process (login, session
and CSRF middleware, index refresh, query, template), repeated; the report gives the
median time. A temporary admin account makes the requests and is removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import statistics
import time
from dataclasses import dataclass, replace
from typing import Dict, List, Sequence, Tuple

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.app import create_app
from bot.console.auth import Role, create_user
from bot.console.config import settings_from_env
from bot.console.events import EVENTS
from bot.store.console import ConsoleUser, ConversationSummary
from bot.store.db import session_scope

COUNT = re.compile(r'class="count">([\d,]+) conversation')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Timing:
    """The median time of one scenario and how many conversations matched."""

    name: str
    params: Dict[str, str]
    median_ms: float
    matches: int


def scenarios(newest: dt.date) -> List[Tuple[str, Dict[str, str]]]:
    """The filter combinations timed, with dates relative to the newest conversation."""
    month_ago = (newest - dt.timedelta(days=30)).isoformat()
    return [
        ("newest first, no filter", {}),
        ("channel + language", {"channel": "whatsapp", "language": "sw"}),
        ("last 30 days + fallback", {"date_from": month_ago, "fallback": "yes"}),
        ("intent + confidence < 0.5", {"intent": "request_human", "max_confidence": "0.5"}),
        ("handoff + not reviewed", {"handoff": "yes", "reviewed": "no"}),
        ("full-text search", {"q": "loan"}),
        ("full-text + channel + language", {"q": "mkopo", "channel": "whatsapp", "language": "sw"}),
        ("page 100", {"page": "100"}),
    ]


def database_size(engine: Engine) -> Tuple[int, int]:
    """How many conversations (indexed) and events the database holds."""
    with engine.connect() as connection:
        conversations = connection.execute(
            select(func.count()).select_from(ConversationSummary.__table__)
        ).scalar_one()
        events = connection.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    return int(conversations), int(events)


def run_benchmark(engine: Engine, repeat: int = 7) -> Tuple[Tuple[int, int], List[Timing]]:
    """Times every scenario ``repeat`` times; returns the database size and the timings."""
    settings = replace(
        settings_from_env(), db_url=engine.url.render_as_string(False), background_seconds=None
    )
    username = f"bench-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with session_scope(engine) as session:
        create_user(session, username, password, Role.ADMIN)
        newest = session.execute(select(func.max(ConversationSummary.last_ts))).scalar()
    newest_day = dt.datetime.utcfromtimestamp(newest or time.time()).date()
    timings = []
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
            client.post(
                "/login", data={"username": username, "password": password, "csrf_token": token}
            )
            for name, params in scenarios(newest_day):
                samples = []
                text = ""
                for _ in range(repeat):
                    began = time.perf_counter()
                    response = client.get("/conversations", params=params)
                    samples.append((time.perf_counter() - began) * 1000)
                    response.raise_for_status()
                    text = response.text
                match = COUNT.search(text)
                matches = int(match.group(1).replace(",", "")) if match else 0
                timings.append(Timing(name, params, statistics.median(samples), matches))
    finally:
        with session_scope(engine) as session:
            session.execute(delete(ConsoleUser).where(ConsoleUser.username == username))
    return database_size(engine), timings


def print_report(result: Tuple[Tuple[int, int], Sequence[Timing]]) -> None:
    """Prints the timings as a Markdown table."""
    (conversations, events), timings = result
    print(f"{conversations:,} conversations, {events:,} events")
    print("| list page | matches | median ms |")
    print("|---|---:|---:|")
    for timing in timings:
        print(f"| {timing.name} | {timing.matches:,} | {timing.median_ms:.0f} |")
