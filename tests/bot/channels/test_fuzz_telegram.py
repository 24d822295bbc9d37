"""Fuzz of the Telegram webhook: without the secret a 403; with it, malformed updates (random
JSON, wrong types, missing fields) get a 400 or are handled, never a 5xx, a trace or a
crashed background turn."""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, Tuple

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from bot.channels.config import TelegramConfig
from bot.channels.telegram import SECRET_HEADER, TelegramInput, check_update
from bot.store.channels import ChannelStore
from tests.fuzzing import (
    assert_no_server_error,
    content_types,
    crashes_logged,
    db_url,  # noqa: F401 - every test runs on SQLite and PostgreSQL
    dumps,
    fuzz_settings,
    hostile_text,
    json_scalars,
    json_text,
    json_values,
    raw_bodies,
)

from .conftest import FAST_RETRY, FakeAgent, ScriptedBot, Served, serve
from .fakes import FakeTelegramApi, callback_update, message_update, user

SECRET = "s3cret_token-for-tests"
DATE = 1_700_000_000
CHAT = {"id": 4242, "type": "private"}
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "MFI"}


def _dated(update: Dict[str, Any]) -> Dict[str, Any]:
    """The update with fixed dates, so that examples are the same on every run."""
    for part in update.values():
        if isinstance(part, dict):
            for holder in (part, part.get("message")):
                if isinstance(holder, dict) and "date" in holder:
                    holder["date"] = DATE
    return update


