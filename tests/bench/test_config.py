"""Benchmark settings and the signed WhatsApp webhook requests (bench/config.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench.config import (
    encode_form,
    parse_ports,
    parse_range,
    webhook_form,
    whatsapp_setup,
)
from bot.channels.config import WhatsAppConfig
from bot.channels.whatsapp import SIGNATURE_HEADER, FormParams, WhatsAppInput, media_kind

HOST = "http://127.0.0.1:5005"
TOKEN = "bench-auth-token"
CLIENT = "whatsapp:+254700000001"
ENV = {"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE_URL": "http://127.0.0.1:5099"}


@pytest.mark.parametrize(
    ("text", "seconds"), [("1,3", (1.0, 3.0)), ("3, 1", (1.0, 3.0)), ("2", (2.0, 2.0))]
)
def test_parse_range(text: str, seconds: tuple) -> None:
    assert parse_range(text) == seconds


@pytest.mark.parametrize("text", ["", "a", "1,2,3", "-1", "1-3"])
def test_parse_range_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_range(text)


def test_parse_ports() -> None:
    assert parse_ports("", HOST, {}) == (5005, 5055)
    assert parse_ports("", "http://127.0.0.1:6005", {"MFI_ACTIONS_PORT": "6055"}) == (6005, 6055)
    assert parse_ports("7000, 7001", HOST, {}) == (7000, 7001)
    assert parse_ports("", "http://localhost", {"MFI_ACTIONS_PORT": "80"}) == (80,)
    assert parse_ports("", HOST, {}, "production") == (5005, 5006, 5007, 5055)
    servers = {"MFI_RASA_SERVER_PORTS": "6006,6007"}
    assert parse_ports("", HOST, servers, "production") == (5005, 6006, 6007, 5055)


def test_whatsapp_setup() -> None:
    setup = whatsapp_setup(HOST + "/", ENV)
    assert setup.enabled
    assert setup.webhook_url == "http://127.0.0.1:5005/webhooks/whatsapp/webhook"
    assert (setup.fake_host, setup.fake_port, setup.account_sid) == ("127.0.0.1", 5099, None)
    public = whatsapp_setup(HOST, {**ENV, "TWILIO_WEBHOOK_URL": "https://mfi.example/wa"})
    assert public.webhook_url == "https://mfi.example/wa"


@pytest.mark.parametrize(
    ("env", "wanted", "reason"),
    [
        ({}, "yes", "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_AUTH_TOKEN": TOKEN}, "yes", "TWILIO_API_BASE_URL"),
        ({**ENV, "TWILIO_API_BASE_URL": "https://api.twilio.com"}, "yes", "real Twilio"),
        ({**ENV, "TWILIO_API_BASE_URL": "http://10.0.0.5:5099"}, "yes", "real Twilio"),
        (ENV, "no", "BENCH_WHATSAPP"),
    ],
)
def test_whatsapp_stays_off_without_a_local_fake(env: dict, wanted: str, reason: str) -> None:
    setup = whatsapp_setup(HOST, env, wanted)
    assert not setup.enabled and reason in setup.reason


def test_webhook_form_is_a_text_message() -> None:
    form = webhook_form("habari", CLIENT, "SM1", None)
    assert (form["From"], form["WaId"], form["Body"]) == (CLIENT, "254700000001", "habari")
    assert media_kind(form) is None and "ButtonPayload" not in form
    tapped = webhook_form("/affirm", CLIENT, "SM2", "AC1")
    assert (tapped["ButtonPayload"], tapped["AccountSid"]) == ("/affirm", "AC1")


def _channel(**config: str) -> WhatsAppInput:
    return WhatsAppInput(WhatsAppConfig(**config), store=object(), sender=object())


@pytest.mark.parametrize("text", ["habari", "ನಮಸ್ಕಾರ & 20% = ?", '/inform{"frequency":"weekly"}'])
def test_the_connector_accepts_the_bench_signature(text: str) -> None:
    """The signature is what bot/channels/whatsapp.py checks, for the same body."""
    setup = whatsapp_setup(HOST, ENV)
    form = webhook_form(text, CLIENT, "SM1", None)
    request = SimpleNamespace(headers={SIGNATURE_HEADER: setup.sign(form)}, url=setup.webhook_url)
    body = FormParams.parse(encode_form(form))
    assert body.first_values() == form
    assert _channel(auth_token=TOKEN).is_authentic(request, body)
    assert not _channel(auth_token="another-token").is_authentic(request, body)
    other_url = "http://127.0.0.1:5006/webhooks/whatsapp/webhook"
    elsewhere = SimpleNamespace(headers=request.headers, url=other_url)
    assert not _channel(auth_token=TOKEN).is_authentic(elsewhere, body)
