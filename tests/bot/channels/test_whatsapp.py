"""The WhatsApp/SMS connector end to end: signed webhooks in, the fake Twilio API out."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any, AsyncIterator, Dict

import pytest
from rasa.shared.core.events import SlotSet
from twilio.request_validator import RequestValidator

from bot.channels.config import WhatsAppConfig
from bot.channels.whatsapp import (
    WhatsAppInput,
    address_for,
    conversation_id_for,
    media_kind,
)
from bot.store.channels import ChannelStore

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FAST_RETRY,
    LONG_TEXT,
    FakeAgent,
    ScriptedBot,
    Served,
    free_port,
    serve,
)
from .fakes import FakeTwilioApi

CLIENT = "whatsapp:+254700000001"
SANDBOX = "whatsapp:+14155238886"
SMS_CLIENT = "+254700000002"
SMS_NUMBER = "+15005550006"
_sids = itertools.count(1)


def inbound(body: str | None = "hi", sender: str = CLIENT, **extra: str) -> Dict[str, str]:
    """Return Twilio's webhook parameters for a client message."""
    to = SANDBOX if sender.startswith("whatsapp:") else SMS_NUMBER
    sid = extra.pop("MessageSid", f"SM{next(_sids):032x}")
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": to,
        "Body": body or "",
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    if sender.startswith("whatsapp:"):
        params.update({"ProfileName": "Amina", "WaId": sender.split("+")[1]})
    params.update(extra)
    return params


async def post_signed(
    served: Served,
    params: Dict[str, str],
    token: str = AUTH_TOKEN,
    url: str | None = None,
    signed_params: Dict[str, str] | None = None,
) -> Any:
    """Post like Twilio: form data signed with twilio's own validator."""
    signature = RequestValidator(token).compute_signature(
        url or served.url(), signed_params if signed_params is not None else params
    )
    return await served.post(data=params, headers={"X-Twilio-Signature": signature})


def config_for(api: FakeTwilioApi, **changes: Any) -> WhatsAppConfig:
    values: Dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "whatsapp_number": SANDBOX,
        "sms_number": SMS_NUMBER,
        "api_base_url": api.base_url,
        "media_base_url": "https://files.example.org/media/",
        "retry": FAST_RETRY,
    }
    values.update(changes)
    return WhatsAppConfig(**values)


@pytest.fixture
async def whatsapp(
    twilio_api: FakeTwilioApi, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent
) -> AsyncIterator[Served]:
    channel = WhatsAppInput(config_for(twilio_api), store)
    async with serve([channel], bot, agent) as served:
        yield served["whatsapp"]


async def say(served: Served, body: str | None, sender: str = CLIENT, **extra: str) -> Any:
    answer = await post_signed(served, inbound(body, sender, **extra))
    await served.settle()
    return answer


async def set_language(agent: FakeAgent, sender_id: str, code: str) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
    tracker.update(SlotSet("language", code))
    await agent.tracker_store.save(tracker)


