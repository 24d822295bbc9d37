"""The services production mode needs: started when down, database made, tables migrated.

On this kind of machine PostgreSQL, Redis and RabbitMQ run locally and are started with
the commands below (the same ones CI uses); in a cluster they are managed services and
only ``ensure_database`` and the migrations apply.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Dict, List

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 90


@dataclass(frozen=True)
class Service:
    """A local service: where it listens and how to start it."""

    name: str
    host: str
    port: int
    start: str


def local_services(env: Dict[str, str] | None = None) -> List[Service]:
    """PostgreSQL, Redis and RabbitMQ as this deployment's environment places them."""
    env = dict(os.environ if env is None else env)
    return [
        Service(
            "postgresql",
            env.get("MFI_PG_HOST", "127.0.0.1"),
            int(env.get("MFI_PG_PORT", "5432")),
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | tail -n 1) main start",
        ),
        Service(
            "redis",
            env.get("MFI_REDIS_HOST", "127.0.0.1"),
            int(env.get("MFI_REDIS_PORT", "6379")),
            'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
            "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log",
        ),
        Service(
            "rabbitmq",
            env.get("MFI_RABBITMQ_HOST", "127.0.0.1"),
            int(env.get("MFI_RABBITMQ_PORT", "5672")),
            "rabbitmq-server -detached",
        ),
    ]


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_running(service: Service, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Starts ``service`` with its command if it does not answer, and waits for it.

    Raises:
        RuntimeError: it still does not answer after ``timeout`` seconds.
    """
    if answers(service.host, service.port):
        return
    if service.host not in {"127.0.0.1", "localhost", "::1"}:
        raise RuntimeError(f"{service.name} at {service.host}:{service.port} does not answer")
    logger.warning("%s is down; starting it: %s", service.name, service.start)
    subprocess.run(service.start, shell=True, check=False, capture_output=True, timeout=120)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(service.host, service.port):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{service.name} did not start within {timeout:.0f} s")


def ensure_database(db_url: str) -> bool:
    """Creates the PostgreSQL database of ``db_url`` if it does not exist.

    Returns:
        True when it was created.
    """
    import psycopg2
    from psycopg2 import sql

    url = make_url(db_url)
    if not url.drivername.startswith("postgresql") or not url.database:
        return False
    connection = psycopg2.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password or None,
        dbname=os.environ.get("MFI_PG_LOGIN_DB", "postgres"),
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
            logger.info("Created the database %s", url.database)
            return True
    finally:
        connection.close()


def prepare(db_url: str, start_services: bool = True) -> None:
    """Everything production mode needs before its processes start.

    Args:
        db_url: the deployment's database (``MFI_DB_URL``).
        start_services: start local PostgreSQL/Redis/RabbitMQ that are down.
    """
    from bot.console.migrate import upgrade
    from bot.store.db import get_engine

    if start_services:
        for service in local_services():
            ensure_running(service)
    ensure_database(db_url)
    upgrade(get_engine(db_url))