COMMAND = [{"type": "bot_command", "offset": 0, "length": 13}]
VOICE = {"file_id": "v", "file_unique_id": "u", "duration": 2}
PHOTO = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
# well-formed updates of every kind the connector handles, for the fuzz to break
TEMPLATES = [
    _dated(message_update(1, "hi")),
    _dated(message_update(1, "/start@MfiBot now", entities=COMMAND)),
    _dated(message_update(1, None, voice=VOICE)),
    _dated(message_update(1, None, location={"latitude": 1.5, "longitude": 36.8})),
    _dated(message_update(1, None, caption="my id", photo=PHOTO)),
    _dated(callback_update(1, "/explain_interest")),
    _dated(callback_update(1, "~unknowntoken0000000000")),
    {
        "update_id": 1,
        "my_chat_member": {
            "chat": CHAT,
            "from": user(),
            "date": DATE,
            "old_chat_member": {"user": BOT_USER, "status": "member"},
            "new_chat_member": {"user": BOT_USER, "status": "kicked", "until_date": 0},
        },
    },
    {"update_id": 1, "edited_message": _dated(message_update(1, "hi"))["message"]},
]
CLIENT_FIELDS = {"text", "caption", "data", "language_code", "first_name", "username"}
JSON_VALUES = json_values()
SAME_KIND = {
    str: json_text(),
    int: st.one_of(st.integers(), json_scalars()),
    float: st.one_of(st.floats(), json_scalars()),
    bool: json_scalars(),
}
# update ids: mostly fresh ones (a repeated id is not handled again), else anything
UPDATE_IDS = st.one_of(
    st.uuids().map(lambda uid: uid.int >> 80),
    st.uuids().map(lambda uid: str(uid.int >> 80)),
    JSON_VALUES,
)
HEADER_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", SECRET + " ", SECRET.upper(), SECRET[:-1]]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
)
RAW_BODIES = raw_bodies()
CONTENT_TYPES = content_types()


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with some of its parts replaced (by any JSON, or a hostile value of the
    same kind) or dropped; most parts stay as they were."""
    choice = draw(st.integers(0, 19))
    if choice == 0:
        return draw(JSON_VALUES)
    if isinstance(value, dict):
        kept = {key: item for key, item in value.items() if draw(st.integers(0, 19)) > 0}
        return {key: draw(mutated(item)) for key, item in kept.items()}
    if isinstance(value, list):
        return [draw(mutated(item)) for item in value]
    if choice == 1 and type(value) in SAME_KIND:
        return draw(SAME_KIND[type(value)])
    return value


@st.composite
def updates(draw: st.DrawFn) -> Dict[str, Any]:
    """A broken update (and sometimes one that is still well-formed), with a fresh id."""
    update = draw(mutated(draw(st.sampled_from(TEMPLATES))))
    if not isinstance(update, dict):
        return {"update_id": draw(UPDATE_IDS), "message": update}
    update["update_id"] = draw(UPDATE_IDS)
    return update


def config_for(api: FakeTelegramApi) -> TelegramConfig:
    return TelegramConfig(
        bot_token=api.token,
        webhook_secret=SECRET,
        api_base_url=api.api_base_url,
        seconds_per_chat=0.0,
        media_base_url="https://files.example.org/media/",
        retry=FAST_RETRY,
    )


@pytest.fixture
async def telegram(
    telegram_api: FakeTelegramApi, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent
) -> AsyncIterator[Served]:
    async with serve([TelegramInput(config_for(telegram_api), store)], bot, agent) as served:
        yield served["telegram"]


async def post(
    served: Served, body: bytes, content_type: str | None, secret: str | None = SECRET
) -> Tuple[int, bytes]:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    with crashes_logged() as crashes:
        async with served.http.post(served.url(), data=body, headers=headers) as answer:
            status, text = answer.status, await answer.read()
        await served.settle()
    event(f"HTTP {status}")
    assert_no_server_error(status, text)
    crashes.assert_none()
    return status, text


@fuzz_settings(max_examples=60)
@given(body=st.one_of(updates().map(dumps), RAW_BODIES), secret=HEADER_VALUES)
async def test_updates_without_the_secret_are_forbidden(
    telegram: Served, bot: ScriptedBot, body: bytes, secret: str | None
) -> None:
    status, _ = await post(telegram, body, "application/json", secret)
    assert status in (403, 413)  # 413: a header too large for Sanic
    assert bot.messages == []


@fuzz_settings(max_examples=80)
@given(body=RAW_BODIES, content_type=CONTENT_TYPES)
@example(body=b"[" * 5_000 + b"]" * 5_000, content_type=None)  # was a 500 (RecursionError)
@example(body=b'{"update_id": 1e400}', content_type=None)  # was a 500 (OverflowError)
async def test_any_body_with_the_secret_never_crashes(
    telegram: Served, body: bytes, content_type: str | None
) -> None:
    status, _ = await post(telegram, body, content_type)
    assert status in (200, 400)


def broken(update: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    """A well-formed update with some fields of its message (or callback query) changed."""
    update = _dated(update)
    next(part for part in update.values() if isinstance(part, dict)).update(fields)
    return update


@fuzz_settings(max_examples=150)
@given(update=updates())
# each was a crashed background turn (the webhook had answered 200)
@example(update=broken(message_update(901, "hi"), **{"from": {"language_code": "en"}}))
@example(update=broken(message_update(902, "hi"), chat={"type": "private"}))
@example(update=broken(message_update(903, "hi"), text=5))
@example(update=broken(callback_update(904, "/explain_interest"), data=7))
async def test_malformed_updates_with_the_secret_never_crash(
    telegram: Served, update: Dict[str, Any]
) -> None:
    status, _ = await post(telegram, dumps(update), "application/json")
    assert status in (200, 400)


def with_text(value: Any, text: str) -> Any:
    """A copy of ``value`` with ``text`` in every field a client writes."""
    if isinstance(value, dict):
        return {
            key: text if key in CLIENT_FIELDS else with_text(item, text)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [with_text(item, text) for item in value]
    return value


@fuzz_settings(max_examples=50)
@given(
    template=st.sampled_from(TEMPLATES),
    update_id=st.uuids().map(lambda uid: uid.int >> 80),
    text=hostile_text(),
)
# a callback token with a NUL crashed the turn on PostgreSQL (the token lookup)
@example(template=_dated(callback_update(1, "~")), update_id=905, text="~\x00")
async def test_hostile_texts_in_well_formed_updates_are_handled(
    telegram: Served, template: Dict[str, Any], update_id: int, text: str
) -> None:
    update = {**with_text(template, text), "update_id": update_id}
    status, _ = await post(telegram, dumps(update), "application/json")
    assert status == 200


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda update: list(update)[-1])
def test_the_templates_are_updates_the_connector_reads(template: Dict[str, Any]) -> None:
    assert check_update(template) == 1
