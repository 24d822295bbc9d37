"""Messaging channels clients use: WhatsApp and SMS (Twilio) and Telegram.

Each channel is a Rasa connector registered in ``credentials.yml`` by dotted path
(``bot.channels.whatsapp.WhatsAppInput``, ``bot.channels.telegram.TelegramInput``);
its webhook is ``/webhooks/<name>/webhook``. Credentials come from environment variables
(see docs/channels.md); without them the webhooks refuse every request. Staff replies
from another process go out through ``bot.channels.outbound``.
"""

WHATSAPP = "whatsapp"
TELEGRAM = "telegram"
CHANNEL_NAMES = (WHATSAPP, TELEGRAM)
