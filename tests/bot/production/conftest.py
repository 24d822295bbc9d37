"""Production mode started for real: PostgreSQL, Redis, RabbitMQ, two Rasa servers.

``cluster`` (one per test module that asks for it) makes a throwaway PostgreSQL
database and RabbitMQ queue, migrates the database, then starts the action server, two
Rasa servers with endpoints.prod.yml, the balancer and the event consumer, each on a
free port of 127.0.0.1. The machine's services are started first when they are down
(the commands of ``bot.production.services``). Everything is stopped and dropped after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot.production.services import ensure_running, local_services
from tests.conftest import MODEL, PROJECT_ROOT, free_port, postgres_admin, wait_for

PYTHON = sys.executable
RASA = str(Path(PYTHON).with_name("rasa"))


def get_json_status(url: str, timeout: float = 5) -> int:
    """The HTTP status of a GET (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


@dataclass
class Process:
    """A started process and its log."""

    command: List[str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self, env: Dict[str, str]) -> None:
        """Starts (or restarts) the process, appending to its log."""
        handle = open(self.log, "a")
        self.popen = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILLs the process group (a crash, not a shutdown)."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        """Stops the process group, politely first."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def text(self) -> str:
        """What the process logged."""
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Cluster:
    """The running production mode."""

    env: Dict[str, str]
    db_url: str
    balancer: str
    servers: List[str]
    actions_port: int
    processes: Dict[str, Process] = field(default_factory=dict)

    def wait_for_actions(self) -> None:
        """Waits until the action server answers its health check."""
        process = self.processes["actions"]
        wait_for(f"http://127.0.0.1:{self.actions_port}/health", process.popen, process.log)

    def wait_healthy(self, timeout: float = 60) -> None:
        """Waits until every Rasa server reports a healthy lock and tracker store."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(get_json_status(f"{s}/webhooks/rest/health") == 200 for s in self.servers):
                return
            time.sleep(0.5)
        raise AssertionError("the Rasa servers did not become healthy")


def _delete_queue(env: Dict[str, str]) -> None:
    import asyncio

    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/", timeout=10)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(env["MFI_RABBITMQ_QUEUE"])

    try:
        asyncio.run(delete())
    except Exception:  # noqa: BLE001 - a left-over test queue is harmless
        pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Production mode on free ports, against the machine's services."""
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` first")
    for service in local_services({}):
        ensure_running(service)
    folder = tmp_path_factory.mktemp("production")
    name = f"mfi_ci_{uuid.uuid4().hex[:10]}"
    db_url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    actions_port, first, second, balancer_port = (free_port() for _ in range(4))
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "MFI_DB_URL": db_url,
        "MFI_PG_HOST": "127.0.0.1",
        "MFI_PG_PORT": "5432",
        "MFI_PG_DB": name,
        "MFI_PG_USER": "postgres",
        "MFI_PG_PASSWORD": "",
        "MFI_PG_LOGIN_DB": "postgres",
        "MFI_REDIS_HOST": "127.0.0.1",
        "MFI_REDIS_PORT": "6379",
        "MFI_REDIS_DB": "1",
        "MFI_REDIS_PASSWORD": "",
        "MFI_RABBITMQ_HOST": "127.0.0.1",
        "MFI_RABBITMQ_PORT": "5672",
        "MFI_RABBITMQ_USER": "guest",
        "MFI_RABBITMQ_PASSWORD": "guest",
        "MFI_RABBITMQ_QUEUE": f"{name}_events",
        "MFI_ACTION_URL": f"http://127.0.0.1:{actions_port}/webhook",
    }
    prepare = subprocess.run(
        [PYTHON, "-m", "bot.production", "prepare", "--no-start"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prepare.returncode == 0, prepare.stderr[-3000:]
    servers = [f"http://127.0.0.1:{first}", f"http://127.0.0.1:{second}"]

    def rasa(port: int) -> List[str]:
        return [
            RASA, "run", "--enable-api", "--model", str(MODEL),
            "--endpoints", str(PROJECT_ROOT / "endpoints.prod.yml"),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--port", str(port), "--interface", "127.0.0.1",
        ]  # fmt: skip

    processes = {
        "actions": Process(
            [RASA, "run", "actions", "--actions", "actions", "--port", str(actions_port)],
            folder / "actions.log",
        ),
        "rasa-1": Process(rasa(first), folder / "rasa-1.log"),
        "rasa-2": Process(rasa(second), folder / "rasa-2.log"),
        "balancer": Process(
            [PYTHON, "-m", "bot.production", "balance", "--port", str(balancer_port)]
            + [argument for server in servers for argument in ("--backend", server)],
            folder / "balancer.log",
        ),
        "consumer": Process([PYTHON, "-m", "bot.production", "consume"], folder / "consumer.log"),
    }
    result = Cluster(
        env=env,
        db_url=db_url,
        balancer=f"http://127.0.0.1:{balancer_port}",
        servers=servers,
        actions_port=actions_port,
        processes=processes,
    )
    try:
        for process in processes.values():
            process.start(env)
        result.wait_for_actions()
        for number, server in enumerate(servers, start=1):
            process = processes[f"rasa-{number}"]
            wait_for(f"{server}/status", process.popen, process.log)
        result.wait_healthy()
        yield result
    finally:
        for process in processes.values():
            process.stop()
        _delete_queue(env)
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
