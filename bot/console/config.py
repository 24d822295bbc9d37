"""The console's settings, read from environment variables when the server starts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import FrozenSet, Mapping

from bot.settings import get_settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_RASA_URL = "http://localhost:5005"
# Channels whose clients can be written to first (push); staff replies to other channels
# (rest) are only recorded in the transcript.
DEFAULT_PUSH_CHANNELS = frozenset({"telegram", "whatsapp"})


@dataclass(frozen=True)
class ConsoleSettings:
    """Settings of one console server.

    Attributes:
        db_url: SQLAlchemy URL of the database with Rasa's ``events`` and the project's tables.
        host: address the server binds to.
        port: port the server listens on.
        rasa_url: base URL of the Rasa server's HTTP API (``rasa run --enable-api``).
        rasa_token: Rasa's ``--auth-token``, if it has one.
        secure_cookies: True/False to force the Secure cookie flag; None sets it when the
            request came over HTTPS (behind a proxy, uvicorn's --proxy-headers tells).
        session_idle_minutes: a session ends after this long without a request.
        session_max_hours: a session ends this long after login, whatever happens.
        login_window_minutes: the period over which failed logins are counted.
        max_failures_per_user: failed logins for one username within the window.
        max_failures_per_address: failed logins from one client address within the window.
        page_size: conversations per list page.
        index_batch: events the indexer reads per run while serving a request.
        background_seconds: pause between background index runs; None: no background task.
        push_channels: input channels a staff reply is delivered through.
        deletion_delay_seconds: how long a conversation stays quiet before a requested
            deletion of its data runs.
    """

    db_url: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str | None = None
    secure_cookies: bool | None = None
    session_idle_minutes: int = 8 * 60
    session_max_hours: int = 24
    login_window_minutes: int = 15
    max_failures_per_user: int = 5
    max_failures_per_address: int = 20
    page_size: int = 50
    index_batch: int = 5000
    background_seconds: float | None = 2.0
    push_channels: FrozenSet[str] = field(default=DEFAULT_PUSH_CHANNELS)
    deletion_delay_seconds: int = 30


def _flag(value: str | None) -> bool | None:
    if value is None or value.strip().lower() in {"", "auto"}:
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


def settings_from_env(environ: Mapping[str, str] | None = None) -> ConsoleSettings:
    """Reads the settings from ``MFI_CONSOLE_*``, ``MFI_RASA_*`` and ``MFI_DB_URL``."""
    env = os.environ if environ is None else environ
    channels = env.get("MFI_CONSOLE_PUSH_CHANNELS")
    return ConsoleSettings(
        db_url=env.get("MFI_DB_URL") or get_settings().db_url,
        host=env.get("MFI_CONSOLE_HOST", DEFAULT_HOST),
        port=int(env.get("MFI_CONSOLE_PORT", DEFAULT_PORT)),
        rasa_url=env.get("MFI_RASA_URL", DEFAULT_RASA_URL),
        rasa_token=env.get("MFI_RASA_TOKEN") or None,
        secure_cookies=_flag(env.get("MFI_CONSOLE_SECURE_COOKIES")),
        push_channels=(
            frozenset(c.strip() for c in channels.split(",") if c.strip())
            if channels is not None
            else DEFAULT_PUSH_CHANNELS
        ),
    )
