"""WhatsApp and SMS through Twilio, as a Rasa connector (``whatsapp``).

Registered in credentials.yml as ``bot.channels.whatsapp.WhatsAppInput``; Twilio posts
to ``/webhooks/whatsapp/webhook``. The connector:

- refuses (403) a request whose ``X-Twilio-Signature`` does not verify with the auth
  token, and every request when no auth token is configured;
- answers Twilio at once and handles the turn in the background, replying through
  Twilio's REST API with the async client; a retried ``MessageSid`` is handled once;
- shows buttons as a numbered list and maps a reply ``2`` (or a button's title) back to
  that button's payload; splits replies longer than 1,600 characters;
- answers media, voice notes, locations and stickers with a short text saying what
  the assistant can read; handles STOP/START words of every language;
- retries 5xx, 429 and network errors with backoff; records replies that finally fail.

The same connector serves SMS numbers (no ``whatsapp:`` prefix). Conversation ids are
``whatsapp:+<number>`` and ``sms:+<number>``.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Tuple
from urllib.parse import parse_qs, urlparse, urlunparse

import aiohttp
from babel.lists import format_list
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels import WHATSAPP
from bot.channels.config import DEFAULT_TWILIO_API, WhatsAppConfig, resolve_media_url
from bot.channels.conversation import ConversationContext
from bot.channels.delivery import (
    BackgroundTasks,
    DeliveryError,
    KeyedLocks,
    Outcome,
    deliver,
    run_sync,
)
from bot.channels.keywords import OPT_IN, OPT_OUT, keyword_action
from bot.channels.text import choose_button, split_text
from bot.channels.turns import UNAVAILABLE_TEXT, TurnOutcome, apologize, run_turn, storage_errors
from bot.i18n import format_number, get_language
from bot.store.channels import ChannelStore

logger = logging.getLogger(__name__)

TEXT_LIMIT = 1600
WHATSAPP_PREFIX = "whatsapp:"
SMS_PREFIX = "sms:"
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
REQUEST_TIMEOUT_SECONDS = 15.0
MAX_KEY_CHARS = 120  # message ids and addresses are keys of 128 characters ("sms:" added)

REPLY_WITH_NUMBER = "utter_channel_reply_with_number"
OPTED_OUT = "utter_channel_opted_out"
OPTED_IN = "utter_channel_opted_in"
VOICE_NOT_SUPPORTED = "utter_channel_voice_not_supported"
MEDIA_NOT_SUPPORTED = "utter_channel_media_not_supported"
LOCATION_NOT_SUPPORTED = "utter_channel_location_not_supported"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def is_storable(value: str | None) -> bool:
    """Tell whether a message id or address can be a key: Twilio's are short and printable.

    A longer one, or one with a NUL, would make the database refuse it (PostgreSQL).
    """
    return bool(value) and len(value) <= MAX_KEY_CHARS and value.isprintable()


def conversation_id_for(address: str) -> str:
    """Return the conversation id of a Twilio address (``whatsapp:+254..``, ``+254..``)."""
    address = address.strip()
    if address.startswith(WHATSAPP_PREFIX) or address.startswith(SMS_PREFIX):
        return address
    return SMS_PREFIX + address


def address_for(conversation_id: str) -> str:
    """Return the Twilio address to send to for a conversation id."""
    conversation_id = conversation_id.strip()
    if conversation_id.startswith(SMS_PREFIX):
        return conversation_id[len(SMS_PREFIX) :]
    return conversation_id


def is_whatsapp(conversation_id: str) -> bool:
    """Tell whether a conversation is on WhatsApp (else SMS, where media is a link)."""
    return conversation_id.startswith(WHATSAPP_PREFIX)


def media_kind(params: Mapping[str, str]) -> str | None:
    """Return which non-text reply an inbound message needs, or None for plain text.

    Returns:
        ``VOICE_NOT_SUPPORTED``, ``LOCATION_NOT_SUPPORTED``, ``MEDIA_NOT_SUPPORTED``
        (pictures, videos, stickers, documents, contacts) or None.
    """
    message_type = (params.get("MessageType") or "").lower()
    if (params.get("Latitude") and params.get("Longitude")) or message_type == "location":
        return LOCATION_NOT_SUPPORTED
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError:
        count = 0
    if count > 0 or message_type in {"image", "video", "audio", "document", "sticker", "contacts"}:
        content_type = (params.get("MediaContentType0") or "").lower()
        if content_type.startswith("audio/") or message_type == "audio":
            return VOICE_NOT_SUPPORTED
        return MEDIA_NOT_SUPPORTED
    return None


class FormParams(Dict[str, List[str]]):
    """A webhook's form fields, blank values kept (Twilio signs ``Body=`` too)."""

    @classmethod
    def parse(cls, body: bytes) -> FormParams:
        """Parse an ``application/x-www-form-urlencoded`` body."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return cls()
        return cls(parse_qs(text, keep_blank_values=True))

    def getall(self, name: str) -> List[str]:
        """Return every value of a field (what twilio's validator asks for)."""
        return list(self.get(name, []))

    def first_values(self) -> Dict[str, str]:
        """Return each field's first value."""
        return {name: values[0] for name, values in self.items() if values}


class TwilioApiClient(AsyncHttpClient):
    """The twilio library's async HTTP client, pointed at a configurable API base URL.

    The aiohttp session is opened on first use, in the running event loop.

    Args:
        base_url: Twilio's API (``https://api.twilio.com``) or a local fake.
        timeout: seconds a request may take.
    """

    def __init__(
        self, base_url: str = DEFAULT_TWILIO_API, timeout: float = REQUEST_TIMEOUT_SECONDS
    ) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), True, timeout)
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    def _rewrite(self, url: str) -> str:
        if self.base_url == DEFAULT_TWILIO_API:
            return url
        target = urlparse(url)
        base = urlparse(self.base_url)
        path = base.path.rstrip("/") + target.path
        return urlunparse((base.scheme, base.netloc, path, "", target.query, ""))

    async def request(
        self,
        method: str,
        url: str,
        params: Dict[str, object] | None = None,
        data: Dict[str, object] | None = None,
        headers: Dict[str, str] | None = None,
        auth: Tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        """Send one request; list values become repeated form fields (``MediaUrl``)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        form: List[Tuple[str, str]] = []
        for key, value in (data or {}).items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                form.append((key, str(item)))
        response_ = await self._session.request(
            method.upper(),
            self._rewrite(url),
            params=params,
            data=form or None,
            headers=headers,
            auth=aiohttp.BasicAuth(*auth) if auth else None,
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        )
        async with response_:
            text = await response_.text()
            return TwilioResponse(response_.status, text, response_.headers)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class TwilioSender:
    """Sends messages through Twilio's REST API, reliably.

    Args:
        config: the connector's settings.
        store: opt-outs and failure records.
        http_client: the HTTP client (made from the config by default).
    """

    def __init__(
        self,
        config: WhatsAppConfig,
        store: ChannelStore,
        http_client: AsyncHttpClient | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.http_client = http_client or TwilioApiClient(config.api_base_url)
        self._client: Client | None = None

    def _twilio(self) -> Client:
        if not self.config.can_send:
            raise DeliveryError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
        if self._client is None:
            self._client = Client(
                self.config.account_sid, self.config.auth_token, http_client=self.http_client
            )
        return self._client

    def sender_for(self, conversation_id: str, inbound_to: str | None = None) -> Dict[str, str]:
        """Return the ``from_`` (or messaging service) a message to a client goes out with.

        Replies come from the number the client wrote to; other messages from the
        configured WhatsApp or SMS number, or the Messaging Service.
        """
        if inbound_to:
            return {"from_": inbound_to}
        if is_whatsapp(conversation_id) and self.config.whatsapp_number:
            return {"from_": self.config.whatsapp_number}
        if not is_whatsapp(conversation_id) and self.config.sms_number:
            return {"from_": self.config.sms_number}
        if self.config.messaging_service_sid:
            return {"messaging_service_sid": self.config.messaging_service_sid}
        raise DeliveryError(
            "No sender configured for "
            + ("WhatsApp (TWILIO_WHATSAPP_NUMBER)" if is_whatsapp(conversation_id) else "SMS")
        )

    async def _create(
        self, conversation_id: str, part: Dict[str, Any], origin: Dict[str, str]
    ) -> str:
        """Send one message (one attempt); return its SID."""
        fields: Dict[str, Any] = {"to": address_for(conversation_id), **origin}
        if part.get("body"):
            fields["body"] = part["body"]
        if part.get("media_url"):
            fields["media_url"] = list(part["media_url"])
        try:
            message = await self._twilio().messages.create_async(**fields)
        except TwilioRestException as error:
            status = int(error.status)
            raise DeliveryError(
                str(error.msg),
                status_code=status,
                error_code=str(error.code) if error.code is not None else None,
                retryable=status >= 500 or status == 429,
            ) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"network error: {error!r}", retryable=True) from error
        return str(message.sid)

    async def send_parts(
        self,
        conversation_id: str,
        parts: List[Dict[str, Any]],
        inbound_to: str | None = None,
        check_opt_out: bool = True,
    ) -> Outcome:
        """Send messages to one client in order; stop at the first that fails.

        Args:
            conversation_id: ``whatsapp:+...`` or ``sms:+...``.
            parts: messages, each ``{"body": ..., "media_url": [...]}``.
            inbound_to: the number the client wrote to (replies come from it).
            check_opt_out: False only for the confirmation of an opt-out itself.

        Returns:
            The outcome; a failure is recorded with every part not delivered.
        """
        if not parts:
            return Outcome.DELIVERED
        if check_opt_out and await run_sync(self.store.is_opted_out, WHATSAPP, conversation_id):
            logger.info("Not sending to %s: opted out", conversation_id)
            return Outcome.OPTED_OUT
        try:
            origin = self.sender_for(conversation_id, inbound_to)
        except DeliveryError as error:
            logger.error("WhatsApp: cannot send to %s: %s", conversation_id, error)
            await run_sync(
                self.store.record_failure,
                WHATSAPP,
                conversation_id,
                {"parts": parts},
                str(error),
                0,
            )
            return Outcome.FAILED
        for index, part in enumerate(parts):

            async def attempt(part: Dict[str, Any] = part) -> str:
                return await self._create(conversation_id, part, origin)

            sid = await deliver(
                attempt,
                channel=WHATSAPP,
                recipient_id=conversation_id,
                content={"parts": parts[index:], "from": origin},
                store=self.store,
                policy=self.config.retry,
            )
            if sid is None:
                return Outcome.FAILED
        return Outcome.DELIVERED

    async def send_text(
        self, conversation_id: str, text: str, inbound_to: str | None = None
    ) -> Outcome:
        """Send a text, split into parts of at most 1,600 characters."""
        parts = [{"body": part} for part in split_text(text, TEXT_LIMIT)]
        return await self.send_parts(conversation_id, parts, inbound_to)

    async def close(self) -> None:
        """Release the HTTP session."""
        close = getattr(self.http_client, "close", None)
        if close is not None:
            await close()


class WhatsAppOutput(OutputChannel):
    """Replies to one client through Twilio.

    In a webhook turn the replies are collected and sent by ``flush`` once the turn is
    over, when the conversation's language (for "Reply 1, 2 or 3") is known; otherwise
    (Rasa's REST API, reminders) each reply is sent at once.

    Args:
        sender: the Twilio sender.
        context: the agent's conversations (language, texts).
        inbound_to: the number the client wrote to.
        buffered: collect replies until ``flush``.
    """

    def __init__(
        self,
        sender: TwilioSender,
        context: ConversationContext,
        inbound_to: str | None = None,
        buffered: bool = False,
    ) -> None:
        self.sender = sender
        self.context = context
        self.inbound_to = inbound_to
        self.buffered = buffered
        self._pending: List[Dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        """Return the channel name."""
        return WHATSAPP

    async def _emit(self, recipient_id: str, item: Dict[str, Any]) -> None:
        if self.buffered:
            self._pending.append(item)
            return
        await self._send_items(recipient_id, [item], remember_buttons=bool(item.get("buttons")))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text (split when longer than 1,600 characters)."""
        await self._emit(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send a text with its buttons as a numbered list and a "Reply 1, 2 or 3" line."""
        await self._emit(recipient_id, {"text": text, "buttons": buttons})

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send quick replies as a numbered list."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Send a picture (WhatsApp) or its link (SMS)."""
        await self._emit(recipient_id, {"media": image})

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """Send a document: a URL, a path under ``MFI_MEDIA_BASE_URL``, or a dict.

        A dict may hold ``url`` (or ``path``) and ``caption``.
        """
        if isinstance(attachment, Mapping):
            reference = attachment.get("url") or attachment.get("path") or ""
            caption = attachment.get("caption") or attachment.get("text")
            await self._emit(recipient_id, {"media": str(reference), "caption": caption})
        else:
            await self._emit(recipient_id, {"media": str(attachment)})

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        """Send a custom payload's ``text`` and ``media_url``/``document``; ignore the rest."""
        text = json_message.get("text") or json_message.get("body")
        media = json_message.get("media_url") or json_message.get("document")
        if isinstance(media, Mapping):
            await self.send_attachment(recipient_id, media)
        elif media:
            await self._emit(recipient_id, {"media": str(media), "caption": text})
            return
        if text:
            await self._emit(recipient_id, {"text": str(text)})
        if not text and not media:
            logger.warning("Custom payload not shown on WhatsApp: %s", sorted(json_message))

    async def flush(self, recipient_id: str) -> Outcome:
        """Send the collected replies of a turn and remember its last buttons.

        Later replies through this channel (a reminder Rasa scheduled in the turn) go
        out at once.
        """
        items, self._pending = self._pending, []
        self.buffered = False
        return await self._send_items(recipient_id, items, remember_buttons=True)

    async def _send_items(
        self, recipient_id: str, items: List[Dict[str, Any]], remember_buttons: bool
    ) -> Outcome:
        language = await self.context.language(recipient_id) if items else None
        parts: List[Dict[str, Any]] = []
        buttons: List[Dict[str, str]] = []
        for item in items:
            if item.get("media"):
                parts.extend(await self._media_parts(recipient_id, item))
                continue
            text = str(item.get("text") or "")
            if item.get("buttons"):
                buttons = [
                    {"title": str(button.get("title") or ""), "payload": str(button["payload"])}
                    for button in item["buttons"]
                    if button.get("payload")
                ]
                text = await self._with_numbered_buttons(recipient_id, text, buttons, language)
            parts.extend({"body": part} for part in split_text(text, TEXT_LIMIT))
        outcome = await self.sender.send_parts(recipient_id, parts, self.inbound_to)
        if remember_buttons and outcome is Outcome.DELIVERED:
            await run_sync(self.sender.store.save_buttons, WHATSAPP, recipient_id, buttons)
        return outcome

    async def _with_numbered_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, str]],
        language: str | None,
    ) -> str:
        """Return the text followed by the numbered buttons and how to choose."""
        if not buttons:
            return text
        numbers = [format_number(index, language) for index in range(1, len(buttons) + 1)]
        lines = [
            f"{number}. {button['title']}" for number, button in zip(numbers, buttons, strict=True)
        ]
        choices = format_list(numbers, style="or", locale=get_language(language).locale)
        hint = await self.context.render(
            REPLY_WITH_NUMBER, recipient_id, language=language, choices=choices
        )
        return "\n\n".join(block for block in (text.strip(), "\n".join(lines), hint) if block)

    async def _media_parts(self, recipient_id: str, item: Dict[str, Any]) -> List[Dict[str, Any]]:
        """Return the messages that carry a document or picture (a link on SMS)."""
        caption = str(item.get("caption") or "").strip()
        url = resolve_media_url(str(item["media"]), self.sender.config.media_base_url)
        if url is None:
            await run_sync(
                self.sender.store.record_failure,
                WHATSAPP,
                recipient_id,
                {"media": item["media"], "caption": caption},
                "Document path given but MFI_MEDIA_BASE_URL is not set",
                0,
            )
            return [{"body": part} for part in split_text(caption, TEXT_LIMIT)]
        if is_whatsapp(recipient_id):
            captions = split_text(caption, TEXT_LIMIT) or [""]
            first = {"body": captions[0], "media_url": [url]}
            return [first] + [{"body": part} for part in captions[1:]]
        text = f"{caption}\n{url}" if caption else url
        return [{"body": part} for part in split_text(text, TEXT_LIMIT)]


