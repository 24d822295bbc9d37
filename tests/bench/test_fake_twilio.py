"""The bench's fake Twilio API (bench/fake_twilio.py), driven by the connector's sender."""

from __future__ import annotations

import threading
from typing import Iterator, Tuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bench.fake_twilio import FakeTwilio
from bot.channels.config import RetryPolicy, WhatsAppConfig
from bot.channels.delivery import Outcome
from bot.channels.whatsapp import TwilioSender
from bot.store.channels import ChannelStore

ACCOUNT_SID = "AC" + "7" * 32
TOKEN = "bench-auth-token"
CLIENT = "whatsapp:+254700000001"
ASSISTANT = "whatsapp:+14155238886"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *_: object) -> None:
        pass


def _serve(fake: FakeTwilio) -> Iterator[Tuple[FakeTwilio, str]]:
    server: WSGIServer = make_server("127.0.0.1", 0, fake, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served() -> Iterator[Tuple[FakeTwilio, str]]:
    yield from _serve(FakeTwilio(ACCOUNT_SID, TOKEN))


def _sender(base_url: str, token: str = TOKEN) -> TwilioSender:
    config = WhatsAppConfig(
        account_sid=ACCOUNT_SID,
        auth_token=token,
        api_base_url=base_url,
        retry=RetryPolicy(attempts=1, base_delay=0.01),
    )
    return TwilioSender(config, ChannelStore())


async def test_the_connectors_replies_are_counted(
    db_url: str, served: Tuple[FakeTwilio, str]
) -> None:
    fake, base_url = served
    sender = _sender(base_url)
    try:
        outcome = await sender.send_parts(
            CLIENT, [{"body": "Habari!"}, {"body": "1. Mkopo"}], inbound_to=ASSISTANT
        )
    finally:
        await sender.close()
    assert outcome is Outcome.DELIVERED
    assert (fake.count(CLIENT), fake.total, fake.rejected) == (2, 2, 0)
    assert (fake.body(CLIENT, 0), fake.body(CLIENT, 1), fake.body(CLIENT, 2)) == (
        "Habari!",
        "1. Mkopo",
        None,
    )
    assert fake.wait_for(CLIENT, 1, timeout=0.01)
    assert not fake.wait_for(CLIENT, 2, timeout=0.05)


async def test_replies_with_another_token_are_refused(
    db_url: str, served: Tuple[FakeTwilio, str]
) -> None:
    fake, base_url = served
    sender = _sender(base_url, token="not-the-token")
    try:
        outcome = await sender.send_text(CLIENT, "Habari!", inbound_to=ASSISTANT)
    finally:
        await sender.close()
    assert outcome is Outcome.FAILED
    assert (fake.total, fake.rejected) == (0, 1)


def test_a_waiting_client_wakes_up_when_its_reply_comes() -> None:
    fake = FakeTwilio()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        "CONTENT_LENGTH": "0",
    }
    statuses = []
    timer = threading.Timer(0.05, lambda: fake({**environ, "wsgi.input": None}, _record(statuses)))
    timer.start()
    try:
        assert fake.wait_for("", 0, timeout=10)
    finally:
        timer.join()
    assert statuses == ["201 Created"]


def _record(statuses: list):  # noqa: ANN202
    def start_response(status: str, headers: list) -> None:
        statuses.append(status)

    return start_response


def test_other_paths_are_not_found() -> None:
    statuses: list = []
    FakeTwilio()({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, _record(statuses))
    assert statuses == ["404 Not Found"]
