"""Channel settings, read from environment variables (or credentials.yml filled from them).

Nothing here is required for the server to start: a channel without its secret refuses
every webhook request (403) instead of accepting unchecked ones. See docs/channels.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urljoin, urlparse

# WhatsApp and SMS through Twilio
TWILIO_ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
TWILIO_WHATSAPP_NUMBER = "TWILIO_WHATSAPP_NUMBER"
TWILIO_SMS_NUMBER = "TWILIO_SMS_NUMBER"
TWILIO_MESSAGING_SERVICE_SID = "TWILIO_MESSAGING_SERVICE_SID"
TWILIO_WEBHOOK_URL = "TWILIO_WEBHOOK_URL"
TWILIO_API_BASE_URL = "TWILIO_API_BASE_URL"
# Telegram
TELEGRAM_BOT_TOKEN = "TELEGRAM_BOT_TOKEN"
TELEGRAM_WEBHOOK_SECRET = "TELEGRAM_WEBHOOK_SECRET"
TELEGRAM_WEBHOOK_URL = "TELEGRAM_WEBHOOK_URL"
TELEGRAM_API_BASE_URL = "TELEGRAM_API_BASE_URL"
TELEGRAM_SECONDS_PER_CHAT = "TELEGRAM_SECONDS_PER_CHAT"
# shared
MEDIA_BASE_URL = "MFI_MEDIA_BASE_URL"
SEND_ATTEMPTS = "MFI_CHANNEL_SEND_ATTEMPTS"
RETRY_BASE_SECONDS = "MFI_CHANNEL_RETRY_SECONDS"
MAX_RETRY_AFTER_SECONDS = "MFI_CHANNEL_MAX_RETRY_AFTER"

DEFAULT_TWILIO_API = "https://api.twilio.com"
DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"


def _pick(
    credentials: Mapping[str, Any] | None, key: str, env: Mapping[str, str], name: str
) -> str | None:
    """Return a credential from credentials.yml, else from the environment; blank is None."""
    value = (credentials or {}).get(key)
    if value is None or str(value).strip() == "":
        value = env.get(name)
    value = str(value).strip() if value is not None else ""
    return value or None


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class RetryPolicy:
    """How sends are retried after 5xx, 429 and network errors.

    Attributes:
        attempts: tries in all, the first included.
        base_delay: seconds before the first retry; doubled for each further one.
        max_delay: the longest wait between two tries.
        max_retry_after: the longest ``retry_after`` a server may ask for; longer
            waits fail the reply (recorded) instead of holding it.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, retry: int) -> float:
        """Return the seconds to wait before retry number ``retry`` (1 for the first)."""
        return min(self.max_delay, self.base_delay * (2 ** (retry - 1)))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetryPolicy:
        """Read the policy from ``MFI_CHANNEL_*`` variables (defaults otherwise)."""
        env = os.environ if env is None else env
        return cls(
            attempts=max(1, int(_number(env, SEND_ATTEMPTS, cls.attempts))),
            base_delay=_number(env, RETRY_BASE_SECONDS, cls.base_delay),
            max_retry_after=_number(env, MAX_RETRY_AFTER_SECONDS, cls.max_retry_after),
        )


def resolve_media_url(reference: str, base_url: str | None) -> str | None:
    """Return the public URL of a document: absolute URLs as they are, paths under the base.

    Args:
        reference: ``https://...`` or a path such as ``schedules/ab12.pdf``.
        base_url: the deployment's public media URL (``MFI_MEDIA_BASE_URL``).

    Returns:
        The URL, or None when ``reference`` is a path and no base URL is configured.
    """
    reference = reference.strip()
    if urlparse(reference).scheme in {"http", "https"}:
        return reference
    if not base_url:
        return None
    return urljoin(base_url.rstrip("/") + "/", reference.lstrip("/"))


