"""credentials.yml registers both connectors; without secrets they start and refuse all."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.run import create_http_input_channels
from twilio.request_validator import RequestValidator

from bot.channels.telegram import TelegramInput
from bot.channels.whatsapp import WhatsAppInput

from .conftest import ROOT, FakeAgent, ScriptedBot, serve
from .fakes import message_update
from .test_whatsapp import inbound

CHANNEL_VARIABLES = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_WHATSAPP_NUMBER",
    "TWILIO_WEBHOOK_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
]


@pytest.fixture
def no_channel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def channels_from_credentials() -> list:
    return create_http_input_channels(None, str(ROOT / "credentials.yml"))


def test_credentials_register_both_connectors(no_channel_env: None) -> None:
    channels = channels_from_credentials()
    names = {channel.name() for channel in channels}
    assert {"rest", "whatsapp", "telegram"} <= names
    assert any(isinstance(channel, WhatsAppInput) for channel in channels)
    assert any(isinstance(channel, TelegramInput) for channel in channels)


async def test_without_credentials_both_webhooks_refuse_everything(
    no_channel_env: None, db_url: str, agent: FakeAgent, bot: ScriptedBot
) -> None:
    channels = [c for c in channels_from_credentials() if c.name() in {"whatsapp", "telegram"}]
    async with serve(channels, bot, agent) as served:
        whatsapp, telegram = served["whatsapp"], served["telegram"]
        params = inbound("hi")
        signature = RequestValidator("guessed").compute_signature(whatsapp.url(), params)
        answers: list[Any] = [
            await whatsapp.post(data=params),
            await whatsapp.post(data=params, headers={"X-Twilio-Signature": signature}),
            await telegram.post(json=message_update(1, "hi")),
            await telegram.post(
                json=message_update(2, "hi"), headers={"X-Telegram-Bot-Api-Secret-Token": ""}
            ),
        ]
        health = await whatsapp.http.get(whatsapp.url("/"))
    assert [answer.status for answer in answers] == [403, 403, 403, 403]
    assert health.status == 200
    assert bot.messages == []


def test_credentials_from_the_environment(
    no_channel_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", "+14155238886")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "secret")
    channels = {channel.name(): channel for channel in channels_from_credentials()}
    assert channels["whatsapp"].config.can_verify
    assert channels["whatsapp"].config.whatsapp_number == "whatsapp:+14155238886"
    assert channels["telegram"].config.can_verify
