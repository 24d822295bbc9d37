"""Analytics: activity per day, channels, languages, intents, fallbacks, handoffs, lessons.

Figures for a date range (UTC days, the last 30 by default), computed with SQL aggregates
that run on SQLite and PostgreSQL:

- client messages (with text) from ``mfi_console_activity``: one row per message of the
  console's message index with its UTC day, intent, channel and language, added by
  ``ActivityIndexer`` (time and intent looked up in Rasa's ``events`` by primary key);
  a conversation counts on each day its client wrote;
- handoffs and complaints from ``mfi_handoff`` / ``mfi_complaint``;
- completed lessons and finished quizzes from ``mfi_lesson_completion`` /
  ``mfi_quiz_attempt`` (left out when those tables do not exist).

The page embeds the figures as JSON (``<script type="application/json">``, escaped by
Jinja's ``tojson``) and ``static/charts.js`` draws them with the vendored Chart.js; the same
numbers are in tables under the charts. Supervisors export them as CSV (audited).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import functools
import io
import threading
import time
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    MutableMapping,
    Sequence,
    Tuple,
)

from sqlalchemy import Float, case, cast, func, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Role, requires
from bot.console.events import EVENTS
from bot.console.indexer import FALLBACK_INTENT, POSTGRESQL_OVERLAP, BatchIndexer
from bot.console.web import Area, Console, NavItem, console_of, render, user_of
from bot.store import audit
from bot.store.console import (
    ConversationSummary,
    IndexedMessage,
    IndexState,
    MessageActivity,
)
from bot.store.lessons import KIND_QUIZ, LessonCompletion, QuizAttempt
from bot.store.support import COMPLAINT_OPEN, Complaint, Handoff

ANALYTICS_PATH = "/analytics"
EXPORT_PATH = "/analytics.csv"
ANALYTICS_EXPORT = "analytics.export"  # audit action
DEFAULT_DAYS = 30
MAX_DAYS = 366
QUICK_RANGES = (7, 30, 90)
TOP_INTENTS = 12
MAX_SERIES = 8
OTHER = "other"
UNKNOWN = "unknown"
CACHE_SECONDS = 60.0
CACHE_PREFIX = "analytics:"
SECONDS_PER_DAY = 86400
ACTIVITY_CURSOR = "analytics"  # its row in mfi_console_index_state
ACTIVITY_BATCH = 20_000
ACTIVITY_SECONDS = 3.0  # how long a page request may spend catching up
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_FIELDS = ("period", "metric", "group", "value")

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
DayValues = Dict[str, Dict[str, Any]]  # day -> Daily field -> value

SUMMARY = ConversationSummary.__table__
ACTIVITY = MessageActivity.__table__
STATE = IndexState.__table__
MESSAGES = IndexedMessage.__table__
HANDOFFS = Handoff.__table__
COMPLAINTS = Complaint.__table__
COMPLETIONS = LessonCompletion.__table__
ATTEMPTS = QuizAttempt.__table__


class RangeError(ValueError):
    """A date range that cannot be shown (message for staff)."""


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from ``start`` to ``end`` (both included)."""

    start: dt.date
    end: dt.date

    @classmethod
    def last(cls, days: int, today: dt.date) -> DateRange:
        """The ``days`` days up to and including ``today``."""
        return cls(today - dt.timedelta(days=days - 1), today)

    @classmethod
    def from_params(cls, params: Mapping[str, str], today: dt.date) -> DateRange:
        """The range asked for by ``date_from``/``date_to`` or ``days`` (default: 30 days).

        Raises:
            RangeError: a date is malformed, the range is reversed or longer than a year.
        """
        days = params.get("days", "").strip()
        if days:
            count = int(days) if days.isdecimal() and len(days) < 10 else 0  # "²" is a digit
            if not 1 <= count <= MAX_DAYS:
                raise RangeError(f"Days: a number from 1 to {MAX_DAYS}.")
            return cls.last(count, today)
        start_text = params.get("date_from", "").strip()
        end_text = params.get("date_to", "").strip()
        try:
            end = dt.date.fromisoformat(end_text) if end_text else today
            start = (
                dt.date.fromisoformat(start_text)
                if start_text
                else end - dt.timedelta(days=DEFAULT_DAYS - 1)
            )
        except ValueError:
            raise RangeError("Dates are written YYYY-MM-DD.") from None
        if start > end:
            raise RangeError("The start date is after the end date.")
        if end == dt.date.max:  # the range ends the next day, which cannot be written
            raise RangeError(f"Choose dates before {dt.date.max.isoformat()}.")
        if (end - start).days + 1 > MAX_DAYS:
            raise RangeError(f"Choose at most {MAX_DAYS} days.")
        return cls(start, end)

    @property
    def days(self) -> List[dt.date]:
        """Every day of the range, in order."""
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def start_ts(self) -> float:
        """The first second of the range (Unix time)."""
        return float(calendar.timegm(self.start.timetuple()))

    @property
    def end_ts(self) -> float:
        """The first second after the range (Unix time)."""
        return self.start_ts + len(self.days) * SECONDS_PER_DAY

    @property
    def start_dt(self) -> dt.datetime:
        """The first moment of the range (naive UTC, as stored)."""
        return dt.datetime.combine(self.start, dt.time())

    @property
    def end_dt(self) -> dt.datetime:
        """The first moment after the range (naive UTC)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    def params(self) -> Dict[str, str]:
        """The range as query parameters."""
        return {"date_from": self.start.isoformat(), "date_to": self.end.isoformat()}

    @property
    def label(self) -> str:
        """The range as an ISO 8601 interval (``2024-05-01/2024-05-30``)."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


