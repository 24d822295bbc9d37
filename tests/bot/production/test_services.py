"""Starting local services and making the database (the machine's PostgreSQL for that)."""

from __future__ import annotations

import shlex
import socket
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.production.services import (
    Service,
    answers,
    ensure_database,
    ensure_running,
    local_services,
)
from tests.conftest import free_port, postgres_admin


@pytest.fixture
def listening() -> Iterator[int]:
    """A port of 127.0.0.1 that accepts connections."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_local_services_default_to_the_machine() -> None:
    services = {service.name: service for service in local_services({})}
    assert list(services) == ["postgresql", "redis", "rabbitmq"]
    assert [(s.host, s.port) for s in services.values()] == [
        ("127.0.0.1", 5432),
        ("127.0.0.1", 6379),
        ("127.0.0.1", 5672),
    ]
    assert services["postgresql"].start.startswith("pg_ctlcluster --skip-systemctl-redirect")
    assert "redis-server --daemonize yes" in services["redis"].start
    assert services["rabbitmq"].start == "rabbitmq-server -detached"


def test_local_services_follow_the_environment() -> None:
    env = {
        "MFI_PG_HOST": "db.internal",
        "MFI_PG_PORT": "6543",
        "MFI_REDIS_HOST": "cache",
        "MFI_REDIS_PORT": "6380",
        "MFI_RABBITMQ_HOST": "queue",
        "MFI_RABBITMQ_PORT": "5673",
    }
    assert [(s.name, s.host, s.port) for s in local_services(env)] == [
        ("postgresql", "db.internal", 6543),
        ("redis", "cache", 6380),
        ("rabbitmq", "queue", 5673),
    ]


def test_answers_tells_a_closed_port_from_a_listening_one(listening: int) -> None:
    assert answers("127.0.0.1", listening) is True
    assert answers("127.0.0.1", free_port()) is False


def test_a_service_that_answers_is_not_started(listening: int, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    ensure_running(Service("fake", "127.0.0.1", listening, f"touch {marker}"))
    assert not marker.exists()


def test_a_local_service_that_stays_down_is_started_then_reported(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    service = Service("fake", "127.0.0.1", free_port(), f"touch {marker}")
    with pytest.raises(RuntimeError, match="fake did not start within 1 s"):
        ensure_running(service, timeout=1)
    assert marker.exists()


def test_a_local_service_is_waited_for_until_it_answers(tmp_path: Path) -> None:
    port = free_port()
    listener = (
        "import socket, time; s = socket.socket(); "
        f"time.sleep(0.5); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(3)"
    )
    # a listener that starts in the background and goes by itself, like a daemon
    start = f"{shlex.quote(sys.executable)} -c {shlex.quote(listener)} > /dev/null 2>&1 &"
    ensure_running(Service("fake", "127.0.0.1", port, start), timeout=10)
    assert answers("127.0.0.1", port)


def test_a_remote_service_that_is_down_is_not_started(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    remote = Service("fake", "127.0.0.2", free_port(), f"touch {marker}")
    with pytest.raises(RuntimeError, match="does not answer"):
        ensure_running(remote)
    assert not marker.exists()


def test_ensure_database_leaves_other_databases_alone() -> None:
    assert ensure_database("sqlite:////tmp/mfi-never-made.db") is False
    assert not Path("/tmp/mfi-never-made.db").exists()


@pytest.mark.services
def test_ensure_database_makes_a_postgresql_database_once(
    postgresql_running: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFI_PG_LOGIN_DB", raising=False)
    name = f"mfi_test_{uuid.uuid4().hex[:10]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        assert ensure_database(url) is True
        assert ensure_database(url) is False
        assert ensure_database(url.replace("postgresql://", "postgresql+psycopg2://")) is False
    finally:
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
