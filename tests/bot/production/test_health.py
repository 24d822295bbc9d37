"""The health report of a Rasa server, with fake agents and parts."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, AsyncIterator, Optional

import pytest
import redis
import sqlalchemy as sa
from aiohttp import web
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import AwaitableTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from bot.production import health
from bot.production.health import DEGRADED, OK, UNAVAILABLE, action_health_url, report
from bot.production.tracker_store import ResilientSQLTrackerStore
from tests.conftest import free_port


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no remembered state (as a fresh server)."""
    monkeypatch.setattr(health, "_last_state", {})


def agent(
    lock_store: Any = None,
    tracker_store: Any = None,
    action_url: Optional[str] = None,
) -> SimpleNamespace:
    endpoint = SimpleNamespace(url=action_url) if action_url else None
    return SimpleNamespace(
        lock_store=lock_store or InMemoryLockStore(),
        tracker_store=tracker_store or InMemoryTrackerStore(Domain.empty()),
        action_endpoint=endpoint,
    )


def refusing_redis() -> SimpleNamespace:
    def ping() -> bool:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    return SimpleNamespace(red=SimpleNamespace(ping=ping))


def sql_store(path: Path) -> ResilientSQLTrackerStore:
    return ResilientSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))


@pytest.fixture
async def action_server() -> AsyncIterator[SimpleNamespace]:
    """A fake action server whose ``/health`` answers ``state.status``."""
    state = SimpleNamespace(status=200, url="")

    async def health_route(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=state.status)

    app = web.Application()
    app.router.add_get("/health", health_route)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state.url = f"http://127.0.0.1:{port}/webhook"
    yield state
    await runner.cleanup()


async def test_in_memory_stores_are_ok() -> None:
    state = await report(agent())
    assert state["status"] == OK
    assert state["checks"] == {
        "lock_store": {"ok": True, "kind": "InMemoryLockStore", "detail": ""},
        "tracker_store": {"ok": True, "kind": "InMemoryTrackerStore", "detail": ""},
    }


async def test_no_agent_is_unavailable() -> None:
    assert (await report(None))["status"] == UNAVAILABLE


async def test_a_lock_store_whose_redis_refuses_is_unavailable() -> None:
    state = await report(agent(lock_store=refusing_redis()))
    assert state["status"] == UNAVAILABLE
    check = state["checks"]["lock_store"]
    assert check["ok"] is False
    assert check["detail"].startswith("ConnectionError: Error 111")


async def test_rasa_redis_lock_store_on_a_closed_port_is_unavailable() -> None:
    store = RedisLockStore(host="127.0.0.1", port=free_port(), socket_timeout=1)
    state = await report(agent(lock_store=store))
    assert state["status"] == UNAVAILABLE
    assert state["checks"]["lock_store"]["kind"] == "RedisLockStore"


async def test_a_lock_store_that_hangs_is_unavailable_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.1)
    hanging = SimpleNamespace(red=SimpleNamespace(ping=lambda: time.sleep(0.5)))
    started = time.monotonic()
    state = await report(agent(lock_store=hanging))
    assert time.monotonic() - started < 0.45
    assert state["status"] == UNAVAILABLE
    assert state["checks"]["lock_store"]["detail"].startswith("TimeoutError")


async def test_an_sql_tracker_store_that_answers_is_ok(tmp_path: Path) -> None:
    store = sql_store(tmp_path / "tracker.db")
    state = await report(agent(tracker_store=store))
    assert state["status"] == OK
    assert state["checks"]["tracker_store"]["kind"] == "ResilientSQLTrackerStore"
    assert store.ping() is True


async def test_the_wrapped_store_of_an_awaitable_tracker_store_is_checked(
    tmp_path: Path,
) -> None:
    store = sql_store(tmp_path / "tracker.db")
    wrapped = AwaitableTrackerStore(store)
    assert (await report(agent(tracker_store=wrapped)))["checks"]["tracker_store"] == {
        "ok": True,
        "kind": "ResilientSQLTrackerStore",
        "detail": "",
    }
    store.engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}")
    state = await report(agent(tracker_store=wrapped))
    assert state["status"] == UNAVAILABLE
    assert "OperationalError" in state["checks"]["tracker_store"]["detail"]


async def test_an_action_server_that_answers_is_ok(action_server: SimpleNamespace) -> None:
    state = await report(agent(action_url=action_server.url))
    assert state["status"] == OK
    assert state["checks"]["action_server"] == {"ok": True, "kind": "action_server", "detail": ""}


async def test_an_action_server_in_trouble_only_degrades(action_server: SimpleNamespace) -> None:
    action_server.status = 500
    state = await report(agent(action_url=action_server.url))
    assert state["status"] == DEGRADED
    assert state["checks"]["action_server"]["detail"] == "HTTP 500"


async def test_an_action_server_on_a_closed_port_only_degrades() -> None:
    state = await report(agent(action_url=f"http://127.0.0.1:{free_port()}/webhook"))
    assert state["status"] == DEGRADED
    assert state["checks"]["action_server"]["ok"] is False
    assert "Connect" in state["checks"]["action_server"]["detail"]


async def test_an_event_broker_that_is_not_connected_only_degrades() -> None:
    broker = SimpleNamespace(ready=False)
    broker.is_ready = lambda: broker.ready
    store = SimpleNamespace(event_broker=broker)
    state = await report(agent(tracker_store=store))
    assert state["status"] == DEGRADED
    assert state["checks"]["event_broker"] == {
        "ok": False,
        "kind": "SimpleNamespace",
        "detail": "not connected",
    }
    broker.ready = True
    assert (await report(agent(tracker_store=store)))["status"] == OK


async def test_a_critical_failure_outranks_a_degraded_part() -> None:
    broker = SimpleNamespace(is_ready=lambda: False)
    store = SimpleNamespace(event_broker=broker)
    state = await report(agent(lock_store=refusing_redis(), tracker_store=store))
    assert state["status"] == UNAVAILABLE


async def test_each_change_of_state_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    down, up = agent(lock_store=refusing_redis()), agent()
    caplog.set_level(logging.WARNING, logger=health.__name__)

    def logged() -> list:
        records = [(r.levelno, r.getMessage()) for r in caplog.records]
        caplog.clear()
        return records

    await report(up)
    assert logged() == []
    for _ in range(3):
        await report(down)
    [(level, message)] = logged()
    assert level == logging.ERROR
    assert message.startswith(
        "Health: lock_store (SimpleNamespace) is unavailable: ConnectionError"
    )
    for _ in range(3):
        await report(up)
    assert logged() == [(logging.WARNING, "Health: lock_store (InMemoryLockStore) answers again")]


@pytest.mark.parametrize(
    ("webhook", "expected"),
    [
        ("http://127.0.0.1:5055/webhook", "http://127.0.0.1:5055/health"),
        ("http://127.0.0.1:5055/webhook/", "http://127.0.0.1:5055/health"),
        ("http://actions:5055", "http://actions:5055/health"),
        ("http://actions:5055/", "http://actions:5055/health"),
        ("https://example.org/rasa/webhook", "https://example.org/rasa/health"),
        ("http://actions/webhooks", "http://actions/webhooks/health"),
    ],
)
def test_action_health_url(webhook: str, expected: str) -> None:
    assert action_health_url(webhook) == expected
