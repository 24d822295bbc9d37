"""Fixtures of the console tests: a migrated temporary database, a fake Rasa API, users
of every role, and HTTP clients logged in as each of them."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.console import auth as console_auth
from bot.console.app import create_app
from bot.console.auth import Role, create_user
from bot.console.config import ConsoleSettings
from bot.console.migrate import upgrade
from bot.store.db import get_engine, session_scope

from .fakes import EventWriter, FakeRasa

PASSWORD = "correct-horse-battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
WHATSAPP_ID = "whatsapp:+254712345678"
TELEGRAM_ID = "telegram:987654321"
REST_ID = "3f2a9c0d8e7b4a6c9d1e2f3a4b5c6d7e"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: the tests hash many passwords (production keeps defaults)."""
    monkeypatch.setattr(
        console_auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    monkeypatch.setattr(console_auth, "_dummy_hash", None)


@pytest.fixture
def engine(db_url: str) -> Engine:
    """The test database, migrated."""
    engine = get_engine(db_url)
    upgrade(engine)
    return engine


@pytest.fixture
def writer(engine: Engine) -> EventWriter:
    """Writes Rasa-shaped events into the test database."""
    return EventWriter(engine)


@pytest.fixture
def fake_rasa(writer: EventWriter) -> Iterator[FakeRasa]:
    """A fake Rasa HTTP API on 127.0.0.1 that appends events to the test database."""
    rasa = FakeRasa(writer).start()
    yield rasa
    rasa.stop()


@dataclasses.dataclass
class Deliveries:
    """What the console sent through clients' channels (or the error to raise)."""

    sent: List[Tuple[str, str, str]] = dataclasses.field(default_factory=list)
    error: Exception | None = None

    async def __call__(self, channel: str, recipient_id: str, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append((channel, recipient_id, text))


@pytest.fixture
def deliveries() -> Deliveries:
    return Deliveries()


@pytest.fixture
def settings(db_url: str, fake_rasa: FakeRasa) -> ConsoleSettings:
    return ConsoleSettings(
        db_url=db_url, rasa_url=fake_rasa.url, background_seconds=None, page_size=10
    )


@pytest.fixture
def app(settings: ConsoleSettings, engine: Engine, deliveries: Deliveries) -> Starlette:
    return create_app(settings, engine=engine, deliver=deliveries)


@pytest.fixture
def users(engine: Engine) -> Dict[Role, str]:
    """One user per role (username = role name), all with ``PASSWORD``."""
    with session_scope(engine) as session:
        for role in Role:
            create_user(session, role.label, PASSWORD, role)
    return {role: role.label for role in Role}


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token that the page at ``path`` puts in its forms."""
    response = client.get(path)
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Logs ``client`` in through the login form; returns the response."""
    token = csrf_of(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    """An anonymous client."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def client_as(app: Starlette, users: Dict[Role, str]) -> Iterator[Callable[[Role], TestClient]]:
    """``client_as(Role.AGENT)``: a client logged in with that role."""
    clients: List[TestClient] = []

    def make(role: Role) -> TestClient:
        test_client = TestClient(app)
        test_client.__enter__()
        clients.append(test_client)
        response = login(test_client, users[role])
        assert response.status_code == 303, response.text
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


def post(client: TestClient, path: str, data: Dict[str, str] | None = None, **kwargs: Any) -> Any:
    """Posts a form with the client's CSRF token (taken from the conversation list)."""
    token = csrf_of(client, "/conversations")
    return client.post(
        path, data={**(data or {}), "csrf_token": token}, follow_redirects=False, **kwargs
    )


@pytest.fixture
def conversations(writer: EventWriter) -> Dict[str, str]:
    """Three conversations on three channels; returns their ids by channel."""
    writer.action(WHATSAPP_ID, "action_session_start")
    writer.plain(WHATSAPP_ID, "session_started")
    writer.turn(
        WHATSAPP_ID,
        "habari, nataka mkopo",
        "greet",
        "Hello!",
        channel="whatsapp",
        language="sw",
        confidence=0.95,
    )
    writer.slot(WHATSAPP_ID, "language", "sw")
    writer.turn(
        WHATSAPP_ID,
        "riba ni nini? call me on 0712 345 678",
        "explain_interest",
        "Interest is...",
        channel="whatsapp",
        language="sw",
        confidence=0.42,
    )
    writer.turn(
        TELEGRAM_ID,
        "how much for a loan of 20000",
        "calculate_loan",
        "It costs 4800.",
        channel="telegram",
        confidence=0.88,
        entities=[{"entity": "amount", "value": 20000, "extractor": "AmountExtractor"}],
    )
    writer.user(TELEGRAM_ID, "blorp", "nlu_fallback", confidence=0.2, channel="telegram")
    writer.action(TELEGRAM_ID, "action_fallback")
    writer.bot(TELEGRAM_ID, "Sorry, I did not understand that.")
    writer.turn(
        REST_ID,
        "मुझे किसी इंसान से बात करनी है",
        "request_human",
        "A person will answer.",
        channel="rest",
        language="hi",
        confidence=0.97,
    )
    writer.plain(REST_ID, "pause")
    return {"whatsapp": WHATSAPP_ID, "telegram": TELEGRAM_ID, "rest": REST_ID}