class WhatsAppInput(InputChannel):
    """Receives WhatsApp and SMS messages from Twilio's webhook.

    Args:
        config: settings (from the environment by default).
        store: channel tables (the deployment's database by default).
        sender: the Twilio sender (made from the config by default).
    """

    def __init__(
        self,
        config: WhatsAppConfig | None = None,
        store: ChannelStore | None = None,
        sender: TwilioSender | None = None,
    ) -> None:
        self.config = config or WhatsAppConfig.from_env()
        self.store = store or ChannelStore()
        self.sender = sender or TwilioSender(self.config, self.store)
        self.tasks = BackgroundTasks()
        self._turns = KeyedLocks()
        self._app: Any | None = None
        if not self.config.can_verify:
            logger.warning(
                "WhatsApp: TWILIO_AUTH_TOKEN is not set; the webhook refuses every request."
            )

    @classmethod
    def name(cls) -> str:
        """Return the channel name (the webhook is ``/webhooks/whatsapp/webhook``)."""
        return WHATSAPP

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """Create the connector from credentials.yml values, else environment variables."""
        return cls(WhatsAppConfig.from_env(credentials))

    def _agent(self) -> Any | None:
        return getattr(self._app.ctx, "agent", None) if self._app is not None else None

    def get_output_channel(self) -> OutputChannel:
        """Return an output channel for messages no client message started (sent at once)."""
        return WhatsAppOutput(self.sender, ConversationContext(self._agent(), WHATSAPP))

    def signed_url(self, request: Request) -> str:
        """Return the URL Twilio signed: the configured public URL, else the request's."""
        return self.config.webhook_url or request.url

    def is_authentic(self, request: Request, form: FormParams) -> bool:
        """Tell whether a request carries a valid Twilio signature."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not self.config.auth_token or not signature:
            return False
        validator = RequestValidator(self.config.auth_token)
        return bool(validator.validate(self.signed_url(request), form, signature))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Return the Sanic blueprint with the health check and the webhook."""
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self._app = app

        @webhook.listener("after_server_stop")
        async def close_sender(_app: Any, _loop: Any) -> None:
            await self.tasks.drain(timeout=REQUEST_TIMEOUT_SECONDS)
            await self.sender.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = FormParams.parse(request.body)
            if not self.is_authentic(request, form):
                logger.warning("WhatsApp webhook: refused a request without a valid signature")
                return response.text("Forbidden", status=403)
            params = form.first_values()
            message_id = params.get("MessageSid") or params.get("SmsSid")
            if not is_storable(message_id) or not is_storable(params.get("From")):
                return response.text("Missing or malformed MessageSid or From", status=400)
            if params.get("MessageStatus") and "Body" not in params and "NumMedia" not in params:
                # a delivery status callback sent to this URL: nothing for Rasa
                return response.text(EMPTY_TWIML, content_type="text/xml")
            try:
                claimed = await run_sync(self.store.claim_message, WHATSAPP, message_id)
            except storage_errors() as error:
                logger.error("WhatsApp webhook: cannot record %s: %s", message_id, error)
                # Twilio then calls the number's fallback URL, if one is set
                return response.text(UNAVAILABLE_TEXT, status=503)
            if not claimed:
                logger.info("WhatsApp webhook: %s already handled (Twilio retry)", message_id)
            else:
                agent = getattr(request.app.ctx, "agent", None)
                self.tasks.spawn(self.handle_inbound(params, agent, on_new_message))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    async def handle_inbound(
        self, params: Mapping[str, str], agent: Any | None, on_new_message: OnNewMessage
    ) -> None:
        """Handle one client message (after the webhook has answered Twilio).

        A client's messages are handled one after the other, in the order they came.

        Args:
            params: Twilio's webhook parameters (``From``, ``To``, ``Body``, media...).
            agent: the Rasa agent, for the conversation's language and texts.
            on_new_message: hands a message to Rasa.
        """
        async with self._turns.hold(conversation_id_for(params["From"])):
            await self._handle_inbound(params, agent, on_new_message)

    async def _handle_inbound(
        self, params: Mapping[str, str], agent: Any | None, on_new_message: OnNewMessage
    ) -> None:
        conversation_id = conversation_id_for(params["From"])
        inbound_to = params.get("To") or None
        context = ConversationContext(agent, WHATSAPP)
        body = (params.get("ButtonPayload") or params.get("Body") or "").strip()

        if await self._handled_as_keyword(conversation_id, body, params, context, inbound_to):
            return
        if await run_sync(self.store.is_opted_out, WHATSAPP, conversation_id):
            logger.info("Ignoring a message from %s: opted out", conversation_id)
            return
        kind = media_kind(params)
        if kind is not None:
            await self.sender.send_text(
                conversation_id, await context.render(kind, conversation_id), inbound_to
            )
            if not body or kind == LOCATION_NOT_SUPPORTED:
                return
        if not body:
            return
        buttons = await run_sync(self.store.get_buttons, WHATSAPP, conversation_id)
        chosen = choose_button(body, buttons)
        text = chosen["payload"] if chosen else body
        output = WhatsAppOutput(self.sender, context, inbound_to, buffered=True)
        metadata = {
            "channel": WHATSAPP,
            "transport": "whatsapp" if is_whatsapp(conversation_id) else "sms",
            "message_id": params.get("MessageSid"),
        }
        message = UserMessage(
            text,
            output,
            conversation_id,
            input_channel=WHATSAPP,
            message_id=params.get("MessageSid"),
            metadata=metadata,
        )
        try:
            if await run_turn(on_new_message, message, context) is TurnOutcome.UNAVAILABLE:
                await apologize(output, conversation_id, context)
        finally:
            await output.flush(conversation_id)

    async def _handled_as_keyword(
        self,
        conversation_id: str,
        body: str,
        params: Mapping[str, str],
        context: ConversationContext,
        inbound_to: str | None,
    ) -> bool:
        """Opt the client out or in for STOP/START words; True when the message was one."""
        action = keyword_action(body)
        if action is None:
            return False
        opted_out = await run_sync(self.store.is_opted_out, WHATSAPP, conversation_id)
        # Twilio's own opt-out handling (SMS) already confirmed to the client
        confirmed_by_twilio = bool(params.get("OptOutType"))
        if action == OPT_OUT:
            if not opted_out and not confirmed_by_twilio:
                text = await context.render(OPTED_OUT, conversation_id)
                parts = [{"body": part} for part in split_text(text, TEXT_LIMIT)]
                await self.sender.send_parts(
                    conversation_id, parts, inbound_to, check_opt_out=False
                )
            await run_sync(self.store.set_opted_out, WHATSAPP, conversation_id, True)
            logger.info("%s opted out", conversation_id)
            return True
        if action == OPT_IN and opted_out:
            await run_sync(self.store.set_opted_out, WHATSAPP, conversation_id, False)
            logger.info("%s opted back in", conversation_id)
            if not confirmed_by_twilio:
                text = await context.render(OPTED_IN, conversation_id)
                await self.sender.send_text(conversation_id, text, inbound_to)
            return True
        return False  # START from a client who never stopped: an ordinary message
