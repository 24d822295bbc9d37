"""Fixtures for the channel tests: fake provider APIs, a served connector, a scripted bot."""

from __future__ import annotations

import socket
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List

import aiohttp
import pytest
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sanic import Sanic

from bot.channels.config import RetryPolicy
from bot.nlg.generator import CatalogNLG
from bot.store.channels import ChannelStore

from .fakes import LOOPBACK, FakeTelegramApi, FakeTwilioApi

ROOT = Path(__file__).resolve().parents[3]
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=5)
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "twilio-auth-token-for-tests"

MENU_BUTTONS = [
    {"title": "Understand interest", "payload": "/explain_interest"},
    {"title": "Cost of a loan", "payload": "/calculate_loan"},
    {
        "title": "Talk to a person",
        "payload": '/request_human{"topic": "a very long topic that needs more than 64 bytes"}',
    },
]
LONG_TEXT = " ".join(
    f"Sentence number {n} explains one more thing about interest." for n in range(150)
)


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@dataclass
class FakeAgent:
    """What the connectors use of a Rasa agent: tracker store, NLG, lock store."""

    domain: Domain
    tracker_store: InMemoryTrackerStore = None  # type: ignore[assignment]
    nlg: CatalogNLG = None  # type: ignore[assignment]
    lock_store: InMemoryLockStore = field(default_factory=InMemoryLockStore)
    processor: Any = None

    def __post_init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.nlg = CatalogNLG(domain=self.domain)


@pytest.fixture
def agent(domain: Domain) -> FakeAgent:
    return FakeAgent(domain)


class ScriptedBot:
    """Stands in for Rasa: records each message and answers by a small script.

    ``hi`` gets a greeting, ``menu`` three buttons, ``long`` a 9,000-character text,
    anything else is echoed as ``got: <text>``. The message is also logged on the
    conversation's tracker, as Rasa would.
    """

    def __init__(self, agent: FakeAgent) -> None:
        self.agent = agent
        self.messages: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        tracker = await self.agent.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(
            UserUttered(
                message.text, input_channel=message.input_channel, message_id=message.message_id
            )
        )
        await self.agent.tracker_store.save(tracker)
        out = message.output_channel
        if message.text == "hi":
            await out.send_response(message.sender_id, {"text": "Hello! How can I help?"})
        elif message.text == "menu":
            await out.send_response(
                message.sender_id,
                {"text": "What would you like to do?", "buttons": [dict(b) for b in MENU_BUTTONS]},
            )
        elif message.text == "long":
            await out.send_response(message.sender_id, {"text": LONG_TEXT})
        elif message.text == "document":
            await out.send_response(
                message.sender_id,
                {"text": "Here is your schedule.", "attachment": "schedules/abc.pdf"},
            )
        else:
            await out.send_response(message.sender_id, {"text": f"got: {message.text}"})

    @property
    def texts(self) -> List[str]:
        return [message.text for message in self.messages]


@pytest.fixture
def bot(agent: FakeAgent) -> ScriptedBot:
    return ScriptedBot(agent)


@pytest.fixture
def store(db_url: str) -> ChannelStore:
    return ChannelStore()


@pytest.fixture
async def twilio_api() -> AsyncIterator[FakeTwilioApi]:
    api = FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramApi]:
    api = FakeTelegramApi()
    await api.start()
    yield api
    await api.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A connector served by Sanic on loopback, as Rasa registers it."""

    base_url: str
    channel: InputChannel
    http: aiohttp.ClientSession

    def url(self, path: str = "/webhook") -> str:
        return f"{self.base_url}/webhooks/{self.channel.name()}{path}"

    async def post(self, path: str = "/webhook", **kwargs: Any) -> aiohttp.ClientResponse:
        async with self.http.post(self.url(path), **kwargs) as answer:
            await answer.read()
            return answer

    async def settle(self) -> None:
        """Wait until the turns started by webhooks are over."""
        await self.channel.tasks.drain(timeout=20)


@asynccontextmanager
async def serve(
    channels: List[InputChannel], on_new_message: Any, agent: Any | None
) -> AsyncIterator[Dict[str, Served]]:
    """Serve connectors on 127.0.0.1 with Rasa's own blueprint registration."""
    from rasa.core.channels.channel import register

    Sanic.test_mode = True  # lets Sanic set up more than one app per process
    app = Sanic(f"channels_test_{uuid.uuid4().hex}")
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    # Rasa's register() hands messages to app.ctx.agent.handle_message: route them to
    # the scripted bot when the agent is a fake.
    if not hasattr(agent, "handle_message"):
        app.ctx.agent = _Delegating(agent, on_new_message)
    port = free_port()
    server = await app.create_server(
        host=LOOPBACK, port=port, return_asyncio_server=True, debug=False, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    async with aiohttp.ClientSession() as http:
        try:
            yield {
                channel.name(): Served(f"http://{LOOPBACK}:{port}", channel, http)
                for channel in channels
            }
        finally:
            for channel in channels:
                await channel.tasks.drain(timeout=20)
            await server.before_stop()
            server.close()
            await server.wait_closed()
            await server.after_stop()


class _Delegating:
    """A fake agent whose ``handle_message`` is the scripted bot."""

    def __init__(self, agent: Any, on_new_message: Any) -> None:
        self._agent = agent
        self.handle_message = on_new_message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._agent, name)
