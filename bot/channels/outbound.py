"""Send a message to a client through their own channel, from any process.

The staff console uses this to answer a client: the text goes out through the same
senders as the connectors' replies (retries with backoff, splitting, the opt-out check,
failure records), configured from the same environment variables.

    from bot.channels.outbound import send_text, send_text_sync
    await send_text("whatsapp", "whatsapp:+254700000001", "Hello from Mary at the branch")
    send_text_sync("telegram", "telegram:123456789", "...")  # from synchronous code
"""

from __future__ import annotations

import asyncio
from typing import Mapping

from bot.channels import TELEGRAM, WHATSAPP
from bot.channels.config import TelegramConfig, WhatsAppConfig
from bot.channels.delivery import Outcome
from bot.channels.telegram import TelegramSender
from bot.channels.whatsapp import TwilioSender, conversation_id_for
from bot.store.channels import ChannelStore


class OutboundError(Exception):
    """A message to a client was not delivered."""


class ChannelNotConfigured(OutboundError):
    """The channel has no credentials in this process's environment."""


class RecipientOptedOut(OutboundError):
    """The client opted out (STOP) or blocked the bot; nothing was sent."""


class DeliveryFailed(OutboundError):
    """Sending failed after retries; the message is in ``channel_failed_messages``."""


def _telegram_id(recipient_id: str) -> str:
    return recipient_id if recipient_id.startswith("telegram:") else f"telegram:{recipient_id}"


async def send_text(
    channel: str,
    recipient_id: str,
    text: str,
    *,
    store: ChannelStore | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Send a text to a client on a channel.

    Args:
        channel: ``whatsapp`` (also SMS) or ``telegram``.
        recipient_id: the conversation id (``whatsapp:+2547...``, ``sms:+2547...``,
            ``telegram:123``); a bare number or chat id is accepted.
        text: the message; split when longer than the channel allows.
        store: channel tables (the deployment's database by default).
        env: environment to read credentials from (``os.environ`` by default).

    Raises:
        ValueError: an unknown channel or an empty text.
        ChannelNotConfigured: no credentials for the channel.
        RecipientOptedOut: the client opted out; nothing was sent.
        DeliveryFailed: not delivered after retries (recorded).
    """
    if not text.strip():
        raise ValueError("Nothing to send: the text is empty")
    store = store or ChannelStore()
    if channel == WHATSAPP:
        config = WhatsAppConfig.from_env(env=env)
        if not config.can_send:
            raise ChannelNotConfigured("Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        sender = TwilioSender(config, store)
        conversation_id = conversation_id_for(recipient_id)
        try:
            outcome = await sender.send_text(conversation_id, text)
        finally:
            await sender.close()
    elif channel == TELEGRAM:
        telegram = TelegramConfig.from_env(env=env)
        if not telegram.bot_token:
            raise ChannelNotConfigured("Set TELEGRAM_BOT_TOKEN")
        telegram_sender = TelegramSender(telegram, store)
        conversation_id = _telegram_id(recipient_id)
        try:
            outcome = await telegram_sender.send_text(conversation_id, text)
        finally:
            await telegram_sender.close()
    else:
        raise ValueError(f"Unknown channel {channel!r}; expected {WHATSAPP!r} or {TELEGRAM!r}")
    if outcome is Outcome.OPTED_OUT:
        raise RecipientOptedOut(f"{conversation_id} opted out of messages on {channel}")
    if outcome is Outcome.FAILED:
        raise DeliveryFailed(f"Could not deliver to {conversation_id} on {channel} (recorded)")


def send_text_sync(
    channel: str,
    recipient_id: str,
    text: str,
    *,
    store: ChannelStore | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Send a text from synchronous code (no event loop running in this thread).

    Same arguments and errors as ``send_text``.
    """
    asyncio.run(send_text(channel, recipient_id, text, store=store, env=env))
