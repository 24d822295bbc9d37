from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import re
import time
from typing import Any, Callable, Dict, Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.console.indexer import Indexer
from bot.console.migrate import upgrade
from bot.console.routers import analytics
from bot.console.routers.analytics import ActivityIndexer, DateRange, RangeError, compute
from bot.console.seed import seed
from bot.store.console import AuditEntry, MessageActivity
from bot.store.db import get_engine, session_scope
from bot.store.lessons import KIND_QUIZ, KIND_REVIEW, LessonCompletion, QuizAttempt
from bot.store.privacy import delete_client_data
from bot.store.support import COMPLAINT_CLOSED, COMPLAINT_OPEN, Complaint, Handoff

from ..conftest import post
from ..fakes import EventWriter

Client = Callable[[Role], TestClient]
DATA = re.compile(r'<script type="application/json" id="analytics-data">(.*?)</script>', re.S)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.S)
DAY_A = dt.date(2024, 3, 1)
RANGE = {"date_from": "2024-03-01", "date_to": "2024-03-03"}
WHATSAPP = "whatsapp:+254700000001"
TELEGRAM = "telegram:5550001"
REST = "0f0e0d0c0b0a09080706050403020100"
OLD = "whatsapp:+254700000009"


def at(day: dt.date, hour: int = 9) -> float:
    return float(calendar.timegm(day.timetuple()) + hour * 3600)