class TestSignature:
    async def test_signed_hi_gets_exactly_one_reply(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        answer = await say(whatsapp, "hi")
        assert answer.status == 200
        assert answer.content_type == "text/xml"
        assert bot.texts == ["hi"]
        assert [(m.to, m.from_, m.body) for m in twilio_api.messages] == [
            (CLIENT, SANDBOX, "Hello! How can I help?")
        ]

    async def test_forged_signature_is_refused(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        answer = await post_signed(whatsapp, inbound("hi"), token="not-the-auth-token")
        await whatsapp.settle()
        assert answer.status == 403
        assert bot.messages == [] and twilio_api.messages == []

    async def test_unsigned_request_is_refused(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        answer = await whatsapp.post(data=inbound("hi"))
        await whatsapp.settle()
        assert answer.status == 403
        assert bot.messages == [] and twilio_api.messages == []

    async def test_tampered_body_is_refused(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        original = inbound("hi")
        tampered = dict(original, Body="send my balance to +1 555")
        answer = await post_signed(whatsapp, tampered, signed_params=original)
        await whatsapp.settle()
        assert answer.status == 403
        assert bot.messages == [] and twilio_api.messages == []

    async def test_signature_for_another_url_is_refused(
        self, whatsapp: Served, twilio_api: FakeTwilioApi
    ) -> None:
        answer = await post_signed(
            whatsapp, inbound("hi"), url="https://evil.example.com/webhooks/whatsapp/webhook"
        )
        assert answer.status == 403
        assert twilio_api.messages == []

    async def test_replayed_message_sid_is_answered_once(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        params = inbound("hi")
        first = await post_signed(whatsapp, params)
        await whatsapp.settle()
        again = await post_signed(whatsapp, params)
        await whatsapp.settle()
        assert (first.status, again.status) == (200, 200)
        assert bot.texts == ["hi"]
        assert twilio_api.bodies() == ["Hello! How can I help?"]

    async def test_simultaneous_duplicates_are_answered_once(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        params = inbound("hi")
        answers = await asyncio.gather(*(post_signed(whatsapp, params) for _ in range(4)))
        await whatsapp.settle()
        assert {answer.status for answer in answers} == {200}
        assert bot.texts == ["hi"]
        assert len(twilio_api.messages) == 1

    async def test_public_url_behind_a_proxy(
        self, twilio_api: FakeTwilioApi, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent
    ) -> None:
        public = "https://mfi.example.org/webhooks/whatsapp/webhook"
        channel = WhatsAppInput(config_for(twilio_api, webhook_url=public), store)
        async with serve([channel], bot, agent) as served:
            local = await post_signed(served["whatsapp"], inbound("hi"))
            proxied = await post_signed(served["whatsapp"], inbound("hi"), url=public)
            await served["whatsapp"].settle()
        assert (local.status, proxied.status) == (403, 200)
        assert twilio_api.bodies() == ["Hello! How can I help?"]

    async def test_without_auth_token_everything_is_refused(
        self, twilio_api: FakeTwilioApi, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent
    ) -> None:
        channel = WhatsAppInput(config_for(twilio_api, auth_token=None), store)
        async with serve([channel], bot, agent) as served:
            answer = await post_signed(served["whatsapp"], inbound("hi"))
            empty_token = await post_signed(served["whatsapp"], inbound("hi"), token="")
        assert (answer.status, empty_token.status) == (403, 403)
        assert bot.messages == [] and twilio_api.messages == []


class TestConversation:
    async def test_conversation_id_and_channel_are_passed_to_rasa(
        self, whatsapp: Served, bot: ScriptedBot, agent: FakeAgent
    ) -> None:
        await say(whatsapp, "hi")
        message = bot.messages[0]
        assert message.sender_id == CLIENT
        assert message.input_channel == "whatsapp"
        assert message.metadata["channel"] == "whatsapp"
        assert message.metadata["transport"] == "whatsapp"
        assert message.message_id.startswith("SM")
        tracker = await agent.tracker_store.retrieve(CLIENT)
        assert tracker.get_latest_input_channel() == "whatsapp"

    async def test_webhook_answers_before_a_slow_turn_ends(
        self, twilio_api: FakeTwilioApi, store: ChannelStore, agent: FakeAgent
    ) -> None:
        bot = ScriptedBot(agent)

        async def slow(message: Any) -> None:
            await asyncio.sleep(1.5)
            await bot(message)

        channel = WhatsAppInput(config_for(twilio_api), store)
        async with serve([channel], slow, agent) as served:
            started = time.monotonic()
            answer = await post_signed(served["whatsapp"], inbound("hi"))
            answered = time.monotonic() - started
            assert twilio_api.messages == []
            await served["whatsapp"].settle()
        assert answer.status == 200
        assert answered < 1.0
        assert twilio_api.bodies() == ["Hello! How can I help?"]


class TestButtons:
    async def test_buttons_become_a_numbered_list(
        self, whatsapp: Served, twilio_api: FakeTwilioApi
    ) -> None:
        await say(whatsapp, "menu")
        assert twilio_api.bodies() == [
            "What would you like to do?\n\n"
            "1. Understand interest\n2. Cost of a loan\n3. Talk to a person\n\n"
            "Reply 1, 2, or 3."
        ]

    async def test_a_number_reply_maps_to_the_payload(
        self, whatsapp: Served, bot: ScriptedBot
    ) -> None:
        await say(whatsapp, "menu")
        await say(whatsapp, " 2. ")
        await say(whatsapp, "menu")
        await say(whatsapp, "Talk to a PERSON")
        assert bot.texts[1] == "/calculate_loan"
        assert bot.texts[3].startswith('/request_human{"topic"')

    async def test_numbers_outside_the_list_and_later_turns_are_plain_text(
        self, whatsapp: Served, bot: ScriptedBot
    ) -> None:
        await say(whatsapp, "menu")
        await say(whatsapp, "5000")  # an amount, not a choice
        await say(whatsapp, "2")  # the last turn offered no buttons
        assert bot.texts == ["menu", "5000", "2"]

    async def test_choices_are_per_conversation(self, whatsapp: Served, bot: ScriptedBot) -> None:
        await say(whatsapp, "menu")
        await say(whatsapp, "1", sender="whatsapp:+254700000009")
        assert bot.texts == ["menu", "1"]

    async def test_list_and_hint_in_the_conversation_language(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot, agent: FakeAgent
    ) -> None:
        await set_language(agent, CLIENT, "bn")
        await say(whatsapp, "menu")
        body = twilio_api.bodies()[-1]
        assert "১. Understand interest" in body
        assert body.endswith("উত্তরে ১, ২, বা ৩ লিখুন।")
        await say(whatsapp, "২")
        assert bot.texts[-1] == "/calculate_loan"

    async def test_swahili_hint(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, agent: FakeAgent
    ) -> None:
        await set_language(agent, CLIENT, "sw")
        await say(whatsapp, "menu")
        assert twilio_api.bodies()[-1].endswith("Jibu 1, 2 au 3.")


class TestLongText:
    async def test_long_reply_is_split_in_order_within_1600(
        self, whatsapp: Served, twilio_api: FakeTwilioApi
    ) -> None:
        await say(whatsapp, "long")
        bodies = twilio_api.bodies()
        assert len(bodies) == 6  # 9,000 characters
        assert all(len(body) <= 1600 for body in bodies)
        assert all(body.endswith(".") for body in bodies)  # cut after sentences
        assert " ".join(bodies) == LONG_TEXT

    async def test_sms_numbers_work_with_the_same_limit(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        await say(whatsapp, "long", sender=SMS_CLIENT)
        assert bot.messages[0].sender_id == "sms:+254700000002"
        assert bot.messages[0].metadata["transport"] == "sms"
        assert {(m.to, m.from_) for m in twilio_api.messages} == {(SMS_CLIENT, SMS_NUMBER)}
        assert all(len(body) <= 1600 for body in twilio_api.bodies())
        assert " ".join(twilio_api.bodies()) == LONG_TEXT


class TestMedia:
    @pytest.mark.parametrize(
        ("extra", "expected"),
        [
            ({"NumMedia": "1", "MediaContentType0": "image/jpeg"}, "I cannot open pictures"),
            ({"NumMedia": "1", "MediaContentType0": "audio/ogg"}, "I cannot listen to voice"),
            ({"NumMedia": "1", "MediaContentType0": "image/webp"}, "I cannot open pictures"),
            ({"Latitude": "-1.28", "Longitude": "36.82"}, "I cannot use locations"),
            ({"NumMedia": "1", "MediaContentType0": "application/pdf"}, "I cannot open pictures"),
        ],
    )
    async def test_non_text_gets_a_short_reply(
        self,
        whatsapp: Served,
        twilio_api: FakeTwilioApi,
        bot: ScriptedBot,
        extra: Dict[str, str],
        expected: str,
    ) -> None:
        extra = dict(extra, MediaUrl0="https://api.twilio.com/media/ME1")
        answer = await say(whatsapp, "", **extra)
        assert answer.status == 200
        assert bot.messages == []
        assert len(twilio_api.messages) == 1
        assert twilio_api.bodies()[0].startswith(expected)

    async def test_voice_note_reply_in_the_client_language(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, agent: FakeAgent
    ) -> None:
        await set_language(agent, CLIENT, "sw")
        await say(whatsapp, "", NumMedia="1", MediaContentType0="audio/ogg")
        assert twilio_api.bodies() == [
            "Siwezi kusikiliza ujumbe wa sauti. Ninaweza kusoma maandishi tu, "
            "kwa hiyo tafadhali andika swali lako."
        ]

    async def test_caption_of_a_picture_is_still_read(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot
    ) -> None:
        await say(whatsapp, "hi", NumMedia="1", MediaContentType0="image/jpeg")
        assert bot.texts == ["hi"]
        assert twilio_api.bodies()[0].startswith("I cannot open pictures")
        assert twilio_api.bodies()[1] == "Hello! How can I help?"

    async def test_documents_go_out_as_media_on_whatsapp_and_as_links_on_sms(
        self, whatsapp: Served, twilio_api: FakeTwilioApi
    ) -> None:
        await say(whatsapp, "document")
        await say(whatsapp, "document", sender=SMS_CLIENT)
        url = "https://files.example.org/media/schedules/abc.pdf"
        on_whatsapp, on_sms = twilio_api.messages[:2], twilio_api.messages[2:]
        assert [m.body for m in on_whatsapp] == ["Here is your schedule.", ""]
        assert on_whatsapp[1].media_urls == [url]
        assert [m.body for m in on_sms] == ["Here is your schedule.", url]
        assert all(m.media_urls == [] for m in on_sms)


class TestOutboundFailures:
    async def test_5xx_is_retried(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, store: ChannelStore
    ) -> None:
        twilio_api.fail_next(500, 20500)
        await say(whatsapp, "hi")
        assert twilio_api.requests == 2
        assert twilio_api.bodies() == ["Hello! How can I help?"]
        assert store.failures() == []

    async def test_429_is_retried(self, whatsapp: Served, twilio_api: FakeTwilioApi) -> None:
        twilio_api.fail_next(429, 20429, times=2)
        await say(whatsapp, "hi")
        assert twilio_api.requests == 3
        assert twilio_api.bodies() == ["Hello! How can I help?"]

    async def test_a_reply_that_keeps_failing_is_recorded(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, store: ChannelStore
    ) -> None:
        twilio_api.fail_next(503, None, times=3)
        await say(whatsapp, "hi")
        assert twilio_api.messages == []
        assert twilio_api.requests == FAST_RETRY.attempts
        [failure] = store.failures("whatsapp")
        assert failure.recipient_id == CLIENT
        assert failure.status_code == 503
        assert failure.attempts == 3
        assert failure.content["parts"] == [{"body": "Hello! How can I help?"}]

    async def test_4xx_is_not_retried_and_logged_with_its_code(
        self,
        whatsapp: Served,
        twilio_api: FakeTwilioApi,
        store: ChannelStore,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        twilio_api.fail_next(400, 63016)  # outside the 24-hour window
        with caplog.at_level(logging.ERROR, logger="bot.channels.delivery"):
            await say(whatsapp, "hi")
        assert twilio_api.requests == 1
        [failure] = store.failures()
        assert (failure.status_code, failure.error_code) == (400, "63016")
        assert "63016" in caplog.text

    async def test_network_errors_are_retried_then_recorded(
        self, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent, twilio_api: FakeTwilioApi
    ) -> None:
        dead = f"http://127.0.0.1:{free_port()}"
        channel = WhatsAppInput(config_for(twilio_api, api_base_url=dead), store)
        async with serve([channel], bot, agent) as served:
            await say(served["whatsapp"], "hi")
        [failure] = store.failures()
        assert failure.attempts == FAST_RETRY.attempts
        assert "network error" in failure.error

    async def test_later_parts_of_a_failed_long_reply_are_recorded_not_sent(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, store: ChannelStore
    ) -> None:
        twilio_api.fail_next(400, 21211)
        await say(whatsapp, "long")
        assert twilio_api.messages == []
        [failure] = store.failures()
        assert len(failure.content["parts"]) == 6


class TestOptOut:
    async def test_stop_and_start(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot, store: ChannelStore
    ) -> None:
        await say(whatsapp, "STOP")
        assert twilio_api.bodies() == [
            "You will not get any more messages from us. To get messages again, send START."
        ]
        assert store.is_opted_out("whatsapp", CLIENT)
        await say(whatsapp, "hi")
        await say(whatsapp, "stop")
        assert len(twilio_api.messages) == 1  # nothing while opted out
        assert bot.messages == []
        await say(whatsapp, "Start!")
        assert twilio_api.bodies()[-1].startswith("Welcome back!")
        await say(whatsapp, "hi")
        assert twilio_api.bodies()[-1] == "Hello! How can I help?"
        assert bot.texts == ["hi"]

    async def test_nothing_reaches_an_opted_out_client(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, store: ChannelStore
    ) -> None:
        await say(whatsapp, "stop")
        channel = whatsapp.channel
        output = channel.get_output_channel()
        await output.send_response(CLIENT, {"text": "A reminder"})
        assert twilio_api.bodies() == [
            "You will not get any more messages from us. To get messages again, send START."
        ]

    async def test_start_without_stop_is_an_ordinary_message(
        self, whatsapp: Served, bot: ScriptedBot
    ) -> None:
        await say(whatsapp, "start")
        assert bot.texts == ["start"]

    @pytest.mark.parametrize(
        ("language", "stop", "start", "confirmation"),
        [
            ("sw", "sitisha", "anza", "Hutapokea ujumbe mwingine"),
            ("es", "Baja", "ALTA", "Ya no recibirás"),
            ("fr", "arrêt", "reprendre", "Vous ne recevrez plus"),
            ("hi", "रोकें।", "शुरू", "अब आपको हमसे कोई संदेश नहीं मिलेगा"),
            ("hi_Latn", "band karo", "shuru", "Ab aapko humse koi message nahi milega"),
            ("bn", "বন্ধ", "শুরু", "আপনি আমাদের কাছ থেকে আর কোনো বার্তা পাবেন না"),
        ],
    )
    async def test_words_of_each_language(
        self,
        whatsapp: Served,
        twilio_api: FakeTwilioApi,
        agent: FakeAgent,
        store: ChannelStore,
        language: str,
        stop: str,
        start: str,
        confirmation: str,
    ) -> None:
        await set_language(agent, CLIENT, language)
        await say(whatsapp, stop)
        assert store.is_opted_out("whatsapp", CLIENT)
        assert twilio_api.bodies()[-1].startswith(confirmation)
        await say(whatsapp, start)
        assert not store.is_opted_out("whatsapp", CLIENT)
        assert len(twilio_api.messages) == 2

    async def test_sms_stop_confirmed_by_twilio_is_not_confirmed_twice(
        self, whatsapp: Served, twilio_api: FakeTwilioApi, store: ChannelStore
    ) -> None:
        await say(whatsapp, "STOP", sender=SMS_CLIENT, OptOutType="STOP")
        assert store.is_opted_out("whatsapp", "sms:" + SMS_CLIENT)
        assert twilio_api.messages == []


class TestHelpers:
    def test_addresses(self) -> None:
        assert conversation_id_for(CLIENT) == CLIENT
        assert conversation_id_for(SMS_CLIENT) == "sms:" + SMS_CLIENT
        assert address_for("sms:" + SMS_CLIENT) == SMS_CLIENT
        assert address_for(CLIENT) == CLIENT

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"NumMedia": "0"}, None),
            (
                {"NumMedia": "2", "MediaContentType0": "video/mp4"},
                "utter_channel_media_not_supported",
            ),
            ({"MessageType": "sticker"}, "utter_channel_media_not_supported"),
            ({"MessageType": "audio"}, "utter_channel_voice_not_supported"),
            ({"MessageType": "location"}, "utter_channel_location_not_supported"),
            ({"NumMedia": "x"}, None),
        ],
    )
    def test_media_kind(self, params: Dict[str, str], expected: str | None) -> None:
        assert media_kind(params) == expected


async def test_status_callbacks_are_acknowledged_and_ignored(
    whatsapp: Served, twilio_api: FakeTwilioApi, bot: ScriptedBot, store: ChannelStore
) -> None:
    status = {
        "MessageSid": "SM" + "f" * 32,
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT_SID,
        "From": SANDBOX,
        "To": CLIENT,
        "ApiVersion": "2010-04-01",
    }
    answer = await post_signed(whatsapp, status)
    await whatsapp.settle()
    assert answer.status == 200
    assert bot.messages == [] and twilio_api.messages == []
    assert store.claim_message("whatsapp", status["MessageSid"])  # not taken for a message


async def test_replies_after_the_turn_go_out_at_once(
    whatsapp: Served, twilio_api: FakeTwilioApi, agent: FakeAgent, store: ChannelStore
) -> None:
    # Rasa keeps a turn's output channel for the reminders it schedules in that turn
    from bot.channels.conversation import ConversationContext
    from bot.channels.whatsapp import WhatsAppOutput

    channel = whatsapp.channel
    output = WhatsAppOutput(
        channel.sender, ConversationContext(agent, "whatsapp"), SANDBOX, buffered=True
    )
    await output.send_response(CLIENT, {"text": "Turn reply"})
    assert twilio_api.messages == []
    await output.flush(CLIENT)
    await output.send_response(CLIENT, {"text": "Reminder: your installment is due"})
    assert twilio_api.bodies() == ["Turn reply", "Reminder: your installment is due"]


async def test_a_clients_messages_are_handled_in_order(
    twilio_api: FakeTwilioApi, store: ChannelStore, agent: FakeAgent
) -> None:
    bot = ScriptedBot(agent)

    async def first_is_slow(message: Any) -> None:
        if message.text == "slow":
            await asyncio.sleep(0.5)
        await bot(message)

    channel = WhatsAppInput(config_for(twilio_api), store)
    async with serve([channel], first_is_slow, agent) as served:
        await post_signed(served["whatsapp"], inbound("slow"))
        await post_signed(served["whatsapp"], inbound("hi"))
        await post_signed(served["whatsapp"], inbound("other", sender="whatsapp:+254700000005"))
        await served["whatsapp"].settle()
    assert bot.texts == ["other", "slow", "hi"]  # another client is not held up
    assert twilio_api.bodies(CLIENT) == ["got: slow", "Hello! How can I help?"]
