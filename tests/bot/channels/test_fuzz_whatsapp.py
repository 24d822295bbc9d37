"""Fuzz of the WhatsApp (Twilio) webhook: forged requests get a 403; correctly signed but
malformed ones a 400 or a handled turn, never a 5xx, a trace or a crashed background turn."""

from __future__ import annotations

from typing import AsyncIterator, Dict, List, Tuple
from urllib.parse import urlencode

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bot.channels.config import WhatsAppConfig
from bot.channels.whatsapp import SIGNATURE_HEADER, FormParams, WhatsAppInput
from bot.store.channels import ChannelStore
from tests.fuzzing import (
    assert_no_server_error,
    content_types,
    crashes_logged,
    db_url,  # noqa: F401 - every test runs on SQLite and PostgreSQL
    form_pairs,
    fuzz_settings,
    hostile_text,
    raw_bodies,
)

from .conftest import ACCOUNT_SID, AUTH_TOKEN, FAST_RETRY, FakeAgent, ScriptedBot, Served, serve
from .fakes import FakeTwilioApi

FORM = "application/x-www-form-urlencoded"
TWILIO_FIELDS = (
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "ButtonPayload",
    "ButtonText",
    "NumMedia",
    "MediaContentType0",
    "MediaUrl0",
    "MessageType",
    "Latitude",
    "Longitude",
    "MessageStatus",
    "OptOutType",
    "ProfileName",
    "WaId",
)
ADDRESSES = st.one_of(
    st.sampled_from(["whatsapp:+254700000001", "+254700000002", "whatsapp:", "sms:", " "]),
    hostile_text(),
)
# fields a webhook needs to get past its checks (a fresh MessageSid); some get dropped
NEEDED = st.fixed_dictionaries(
    {
        "MessageSid": st.one_of(st.uuids().map(lambda uid: f"SM{uid.hex}"), hostile_text()),
        "From": ADDRESSES,
        "Body": hostile_text(),
        "NumMedia": st.one_of(st.sampled_from(["0", "1", "-1", "1e3", "٣"]), hostile_text()),
    }
)
DROPPED = st.sets(st.sampled_from(["MessageSid", "From", "Body", "NumMedia"]), max_size=2)
EXTRA = form_pairs(TWILIO_FIELDS)
RAW_BODIES = raw_bodies()
CONTENT_TYPES = st.one_of(st.just(FORM), content_types())
HEADER_VALUES = st.one_of(
    st.sampled_from(["", "=" * 28, "a" * 10_000]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
)


def config_for(api: FakeTwilioApi) -> WhatsAppConfig:
    return WhatsAppConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        whatsapp_number="whatsapp:+14155238886",
        sms_number="+15005550006",
        api_base_url=api.base_url,
        retry=FAST_RETRY,
    )


@pytest.fixture
async def whatsapp(
    twilio_api: FakeTwilioApi, store: ChannelStore, bot: ScriptedBot, agent: FakeAgent
) -> AsyncIterator[Served]:
    async with serve([WhatsAppInput(config_for(twilio_api), store)], bot, agent) as served:
        yield served["whatsapp"]


@st.composite
def signed_bodies(draw: st.DrawFn) -> Tuple[bytes, str | None]:
    """A malformed form body (or any body) and a content type, to be signed correctly."""
    dropped = draw(DROPPED)
    needed = {name: value for name, value in draw(NEEDED).items() if name not in dropped}
    pairs: List[Tuple[str, str]] = draw(st.permutations(list(needed.items()) + draw(EXTRA)))
    raw = draw(st.integers(0, 4)) == 0
    body = draw(RAW_BODIES) if raw else urlencode(pairs).encode("utf-8")
    content_type = draw(CONTENT_TYPES)
    return body, content_type


def signature_of(served: Served, body: bytes) -> str:
    """Twilio's signature of a body, as the connector reads the body's fields."""
    return RequestValidator(AUTH_TOKEN).compute_signature(served.url(), FormParams.parse(body))


async def post(served: Served, body: bytes, headers: Dict[str, str]) -> Tuple[int, bytes]:
    async with served.http.post(served.url(), data=body, headers=headers) as answer:
        return answer.status, await answer.read()


def headers_for(content_type: str | None, signature: str | None) -> Dict[str, str]:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return headers


@fuzz_settings(max_examples=60)
@given(body=signed_bodies(), signature=st.one_of(st.none(), HEADER_VALUES))
async def test_requests_without_a_valid_signature_are_forbidden(
    whatsapp: Served, bot: ScriptedBot, body: Tuple[bytes, str | None], signature: str | None
) -> None:
    raw, content_type = body
    status, answer = await post(whatsapp, raw, headers_for(content_type, signature))
    assert_no_server_error(status, answer)
    assert status in (403, 413)  # 413: a header too large for Sanic
    assert bot.messages == []


def form(**fields: str) -> Tuple[bytes, str]:
    return urlencode({"From": "whatsapp:+254700000001", "Body": "hi", **fields}).encode(), FORM


@fuzz_settings(max_examples=120)
@given(body=signed_bodies())
# each was a 500 on PostgreSQL: the MessageSid is a key of 128 characters without NUL
@example(body=form(MessageSid="SM" + "1" * 200))
@example(body=form(MessageSid="SM\x00"))
async def test_signed_malformed_bodies_never_crash(
    whatsapp: Served, body: Tuple[bytes, str | None]
) -> None:
    raw, content_type = body
    with crashes_logged() as crashes:
        status, answer = await post(
            whatsapp, raw, headers_for(content_type, signature_of(whatsapp, raw))
        )
        await whatsapp.settle()
    event(f"HTTP {status}")
    assert_no_server_error(status, answer)
    assert status in (200, 400)
    crashes.assert_none()