def when(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def days_before(days: int) -> dt.date:
    return DAY_A - dt.timedelta(days=days)


def writer_at(engine: Engine, day: dt.date, hour: int = 9) -> EventWriter:
    return EventWriter(engine, start=at(day, hour))


def chart_data(page: str) -> Dict[str, Any]:
    match = DATA.search(page)
    assert match, "no embedded analytics data"
    return json.loads(match.group(1))


@pytest.fixture
def activity(engine: Engine) -> None:
    """Three days (the third without activity) and conversations outside the range."""
    day_b = DAY_A + dt.timedelta(days=1)
    first = writer_at(engine, DAY_A)
    first.user(WHATSAPP, "habari", "greet", channel="whatsapp", language="sw")
    first.user(WHATSAPP, "riba ni nini", "explain_interest", channel="whatsapp", language="sw")
    first.user(TELEGRAM, "loan of 20000", "calculate_loan", channel="telegram", language="en")
    first.user(TELEGRAM, "blorp", "nlu_fallback", confidence=0.2, channel="telegram")
    second = writer_at(engine, day_b, 14)
    second.user(
        WHATSAPP, "mbuzi", "nlu_fallback", confidence=0.3, channel="whatsapp", language="sw"
    )
    second.user(REST, "मुझे इंसान चाहिए", "request_human", channel="rest", language="hi")
    writer_at(engine, DAY_A - dt.timedelta(days=1), 23).user(OLD, "hi", "greet", channel="whatsapp")
    writer_at(engine, DAY_A + dt.timedelta(days=3), 1).user(OLD, "bye", "goodbye")
    with session_scope(engine) as session:
        for day, reason in ((DAY_A, "request_human"), (day_b, "complain"), (day_b, "fallback")):
            session.add(Handoff(conversation_id=REST, reason=reason, requested_at=when(day)))
        session.add(
            Handoff(conversation_id=OLD, reason="complain", requested_at=when(days_before(1)))
        )
        session.add_all(
            [
                Complaint(reference="C-AAAAAA", conversation_id=REST, text="rude",
                          status=COMPLAINT_OPEN, created_at=when(day_b)),
                Complaint(reference="C-BBBBBB", conversation_id=OLD, text="late",
                          status=COMPLAINT_CLOSED, created_at=when(days_before(3))),
                Complaint(reference="C-CCCCCC", conversation_id=OLD, text="fee",
                          status=COMPLAINT_OPEN, created_at=when(days_before(30))),
            ]
        )  # fmt: skip
        for cid, topic, day in ((WHATSAPP, "saving", DAY_A), (REST, "budgeting", day_b)):
            session.add(
                LessonCompletion(conversation_id=cid, topic=topic, score=4, total=5,
                                 certificate=f"{topic[:3].upper()}-X{cid[-4:]}",
                                 completed_at=when(day, 12))
            )  # fmt: skip
        session.add(
            LessonCompletion(conversation_id=OLD, topic="saving", score=5, total=5,
                             certificate="SAV-OLD111", completed_at=when(days_before(5)))
        )  # fmt: skip
        for topic, score, total, kind, finished in (
            ("saving", 4, 5, KIND_QUIZ, when(DAY_A, 10)),
            ("saving", 2, 5, KIND_QUIZ, when(DAY_A, 11)),
            ("budgeting", 5, 5, KIND_QUIZ, when(day_b, 10)),
            ("budgeting", 0, 5, KIND_QUIZ, None),  # not finished
            (None, 1, 4, KIND_REVIEW, when(day_b, 11)),  # a review, not a quiz
            ("saving", 0, 0, KIND_QUIZ, when(day_b, 12)),  # no questions
            ("saving", 1, 5, KIND_QUIZ, when(days_before(2))),  # before the range
        ):
            session.add(
                QuizAttempt(conversation_id=WHATSAPP, kind=kind, topic=topic, total=total,
                            score=score, started_at=when(days_before(4)), finished_at=finished)
            )  # fmt: skip


def test_page_shows_the_figures_of_the_range(client_as: Client, activity: None) -> None:
    response = client_as(Role.VIEWER).get("/analytics", params=RANGE)
    assert response.status_code == 200
    data = chart_data(response.text)
    assert data["days"] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert data["conversations"] == [2, 2, 0]  # whatsapp wrote on both days
    assert data["messages"] == [4, 2, 0]
    assert data["fallbackRate"] == [25.0, 50.0, None]
    assert data["byChannel"] == {"whatsapp": [1, 1, 0], "rest": [0, 1, 0], "telegram": [1, 0, 0]}
    assert data["byLanguage"] == {"en": [1, 0, 0], "hi": [0, 1, 0], "sw": [1, 1, 0]}
    assert data["intents"][0] == {"name": "nlu_fallback", "count": 2}
    assert [item["name"] for item in data["intents"][1:]] == [
        "calculate_loan",
        "explain_interest",
        "greet",
        "request_human",
    ]
    assert data["handoffs"] == {
        "complain": [0, 1, 0],
        "fallback": [0, 1, 0],
        "request_human": [1, 0, 0],
    }
    assert data["complaints"] == [0, 1, 0]
    assert data["lessons"] == {
        "available": True,
        "completed": [1, 1, 0],
        "quizAverage": [60.0, 100.0, None],
    }
    page = response.text
    totals = page[page.index('id="totals"') : page.index("</dl>")]
    assert re.search(r"Conversations</dt><dd>3<", totals)  # each conversation once
    assert re.search(r"Client messages</dt><dd>6<", totals)
    assert "33.3 %" in totals and "Conversations with a fallback</dt><dd>2<" in totals
    assert re.search(r"Handoffs</dt><dd>3<", totals) and "(2 open now)" in totals
    assert "Average quiz score</dt><dd>73 %" in totals and "(3 quizzes)" in totals
    topics = page[page.index('id="topics"') :]
    assert re.search(r"budgeting</td><td[^>]*>1</td><td[^>]*>1</td><td[^>]*>100 %", topics)
    assert re.search(r"saving</td><td[^>]*>1</td><td[^>]*>2</td><td[^>]*>60 %", topics)
    assert 'id="chart-lessons"' in page and "Export CSV" not in page


def test_page_loads_chart_js_from_the_console_only(client_as: Client, activity: None) -> None:
    client = client_as(Role.VIEWER)
    response = client.get("/analytics", params=RANGE)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for attributes in SCRIPT_TAG.findall(response.text):
        assert 'src="/static/' in attributes or 'type="application/json"' in attributes
    chart = client.get("/static/chart.umd.min.js")
    assert chart.status_code == 200 and "Chart.js v4" in chart.text[:200]
    assert "analytics-data" in client.get("/static/charts.js").text


def test_embedded_data_is_escaped(client_as: Client, writer: EventWriter) -> None:
    hostile = "</script><script>alert(1)</script>"
    writer.user("x1", "hello", "greet", channel=hostile, language="en")
    writer.user("x2", "hello", "<img src=x onerror=alert(2)>", language="en")
    day = dt.datetime.utcfromtimestamp(writer.start).date().isoformat()
    page = client_as(Role.VIEWER).get("/analytics", params={"date_from": day, "date_to": day}).text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    data = chart_data(page)
    assert hostile in data["byChannel"]
    assert {"name": "<img src=x onerror=alert(2)>", "count": 1} in data["intents"]


def test_default_range_is_the_last_30_days(client_as: Client, engine: Engine) -> None:
    now = time.time()
    EventWriter(engine, start=now - 2 * 86400).user("recent", "hi", "greet")
    EventWriter(engine, start=now - 40 * 86400).user("older", "hi", "greet")
    data = chart_data(client_as(Role.VIEWER).get("/analytics").text)
    today = dt.datetime.utcnow().date()
    assert len(data["days"]) == 30 and data["days"][-1] == today.isoformat()
    assert sum(data["conversations"]) == 1 and sum(data["messages"]) == 1
    week = chart_data(client_as(Role.VIEWER).get("/analytics?days=7").text)
    assert len(week["days"]) == 7 and sum(week["messages"]) == 1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date_from": "2024-03-05", "date_to": "2024-03-01"}, "after the end"),
        ({"date_from": "2022-01-01", "date_to": "2024-03-01"}, "at most 366 days"),
        ({"date_from": "yesterday"}, "YYYY-MM-DD"),
        ({"days": "0"}, "from 1 to 366"),
    ],
)
def test_bad_ranges_are_refused(
    client_as: Client, users: Dict[Role, str], params: Dict[str, str], message: str
) -> None:
    response = client_as(Role.VIEWER).get("/analytics", params=params)
    assert response.status_code == 400 and message in response.text
    assert len(chart_data(response.text)["days"]) == 30  # the default range instead
    export = client_as(Role.SUPERVISOR).get("/analytics.csv", params=params)
    assert export.status_code == 400 and message in export.text


