"""The Telegram connector end to end: webhook updates in, the fake Bot API out."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Dict

import pytest

from bot.channels.config import TelegramConfig
from bot.channels.telegram import (
    TelegramInput,
    callback_data_for,
    chat_id_of,
    command_text,
    main,
    payload_for,
    relay_updates,
    set_webhook,
    webhook_url,
)
from bot.i18n.conversation import conversation_language
from bot.store.channels import ChannelStore

from .conftest import FAST_RETRY, LONG_TEXT, MENU_BUTTONS, FakeAgent, ScriptedBot, Served, serve
from .fakes import FakeTelegramApi, callback_update, message_update

SECRET = "s3cret_token-for-tests"
CHAT = "telegram:4242"


def config_for(api: FakeTelegramApi, **changes: Any) -> TelegramConfig:
    values: Dict[str, Any] = {
        "bot_token": api.token,
        "webhook_secret": SECRET,
        "api_base_url": api.api_base_url,
        "seconds_per_chat": 0.0,
        "media_base_url": "https://files.example.org/media/",
        "retry": FAST_RETRY,
    }
    values.update(changes)
    return TelegramConfig(**values)


@pytest.fixture
async def telegram(
    telegram_api: FakeTelegramApi, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent
) -> AsyncIterator[Served]:
    channel = TelegramInput(config_for(telegram_api), store)
    async with serve([channel], bot, agent) as served:
        yield served["telegram"]


async def send(served: Served, update: Dict[str, Any], secret: str | None = SECRET) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    answer = await served.post(json=update, headers=headers)
    await served.settle()
    return answer


class TestWebhook:
    async def test_update_with_the_secret_gets_a_reply(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        answer = await send(telegram, message_update(1, "hi"))
        assert answer.status == 200
        assert bot.texts == ["hi"]
        assert [(p["chat_id"], p["text"]) for p in telegram_api.sent()] == [
            (4242, "Hello! How can I help?")
        ]

    async def test_reply_with_buttons_has_an_inline_keyboard(
        self, telegram: Served, telegram_api: FakeTelegramApi, store: ChannelStore
    ) -> None:
        await send(telegram, message_update(1, "menu"))
        [sent] = telegram_api.sent()
        assert sent["text"] == "What would you like to do?"
        rows = sent["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in rows] == [button["title"] for button in MENU_BUTTONS]
        data = [row[0]["callback_data"] for row in rows]
        assert data[:2] == ["/explain_interest", "/calculate_loan"]
        assert all(len(item.encode()) <= 64 for item in data)
        assert store.get_callback_payload(data[2]) == MENU_BUTTONS[2]["payload"]

    @pytest.mark.parametrize("secret", ["wrong", "", None])
    async def test_wrong_or_missing_secret_is_refused(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot, secret: Any
    ) -> None:
        answer = await send(telegram, message_update(1, "hi"), secret=secret)
        assert answer.status == 403
        assert bot.messages == [] and telegram_api.calls == []

    async def test_without_a_configured_secret_everything_is_refused(
        self,
        telegram_api: FakeTelegramApi,
        store: ChannelStore,
        bot: ScriptedBot,
        agent: FakeAgent,
    ) -> None:
        channel = TelegramInput(config_for(telegram_api, webhook_secret=None), store)
        async with serve([channel], bot, agent) as served:
            empty = await send(served["telegram"], message_update(1, "hi"), secret="")
            some = await send(served["telegram"], message_update(2, "hi"), secret="anything")
        assert (empty.status, some.status) == (403, 403)
        assert bot.messages == [] and telegram_api.calls == []

    async def test_not_an_update_is_a_bad_request(self, telegram: Served) -> None:
        answer = await send(telegram, {"message": {}})
        assert answer.status == 400

    async def test_duplicate_update_is_processed_once(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        update = message_update(7, "hi")
        answers = [await send(telegram, update) for _ in range(3)]
        assert {answer.status for answer in answers} == {200}
        assert bot.texts == ["hi"]
        assert len(telegram_api.sent()) == 1

    async def test_edited_message_is_not_a_new_turn(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        edited = message_update(8, "hi")
        edited["edited_message"] = edited.pop("message")
        edited["edited_message"]["edit_date"] = int(time.time())
        answer = await send(telegram, edited)
        assert answer.status == 200
        assert bot.messages == [] and telegram_api.calls == []

    async def test_conversation_id_and_channel(
        self, telegram: Served, bot: ScriptedBot, agent: FakeAgent
    ) -> None:
        await send(telegram, message_update(3, "hi"))
        message = bot.messages[0]
        assert (message.sender_id, message.input_channel) == (CHAT, "telegram")
        assert message.message_id == "3"
        assert message.metadata["channel"] == "telegram"
        tracker = await agent.tracker_store.retrieve(CHAT)
        assert tracker.get_latest_input_channel() == "telegram"


class TestButtons:
    async def test_callback_query_is_answered_and_routed_as_the_payload(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        await send(telegram, callback_update(11, "/calculate_loan"))
        assert bot.texts == ["/calculate_loan"]
        methods = [call.method for call in telegram_api.calls]
        assert methods == ["answerCallbackQuery", "sendMessage"]
        assert telegram_api.sent("answerCallbackQuery")[0]["callback_query_id"] == "cq11"

    async def test_long_payload_round_trip(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        await send(telegram, message_update(1, "menu"))
        token = telegram_api.sent()[0]["reply_markup"]["inline_keyboard"][2][0]["callback_data"]
        await send(telegram, callback_update(2, token))
        assert bot.texts == ["menu", MENU_BUTTONS[2]["payload"]]

    async def test_unknown_token_is_answered_but_not_a_turn(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        await send(telegram, callback_update(2, "~AAAAAAAAAAAAAAAAAAAA"))
        assert bot.texts == []
        assert [call.method for call in telegram_api.calls] == ["answerCallbackQuery"]


class TestText:
    async def test_long_reply_is_split_in_order(
        self, telegram: Served, telegram_api: FakeTelegramApi
    ) -> None:
        await send(telegram, message_update(1, "long"))
        texts = telegram_api.texts()
        assert len(texts) == 3
        assert all(len(text) <= 4096 for text in texts)
        assert " ".join(texts) == LONG_TEXT

    @pytest.mark.parametrize(
        ("typed", "forwarded"),
        [("/start", "/start"), ("/help@MfiBot", "/help"), ("/language", "/language")],
    )
    async def test_commands_are_forwarded_as_text(
        self, telegram: Served, bot: ScriptedBot, typed: str, forwarded: str
    ) -> None:
        entities = [{"type": "bot_command", "offset": 0, "length": len(typed)}]
        await send(telegram, message_update(1, typed, entities=entities))
        assert bot.texts == [forwarded]


class TestLanguageHint:
    async def test_language_code_sets_the_first_language(
        self, telegram: Served, agent: FakeAgent, telegram_api: FakeTelegramApi
    ) -> None:
        await send(telegram, message_update(1, "/start", language_code="es"))
        tracker = await agent.tracker_store.retrieve(CHAT)
        assert conversation_language(tracker.events) == "es"
        slot_event = next(e for e in tracker.events if getattr(e, "key", None) == "language")
        assert tracker.events.index(slot_event) < len(tracker.events) - 1  # before the message

    async def test_unsupported_language_code_sets_nothing(
        self, telegram: Served, agent: FakeAgent
    ) -> None:
        await send(telegram, message_update(1, "/start", language_code="pt-br"))
        tracker = await agent.tracker_store.retrieve(CHAT)
        assert conversation_language(tracker.events) is None

    async def test_a_known_language_wins_over_the_hint(
        self, telegram: Served, agent: FakeAgent
    ) -> None:
        await send(telegram, message_update(1, "/start", language_code="fr"))
        await send(telegram, message_update(2, "hi", language_code="es"))
        tracker = await agent.tracker_store.retrieve(CHAT)
        assert conversation_language(tracker.events) == "fr"

    async def test_media_reply_uses_the_hint(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        voice = {"voice": {"file_id": "V", "file_unique_id": "VU", "duration": 3}}
        await send(telegram, message_update(1, None, language_code="fr", **voice))
        assert bot.messages == []
        assert telegram_api.texts() == [
            "Je ne peux pas écouter les messages vocaux. Je ne sais lire que du texte : "
            "écrivez votre question, s'il vous plaît."
        ]


class TestMedia:
    @pytest.mark.parametrize(
        ("extra", "expected"),
        [
            (
                {"photo": [{"file_id": "P", "file_unique_id": "PU", "width": 1, "height": 1}]},
                "I cannot open",
            ),
            (
                {
                    "sticker": {
                        "file_id": "S",
                        "file_unique_id": "SU",
                        "width": 1,
                        "height": 1,
                        "is_animated": False,
                        "is_video": False,
                        "type": "regular",
                    }
                },
                "I cannot open",
            ),
            ({"location": {"latitude": -1.28, "longitude": 36.82}}, "I cannot use locations"),
            ({"audio": {"file_id": "A", "file_unique_id": "AU", "duration": 3}}, "I cannot listen"),
        ],
    )
    async def test_non_text_gets_a_short_reply(
        self,
        telegram: Served,
        telegram_api: FakeTelegramApi,
        bot: ScriptedBot,
        extra: Dict[str, Any],
        expected: str,
    ) -> None:
        await send(telegram, message_update(1, None, **extra))
        assert bot.messages == []
        [text] = telegram_api.texts()
        assert text.startswith(expected)

    async def test_caption_is_read(
        self, telegram: Served, telegram_api: FakeTelegramApi, bot: ScriptedBot
    ) -> None:
        photo = {"photo": [{"file_id": "P", "file_unique_id": "PU", "width": 1, "height": 1}]}
        await send(telegram, message_update(1, None, caption="hi", **photo))
        assert bot.texts == ["hi"]
        assert telegram_api.texts()[1] == "Hello! How can I help?"

    async def test_documents_go_out_as_documents(
        self, telegram: Served, telegram_api: FakeTelegramApi
    ) -> None:
        await send(telegram, message_update(1, "document"))
        assert telegram_api.texts() == ["Here is your schedule."]
        [document] = telegram_api.sent("sendDocument")
        assert document["document"] == "https://files.example.org/media/schedules/abc.pdf"


class TestRateLimits:
    async def test_429_is_retried_after_retry_after(
        self, telegram: Served, telegram_api: FakeTelegramApi, store: ChannelStore
    ) -> None:
        telegram_api.fail_next("sendMessage", 429, retry_after=1)
        await send(telegram, message_update(1, "hi"))
        assert telegram_api.texts() == ["Hello! How can I help?"]
        refused, accepted = telegram_api.calls
        assert refused.method == "sendMessage!429"
        assert accepted.at - refused.at >= 0.95
        assert store.failures() == []

    async def test_5xx_is_retried(self, telegram: Served, telegram_api: FakeTelegramApi) -> None:
        telegram_api.fail_next("sendMessage", 500)
        await send(telegram, message_update(1, "hi"))
        assert telegram_api.texts() == ["Hello! How can I help?"]

    async def test_persistent_5xx_is_recorded(
        self, telegram: Served, telegram_api: FakeTelegramApi, store: ChannelStore
    ) -> None:
        for _ in range(FAST_RETRY.attempts):
            telegram_api.fail_next("sendMessage", 502)
        await send(telegram, message_update(1, "hi"))
        assert telegram_api.texts() == []
        [failure] = store.failures("telegram")
        assert failure.recipient_id == CHAT
        assert failure.attempts == FAST_RETRY.attempts
        assert failure.content["parts"] == ["Hello! How can I help?"]

    async def test_messages_to_one_chat_are_paced(
        self,
        telegram_api: FakeTelegramApi,
        store: ChannelStore,
        bot: ScriptedBot,
        agent: FakeAgent,
    ) -> None:
        channel = TelegramInput(config_for(telegram_api, seconds_per_chat=0.3), store)
        async with serve([channel], bot, agent) as served:
            await send(served["telegram"], message_update(1, "long"))
            await send(served["telegram"], message_update(2, "hi", chat_id=777))
        times = [call.at for call in telegram_api.calls if call.params["chat_id"] == 4242]
        assert len(times) == 3
        assert all(
            later - earlier >= 0.28 for earlier, later in zip(times, times[1:], strict=False)
        )

    async def test_blocked_bot_stops_sending_until_the_client_writes(
        self, telegram: Served, telegram_api: FakeTelegramApi, store: ChannelStore
    ) -> None:
        telegram_api.fail_next("sendMessage", 403)
        await send(telegram, message_update(1, "hi"))
        assert store.is_opted_out("telegram", CHAT)
        assert len(store.failures()) == 1
        output = telegram.channel.get_output_channel()
        await output.send_response(CHAT, {"text": "A reminder"})
        assert telegram_api.texts() == []
        await send(telegram, message_update(2, "hi"))
        assert not store.is_opted_out("telegram", CHAT)
        assert telegram_api.texts() == ["Hello! How can I help?"]

    async def test_membership_updates_block_and_unblock(
        self, telegram: Served, store: ChannelStore
    ) -> None:
        def member(update_id: int, status: str) -> Dict[str, Any]:
            person = {"id": 4242, "is_bot": False, "first_name": "Amina"}
            bot_user = {"id": 123456, "is_bot": True, "first_name": "MFI"}
            return {
                "update_id": update_id,
                "my_chat_member": {
                    "chat": {"id": 4242, "type": "private"},
                    "from": person,
                    "date": int(time.time()),
                    "old_chat_member": {"status": "member", "user": bot_user},
                    "new_chat_member": {"status": status, "user": bot_user}
                    if status == "member"
                    else {"status": status, "user": bot_user, "until_date": 0},
                },
            }

        await send(telegram, member(1, "kicked"))
        assert store.is_opted_out("telegram", CHAT)
        await send(telegram, member(2, "member"))
        assert not store.is_opted_out("telegram", CHAT)


class TestCommands:
    async def test_set_webhook_registers_url_and_secret(
        self, telegram_api: FakeTelegramApi, db_url: str
    ) -> None:
        registered = await set_webhook(config_for(telegram_api), "https://abc.example.org/")
        assert registered == "https://abc.example.org/webhooks/telegram/webhook"
        assert telegram_api.webhook["url"] == registered
        assert telegram_api.webhook["secret_token"] == SECRET
        assert "callback_query" in telegram_api.webhook["allowed_updates"]

    async def test_command_line(
        self,
        telegram_api: FakeTelegramApi,
        monkeypatch: pytest.MonkeyPatch,
        db_url: str,
        capsys: pytest.CaptureFixture,
    ) -> None:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram_api.token)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram_api.api_base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://abc.example.org")
        assert await asyncio.to_thread(main, ["set-webhook"]) == 0
        assert telegram_api.webhook["url"] == "https://abc.example.org/webhooks/telegram/webhook"
        assert await asyncio.to_thread(main, ["delete-webhook"]) == 0
        assert telegram_api.webhook == {}
        assert "Webhook deleted." in capsys.readouterr().out

    async def test_command_line_needs_a_token(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
        assert await asyncio.to_thread(main, ["set-webhook"]) == 2

    async def test_polling_relays_updates_to_the_same_agent(
        self,
        telegram: Served,
        telegram_api: FakeTelegramApi,
        bot: ScriptedBot,
    ) -> None:
        telegram_api.webhook = {"url": "https://old.example.org"}
        telegram_api.updates = [message_update(21, "hi"), callback_update(22, "/calculate_loan")]
        stop = asyncio.Event()
        relay = asyncio.create_task(
            relay_updates(config_for(telegram_api), telegram.url(), stop, poll_timeout=0)
        )
        deadline = time.monotonic() + 10
        while len(bot.messages) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await telegram.settle()
        stop.set()
        relayed = await asyncio.wait_for(relay, timeout=10)
        assert relayed == 2
        assert bot.texts == ["hi", "/calculate_loan"]
        assert telegram_api.webhook == {}  # polling needs the webhook removed
        assert telegram_api.updates == []  # acknowledged through the offset
        assert telegram_api.texts()[0] == "Hello! How can I help?"

    async def test_polling_keeps_updates_while_rasa_is_down(
        self, telegram_api: FakeTelegramApi, db_url: str
    ) -> None:
        from .conftest import free_port

        telegram_api.updates = [message_update(31, "hi")]
        stop = asyncio.Event()
        url = f"http://127.0.0.1:{free_port()}/webhooks/telegram/webhook"
        relay = asyncio.create_task(
            relay_updates(config_for(telegram_api), url, stop, poll_timeout=0, retry_seconds=0.05)
        )
        await asyncio.sleep(0.5)
        stop.set()
        assert await asyncio.wait_for(relay, timeout=10) == 0
        assert [update["update_id"] for update in telegram_api.updates] == [31]


class TestHelpers:
    def test_ids_and_urls(self) -> None:
        assert chat_id_of(CHAT) == "4242"
        assert chat_id_of("4242") == "4242"
        assert webhook_url("https://a.example/") == "https://a.example/webhooks/telegram/webhook"
        full = "https://a.example/webhooks/telegram/webhook"
        assert webhook_url(full) == full
        assert command_text("/start@MfiBot deep-link") == "/start deep-link"
        assert command_text("hello @MfiBot") == "hello @MfiBot"

    def test_callback_data(self, store: ChannelStore) -> None:
        short = '/choose_language{"language":"sw"}'
        assert callback_data_for(short, store) == short
        long = '/choose_language{"language":"hi_Latn", "note": "' + "x" * 80 + '"}'
        token = callback_data_for(long, store)
        assert token.startswith("~") and len(token.encode()) <= 64
        assert payload_for(token, store) == long
        assert payload_for(short, store) == short
        tricky = "~looks like a token"
        assert payload_for(callback_data_for(tricky, store), store) == tricky


async def test_a_chats_updates_are_handled_in_order(
    telegram_api: FakeTelegramApi, store: ChannelStore, agent: FakeAgent
) -> None:
    bot = ScriptedBot(agent)

    async def first_is_slow(message: Any) -> None:
        if message.text == "slow":
            await asyncio.sleep(0.5)
        await bot(message)

    channel = TelegramInput(config_for(telegram_api), store)
    async with serve([channel], first_is_slow, agent) as served:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        await served["telegram"].post(json=message_update(1, "slow"), headers=headers)
        await served["telegram"].post(json=callback_update(2, "/calculate_loan"), headers=headers)
        await served["telegram"].post(json=message_update(3, "hi", chat_id=99), headers=headers)
        await served["telegram"].settle()
    assert bot.texts == ["hi", "slow", "/calculate_loan"]


async def test_command_line_reports_a_rejected_token(
    telegram_api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:not-the-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram_api.api_base_url)
    assert await asyncio.to_thread(main, ["webhook-info"]) == 1
    assert "Telegram refused" in capsys.readouterr().err
