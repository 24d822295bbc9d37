"""Fuzz of the REST webhook: hostile bodies get a 400 (or a turn), never a 5xx or a trace."""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Dict

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels.delivery import BackgroundTasks
from bot.channels.rest import RequestError, RestInput, parse_body
from tests.fuzzing import (
    assert_no_server_error,
    content_types,
    crashes_logged,
    dumps,
    fuzz_settings,
    json_text,
    json_values,
    raw_bodies,
)

from .conftest import FakeAgent, ScriptedBot, Served, serve

FIELDS = ("message", "sender", "metadata")
MISSING = object()
DEEP_JSON = b"[" * 5_000 + b"]" * 5_000


@pytest.fixture
async def rest(bot: ScriptedBot, agent: FakeAgent) -> AsyncIterator[Served]:
    channel = RestInput()
    channel.tasks = BackgroundTasks()  # serve() drains every channel's tasks (REST has none)
    async with serve([channel], bot, agent) as served:
        yield served["rest"]


# a field's value: missing, of the right type (a string) or of any JSON type
FIELD_VALUES = st.one_of(st.just(MISSING), json_text(), json_values())
EXTRA_FIELDS = st.dictionaries(json_text(12, huge=False), json_values(), max_size=3)


@st.composite
def bodies(draw: st.DrawFn) -> Dict[str, Any]:
    """A JSON object with each known field missing, right or wrong, and extra fields."""
    body = dict(draw(EXTRA_FIELDS))
    for name in FIELDS:
        value = draw(FIELD_VALUES)
        if value is not MISSING:
            body[name] = value
    return body


async def post(served: Served, body: bytes, content_type: str | None) -> Any:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    async with served.http.post(served.url(), data=body, headers=headers) as answer:
        return answer.status, await answer.read()


@fuzz_settings(max_examples=100)
@given(body=raw_bodies(), content_type=content_types())
@example(body=DEEP_JSON, content_type="application/json")  # was a 500 (RecursionError)
async def test_raw_bodies_never_get_a_server_error(
    rest: Served, body: bytes, content_type: str | None
) -> None:
    with crashes_logged() as crashes:
        status, answer = await post(rest, body, content_type)
    assert_no_server_error(status, answer)
    assert status in (200, 400)
    assert isinstance(json.loads(answer), list if status == 200 else dict)
    crashes.assert_none()


@fuzz_settings(max_examples=100)
@given(body=bodies(), content_type=content_types())
async def test_wrong_types_and_missing_fields_get_a_reason(
    rest: Served, bot: ScriptedBot, body: Dict[str, Any], content_type: str | None
) -> None:
    handled = len(bot.messages)
    with crashes_logged() as crashes:
        status, answer = await post(rest, dumps(body), content_type)
    assert_no_server_error(status, answer)
    crashes.assert_none()
    if status == 400:
        assert json.loads(answer)["error"]
        assert len(bot.messages) == handled
        return
    assert status == 200
    assert isinstance(body.get("message"), str)
    assert bot.messages[-1].text == body["message"].strip()  # as Rasa's UserMessage keeps it


@pytest.mark.parametrize("sender", ["a\x00b", "line\nbreak", "\x7f"])
def test_a_sender_with_control_characters_is_refused(sender: str) -> None:
    # a NUL in the conversation id cannot be stored by PostgreSQL's tracker store
    with pytest.raises(RequestError):
        parse_body(dumps({"message": "hi", "sender": sender}))
