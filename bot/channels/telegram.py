"""Telegram, as a Rasa connector (``telegram``) on python-telegram-bot 22.

Registered in credentials.yml as ``bot.channels.telegram.TelegramInput``; Telegram posts
updates to ``/webhooks/telegram/webhook``. The connector:

- refuses (403) an update without the right ``X-Telegram-Bot-Api-Secret-Token``, and
  every update when no bot token or secret is configured;
- answers Telegram at once and handles the update in the background; an ``update_id``
  is handled once; edited messages are not new turns;
- shows buttons as inline keyboards, answers every callback query and routes it as the
  button's payload (payloads over 64 bytes go through a stored short token);
- splits replies longer than 4,096 characters; keeps about one message per second per
  chat; retries after ``retry_after`` on 429 and with backoff on 5xx/network errors;
- uses the Telegram user's ``language_code`` as the conversation's first language hint.

Command line (``make telegram-webhook`` / ``make telegram-poll``)::

    python -m bot.channels.telegram set-webhook [--url URL]
    python -m bot.channels.telegram delete-webhook | webhook-info
    python -m bot.channels.telegram poll [--rasa-url URL]

``poll`` is for a laptop without a public URL: it fetches updates with ``getUpdates`` and
relays each to the running Rasa server's webhook (with the secret), so they reach the
same agent as webhook updates would.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hmac
import json
import logging
import os
import sys
import warnings
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Sequence

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bot.channels import TELEGRAM
from bot.channels.config import TelegramConfig, resolve_media_url
from bot.channels.conversation import ConversationContext
from bot.channels.delivery import (
    BackgroundTasks,
    ChatThrottle,
    DeliveryError,
    KeyedLocks,
    Outcome,
    deliver,
    run_sync,
)
from bot.channels.text import split_text
from bot.channels.turns import UNAVAILABLE_TEXT, TurnOutcome, apologize, run_turn, storage_errors
from bot.store.channels import CALLBACK_TOKEN_PREFIX, ChannelStore

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
CONVERSATION_PREFIX = "telegram:"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
POLL_TIMEOUT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 15.0
MAX_ID = 2**63  # Telegram's ids (chats, users, updates) fit in 64 bits

VOICE_NOT_SUPPORTED = "utter_channel_voice_not_supported"
MEDIA_NOT_SUPPORTED = "utter_channel_media_not_supported"
LOCATION_NOT_SUPPORTED = "utter_channel_location_not_supported"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def conversation_id_for(chat_id: int | str) -> str:
    """Return the conversation id of a Telegram chat."""
    return f"{CONVERSATION_PREFIX}{chat_id}"


def chat_id_of(conversation_id: str) -> str:
    """Return the Telegram chat id of a conversation id (a bare chat id is accepted)."""
    conversation_id = conversation_id.strip()
    if conversation_id.startswith(CONVERSATION_PREFIX):
        return conversation_id[len(CONVERSATION_PREFIX) :]
    return conversation_id


def webhook_url(url: str) -> str:
    """Return the full webhook URL for a public base URL (or a full webhook URL)."""
    url = url.strip().rstrip("/")
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


def callback_data_for(payload: str, store: ChannelStore) -> str:
    """Return a button's ``callback_data``: the payload itself, or a token if too long."""
    if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(
        CALLBACK_TOKEN_PREFIX
    ):
        return payload
    return store.put_callback_payload(payload)


def payload_for(callback_data: str, store: ChannelStore) -> str | None:
    """Return the payload behind a callback query's data (None for an unknown token)."""
    if callback_data.startswith(CALLBACK_TOKEN_PREFIX):
        # a token is printable: a NUL (no token of ours) would make PostgreSQL refuse the query
        return store.get_callback_payload(callback_data) if callback_data.isprintable() else None
    return callback_data


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def as_delivery_error(error: Exception) -> DeliveryError:
    """Describe a python-telegram-bot error for the retry logic."""
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # int-or-timedelta deprecation notice
            wait = _seconds(error.retry_after)
        return DeliveryError(str(error), 429, "429", retryable=True, retry_after=wait)
    if isinstance(error, Forbidden):
        return DeliveryError(str(error), 403, "403")
    if isinstance(error, BadRequest):
        return DeliveryError(str(error), 400, "400")
    if isinstance(error, NetworkError):  # 5xx, timeouts, connection errors
        return DeliveryError(str(error), retryable=True)
    return DeliveryError(repr(error))


