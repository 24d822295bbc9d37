"""Handoff steps, and a staff reply going out through the real channel senders to the
fake Telegram and Twilio APIs of the channel tests."""

from __future__ import annotations

import datetime as dt
from typing import AsyncIterator, Dict

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from bot.console.app import create_app
from bot.console.auth import Role, StaffUser
from bot.console.config import ConsoleSettings
from bot.console.handoff import HandoffError, inbox, reply, reply_target, take
from bot.console.indexer import Indexer
from bot.console.web import Console
from bot.store.db import session_scope
from bot.store.support import HANDOFF_CLOSED, HANDOFF_OPEN, Handoff
from tests.bot.channels.fakes import FakeTelegramApi, FakeTwilioApi

from .conftest import TELEGRAM_ID, WHATSAPP_ID
from .fakes import EventWriter, FakeRasa

AGENT = StaffUser(id=1, username="amina", role=Role.AGENT, session_id=1, csrf_token="t")


def add_handoff(
    engine: Engine, conversation_id: str, status: str = HANDOFF_OPEN, minutes_ago: int = 1
) -> int:
    with session_scope(engine) as session:
        handoff = Handoff(
            conversation_id=conversation_id,
            channel="whatsapp",
            reason="request_human",
            status=status,
            requested_at=dt.datetime.utcnow() - dt.timedelta(minutes=minutes_ago),
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def test_inbox_and_take(engine: Engine) -> None:
    newer = add_handoff(engine, "a", minutes_ago=1)
    older = add_handoff(engine, "b", minutes_ago=30)
    closed = add_handoff(engine, "c", status=HANDOFF_CLOSED)
    with session_scope(engine) as session:
        assert [h.id for h in inbox(session)] == [older, newer]
        assert [h.id for h in inbox(session, include_closed=True)] == [closed]
        assert take(session, newer, AGENT).taken_by == "amina"
        with pytest.raises(HandoffError):
            take(session, closed, AGENT)


def test_reply_target_uses_the_latest_input_channel(
    engine: Engine, writer: EventWriter, conversations: Dict[str, str]
) -> None:
    handoff = add_handoff(engine, TELEGRAM_ID)
    Indexer(engine).catch_up()
    with session_scope(engine) as session:
        target = reply_target(session, handoff)
    assert (target.conversation_id, target.channel, target.paused) == (
        TELEGRAM_ID,
        "telegram",
        False,
    )


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramApi]:
    api = FakeTelegramApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def twilio_api() -> AsyncIterator[FakeTwilioApi]:
    api = FakeTwilioApi("AC" + "0" * 32, "twilio-auth-token")
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def real_channels_console(settings: ConsoleSettings, engine: Engine) -> Console:
    """A console that delivers through ``bot.channels.outbound`` (no injected fake)."""
    app: Starlette = create_app(settings, engine=engine)
    return app.state.console


async def test_staff_reply_reaches_a_telegram_client(
    real_channels_console: Console,
    telegram_api: FakeTelegramApi,
    fake_rasa: FakeRasa,
    engine: Engine,
    conversations: Dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram_api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram_api.api_base_url)
    monkeypatch.setenv("TELEGRAM_SECONDS_PER_CHAT", "0")
    handoff = add_handoff(engine, TELEGRAM_ID)
    outcome = await reply(real_channels_console, handoff, AGENT, "Hello, Amina from the branch.")
    assert outcome.delivered and outcome.recorded and outcome.warning is None
    assert telegram_api.texts() == ["Hello, Amina from the branch."]
    assert str(telegram_api.sent()[0]["chat_id"]) == TELEGRAM_ID.split(":")[1]
    assert fake_rasa.calls[-1].body[-1]["metadata"] == {"staff": "amina"}


async def test_staff_reply_reaches_a_whatsapp_client(
    real_channels_console: Console,
    twilio_api: FakeTwilioApi,
    fake_rasa: FakeRasa,
    engine: Engine,
    conversations: Dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "TWILIO_ACCOUNT_SID": twilio_api.account_sid,
        "TWILIO_AUTH_TOKEN": twilio_api.auth_token,
        "TWILIO_WHATSAPP_NUMBER": "+14155238886",
        "TWILIO_API_BASE_URL": twilio_api.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    handoff = add_handoff(engine, WHATSAPP_ID)
    outcome = await reply(real_channels_console, handoff, AGENT, "Habari, ni Amina.")
    assert outcome.delivered
    [message] = twilio_api.messages
    assert (message.to, message.body) == (WHATSAPP_ID, "Habari, ni Amina.")


async def test_unconfigured_channel_is_reported_and_nothing_recorded(
    real_channels_console: Console,
    fake_rasa: FakeRasa,
    engine: Engine,
    conversations: Dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    handoff = add_handoff(engine, TELEGRAM_ID)
    with pytest.raises(HandoffError, match="ChannelNotConfigured"):
        await reply(real_channels_console, handoff, AGENT, "Hello")
    assert fake_rasa.calls == []