def test_date_range_parsing() -> None:
    today = dt.date(2024, 3, 31)
    assert DateRange.from_params({}, today) == DateRange(dt.date(2024, 3, 2), today)
    assert DateRange.from_params({"date_to": "2024-02-29"}, today).start == dt.date(2024, 1, 31)
    window = DateRange.from_params({"date_from": "2024-03-30"}, today)
    assert window.days == [dt.date(2024, 3, 30), today]
    assert window.end_ts - window.start_ts == 2 * 86400
    assert window.label == "2024-03-30/2024-03-31"
    with pytest.raises(RangeError):
        DateRange.from_params({"days": "x"}, today)


def test_missing_lesson_tables_are_left_out(
    client_as: Client, activity: None, engine: Engine
) -> None:
    with engine.begin() as connection:
        for table in ("mfi_quiz_answer", "mfi_quiz_attempt", "mfi_lesson_completion"):
            connection.execute(text(f"DROP TABLE {table}"))
    response = client_as(Role.VIEWER).get("/analytics", params=RANGE)
    assert response.status_code == 200
    data = chart_data(response.text)
    assert data["lessons"]["available"] is False and data["messages"] == [4, 2, 0]
    assert 'id="chart-lessons"' not in response.text
    assert "Average quiz score" not in response.text and 'id="topics"' not in response.text


