"""Settings of a benchmark run, from Locust's options and the environment.

WhatsApp load needs the settings the assistant under test was started with:
``TWILIO_AUTH_TOKEN`` (to sign webhook requests), ``TWILIO_API_BASE_URL`` pointing at a
loopback address (where the bench serves its fake Twilio, so no reply reaches the real
one), and ``TWILIO_WEBHOOK_URL`` when the assistant checks signatures against a public
URL. ``TWILIO_ACCOUNT_SID`` makes the fake check the replies' credentials too.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import urlencode, urlparse

from twilio.request_validator import RequestValidator

WEBHOOK_PATH = "/webhooks/whatsapp/webhook"
REST_PATH = "/webhooks/rest/webhook"
DEFAULT_ACTIONS_PORT = 5055
PRODUCTION = "production"
DEFAULT_RASA_SERVER_PORTS = "5006,5007"  # behind the balancer in production mode
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ASSISTANT_NUMBER = "whatsapp:+14155238886"
PLACEHOLDER_ACCOUNT_SID = "AC" + "0" * 32
OFF = frozenset({"0", "no", "false", "off"})


def parse_range(text: str) -> Tuple[float, float]:
    """Return ``(low, high)`` seconds from ``"1,3"`` (or ``"2"`` for exactly 2 s)."""
    parts = [float(part) for part in text.split(",") if part.strip()]
    if not parts or len(parts) > 2 or min(parts) < 0:
        raise ValueError(f"not a range of seconds: {text!r}")
    low, high = parts[0], parts[-1]
    return (min(low, high), max(low, high))


def _port_list(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def parse_ports(text: str, host: str, env: Mapping[str, str], mode: str = "") -> Tuple[int, ...]:
    """Return the ports whose processes are measured: given, else the assistant's.

    Args:
        text: ``"5005,5055"``, or empty for the default: the port of ``host``, in
            production mode the Rasa servers behind it (``MFI_RASA_SERVER_PORTS``,
            5006 and 5007), and the action server's (``MFI_ACTIONS_PORT``, 5055).
        host: the assistant's base URL.
        env: the environment.
        mode: the run's label (``production`` adds the Rasa servers' ports).
    """
    if text.strip():
        return _port_list(text)
    url = urlparse(host)
    ports = [url.port or (443 if url.scheme == "https" else 80)]
    if mode == PRODUCTION:
        ports += _port_list(env.get("MFI_RASA_SERVER_PORTS") or DEFAULT_RASA_SERVER_PORTS)
    ports.append(int(env.get("MFI_ACTIONS_PORT") or DEFAULT_ACTIONS_PORT))
    return tuple(dict.fromkeys(ports))


@dataclass(frozen=True)
class WhatsAppSetup:
    """How the bench reaches the assistant's WhatsApp webhook, or why it does not.

    Attributes:
        enabled: whether WhatsApp clients run.
        reason: why not, when they do not.
        auth_token: the token webhook requests are signed with.
        account_sid: the account in webhook requests and the fake's accepted replies.
        webhook_url: the URL the signature covers.
        fake_host: where the fake Twilio listens.
        fake_port: its port.
    """

    enabled: bool
    reason: str = ""
    auth_token: str = ""
    account_sid: Optional[str] = None
    webhook_url: str = ""
    fake_host: str = "127.0.0.1"
    fake_port: int = 0

    def sign(self, params: Mapping[str, str]) -> str:
        """Return the ``X-Twilio-Signature`` of a webhook request's form fields."""
        return RequestValidator(self.auth_token).compute_signature(self.webhook_url, dict(params))


def whatsapp_setup(host: str, env: Mapping[str, str], wanted: str = "yes") -> WhatsAppSetup:
    """Decide whether WhatsApp clients run, from the same variables as the assistant's.

    Args:
        host: the assistant's base URL.
        env: the environment (``TWILIO_*``).
        wanted: ``BENCH_WHATSAPP``; ``no`` turns WhatsApp clients off.
    """
    if wanted.strip().lower() in OFF:
        return WhatsAppSetup(False, "turned off (BENCH_WHATSAPP)")
    token = (env.get("TWILIO_AUTH_TOKEN") or "").strip()
    if not token:
        return WhatsAppSetup(False, "TWILIO_AUTH_TOKEN is not set")
    api = urlparse((env.get("TWILIO_API_BASE_URL") or "").strip())
    if api.scheme != "http" or api.hostname not in LOOPBACK_HOSTS or not api.port:
        return WhatsAppSetup(
            False,
            "TWILIO_API_BASE_URL must be http://127.0.0.1:<port> (the bench's fake Twilio), "
            "so that no reply goes to the real Twilio",
        )
    webhook_url = (env.get("TWILIO_WEBHOOK_URL") or "").strip() or host.rstrip("/") + WEBHOOK_PATH
    return WhatsAppSetup(
        enabled=True,
        auth_token=token,
        account_sid=(env.get("TWILIO_ACCOUNT_SID") or "").strip() or None,
        webhook_url=webhook_url,
        fake_host=api.hostname or "127.0.0.1",
        fake_port=api.port,
    )


def webhook_form(
    text: str, client: str, message_sid: str, account_sid: Optional[str]
) -> Dict[str, str]:
    """Return the form fields Twilio posts for a client's WhatsApp text message.

    A button payload (``/affirm``) is sent as ``ButtonPayload`` too, as for a tapped
    quick reply.

    Args:
        text: the message.
        client: the client's address, ``whatsapp:+2547...``.
        message_sid: a unique ``SM...`` id.
        account_sid: the Twilio account (a placeholder when None).
    """
    form = {
        "SmsMessageSid": message_sid,
        "NumMedia": "0",
        "ProfileName": "Bench client",
        "MessageType": "text",
        "SmsSid": message_sid,
        "WaId": client.removeprefix("whatsapp:+"),
        "SmsStatus": "received",
        "Body": text,
        "To": ASSISTANT_NUMBER,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": message_sid,
        "AccountSid": account_sid or PLACEHOLDER_ACCOUNT_SID,
        "From": client,
        "ApiVersion": "2010-04-01",
    }
    if text.startswith("/"):
        form["ButtonPayload"] = text
    return form


def encode_form(params: Mapping[str, str]) -> bytes:
    """Return a form body (``application/x-www-form-urlencoded``)."""
    return urlencode(list(params.items())).encode("utf-8")


def basic_auth(account_sid: str, auth_token: str) -> str:
    """Return the ``Authorization`` header value Twilio's client sends."""
    return "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