def media_reply(message: Message) -> str | None:
    """Return the response for a message the assistant cannot read, or None for text."""
    if message.voice or message.audio or message.video_note:
        return VOICE_NOT_SUPPORTED
    if message.location or message.venue:
        return LOCATION_NOT_SUPPORTED
    if message.text:
        return None
    return MEDIA_NOT_SUPPORTED


def command_text(text: str) -> str:
    """Return a message's text with a command's ``@BotName`` removed (``/help@Bot``)."""
    if text.startswith("/"):
        head, _, rest = text.partition(" ")
        head = head.split("@", 1)[0]
        return f"{head} {rest}".strip()
    return text


def _is_id(value: Any) -> bool:
    """Tell whether a value is a Telegram id: an integer of at most 64 bits."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID


def _is_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def check_update(data: Any) -> int:
    """Return the id of an update the connector can read.

    python-telegram-bot reads an update without checking the types of its fields and
    fails in many ways on a malformed one; the webhook refuses such a body (400) rather
    than fail on it in the background. Telegram's own updates always pass.

    Raises:
        ValueError: not an update, or a field the connector reads is missing or has the
            wrong type.
    """
    try:
        update_id = int(data["update_id"])
        update = Update.de_json(data, None)
    except Exception as error:  # noqa: BLE001 - the library raises many kinds on bad input
        raise ValueError(f"not a Telegram update: {error!r}") from error
    checks = [abs(update_id) < MAX_ID]
    message, query, member = update.message, update.callback_query, update.my_chat_member
    if message is not None:
        checks += [
            _is_id(getattr(message.chat, "id", None)),
            _is_text(message.text) and _is_text(message.caption),
            _is_text(getattr(message.from_user, "language_code", None)),
        ]
    if query is not None:
        checks += [
            isinstance(query.id, str) and _is_text(query.data),
            _is_id(getattr(query.from_user, "id", None)),
            _is_text(getattr(query.from_user, "language_code", None)),
            query.message is None or _is_id(getattr(query.message.chat, "id", None)),
        ]
    if member is not None:
        checks += [
            _is_id(getattr(member.chat, "id", None)),
            isinstance(getattr(member.new_chat_member, "status", None), str),
        ]
    if not all(checks):
        raise ValueError("a field of the update is missing or has the wrong type")
    return update_id


def _chat_of(data: Mapping[str, Any]) -> Any:
    """Return the chat id an update belongs to (the update id when it has none)."""
    for kind in ("message", "edited_message", "my_chat_member"):
        chat = (data.get(kind) or {}).get("chat") or {}
        if "id" in chat:
            return chat["id"]
    query = data.get("callback_query") or {}
    chat = ((query.get("message") or {}).get("chat") or {}).get("id")
    if chat is not None:
        return chat
    if (query.get("from") or {}).get("id") is not None:
        return query["from"]["id"]
    return f"update:{data.get('update_id')}"


class TelegramSender:
    """Calls the Bot API reliably: pacing per chat, retries, failure records.

    Args:
        config: the connector's settings.
        store: opt-outs, long payloads and failure records.
        throttle: pacing per chat (``config.seconds_per_chat`` by default).
    """

    def __init__(
        self,
        config: TelegramConfig,
        store: ChannelStore,
        throttle: ChatThrottle | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.throttle = throttle or ChatThrottle(config.seconds_per_chat)
        self._bot: Bot | None = None
        self._requests: List[HTTPXRequest] = []

    async def bot(self) -> Bot:
        """Return the Bot API client (created on first use, without a getMe call)."""
        if not self.config.bot_token:
            raise DeliveryError("Telegram is not configured (TELEGRAM_BOT_TOKEN)")
        if self._bot is None:
            timeout = REQUEST_TIMEOUT_SECONDS
            general = HTTPXRequest(read_timeout=timeout, write_timeout=timeout, connect_timeout=5)
            polling = HTTPXRequest(read_timeout=POLL_TIMEOUT_SECONDS + 10, connect_timeout=5)
            for request in (general, polling):
                await request.initialize()
            self._requests = [general, polling]
            self._bot = Bot(
                self.config.bot_token,
                base_url=self.config.api_base_url,
                request=general,
                get_updates_request=polling,
            )
        return self._bot

    async def close(self) -> None:
        """Release the HTTP connections."""
        for request in self._requests:
            await request.shutdown()
        self._requests = []
        self._bot = None

    async def call(
        self,
        conversation_id: str,
        content: Dict[str, Any],
        operation: Callable[[Bot], Awaitable[Any]],
        paced: bool = True,
    ) -> Any | None:
        """Run one Bot API call for a chat with pacing and retries.

        Args:
            conversation_id: the chat's conversation id.
            content: what is sent (recorded if it finally fails).
            operation: the call, given the bot.
            paced: wait for the chat's next free slot before each attempt.

        Returns:
            The call's result, or None when it finally failed (recorded).
        """
        chat_id = chat_id_of(conversation_id)

        async def attempt() -> Any:
            if paced:
                await self.throttle.wait(chat_id)
            try:
                return await operation(await self.bot())
            except TelegramError as error:
                failure = as_delivery_error(error)
                if isinstance(error, Forbidden):  # blocked by the user
                    await run_sync(
                        self.store.set_opted_out, TELEGRAM, conversation_id, True, "blocked"
                    )
                raise failure from error

        return await deliver(
            attempt,
            channel=TELEGRAM,
            recipient_id=conversation_id,
            content=content,
            store=self.store,
            policy=self.config.retry,
        )

    async def send_text(
        self,
        conversation_id: str,
        text: str,
        buttons: Sequence[Dict[str, Any]] | None = None,
    ) -> Outcome:
        """Send a text in parts of at most 4,096 characters; buttons go with the last part."""
        if await run_sync(self.store.is_opted_out, TELEGRAM, conversation_id):
            logger.info("Not sending to %s: opted out (blocked the bot)", conversation_id)
            return Outcome.OPTED_OUT
        parts = split_text(text, TEXT_LIMIT) or ([""] if buttons else [])
        markup = await self.keyboard(buttons) if buttons else None
        chat_id = chat_id_of(conversation_id)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            reply_markup = markup if last else None
            body = part or "\u2063"  # buttons need a text: an invisible separator

            async def send(bot: Bot, body: str = body, reply_markup: Any = reply_markup) -> Any:
                return await bot.send_message(chat_id, body, reply_markup=reply_markup)

            content = {"parts": parts[index:], "buttons": list(buttons or [])}
            if await self.call(conversation_id, content, send) is None:
                return Outcome.FAILED
        return Outcome.DELIVERED

    async def send_media(
        self, conversation_id: str, url: str, caption: str | None = None, photo: bool = False
    ) -> Outcome:
        """Send a document (or photo) by URL; a long caption follows as text."""
        if await run_sync(self.store.is_opted_out, TELEGRAM, conversation_id):
            return Outcome.OPTED_OUT
        caption = (caption or "").strip()
        short = caption if len(caption) <= CAPTION_LIMIT else None
        chat_id = chat_id_of(conversation_id)

        async def send(bot: Bot) -> Any:
            if photo:
                return await bot.send_photo(chat_id, url, caption=short)
            return await bot.send_document(chat_id, url, caption=short)

        content = {"media": url, "caption": caption}
        if await self.call(conversation_id, content, send) is None:
            return Outcome.FAILED
        if caption and short is None:
            return await self.send_text(conversation_id, caption)
        return Outcome.DELIVERED

    async def keyboard(self, buttons: Sequence[Dict[str, Any]]) -> InlineKeyboardMarkup:
        """Return an inline keyboard, one button per row (titles can be long)."""
        rows = []
        for button in buttons:
            payload = str(button.get("payload") or button.get("title") or "")
            data = await run_sync(callback_data_for, payload, self.store)
            rows.append(
                [InlineKeyboardButton(str(button.get("title") or payload), callback_data=data)]
            )
        return InlineKeyboardMarkup(rows)

    async def answer_callback(self, conversation_id: str, query_id: str) -> bool:
        """Answer a callback query so the button stops spinning."""

        async def answer(bot: Bot) -> Any:
            return await bot.answer_callback_query(query_id)

        content = {"answer_callback_query": query_id}
        return await self.call(conversation_id, content, answer, paced=False) is not None


class TelegramOutput(OutputChannel):
    """Replies to one Telegram chat, as soon as each reply is ready.

    Args:
        sender: the Bot API sender.
    """

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender

    @classmethod
    def name(cls) -> str:
        """Return the channel name."""
        return TELEGRAM

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text (split when longer than 4,096 characters)."""
        await self.sender.send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send a text with an inline keyboard."""
        await self.sender.send_text(recipient_id, text, buttons)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send quick replies as an inline keyboard."""
        await self.sender.send_text(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Send a picture by URL."""
        await self._media(recipient_id, image, None, photo=True)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """Send a document: a URL, a path under ``MFI_MEDIA_BASE_URL``, or a dict.

        A dict may hold ``url`` (or ``path``) and ``caption``.
        """
        if isinstance(attachment, Mapping):
            reference = str(attachment.get("url") or attachment.get("path") or "")
            caption = attachment.get("caption") or attachment.get("text")
            await self._media(recipient_id, reference, caption)
        else:
            await self._media(recipient_id, str(attachment), None)

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        """Send a custom payload's ``text`` and ``document``/``media_url``; ignore the rest."""
        text = json_message.get("text") or json_message.get("body")
        media = json_message.get("document") or json_message.get("media_url")
        if isinstance(media, Mapping):
            await self.send_attachment(recipient_id, media)
        elif media:
            await self._media(recipient_id, str(media), text)
            return
        if text:
            await self.sender.send_text(recipient_id, str(text))
        if not text and not media:
            logger.warning("Custom payload not shown on Telegram: %s", sorted(json_message))

    async def _media(
        self, recipient_id: str, reference: str, caption: str | None, photo: bool = False
    ) -> None:
        url = resolve_media_url(reference, self.sender.config.media_base_url)
        if url is None:
            await run_sync(
                self.sender.store.record_failure,
                TELEGRAM,
                recipient_id,
                {"media": reference, "caption": caption},
                "Document path given but MFI_MEDIA_BASE_URL is not set",
                0,
            )
            if caption:
                await self.sender.send_text(recipient_id, caption)
            return
        await self.sender.send_media(recipient_id, url, caption, photo=photo)


class TelegramInput(InputChannel):
    """Receives Telegram updates from the webhook (or the polling relay).

    Args:
        config: settings (from the environment by default).
        store: channel tables (the deployment's database by default).
        sender: the Bot API sender (made from the config by default).
    """

    def __init__(
        self,
        config: TelegramConfig | None = None,
        store: ChannelStore | None = None,
        sender: TelegramSender | None = None,
    ) -> None:
        self.config = config or TelegramConfig.from_env()
        self.store = store or ChannelStore()
        self.sender = sender or TelegramSender(self.config, self.store)
        self.tasks = BackgroundTasks()
        self._turns = KeyedLocks()
        if not self.config.can_verify:
            logger.warning(
                "Telegram: TELEGRAM_BOT_TOKEN or TELEGRAM_WEBHOOK_SECRET is not set; "
                "the webhook refuses every request."
            )

    @classmethod
    def name(cls) -> str:
        """Return the channel name (the webhook is ``/webhooks/telegram/webhook``)."""
        return TELEGRAM

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """Create the connector from credentials.yml values, else environment variables."""
        return cls(TelegramConfig.from_env(credentials))

    def get_output_channel(self) -> OutputChannel:
        """Return an output channel for messages no client message started."""
        return TelegramOutput(self.sender)

    def is_authentic(self, request: Request) -> bool:
        """Tell whether a request carries the webhook's secret token."""
        secret = request.headers.get(SECRET_HEADER)
        if not self.config.can_verify or not secret:
            return False
        return hmac.compare_digest(
            secret.encode("utf-8"), self.config.webhook_secret.encode("utf-8")
        )

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Return the Sanic blueprint with the health check and the webhook."""
        webhook = Blueprint("telegram_webhook", __name__)

        @webhook.listener("after_server_stop")
        async def close_sender(_app: Any, _loop: Any) -> None:
            await self.tasks.drain(timeout=REQUEST_TIMEOUT_SECONDS)
            await self.sender.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.is_authentic(request):
                logger.warning("Telegram webhook: refused a request without the secret token")
                return response.text("Forbidden", status=403)
            try:
                data = json.loads(request.body or b"{}")
                update_id = check_update(data)
            except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
                return response.text("Not a Telegram update", status=400)
            key = f"{self.config.bot_id}:{update_id}"
            try:
                claimed = await run_sync(self.store.claim_message, TELEGRAM, key)
            except storage_errors() as error:
                logger.error("Telegram webhook: cannot record update %s: %s", update_id, error)
                return response.text(UNAVAILABLE_TEXT, status=503)  # Telegram sends it again
            if not claimed:
                logger.info("Telegram webhook: update %s already handled", update_id)
            else:
                agent = getattr(request.app.ctx, "agent", None)
                self.tasks.spawn(self.handle_update(data, agent, on_new_message))
            return response.json({})

        return webhook

    async def handle_update(
        self, data: Dict[str, Any], agent: Any | None, on_new_message: OnNewMessage
    ) -> None:
        """Handle one update (after the webhook has answered Telegram).

        A chat's updates are handled one after the other, in the order they came.

        Args:
            data: the update as Telegram sent it.
            agent: the Rasa agent, for the conversation's language and texts.
            on_new_message: hands a message to Rasa.
        """
        async with self._turns.hold(str(_chat_of(data))):
            await self._handle_update(data, agent, on_new_message)

    async def _handle_update(
        self, data: Dict[str, Any], agent: Any | None, on_new_message: OnNewMessage
    ) -> None:
        update = Update.de_json(data, await self.sender.bot())
        if update.my_chat_member is not None:
            await self._membership_changed(update)
            return
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat.id if query.message is not None else query.from_user.id
            conversation_id = conversation_id_for(chat)
            await self.sender.answer_callback(conversation_id, query.id)
            text = await run_sync(payload_for, query.data or "", self.store)
            user = query.from_user
            if text is None:
                logger.warning("Telegram: unknown callback data %r", query.data)
                return
        elif update.message is not None:
            message = update.message
            conversation_id = conversation_id_for(message.chat.id)
            user = message.from_user
            text = command_text((message.text or message.caption or "").strip())
            kind = media_reply(message)
            if kind is not None:
                await self._reply_media(conversation_id, kind, agent, user)
                if not text or kind == LOCATION_NOT_SUPPORTED:
                    return
        else:
            # edited messages, channel posts...: not new turns
            logger.debug("Telegram: ignoring update %s", update.update_id)
            return
        if not text:
            return
        await self._clear_block(conversation_id)
        context = ConversationContext(agent, TELEGRAM)
        output = TelegramOutput(self.sender)
        language_code = user.language_code if user is not None else None
        metadata = {
            "channel": TELEGRAM,
            "update_id": update.update_id,
            "language_code": language_code,
        }
        await context.apply_language_hint(conversation_id, language_code, metadata, output)
        message = UserMessage(
            text,
            output,
            conversation_id,
            input_channel=TELEGRAM,
            message_id=str(update.update_id),
            metadata=metadata,
        )
        if await run_turn(on_new_message, message, context) is TurnOutcome.UNAVAILABLE:
            await apologize(output, conversation_id, context)

    async def _reply_media(
        self, conversation_id: str, response_name: str, agent: Any | None, user: Any
    ) -> None:
        await self._clear_block(conversation_id)
        context = ConversationContext(agent, TELEGRAM)
        hint = user.language_code if user is not None else None
        language = await context.language(conversation_id, hint)
        text = await context.render(response_name, conversation_id, language=language)
        await self.sender.send_text(conversation_id, text)

    async def _clear_block(self, conversation_id: str) -> None:
        """Allow messages again: a client who writes has not blocked the bot (any more)."""
        await run_sync(self.store.set_opted_out, TELEGRAM, conversation_id, False)

    async def _membership_changed(self, update: Update) -> None:
        member = update.my_chat_member
        conversation_id = conversation_id_for(member.chat.id)
        blocked = member.new_chat_member.status in {"kicked", "left"}
        await run_sync(self.store.set_opted_out, TELEGRAM, conversation_id, blocked, "blocked")
        logger.info("%s %s the bot", conversation_id, "blocked" if blocked else "unblocked")


async def set_webhook(config: TelegramConfig, url: str | None = None) -> str:
    """Register the webhook with its secret token; return the URL registered."""
    target = url or config.webhook_url
    if not target:
        raise SystemExit("Give --url or set TELEGRAM_WEBHOOK_URL (the public URL of Rasa).")
    if not config.webhook_secret:
        raise SystemExit("Set TELEGRAM_WEBHOOK_SECRET (1-256 characters A-Z a-z 0-9 _ -).")
    sender = TelegramSender(config, ChannelStore())
    try:
        bot = await sender.bot()
        full = webhook_url(target)
        await bot.set_webhook(
            full, secret_token=config.webhook_secret, allowed_updates=ALLOWED_UPDATES
        )
        return full
    finally:
        await sender.close()


async def relay_updates(
    config: TelegramConfig,
    rasa_url: str,
    stop: asyncio.Event | None = None,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
    retry_seconds: float = 2.0,
) -> int:
    """Fetch updates with ``getUpdates`` and post each to Rasa's webhook, in order.

    An update is acknowledged (the offset moves past it) only after Rasa accepted it,
    so none is lost while Rasa is restarting.

    Args:
        config: bot token and webhook secret.
        rasa_url: the running Rasa server's Telegram webhook.
        stop: set it to end the loop (Ctrl-C otherwise).
        poll_timeout: long-polling seconds per ``getUpdates``.
        retry_seconds: wait after a failed fetch or relay.

    Returns:
        How many updates were relayed.
    """
    if not config.webhook_secret:
        raise SystemExit("Set TELEGRAM_WEBHOOK_SECRET, for Rasa and for this command.")
    stop = stop or asyncio.Event()
    sender = TelegramSender(config, ChannelStore())
    relayed = 0
    offset: int | None = None
    try:
        bot = await sender.bot()
        await bot.delete_webhook()  # getUpdates does not work while a webhook is set
        async with aiohttp.ClientSession() as http:
            while not stop.is_set():
                try:
                    api_kwargs: Dict[str, Any] = {
                        "timeout": poll_timeout,
                        "allowed_updates": ALLOWED_UPDATES,
                    }
                    if offset is not None:
                        api_kwargs["offset"] = offset
                    updates = await bot.do_api_request(
                        "getUpdates", api_kwargs=api_kwargs, read_timeout=poll_timeout + 10
                    )
                except TelegramError as error:
                    logger.warning("getUpdates failed (%s); retrying", error)
                    await _wait(stop, retry_seconds)
                    continue
                for update in updates or []:
                    while not stop.is_set():
                        if await _post_update(http, rasa_url, config.webhook_secret, update):
                            break
                        await _wait(stop, retry_seconds)
                    else:
                        return relayed
                    offset = int(update["update_id"]) + 1
                    relayed += 1
    finally:
        await sender.close()
    return relayed


async def _post_update(
    http: aiohttp.ClientSession, url: str, secret: str, update: Dict[str, Any]
) -> bool:
    try:
        async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as answer:
            if answer.status < 300:
                return True
            if answer.status == 403:
                logger.error(
                    "Rasa refused update %s: TELEGRAM_WEBHOOK_SECRET must be the same for "
                    "Rasa and this command, and Rasa needs TELEGRAM_BOT_TOKEN",
                    update.get("update_id"),
                )
                return False
            logger.warning("Rasa answered %s to update %s", answer.status, update.get("update_id"))
            # a malformed update (4xx) will never be accepted: skip it
            return answer.status < 500 and answer.status != 404
    except aiohttp.ClientError as error:
        logger.warning("Cannot reach Rasa at %s (%s); is `make run` running?", url, error)
        return False


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram")
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("set-webhook", help="register the webhook with its secret")
    register.add_argument("--url", help="public base URL of Rasa (default TELEGRAM_WEBHOOK_URL)")
    commands.add_parser("delete-webhook", help="remove the webhook")
    commands.add_parser("webhook-info", help="show what Telegram knows of the webhook")
    poll = commands.add_parser("poll", help="relay updates to a local Rasa (no public URL)")
    default_rasa = f"http://localhost:{os.environ.get('MFI_RASA_PORT', '5005')}{WEBHOOK_PATH}"
    poll.add_argument("--rasa-url", default=default_rasa)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = TelegramConfig.from_env()
    if not config.bot_token:
        print("Set TELEGRAM_BOT_TOKEN (from BotFather).", file=sys.stderr)
        return 2
    try:
        if args.command == "set-webhook":
            print(f"Webhook set: {asyncio.run(set_webhook(config, args.url))}")
            return 0
        if args.command == "poll":
            print(f"Relaying Telegram updates to {args.rasa_url}; Ctrl-C stops.")
            asyncio.run(relay_updates(config, args.rasa_url))
            return 0
        return asyncio.run(_webhook_command(config, args.command))
    except KeyboardInterrupt:
        return 0
    except (TelegramError, DeliveryError) as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1


async def _webhook_command(config: TelegramConfig, command: str) -> int:
    sender = TelegramSender(config, ChannelStore())
    try:
        bot = await sender.bot()
        if command == "delete-webhook":
            await bot.delete_webhook()
            print("Webhook deleted.")
        else:
            info = await bot.get_webhook_info()
            print(json.dumps(info.to_dict(), indent=2, default=str))
        return 0
    finally:
        await sender.close()


if __name__ == "__main__":
    sys.exit(main())