def test_export_is_for_supervisors_and_audited(
    client_as: Client, activity: None, engine: Engine
) -> None:
    assert client_as(Role.AGENT).get("/analytics.csv", params=RANGE).status_code == 403
    supervisor = client_as(Role.SUPERVISOR)
    assert 'href="/analytics.csv?date_from=2024-03-01&amp;date_to=2024-03-03"' in (
        supervisor.get("/analytics", params=RANGE).text
    )
    response = supervisor.get("/analytics.csv", params=RANGE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "analytics-2024-03-01-2024-03-03.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["period", "metric", "group", "value"]
    values = {(period, metric, group): value for period, metric, group, value in rows[1:]}
    assert values[("2024-03-01", "conversations", "")] == "2"
    assert values[("2024-03-02", "conversations", "channel=rest")] == "1"
    assert values[("2024-03-02", "fallback_rate_percent", "")] == "50.0"
    assert values[("2024-03-03", "fallback_rate_percent", "")] == ""
    assert values[("2024-03-02", "handoffs", "reason=complain")] == "1"
    total = "2024-03-01/2024-03-03"
    assert values[(total, "conversations", "")] == "3"
    assert values[(total, "conversations", "language=sw")] == "1"
    assert values[(total, "intent_messages", "intent=nlu_fallback")] == "2"
    assert values[(total, "complaints_open_now", "")] == "2"
    assert values[(total, "quiz_average_percent", "topic=saving")] == "60.0"
    with session_scope(engine) as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "analytics.export")
        ).scalar_one()
    assert entry.actor == "supervisor" and json.loads(entry.detail) == RANGE