@dataclass(frozen=True)
class Daily:
    """The figures of one day."""

    day: str
    conversations: int = 0
    messages: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    complaints: int = 0
    lessons_completed: int = 0
    quizzes: int = 0
    quiz_average: float | None = None  # percent

    @property
    def fallback_rate(self) -> float | None:
        """The share of client messages classified ``nlu_fallback``, in percent."""
        return 100.0 * self.fallbacks / self.messages if self.messages else None


@dataclass
class Analytics:
    """Everything the analytics page shows for one date range."""

    range: DateRange
    daily: List[Daily]
    conversations: int = 0
    messages: int = 0
    fallbacks: int = 0
    fallback_conversations: int = 0
    by_channel: Dict[str, List[int]] = field(default_factory=dict)  # conversations per day
    by_language: Dict[str, List[int]] = field(default_factory=dict)
    channel_totals: Dict[str, int] = field(default_factory=dict)
    language_totals: Dict[str, int] = field(default_factory=dict)
    intents: List[Tuple[str, int]] = field(default_factory=list)
    handoff_reasons: Dict[str, List[int]] = field(default_factory=dict)
    complaints_open: int = 0
    lessons_available: bool = False
    pending: int = 0  # indexed client messages not counted yet (still being prepared)
    topics: List[Tuple[str, int, int, float | None]] = field(default_factory=list)

    @property
    def fallback_rate(self) -> float | None:
        """The share of client messages classified ``nlu_fallback``, in percent."""
        return 100.0 * self.fallbacks / self.messages if self.messages else None

    @property
    def handoffs(self) -> int:
        """Handoffs requested in the range."""
        return sum(day.handoffs for day in self.daily)

    @property
    def complaints(self) -> int:
        """Complaints made in the range."""
        return sum(day.complaints for day in self.daily)

    @property
    def lessons_completed(self) -> int:
        """Topics completed (lessons read and quiz passed) in the range."""
        return sum(day.lessons_completed for day in self.daily)

    @property
    def quizzes(self) -> int:
        """Quizzes finished in the range."""
        return sum(day.quizzes for day in self.daily)

    @property
    def quiz_average(self) -> float | None:
        """The mean score of the quizzes finished in the range, in percent."""
        scored = [(d.quizzes, d.quiz_average) for d in self.daily if d.quiz_average is not None]
        count = sum(n for n, _ in scored)
        return sum(n * avg for n, avg in scored) / count if count else None

    def chart_data(self) -> Dict[str, Any]:
        """The figures the charts draw (embedded in the page as JSON)."""
        return {
            "days": [day.day for day in self.daily],
            "conversations": [day.conversations for day in self.daily],
            "messages": [day.messages for day in self.daily],
            "fallbackRate": [_round(day.fallback_rate) for day in self.daily],
            "byChannel": self.by_channel,
            "byLanguage": self.by_language,
            "intents": [{"name": name, "count": count} for name, count in self.intents],
            "handoffs": self.handoff_reasons,
            "complaints": [day.complaints for day in self.daily],
            "lessons": {
                "available": self.lessons_available,
                "completed": [day.lessons_completed for day in self.daily],
                "quizAverage": [_round(day.quiz_average) for day in self.daily],
            },
        }

    def csv_rows(self) -> Iterator[Tuple[str, str, str, Any]]:
        """The figures as ``(period, metric, group, value)``: days first, then totals."""
        for index, day in enumerate(self.daily):
            yield day.day, "conversations", "", day.conversations
            for name, series in self.by_channel.items():
                yield day.day, "conversations", f"channel={name}", series[index]
            for name, series in self.by_language.items():
                yield day.day, "conversations", f"language={name}", series[index]
            yield day.day, "client_messages", "", day.messages
            yield day.day, "fallback_messages", "", day.fallbacks
            yield day.day, "fallback_rate_percent", "", _format(day.fallback_rate)
            yield day.day, "handoffs", "", day.handoffs
            for reason, series in self.handoff_reasons.items():
                yield day.day, "handoffs", f"reason={reason}", series[index]
            yield day.day, "complaints", "", day.complaints
            if self.lessons_available:
                yield day.day, "lessons_completed", "", day.lessons_completed
                yield day.day, "quizzes_finished", "", day.quizzes
                yield day.day, "quiz_average_percent", "", _format(day.quiz_average)
        period = self.range.label
        yield period, "conversations", "", self.conversations
        for name, count in self.channel_totals.items():
            yield period, "conversations", f"channel={name}", count
        for name, count in self.language_totals.items():
            yield period, "conversations", f"language={name}", count
        yield period, "client_messages", "", self.messages
        yield period, "fallback_messages", "", self.fallbacks
        yield period, "fallback_rate_percent", "", _format(self.fallback_rate)
        yield period, "conversations_with_fallback", "", self.fallback_conversations
        for name, count in self.intents:
            yield period, "intent_messages", f"intent={name}", count
        yield period, "handoffs", "", self.handoffs
        yield period, "complaints", "", self.complaints
        yield period, "complaints_open_now", "", self.complaints_open
        if self.lessons_available:
            yield period, "lessons_completed", "", self.lessons_completed
            yield period, "quizzes_finished", "", self.quizzes
            yield period, "quiz_average_percent", "", _format(self.quiz_average)
            for topic, completed, quizzes, average in self.topics:
                yield period, "lessons_completed", f"topic={topic}", completed
                yield period, "quizzes_finished", f"topic={topic}", quizzes
                yield period, "quiz_average_percent", f"topic={topic}", _format(average)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _format(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _day_text(value: Any) -> str:
    """A SQL ``date()`` result (SQLite: text, PostgreSQL: date) as ``YYYY-MM-DD``."""
    return value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def _label(value: str | None) -> str:
    return value or UNKNOWN


def _top_series(
    per_day: Mapping[str, Mapping[str, int]], days: Sequence[str]
) -> Dict[str, List[int]]:
    """Daily series of the ``MAX_SERIES`` largest groups (the rest summed as ``other``)."""
    totals: Dict[str, int] = defaultdict(int)
    for counts in per_day.values():
        for name, count in counts.items():
            totals[name] += count
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    kept = ranked if len(ranked) <= MAX_SERIES else ranked[: MAX_SERIES - 1]
    series: Dict[str, List[int]] = {name: [0] * len(days) for name in kept}
    if len(kept) < len(ranked):
        series[OTHER] = [0] * len(days)
    position = {day: index for index, day in enumerate(days)}
    for day, counts in per_day.items():
        if day not in position:
            continue
        for name, count in counts.items():
            series[name if name in series else OTHER][position[day]] += count
    return series


def _ranked(totals: Mapping[str, int]) -> Dict[str, int]:
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


class ActivityIndexer(BatchIndexer):
    """Keeps ``mfi_console_activity`` in step with the console's message index.

    Reads the indexed client messages with an event id above its cursor (the
    ``analytics`` row of ``mfi_console_index_state``) in bounded batches, looks up their
    time and intent in ``events`` (by primary key) and their conversation's channel and
    language, and stores one row per message. On PostgreSQL, where the message index can
    receive ids out of order, every run looks again at the last ``POSTGRESQL_OVERLAP`` ids
    and adds only the missing rows. Safe to call from several threads and processes.
    """

    index_name = ACTIVITY_CURSOR

    def __init__(self, engine: Engine, batch_size: int = ACTIVITY_BATCH) -> None:
        super().__init__(engine, batch_size)

    def catch_up(self, seconds: float | None = None) -> bool:
        """Runs batches until nothing is new (True) or ``seconds`` have passed (False)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while self.run() > 0:
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def backlog(self) -> int:
        """How many indexed messages have no facts yet (above the cursor)."""
        with self.engine.connect() as connection:
            cursor = _cursor(connection) or 0
            return int(
                connection.execute(
                    select(func.count()).select_from(MESSAGES).where(MESSAGES.c.event_id > cursor)
                ).scalar_one()
            )

    def _run(self, connection: Connection, batch_size: int) -> int:
        cursor = _cursor(connection)
        known_cursor = cursor is not None
        cursor = cursor or 0
        overlap = POSTGRESQL_OVERLAP if connection.dialect.name == "postgresql" else 0
        start = max(0, cursor - overlap)
        rows = connection.execute(
            select(
                MESSAGES.c.event_id,
                MESSAGES.c.conversation_id,
                EVENTS.c.timestamp,
                EVENTS.c.intent_name,
                SUMMARY.c.channel,
                SUMMARY.c.language,
            )
            .select_from(
                MESSAGES.join(EVENTS, EVENTS.c.id == MESSAGES.c.event_id).outerjoin(
                    SUMMARY, SUMMARY.c.conversation_id == MESSAGES.c.conversation_id
                )
            )
            .where(MESSAGES.c.event_id > start)
            .order_by(MESSAGES.c.event_id)
            .limit(batch_size + (cursor - start))
        ).all()
        new = [row for row in rows if row.event_id > cursor]
        if not new:
            return 0
        have: set = set()
        if overlap:
            have = set(
                connection.execute(
                    select(ACTIVITY.c.event_id).where(
                        ACTIVITY.c.event_id > start, ACTIVITY.c.event_id <= new[-1].event_id
                    )
                ).scalars()
            )
        facts = [
            {
                "event_id": row.event_id,
                "conversation_id": row.conversation_id,
                "day": int(row.timestamp // SECONDS_PER_DAY),
                "channel": row.channel,
                "language": row.language,
                "intent": row.intent_name,
            }
            for row in rows
            if row.event_id not in have and row.timestamp is not None
        ]
        if facts:
            connection.execute(insert(ACTIVITY), facts)
        last = new[-1].event_id
        if known_cursor:
            connection.execute(
                update(STATE).where(STATE.c.name == ACTIVITY_CURSOR).values(last_event_id=last)
            )
        else:
            connection.execute(insert(STATE).values(name=ACTIVITY_CURSOR, last_event_id=last))
        return len(new)


def _cursor(connection: Connection) -> int | None:
    return connection.execute(
        select(STATE.c.last_event_id).where(STATE.c.name == ACTIVITY_CURSOR)
    ).scalar()


_activity_indexers: MutableMapping[Engine, ActivityIndexer] = weakref.WeakKeyDictionary()
_activity_indexers_lock = threading.Lock()


def activity_indexer(engine: Engine) -> ActivityIndexer:
    """The activity indexer of ``engine`` (one per database, made on first use)."""
    with _activity_indexers_lock:
        indexer = _activity_indexers.get(engine)
        if indexer is None:
            indexer = _activity_indexers[engine] = ActivityIndexer(engine)
        return indexer


def _distinct_counts(pairs: Iterable[Tuple[str | None, str]]) -> Dict[str, int]:
    """How many distinct conversations each group has, from (group, conversation) pairs."""
    counts: Dict[str, int] = defaultdict(int)
    for group, count in Counter(group for group, _ in set(pairs)).items():
        counts[_label(group)] += count
    return counts


def _day_number(day: dt.date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def _activity(session: Session, window: DateRange, result: Analytics, values: DayValues) -> None:
    """Conversations, messages and fallbacks per day, channel and language; top intents.

    Both queries group in the order of an index of ``mfi_console_activity`` (no sorting):
    one row per conversation and day, and one per intent and day.
    """
    in_range = (
        ACTIVITY.c.day >= _day_number(window.start),
        ACTIVITY.c.day <= _day_number(window.end),
    )
    is_fallback = ACTIVITY.c.intent == FALLBACK_INTENT
    rows = session.execute(
        select(
            ACTIVITY.c.day,
            ACTIVITY.c.channel,
            ACTIVITY.c.language,
            ACTIVITY.c.conversation_id,
            func.count(),
            func.sum(case((is_fallback, 1), else_=0)),
        )
        .where(*in_range)
        .group_by(
            ACTIVITY.c.day, ACTIVITY.c.channel, ACTIVITY.c.language, ACTIVITY.c.conversation_id
        )
    ).all()
    # one row per conversation and day: add up per (day, channel, language) first
    groups: Dict[Tuple[int, str | None, str | None], List[int]] = {}
    seen = set()
    with_fallback = set()
    for day, channel, language, conversation_id, messages, fallbacks in rows:
        group = groups.get((day, channel, language))
        if group is None:
            group = groups[(day, channel, language)] = [0, 0, 0]
        group[0] += 1
        group[1] += messages
        group[2] += fallbacks or 0
        seen.add((channel, language, conversation_id))
        if fallbacks:
            with_fallback.add(conversation_id)
    channels: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
    languages: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, channel, language), (conversations, messages, fallbacks) in groups.items():
        name = dt.date.fromordinal(EPOCH_ORDINAL + int(day)).isoformat()
        counts = values[name]
        counts["conversations"] = counts.get("conversations", 0) + conversations
        counts["messages"] = counts.get("messages", 0) + int(messages)
        counts["fallbacks"] = counts.get("fallbacks", 0) + int(fallbacks)
        channels[name][_label(channel)] += conversations
        languages[name][_label(language)] += conversations
    days = list(values)
    result.by_channel = _top_series(channels, days)
    result.by_language = _top_series(languages, days)
    result.conversations = len({conversation_id for _, _, conversation_id in seen})
    result.fallback_conversations = len(with_fallback)
    # a conversation whose channel or language changed counts once under each
    result.channel_totals = _ranked(_distinct_counts([(c, cid) for c, _, cid in seen]))
    result.language_totals = _ranked(_distinct_counts([(lang, cid) for _, lang, cid in seen]))
    intents: Dict[str, int] = defaultdict(int)
    for _, intent, count in session.execute(
        select(ACTIVITY.c.day, ACTIVITY.c.intent, func.count())
        .where(*in_range)
        .group_by(ACTIVITY.c.day, ACTIVITY.c.intent)
    ):
        intents[_label(intent)] += int(count)
    result.intents = list(_ranked(intents).items())[:TOP_INTENTS]


def _support(session: Session, window: DateRange, result: Analytics, values: DayValues) -> None:
    """Handoffs per day and reason, complaints per day, complaints open now."""
    day = func.date(HANDOFFS.c.requested_at)
    reasons: Dict[str, Dict[str, int]] = defaultdict(dict)
    for when, reason, count in session.execute(
        select(day, HANDOFFS.c.reason, func.count())
        .where(HANDOFFS.c.requested_at >= window.start_dt, HANDOFFS.c.requested_at < window.end_dt)
        .group_by(day, HANDOFFS.c.reason)
    ).all():
        name = _day_text(when)
        if name in values:
            reasons[name][_label(reason)] = int(count)
            values[name]["handoffs"] = values[name].get("handoffs", 0) + int(count)
    result.handoff_reasons = _top_series(reasons, list(values))
    day = func.date(COMPLAINTS.c.created_at)
    for when, count in session.execute(
        select(day, func.count())
        .where(COMPLAINTS.c.created_at >= window.start_dt, COMPLAINTS.c.created_at < window.end_dt)
        .group_by(day)
    ).all():
        if _day_text(when) in values:
            values[_day_text(when)]["complaints"] = int(count)
    result.complaints_open = int(
        session.execute(
            select(func.count())
            .select_from(COMPLAINTS)
            .where(COMPLAINTS.c.status == COMPLAINT_OPEN)
        ).scalar_one()
    )


def _lessons(session: Session, window: DateRange, result: Analytics, values: DayValues) -> None:
    """Topics completed and quizzes finished per day and topic (if the tables exist)."""
    connection = session.connection()
    if not all(inspect(connection).has_table(table.name) for table in (COMPLETIONS, ATTEMPTS)):
        return
    result.lessons_available = True
    completed: Dict[str, int] = defaultdict(int)
    day = func.date(COMPLETIONS.c.completed_at)
    for when, topic, count in session.execute(
        select(day, COMPLETIONS.c.topic, func.count())
        .where(
            COMPLETIONS.c.completed_at >= window.start_dt,
            COMPLETIONS.c.completed_at < window.end_dt,
        )
        .group_by(day, COMPLETIONS.c.topic)
    ):
        completed[topic] += int(count)
        name = _day_text(when)
        if name in values:
            values[name]["lessons_completed"] = values[name].get("lessons_completed", 0) + count
    # mean score in percent: sums per day and topic, divided once they are added up
    percent = cast(ATTEMPTS.c.score, Float) * 100.0 / ATTEMPTS.c.total
    quizzes: Dict[str, List[float]] = defaultdict(lambda: [0, 0.0])
    daily: Dict[str, List[float]] = defaultdict(lambda: [0, 0.0])
    day = func.date(ATTEMPTS.c.finished_at)
    for when, topic, count, total in session.execute(
        select(day, ATTEMPTS.c.topic, func.count(), func.sum(percent))
        .where(
            ATTEMPTS.c.kind == KIND_QUIZ,
            ATTEMPTS.c.total > 0,
            ATTEMPTS.c.finished_at >= window.start_dt,
            ATTEMPTS.c.finished_at < window.end_dt,
        )
        .group_by(day, ATTEMPTS.c.topic)
    ):
        for bucket in (quizzes[_label(topic)], daily[_day_text(when)]):
            bucket[0] += int(count)
            bucket[1] += float(total)
    for name, (count, total) in daily.items():
        if name in values:
            values[name]["quizzes"] = int(count)
            values[name]["quiz_average"] = total / count
    result.topics = [
        (
            topic,
            completed.get(topic, 0),
            int(quizzes[topic][0]) if topic in quizzes else 0,
            quizzes[topic][1] / quizzes[topic][0] if topic in quizzes else None,
        )
        for topic in sorted(set(completed) | set(quizzes))
    ]


def compute(session: Session, window: DateRange) -> Analytics:
    """All the figures of the analytics page for ``window``."""
    result = Analytics(range=window, daily=[])
    values: DayValues = {day.isoformat(): {} for day in window.days}
    _activity(session, window, result, values)
    _support(session, window, result, values)
    _lessons(session, window, result, values)
    result.daily = [Daily(day=day, **fields) for day, fields in values.items()]
    result.messages = sum(daily.messages for daily in result.daily)
    result.fallbacks = sum(daily.fallbacks for daily in result.daily)
    return result


async def analytics_for(console: Console, window: DateRange) -> Analytics:
    """The figures of ``window``, computed at most once a minute per range.

    Brings the message facts up to date first (for at most ``ACTIVITY_SECONDS``); figures
    computed while messages are still waiting are not cached and say how many wait.
    """
    now = time.monotonic()
    for key in [k for k, (at, _) in console.cache.items() if k.startswith(CACHE_PREFIX)]:
        if now - console.cache[key][0] >= CACHE_SECONDS:
            del console.cache[key]
    await console.refresh_index()
    indexer = activity_indexer(console.engine)
    caught_up = await run_in_threadpool(indexer.catch_up, ACTIVITY_SECONDS)
    pending = 0 if caught_up else await run_in_threadpool(indexer.backlog)
    if pending:
        result = await console.run(compute, window)
        result.pending = pending
        return result
    return await console.cached(
        f"{CACHE_PREFIX}{window.label}", CACHE_SECONDS, functools.partial(compute, window=window)
    )


def _today() -> dt.date:
    return dt.datetime.utcnow().date()


@requires(Role.VIEWER)
async def analytics_page(request: Request) -> Response:
    """The charts and tables for a date range (the last 30 days by default)."""
    console = console_of(request)
    problem = None
    today = _today()
    try:
        window = DateRange.from_params(request.query_params, today)
    except RangeError as error:
        window, problem = DateRange.last(DEFAULT_DAYS, today), str(error)
    result = await analytics_for(console, window)
    query = "&".join(f"{key}={value}" for key, value in window.params().items())
    context = {
        "result": result,
        "window": window,
        "data": result.chart_data(),
        "quick_ranges": QUICK_RANGES,
        "export_url": f"{EXPORT_PATH}?{query}",
        "notice": (
            f"Still preparing: {result.pending:,} client messages are not counted yet. "
            "Reload in a moment."
            if result.pending
            else None
        ),
        "problem": problem,
    }
    return render(request, "analytics/page.html", context, status_code=400 if problem else 200)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(result: Analytics) -> str:
    """The figures as CSV (``period,metric,group,value``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for row in result.csv_rows():
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue()


@requires(Role.SUPERVISOR)
async def analytics_export(request: Request) -> Response:
    """The figures of the range as CSV (audited with the range)."""
    console = console_of(request)
    user = user_of(request)
    try:
        window = DateRange.from_params(request.query_params, _today())
    except RangeError as error:
        return Response(str(error), status_code=400, media_type="text/plain")
    result = await analytics_for(console, window)

    def log(session: Session) -> None:
        audit.record(session, user.username, ANALYTICS_EXPORT, detail=window.params())

    await console.run(log)
    name = f"analytics-{window.start.isoformat()}-{window.end.isoformat()}.csv"
    return Response(
        csv_text(result),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


AREA = Area(
    name="analytics",
    routes=[
        Route(ANALYTICS_PATH, analytics_page, methods=["GET"]),
        Route(EXPORT_PATH, analytics_export, methods=["GET"]),
    ],
    nav=[NavItem("Analytics", ANALYTICS_PATH, Role.VIEWER, order=40)],
)