@dataclass(frozen=True)
class WhatsAppConfig:
    """Settings of the WhatsApp/SMS connector (Twilio).

    Attributes:
        account_sid: Twilio account SID (sending).
        auth_token: Twilio auth token (sending and checking webhook signatures).
        whatsapp_number: the WhatsApp sender for messages no client message started,
            e.g. ``whatsapp:+14155238886`` (replies come from the number written to).
        sms_number: the SMS sender for such messages, e.g. ``+15005550006``.
        messaging_service_sid: a Messaging Service to send from instead of a number.
        webhook_url: the public URL Twilio posts to and signs (set it behind a proxy or
            tunnel); by default the URL of the request as the server sees it.
        api_base_url: Twilio's REST API (a local fake in tests).
        media_base_url: public URL under which documents are served.
        retry: retry policy of outbound messages.
    """

    account_sid: str | None = None
    auth_token: str | None = None
    whatsapp_number: str | None = None
    sms_number: str | None = None
    messaging_service_sid: str | None = None
    webhook_url: str | None = None
    api_base_url: str = DEFAULT_TWILIO_API
    media_base_url: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def can_verify(self) -> bool:
        """Tell whether webhook signatures can be checked (else every request is refused)."""
        return bool(self.auth_token)

    @property
    def can_send(self) -> bool:
        """Tell whether messages can be sent."""
        return bool(self.account_sid and self.auth_token)

    @classmethod
    def from_env(
        cls,
        credentials: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> WhatsAppConfig:
        """Build the settings from credentials.yml values, else environment variables."""
        env = os.environ if env is None else env
        whatsapp_number = _pick(credentials, "whatsapp_number", env, TWILIO_WHATSAPP_NUMBER)
        if whatsapp_number and not whatsapp_number.startswith("whatsapp:"):
            whatsapp_number = f"whatsapp:{whatsapp_number}"
        return cls(
            account_sid=_pick(credentials, "account_sid", env, TWILIO_ACCOUNT_SID),
            auth_token=_pick(credentials, "auth_token", env, TWILIO_AUTH_TOKEN),
            whatsapp_number=whatsapp_number,
            sms_number=_pick(credentials, "sms_number", env, TWILIO_SMS_NUMBER),
            messaging_service_sid=_pick(
                credentials, "messaging_service_sid", env, TWILIO_MESSAGING_SERVICE_SID
            ),
            webhook_url=_pick(credentials, "webhook_url", env, TWILIO_WEBHOOK_URL),
            api_base_url=(
                _pick(credentials, "api_base_url", env, TWILIO_API_BASE_URL) or DEFAULT_TWILIO_API
            ).rstrip("/"),
            media_base_url=_pick(credentials, "media_base_url", env, MEDIA_BASE_URL),
            retry=RetryPolicy.from_env(env),
        )


@dataclass(frozen=True)
class TelegramConfig:
    """Settings of the Telegram connector.

    Attributes:
        bot_token: the token BotFather gave.
        webhook_secret: the secret Telegram sends in ``X-Telegram-Bot-Api-Secret-Token``
            (1-256 characters ``A-Z a-z 0-9 _ -``).
        webhook_url: the public URL of ``/webhooks/telegram/webhook`` (``set-webhook``).
        api_base_url: the Bot API, ending before the token (a local fake in tests).
        seconds_per_chat: the shortest time between two messages to one chat.
        media_base_url: public URL under which documents are served.
        retry: retry policy of outbound messages.
    """

    bot_token: str | None = None
    webhook_secret: str | None = None
    webhook_url: str | None = None
    api_base_url: str = DEFAULT_TELEGRAM_API
    seconds_per_chat: float = 1.0
    media_base_url: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def can_verify(self) -> bool:
        """Tell whether webhook requests can be checked (else every request is refused)."""
        return bool(self.bot_token and self.webhook_secret)

    @property
    def bot_id(self) -> str:
        """Return the bot's numeric id (the token's first part), or ``""``."""
        return (self.bot_token or "").split(":", 1)[0]

    @classmethod
    def from_env(
        cls,
        credentials: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> TelegramConfig:
        """Build the settings from credentials.yml values, else environment variables."""
        env = os.environ if env is None else env
        return cls(
            bot_token=_pick(credentials, "bot_token", env, TELEGRAM_BOT_TOKEN),
            webhook_secret=_pick(credentials, "webhook_secret", env, TELEGRAM_WEBHOOK_SECRET),
            webhook_url=_pick(credentials, "webhook_url", env, TELEGRAM_WEBHOOK_URL),
            api_base_url=(
                _pick(credentials, "api_base_url", env, TELEGRAM_API_BASE_URL)
                or DEFAULT_TELEGRAM_API
            ),
            seconds_per_chat=_number(env, TELEGRAM_SECONDS_PER_CHAT, 1.0),
            media_base_url=_pick(credentials, "media_base_url", env, MEDIA_BASE_URL),
            retry=RetryPolicy.from_env(env),
        )
