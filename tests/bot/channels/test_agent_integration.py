"""Both connectors in front of the real trained Rasa agent (skipped without a model)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram import TelegramInput
from bot.channels.whatsapp import WhatsAppInput
from bot.store.channels import ChannelStore

from .conftest import serve
from .fakes import FakeTelegramApi, FakeTwilioApi, message_update
from .test_telegram import SECRET, send
from .test_telegram import config_for as telegram_config
from .test_whatsapp import CLIENT, inbound, post_signed
from .test_whatsapp import config_for as whatsapp_config


@pytest.mark.model
class TestWithTrainedAgent:
    async def test_hi_on_both_channels(
        self,
        trained_agent: Any,
        twilio_api: FakeTwilioApi,
        telegram_api: FakeTelegramApi,
        store: ChannelStore,
    ) -> None:
        channels = [
            WhatsAppInput(whatsapp_config(twilio_api), store),
            TelegramInput(telegram_config(telegram_api), store),
        ]
        async with serve(channels, None, trained_agent) as served:
            signed = await post_signed(served["whatsapp"], inbound("hi"))
            forged = await post_signed(served["whatsapp"], inbound("hi"), token="forged")
            await served["whatsapp"].settle()
            telegram = await send(served["telegram"], message_update(1, "hi", chat_id=9001))
            refused = await send(served["telegram"], message_update(2, "hi"), secret="wrong")
            assert SECRET

            # WhatsApp: one greeting with the menu as a numbered list
            assert (signed.status, forged.status) == (200, 403)
            [greeting] = twilio_api.messages
            assert greeting.to == CLIENT
            assert "1. " in greeting.body and greeting.body.rstrip().endswith(".")
            # the menu's "2" goes back to Rasa as the second button's payload
            await post_signed(served["whatsapp"], inbound("2"))
            await served["whatsapp"].settle()
            tracker = await trained_agent.tracker_store.retrieve(CLIENT)
            user_events = [e for e in tracker.events if e.type_name == "user"]
            assert [e.input_channel for e in user_events] == ["whatsapp", "whatsapp"]
            assert user_events[-1].text == "/calculate_loan"

            # Telegram: the greeting with an inline keyboard
            assert (telegram.status, refused.status) == (200, 403)
            greeting_tg = telegram_api.sent()[0]
            assert greeting_tg["chat_id"] == 9001
            assert greeting_tg["reply_markup"]["inline_keyboard"]
            tracker_tg = await trained_agent.tracker_store.retrieve("telegram:9001")
            assert tracker_tg.get_latest_input_channel() == "telegram"
