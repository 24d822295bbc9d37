from __future__ import annotations

import datetime as dt
from typing import Dict, List

import pytest
from sqlalchemy.engine import Engine

from bot.console.indexer import Indexer
from bot.console.listing import (
    ConversationFilter,
    FilterError,
    export_rows,
    filter_options,
    list_page,
    search_words,
)
from bot.store.console import Review, Tag
from bot.store.db import session_scope

from .conftest import REST_ID, TELEGRAM_ID, WHATSAPP_ID
from .fakes import START_TS


@pytest.fixture
def indexed(engine: Engine, conversations: Dict[str, str]) -> Engine:
    Indexer(engine).catch_up()
    return engine


def ids(engine: Engine, **params: str) -> List[str]:
    criteria = ConversationFilter.from_params(params)
    with session_scope(engine) as session:
        page = list_page(session, criteria, 1, 50)
    assert page.total == len(page.rows)
    return [row.conversation_id for row in page.rows]


def test_newest_first(indexed: Engine) -> None:
    assert ids(indexed) == [REST_ID, TELEGRAM_ID, WHATSAPP_ID]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "telegram"}, [TELEGRAM_ID]),
        ({"language": "sw"}, [WHATSAPP_ID]),
        ({"intent": "explain_interest"}, [WHATSAPP_ID]),
        ({"max_confidence": "0.5"}, [TELEGRAM_ID, WHATSAPP_ID]),
        ({"max_confidence": "0.3"}, [TELEGRAM_ID]),
        ({"fallback": "yes"}, [TELEGRAM_ID]),
        ({"fallback": "no"}, [REST_ID, WHATSAPP_ID]),
        ({"handoff": "yes"}, [REST_ID]),
        ({"q": "mkopo"}, [WHATSAPP_ID]),
        ({"q": "LOAN 200"}, [TELEGRAM_ID]),
        ({"q": "बात"}, [REST_ID]),
        ({"q": "loan mkopo"}, []),
        ({"channel": "whatsapp", "max_confidence": "0.5", "fallback": "no"}, [WHATSAPP_ID]),
        ({"channel": "whatsapp", "intent": "calculate_loan"}, []),
    ],
)
def test_filters_combine(indexed: Engine, params: Dict[str, str], expected: List[str]) -> None:
    assert ids(indexed, **params) == expected


def test_date_range_selects_conversations_active_in_it(indexed: Engine) -> None:
    day = dt.datetime.utcfromtimestamp(START_TS).date()
    assert len(ids(indexed, date_from=day.isoformat(), date_to=day.isoformat())) == 3
    later = (day + dt.timedelta(days=1)).isoformat()
    assert ids(indexed, date_from=later) == []
    earlier = (day - dt.timedelta(days=1)).isoformat()
    assert ids(indexed, date_to=earlier) == []


def test_tags_and_review_state(indexed: Engine) -> None:
    with session_scope(indexed) as session:
        session.add(Tag(conversation_id=TELEGRAM_ID, tag="wrong-intent", created_by="a"))
        session.add(Review(conversation_id=WHATSAPP_ID, reviewed_by="a", upto_ts=START_TS + 1e6))
        session.add(Review(conversation_id=REST_ID, reviewed_by="a", upto_ts=START_TS))
    assert ids(indexed, tag="wrong-intent") == [TELEGRAM_ID]
    # reviewed before its newest message: counts as not reviewed
    assert ids(indexed, reviewed="yes") == [WHATSAPP_ID]
    assert ids(indexed, reviewed="no") == [REST_ID, TELEGRAM_ID]


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE events; --",
        '" OR 1=1 --',
        "mkopo* NEAR(x y) AND NOT",
        "%_%",
        "\\\\' \" ) ( :*",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_searches_are_just_words(indexed: Engine, query: str) -> None:
    found = ids(indexed, q=query)
    if search_words(query):
        assert found in ([], [WHATSAPP_ID])
    else:
        assert len(found) == 3  # nothing to search for: no search filter
    assert len(ids(indexed)) == 3


def test_search_words_drop_query_syntax() -> None:
    assert search_words('loan" OR "x*') == ["loan", "OR", "x"]
    assert search_words("a " * 20) == ["a"] * 8
    assert search_words(None) == []


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2024-13-01"},
        {"date_from": "2024-02-02", "date_to": "2024-02-01"},
        {"max_confidence": "high"},
        {"max_confidence": "1.5"},
        {"fallback": "maybe"},
    ],
)
def test_malformed_filters_are_refused(params: Dict[str, str]) -> None:
    with pytest.raises(FilterError):
        ConversationFilter.from_params(params)


def test_filter_round_trips_through_its_params() -> None:
    params = {"channel": "telegram", "date_from": "2024-01-01", "fallback": "no", "q": "loan"}
    criteria = ConversationFilter.from_params(params)
    assert criteria.params() == params
    assert criteria.active and not ConversationFilter().active


def test_pages(indexed: Engine) -> None:
    with session_scope(indexed) as session:
        first = list_page(session, ConversationFilter(), 1, 2)
        second = list_page(session, ConversationFilter(), 2, 2)
    assert (first.total, first.pages) == (3, 2)
    assert [r.conversation_id for r in first.rows + second.rows] == [
        REST_ID,
        TELEGRAM_ID,
        WHATSAPP_ID,
    ]


def test_export_and_options(indexed: Engine) -> None:
    with session_scope(indexed) as session:
        rows = list(export_rows(session, ConversationFilter(channel="whatsapp")))
        options = filter_options(session)
    assert [row.conversation_id for row in rows] == [WHATSAPP_ID]
    assert rows[0].intents == ("explain_interest", "greet")
    assert options.channels == ["rest", "telegram", "whatsapp"]
    assert "nlu_fallback" in options.intents and options.tags == []
