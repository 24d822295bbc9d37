"""The conversation list: its filters, the query over the console's summary table, export.

Every filter value reaches the database as a bound parameter; the full-text search keeps
only word characters of what staff type and quotes each word for FTS5 (SQLite) or
``to_tsquery`` (PostgreSQL), so a search can neither inject SQL nor break the query
syntax. Filters combine with AND; each word of a search must occur (as a word prefix) in
the client messages of the conversation.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, fields
from typing import Any, Dict, Iterator, List, Mapping, Sequence, Tuple

from sqlalchemy import Integer, and_, column, exists, func, not_, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from bot.store.console import (
    MESSAGE_FTS_TABLE,
    ConversationIntent,
    ConversationSummary,
    IndexedMessage,
    Review,
    Tag,
)
from bot.store.support import HANDOFF_CLOSED, Handoff

SUMMARY = ConversationSummary.__table__
INTENTS = ConversationIntent.__table__
MESSAGES = IndexedMessage.__table__
REVIEWS = Review.__table__
TAGS = Tag.__table__
HANDOFFS = Handoff.__table__

MAX_SEARCH_WORDS = 8
MAX_SEARCH_CHARS = 200
MAX_EXPORT_ROWS = 100_000
EXPORT_CHUNK = 500
# what can be in a searched word: not space, control characters (NUL ends an SQL string),
# quotes, backslash or query operators
WORD = re.compile(r"[^\s\x00-\x1f\x7f\"'\\:&|!()<>*^{}\[\]+~@,;]+")
YES, NO = "yes", "no"


class FilterError(ValueError):
    """A filter value that cannot be used (message for staff)."""


def _flag(value: str | None, name: str) -> bool | None:
    if value in (None, "", "any"):
        return None
    if value == YES:
        return True
    if value == NO:
        return False
    raise FilterError(f"{name}: choose yes, no or any")


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}: use the form YYYY-MM-DD") from None
    if day == dt.date.max:  # its next day, the end of the range, cannot be written
        raise FilterError(f"{name}: choose a date before {dt.date.max.isoformat()}")
    return day


def _confidence(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        raise FilterError("confidence: a number between 0 and 1") from None
    if not 0.0 <= number <= 1.0:
        raise FilterError("confidence: a number between 0 and 1")
    return number


def _text(value: str | None, limit: int = 255) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def search_words(query: str | None) -> List[str]:
    """The words of a search, as they are matched (at most ``MAX_SEARCH_WORDS``)."""
    return WORD.findall((query or "")[:MAX_SEARCH_CHARS])[:MAX_SEARCH_WORDS]


@dataclass(frozen=True)
class ConversationFilter:
    """The conversations a list shows: those matching every filter that is set."""

    channel: str | None = None
    language: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    intent: str | None = None
    max_confidence: float | None = None
    fallback: bool | None = None
    handoff: bool | None = None
    tag: str | None = None
    reviewed: bool | None = None
    q: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ConversationFilter:
        """The filter a list URL asks for; FilterError when a value is malformed."""
        date_from = _date(params.get("date_from"), "from")
        date_to = _date(params.get("date_to"), "to")
        if date_from and date_to and date_to < date_from:
            raise FilterError("to: the end date is before the start date")
        return cls(
            channel=_text(params.get("channel"), 64),
            language=_text(params.get("language"), 16),
            date_from=date_from,
            date_to=date_to,
            intent=_text(params.get("intent")),
            max_confidence=_confidence(params.get("max_confidence")),
            fallback=_flag(params.get("fallback"), "fallback"),
            handoff=_flag(params.get("handoff"), "handoff"),
            tag=_text(params.get("tag"), 64),
            reviewed=_flag(params.get("reviewed"), "reviewed"),
            q=_text(params.get("q"), MAX_SEARCH_CHARS),
        )

    def params(self) -> Dict[str, str]:
        """The URL parameters of this filter (only those set)."""
        values: Dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, bool):
                values[item.name] = YES if value else NO
            elif isinstance(value, dt.date):
                values[item.name] = value.isoformat()
            else:
                values[item.name] = str(value)
        return values

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.params())


def _epoch(day: dt.date) -> float:
    return float(calendar.timegm(day.timetuple()))


def _fts_subquery(words: Sequence[str], dialect: str) -> Select:
    """The ids of conversations whose client messages contain every word (as a prefix)."""
    if dialect == "postgresql":
        query = " & ".join(f"'{word}':*" for word in words)
        return select(MESSAGES.c.conversation_id).where(
            text("tsv @@ to_tsquery('simple', :fts_query)").bindparams(fts_query=query)
        )
    if dialect == "sqlite":
        query = " ".join(f'"{word}"*' for word in words)
        matching = (
            text(
                f"SELECT rowid FROM {MESSAGE_FTS_TABLE} WHERE {MESSAGE_FTS_TABLE} MATCH :fts_query"
            )
            .bindparams(fts_query=query)
            .columns(column("rowid", Integer))
        )
        return select(MESSAGES.c.conversation_id).where(MESSAGES.c.event_id.in_(matching))
    lowered = func.lower(MESSAGES.c.text)
    return select(MESSAGES.c.conversation_id).where(
        and_(*(lowered.contains(word.lower(), autoescape=True) for word in words))
    )


def _reviewed() -> ColumnElement:
    return exists().where(
        REVIEWS.c.conversation_id == SUMMARY.c.conversation_id,
        or_(SUMMARY.c.last_ts.is_(None), REVIEWS.c.upto_ts >= SUMMARY.c.last_ts),
    )


def conditions(criteria: ConversationFilter, dialect: str) -> List[ColumnElement]:
    """The WHERE clauses (over the summary table) of ``criteria``."""
    where: List[ColumnElement] = []
    if criteria.channel:
        where.append(SUMMARY.c.channel == criteria.channel)
    if criteria.language:
        where.append(SUMMARY.c.language == criteria.language)
    if criteria.date_from:
        where.append(SUMMARY.c.last_ts >= _epoch(criteria.date_from))
    if criteria.date_to:
        where.append(SUMMARY.c.first_ts < _epoch(criteria.date_to + dt.timedelta(days=1)))
    if criteria.intent:
        where.append(
            SUMMARY.c.conversation_id.in_(
                select(INTENTS.c.conversation_id).where(INTENTS.c.intent == criteria.intent)
            )
        )
    if criteria.max_confidence is not None:
        where.append(SUMMARY.c.min_confidence < criteria.max_confidence)
    if criteria.fallback is not None:
        where.append(SUMMARY.c.fallback.is_(criteria.fallback))
    if criteria.handoff is not None:
        where.append(SUMMARY.c.handoff.is_(criteria.handoff))
    if criteria.tag:
        where.append(
            SUMMARY.c.conversation_id.in_(
                select(TAGS.c.conversation_id).where(TAGS.c.tag == criteria.tag)
            )
        )
    if criteria.reviewed is not None:
        where.append(_reviewed() if criteria.reviewed else not_(_reviewed()))
    words = search_words(criteria.q)
    if words:
        where.append(SUMMARY.c.conversation_id.in_(_fts_subquery(words, dialect)))
    return where


@dataclass(frozen=True)
class ConversationRow:
    """One conversation as the list shows it."""

    id: int
    conversation_id: str
    channel: str | None
    language: str | None
    first_ts: float | None
    last_ts: float | None
    message_count: int
    min_confidence: float | None
    fallback: bool
    handoff: bool
    paused: bool
    intents: Tuple[str, ...]
    tags: Tuple[str, ...]
    reviewed: bool


@dataclass(frozen=True)
class Page:
    """One page of the list."""

    rows: List[ConversationRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.page_size))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _rows(session: Session, summaries: Sequence[Any]) -> List[ConversationRow]:
    ids = [row.conversation_id for row in summaries]
    if not ids:
        return []
    intents: Dict[str, List[str]] = {}
    for cid, intent in session.execute(
        select(INTENTS.c.conversation_id, INTENTS.c.intent)
        .where(INTENTS.c.conversation_id.in_(ids))
        .order_by(INTENTS.c.intent)
    ):
        intents.setdefault(cid, []).append(intent)
    tags: Dict[str, List[str]] = {}
    for cid, tag in session.execute(
        select(TAGS.c.conversation_id, TAGS.c.tag)
        .where(TAGS.c.conversation_id.in_(ids))
        .order_by(TAGS.c.tag)
    ):
        tags.setdefault(cid, []).append(tag)
    reviewed = dict(
        session.execute(
            select(REVIEWS.c.conversation_id, REVIEWS.c.upto_ts).where(
                REVIEWS.c.conversation_id.in_(ids)
            )
        ).all()
    )
    return [
        ConversationRow(
            id=row.id,
            conversation_id=row.conversation_id,
            channel=row.channel,
            language=row.language,
            first_ts=row.first_ts,
            last_ts=row.last_ts,
            message_count=row.message_count,
            min_confidence=row.min_confidence,
            fallback=bool(row.fallback),
            handoff=bool(row.handoff),
            paused=bool(row.paused),
            intents=tuple(intents.get(row.conversation_id, ())),
            tags=tuple(tags.get(row.conversation_id, ())),
            reviewed=row.conversation_id in reviewed
            and (row.last_ts is None or (reviewed[row.conversation_id] or 0) >= row.last_ts),
        )
        for row in summaries
    ]


def list_page(session: Session, criteria: ConversationFilter, page: int, page_size: int) -> Page:
    """The conversations of page ``page`` (1-based), newest first, and the total."""
    where = conditions(criteria, _dialect(session))
    total = session.execute(select(func.count()).select_from(SUMMARY).where(*where)).scalar_one()
    page = max(1, page)
    summaries = session.execute(
        select(SUMMARY)
        .where(*where)
        .order_by(SUMMARY.c.last_ts.desc(), SUMMARY.c.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return Page(_rows(session, summaries), int(total), page, page_size)


def export_rows(session: Session, criteria: ConversationFilter) -> Iterator[ConversationRow]:
    """Every matching conversation (at most ``MAX_EXPORT_ROWS``), newest first."""
    where = conditions(criteria, _dialect(session))
    query = (
        select(SUMMARY)
        .where(*where)
        .order_by(SUMMARY.c.last_ts.desc(), SUMMARY.c.id.desc())
        .limit(MAX_EXPORT_ROWS)
    )
    chunk: List[Any] = []
    for row in session.execute(query).all():
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield from _rows(session, chunk)
            chunk = []
    if chunk:
        yield from _rows(session, chunk)


def summary_by_id(session: Session, summary_id: int) -> Any | None:
    """The summary row with this id (the id in console URLs), if any."""
    return session.execute(select(SUMMARY).where(SUMMARY.c.id == summary_id)).first()


def summary_by_conversation(session: Session, conversation_id: str) -> Any | None:
    """The summary row of a conversation (Rasa sender id), if indexed."""
    return session.execute(
        select(SUMMARY).where(SUMMARY.c.conversation_id == conversation_id)
    ).first()


def summary_ids(session: Session, conversation_ids: Sequence[str]) -> Dict[str, int]:
    """The console ids of conversations, by Rasa sender id (those indexed)."""
    if not conversation_ids:
        return {}
    return dict(
        session.execute(
            select(SUMMARY.c.conversation_id, SUMMARY.c.id).where(
                SUMMARY.c.conversation_id.in_(list(set(conversation_ids)))
            )
        ).all()
    )


@dataclass(frozen=True)
class FilterOptions:
    """The values the list's drop-downs offer."""

    channels: List[str]
    languages: List[str]
    intents: List[str]
    tags: List[str]


def filter_options(session: Session) -> FilterOptions:
    """The channels, languages, intents and tags that occur."""

    def distinct(column: Any) -> List[str]:
        return [
            value
            for value in session.execute(select(column).distinct().order_by(column)).scalars()
            if value
        ]

    return FilterOptions(
        channels=distinct(SUMMARY.c.channel),
        languages=distinct(SUMMARY.c.language),
        intents=distinct(INTENTS.c.intent),
        tags=distinct(TAGS.c.tag),
    )


def open_handoffs(session: Session, conversation_ids: Sequence[str]) -> Dict[str, Any]:
    """The open or active handoff of each conversation that has one."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        select(HANDOFFS)
        .where(
            HANDOFFS.c.conversation_id.in_(list(conversation_ids)),
            HANDOFFS.c.status != HANDOFF_CLOSED,
        )
        .order_by(HANDOFFS.c.id)
    ).all()
    return {row.conversation_id: row for row in rows}
