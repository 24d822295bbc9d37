"""Fixtures shared by the whole suite.

- ``db_url``: a fresh SQLite database per test, set as the deployment's database.
- ``assistant``: base URL of a Rasa server + action server started once per run.
- ``trained_agent``: the Rasa agent loaded once per run from models/mfi.tar.gz (trained
  by ``make test`` before pytest; tests that need it are skipped when it is missing).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "models" / "mfi.tar.gz"
MODEL = MODEL_PATH
PROJECT_ROOT = ROOT
STARTUP_SECONDS = 180

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ["RASA_TELEMETRY_ENABLED"] = "false"  # no network beyond loopback


def _reset_settings() -> None:
    from bot.settings import get_settings
    from bot.store.db import dispose_engines

    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite database for one test, used by every bot.store access."""
    url = f"sqlite:///{tmp_path / 'mfi.db'}"
    monkeypatch.setenv("MFI_DB_URL", url)
    _reset_settings()
    yield url
    _reset_settings()


@pytest.fixture(scope="session")
def trained_agent(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - rasa Agent
    """The trained Rasa agent (one per run), with an in-memory tracker store."""
    if not MODEL_PATH.exists():
        pytest.skip("no trained model: run `make train` first")
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    nlg = EndpointConfig(type="bot.nlg.generator.CatalogNLG")
    yield Agent.load(str(MODEL_PATH), generator=nlg)


@pytest.fixture
def parse(trained_agent):  # noqa: ANN001, ANN201
    """Parses a text with the trained NLU: ``parse("habari")`` gives the parse data."""

    def _parse(text: str) -> dict:
        return asyncio.run(trained_agent.parse_message(text))

    return _parse


def pytest_collection_modifyitems(items: list) -> None:
    """Puts tests that need the model after the quick ones (fail fast on the rest)."""
    items.sort(key=lambda item: "trained_agent" in getattr(item, "fixturenames", ()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} died:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Starts the action server and the Rasa server; yields Rasa's base URL."""
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` first")
    folder = tmp_path_factory.mktemp("assistant")
    rasa_port, actions_port = free_port(), free_port()
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "action_endpoint": {"url": f"http://127.0.0.1:{actions_port}/webhook"},
                "nlg": {"type": "bot.nlg.generator.CatalogNLG"},
                "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(folder / "t.db")},
            }
        )
    )
    env = {
        **os.environ,
        "MFI_DB_URL": f"sqlite:///{folder / 'mfi.db'}",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    rasa = str(Path(sys.executable).with_name("rasa"))
    processes: List[Tuple[subprocess.Popen, Path]] = []
    for name, command in [
        ("actions", [rasa, "run", "actions", "--actions", "actions", "--port", str(actions_port)]),
        (
            "rasa",
            [
                rasa,
                "run",
                "--enable-api",
                "--model",
                str(MODEL),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(PROJECT_ROOT / "credentials.yml"),
                "--port",
                str(rasa_port),
                "--interface",
                "127.0.0.1",
            ],
        ),
    ]:
        log = folder / f"{name}.log"
        handle = open(log, "w")
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        processes.append((process, log))
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", *processes[0])
        wait_for(f"http://127.0.0.1:{rasa_port}/status", *processes[1])
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


POSTGRESQL_START = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | tail -n 1) main start"
)


def _postgresql_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgresql_running() -> None:
    """Makes sure the machine's PostgreSQL (127.0.0.1:5432) runs, starting it if it is down."""
    if _postgresql_answers():
        return
    subprocess.run(POSTGRESQL_START, shell=True, check=False, capture_output=True, timeout=60)
    deadline = time.monotonic() + 30
    while not _postgresql_answers() and time.monotonic() < deadline:
        time.sleep(0.5)


POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"


def postgres_admin(statement: str) -> None:
    """Runs one statement as the machine's PostgreSQL superuser, outside a transaction."""
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (``<prefix>_<hex>``): yields its URL, drops it after.

    Skips the test when the server cannot be reached (use ``postgresql_running`` first
    to start it when it is down).
    """
    from bot.store.db import dispose_engines

    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        postgres_admin(f'CREATE DATABASE "{name}"')
    except Exception as error:  # noqa: BLE001 - no server: skip
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(error).__name__})")
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        dispose_engines()
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres(postgresql_running: None):  # noqa: ANN201 - SQLAlchemy Engine
    """A fresh PostgreSQL database for one test (its engine), dropped afterwards."""
    from bot.store.db import get_engine

    with throwaway_database("mfi_test") as url:
        yield get_engine(url)