def test_export_neutralises_spreadsheet_formulas(client_as: Client, writer: EventWriter) -> None:
    writer.user("x1", "hello", "=1+1", channel="@SUM(A1)", language="+1")
    day = dt.datetime.utcfromtimestamp(writer.start).date().isoformat()
    params = {"date_from": day, "date_to": day}
    body = client_as(Role.SUPERVISOR).get("/analytics.csv", params=params).text
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "channel=@SUM(A1)" in cells and "intent==1+1" in cells and "language=+1" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_anonymous_visitors_log_in_first(client: TestClient, users: Dict[Role, str]) -> None:
    response = client.get("/analytics", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    export = client.get("/analytics.csv", follow_redirects=False)
    assert export.status_code == 303


def test_analytics_is_in_the_navigation_for_every_role(
    client_as: Client, users: Dict[Role, str]
) -> None:
    page = client_as(Role.VIEWER).get("/conversations").text
    assert 'href="/analytics"' in page
    assert post(client_as(Role.SUPERVISOR), "/analytics").status_code == 405


def test_figures_are_cached_for_a_minute(client_as: Client, activity: None, engine: Engine) -> None:
    client = client_as(Role.VIEWER)
    assert chart_data(client.get("/analytics", params=RANGE).text)["messages"] == [4, 2, 0]
    writer_at(engine, DAY_A, 20).user(TELEGRAM, "more", "greet", channel="telegram")
    assert chart_data(client.get("/analytics", params=RANGE).text)["messages"] == [4, 2, 0]
    app = client.app
    app.state.console.cache.clear()  # type: ignore[attr-defined]
    assert chart_data(client.get("/analytics", params=RANGE).text)["messages"] == [5, 2, 0]


@pytest.fixture
def seeded_sqlite(db_url: str) -> Iterator[Engine]:
    engine = get_engine(db_url)
    upgrade(engine)
    seed(engine, conversations=80, average_events=14, random_seed=5, now=at(DAY_A, 0))
    Indexer(engine).catch_up()
    ActivityIndexer(engine, batch_size=100).catch_up()
    yield engine


def test_compute_counts_match_the_events(seeded_sqlite: Engine) -> None:
    window = DateRange(DAY_A - dt.timedelta(days=89), DAY_A)
    with session_scope(seeded_sqlite) as session:
        result = compute(session, window)
        rows = session.execute(
            text("SELECT sender_id, timestamp, intent_name FROM events WHERE type_name = 'user'")
        ).all()
    inside = [row for row in rows if window.start_ts <= row.timestamp < window.end_ts]
    assert result.messages == len(inside) > 0
    assert result.conversations == len({row.sender_id for row in inside})
    assert result.fallbacks == sum(row.intent_name == "nlu_fallback" for row in inside)
    assert sum(result.channel_totals.values()) == result.conversations
    per_day: Dict[str, set] = {}
    for row in inside:
        day = dt.datetime.utcfromtimestamp(row.timestamp).date().isoformat()
        per_day.setdefault(day, set()).add(row.sender_id)
    assert {d.day: d.conversations for d in result.daily if d.conversations} == {
        day: len(senders) for day, senders in per_day.items()
    }


@pytest.mark.services
def test_postgresql_gives_the_same_figures(seeded_sqlite: Engine, postgres: Engine) -> None:
    upgrade(postgres)
    seed(postgres, conversations=80, average_events=14, random_seed=5, now=at(DAY_A, 0))
    Indexer(postgres).catch_up()
    ActivityIndexer(postgres, batch_size=100).catch_up()
    window = DateRange(DAY_A - dt.timedelta(days=89), DAY_A)
    with session_scope(seeded_sqlite) as session:
        expected = compute(session, window)
    with session_scope(postgres) as session:
        got = compute(session, window)
    assert got.chart_data() == expected.chart_data()
    assert list(got.csv_rows()) == list(expected.csv_rows())
    assert expected.handoffs > 0 and expected.messages > 0


def activity_rows(engine: Engine) -> list:
    with engine.connect() as connection:
        return connection.execute(
            select(
                MessageActivity.event_id,
                MessageActivity.conversation_id,
                MessageActivity.day,
                MessageActivity.channel,
                MessageActivity.language,
                MessageActivity.intent,
            ).order_by(MessageActivity.event_id)
        ).all()


def test_activity_indexer_adds_each_message_once(engine: Engine) -> None:
    first = writer_at(engine, DAY_A, 23)
    first.user(WHATSAPP, "habari", "greet", channel="whatsapp", language="sw")
    first.bot(WHATSAPP, "Hello!")
    first.user(TELEGRAM, "", "greet", channel="telegram")  # no text: not indexed
    first.user(TELEGRAM, "blorp", "nlu_fallback", channel="telegram")
    Indexer(engine).catch_up()
    activity = ActivityIndexer(engine, batch_size=1)
    assert activity.backlog() == 2
    assert activity.run() == 1 and activity.backlog() == 1
    assert activity.catch_up() is True and activity.run() == 0
    writer_at(engine, DAY_A + dt.timedelta(days=1)).user(
        WHATSAPP, "riba", "explain_interest", channel="whatsapp", language="sw"
    )
    Indexer(engine).catch_up()
    assert activity.catch_up() is True
    day = DAY_A.toordinal() - dt.date(1970, 1, 1).toordinal()
    assert [tuple(row)[1:] for row in activity_rows(engine)] == [
        (WHATSAPP, day, "whatsapp", "sw", "greet"),
        (TELEGRAM, day, "telegram", "en", "nlu_fallback"),
        (WHATSAPP, day + 1, "whatsapp", "sw", "explain_interest"),
    ]
    assert ActivityIndexer(engine).catch_up() is True and len(activity_rows(engine)) == 3


def test_page_says_when_figures_are_still_being_prepared(
    client_as: Client, activity: None, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics, "ACTIVITY_SECONDS", 0.0)
    analytics.activity_indexer(engine).batch_size = 2
    client = client_as(Role.VIEWER)
    pages = [client.get("/analytics", params=RANGE).text for _ in range(4)]
    assert "Still preparing: 6 client messages are not counted yet" in pages[0]
    assert chart_data(pages[0])["messages"] == [2, 0, 0]  # the first batch only
    assert "Still preparing: 4 client messages" in pages[1]
    assert "Still preparing: 2 client messages" in pages[2]
    assert chart_data(pages[2])["messages"] == [4, 2, 0]
    assert "Still preparing" not in pages[3] and chart_data(pages[3])["messages"] == [4, 2, 0]


def test_deleting_a_clients_data_deletes_their_activity(
    client_as: Client, activity: None, engine: Engine
) -> None:
    client = client_as(Role.VIEWER)
    assert chart_data(client.get("/analytics", params=RANGE).text)["messages"] == [4, 2, 0]
    deleted = delete_client_data(WHATSAPP, "client", engine)
    assert deleted["mfi_console_activity"] == 3
    client.app.state.console.cache.clear()  # type: ignore[attr-defined]
    assert chart_data(client.get("/analytics", params=RANGE).text)["messages"] == [2, 1, 0]
