"""Staff replies through the client's channel, configured from environment variables."""

from __future__ import annotations

import asyncio
from typing import Dict

import pytest

from bot.channels.outbound import (
    ChannelNotConfigured,
    DeliveryFailed,
    RecipientOptedOut,
    send_text,
    send_text_sync,
)
from bot.store.channels import ChannelStore

from .conftest import ACCOUNT_SID, AUTH_TOKEN, LONG_TEXT
from .fakes import FakeTelegramApi, FakeTwilioApi


@pytest.fixture
def twilio_env(twilio_api: FakeTwilioApi) -> Dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_NUMBER": "+14155238886",
        "TWILIO_SMS_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": twilio_api.base_url,
        "MFI_CHANNEL_RETRY_SECONDS": "0.01",
    }


@pytest.fixture
def telegram_env(telegram_api: FakeTelegramApi) -> Dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_API_BASE_URL": telegram_api.api_base_url,
        "TELEGRAM_SECONDS_PER_CHAT": "0",
        "MFI_CHANNEL_RETRY_SECONDS": "0.01",
    }


async def test_whatsapp_staff_reply(
    twilio_api: FakeTwilioApi, twilio_env: Dict[str, str], store: ChannelStore
) -> None:
    await send_text("whatsapp", "whatsapp:+254700000001", "Hello from the branch", env=twilio_env)
    [message] = twilio_api.messages
    assert (message.to, message.from_, message.body) == (
        "whatsapp:+254700000001",
        "whatsapp:+14155238886",
        "Hello from the branch",
    )


async def test_sms_staff_reply_is_split(
    twilio_api: FakeTwilioApi, twilio_env: Dict[str, str], store: ChannelStore
) -> None:
    await send_text("whatsapp", "sms:+254700000002", LONG_TEXT, env=twilio_env)
    assert {(m.to, m.from_) for m in twilio_api.messages} == {("+254700000002", "+15005550006")}
    assert all(len(body) <= 1600 for body in twilio_api.bodies())
    assert " ".join(twilio_api.bodies()) == LONG_TEXT


async def test_opted_out_client_gets_nothing(
    twilio_api: FakeTwilioApi, twilio_env: Dict[str, str], store: ChannelStore
) -> None:
    store.set_opted_out("whatsapp", "whatsapp:+254700000001", True)
    with pytest.raises(RecipientOptedOut):
        await send_text("whatsapp", "whatsapp:+254700000001", "Hello", env=twilio_env)
    assert twilio_api.messages == []


async def test_failure_is_raised_and_recorded(
    twilio_api: FakeTwilioApi, twilio_env: Dict[str, str], store: ChannelStore
) -> None:
    twilio_api.fail_next(400, 21211)
    with pytest.raises(DeliveryFailed):
        await send_text("whatsapp", "whatsapp:+254700000001", "Hello", env=twilio_env)
    [failure] = store.failures()
    assert failure.error_code == "21211"
    assert failure.content["parts"] == [{"body": "Hello"}]


async def test_5xx_is_retried_for_staff_replies_too(
    twilio_api: FakeTwilioApi, twilio_env: Dict[str, str], store: ChannelStore
) -> None:
    twilio_api.fail_next(500)
    await send_text("whatsapp", "whatsapp:+254700000001", "Hello", env=twilio_env)
    assert twilio_api.requests == 2 and twilio_api.bodies() == ["Hello"]


async def test_telegram_staff_reply(
    telegram_api: FakeTelegramApi, telegram_env: Dict[str, str], store: ChannelStore
) -> None:
    await send_text("telegram", "telegram:4242", "Hello", env=telegram_env)
    await send_text("telegram", "4243", "Hi", env=telegram_env)
    assert [(p["chat_id"], p["text"]) for p in telegram_api.sent()] == [
        (4242, "Hello"),
        (4243, "Hi"),
    ]


async def test_unconfigured_and_unknown_channels(store: ChannelStore) -> None:
    with pytest.raises(ChannelNotConfigured):
        await send_text("whatsapp", "whatsapp:+254700000001", "Hello", env={})
    with pytest.raises(ChannelNotConfigured):
        await send_text("telegram", "telegram:1", "Hello", env={})
    with pytest.raises(ValueError):
        await send_text("signal", "x", "Hello", env={})
    with pytest.raises(ValueError):
        await send_text("telegram", "telegram:1", "  ", env={})


async def test_sync_wrapper_from_another_thread(
    twilio_api: FakeTwilioApi, twilio_env: Dict[str, str], store: ChannelStore
) -> None:
    # the staff console calls it from synchronous code, with no event loop of its own
    await asyncio.to_thread(
        send_text_sync, "whatsapp", "+254700000002", "Hello", store=store, env=twilio_env
    )
    assert [(m.to, m.body) for m in twilio_api.messages] == [("+254700000002", "Hello")]
