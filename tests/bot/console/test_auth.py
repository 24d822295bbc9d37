from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.console.auth import (
    Role,
    UserError,
    authenticate,
    create_user,
    end_session,
    resolve_session,
    start_session,
)
from bot.console.config import ConsoleSettings
from bot.store.console import ConsoleSession, ConsoleUser
from bot.store.db import session_scope

PASSWORD = "a-long-password"


@pytest.fixture
def settings(db_url: str) -> ConsoleSettings:
    return ConsoleSettings(db_url=db_url, max_failures_per_user=3, max_failures_per_address=5)


@pytest.fixture
def user(engine: Engine) -> int:
    with session_scope(engine) as session:
        return create_user(session, "amina", PASSWORD, Role.AGENT).id


def test_roles_are_ordered_and_parsed() -> None:
    assert Role.VIEWER < Role.AGENT < Role.SUPERVISOR < Role.ADMIN
    assert Role.parse(" Supervisor ") is Role.SUPERVISOR
    with pytest.raises(ValueError):
        Role.parse("root")


def test_passwords_are_stored_as_argon2_hashes(engine: Engine, user: int) -> None:
    with session_scope(engine) as session:
        stored = session.get(ConsoleUser, user).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "password"),
    [("amina", PASSWORD), ("x", PASSWORD), ("bad name", PASSWORD), ("newuser", "short")],
)
def test_invalid_or_duplicate_users_are_refused(
    engine: Engine, user: int, username: str, password: str
) -> None:
    with session_scope(engine) as session, pytest.raises(UserError):
        create_user(session, username, password, Role.VIEWER)


def test_login_checks_the_password(engine: Engine, settings: ConsoleSettings, user: int) -> None:
    with session_scope(engine) as session:
        assert authenticate(session, settings, "AMINA", PASSWORD, "1.2.3.4").user is not None
        assert authenticate(session, settings, "amina", "wrong-password", "1.2.3.4").user is None
        assert authenticate(session, settings, "nobody", PASSWORD, "1.2.3.4").user is None


def test_failed_logins_are_throttled_per_user_even_with_the_right_password(
    engine: Engine, settings: ConsoleSettings, user: int
) -> None:
    with session_scope(engine) as session:
        for _ in range(3):
            assert not authenticate(session, settings, "amina", "nope", "10.0.0.1").throttled
        result = authenticate(session, settings, "amina", PASSWORD, "10.0.0.2")
    assert result.throttled and result.user is None
    later = dt.datetime.utcnow() + dt.timedelta(minutes=settings.login_window_minutes + 1)
    with session_scope(engine) as session:
        assert authenticate(session, settings, "amina", PASSWORD, "10.0.0.2", now=later).user


def test_failed_logins_are_throttled_per_address(
    engine: Engine, settings: ConsoleSettings, user: int
) -> None:
    with session_scope(engine) as session:
        for index in range(5):
            authenticate(session, settings, f"guess{index}", "nope", "10.9.9.9")
        assert authenticate(session, settings, "amina", PASSWORD, "10.9.9.9").throttled
        assert authenticate(session, settings, "amina", PASSWORD, "10.9.9.8").user is not None


def test_sessions_resolve_expire_and_end(
    engine: Engine, settings: ConsoleSettings, user: int
) -> None:
    with session_scope(engine) as session:
        token = start_session(session, session.get(ConsoleUser, user))
    with session_scope(engine) as session:
        staff = resolve_session(session, settings, token)
        assert staff is not None and staff.username == "amina" and staff.role is Role.AGENT
        assert not staff.unmasked and staff.can(Role.VIEWER) and not staff.can(Role.SUPERVISOR)
        stored = session.execute(select(ConsoleSession.token_hash)).scalar_one()
        assert token not in stored
        assert resolve_session(session, settings, token + "x") is None
    idle = dt.datetime.utcnow() + dt.timedelta(minutes=settings.session_idle_minutes + 1)
    with session_scope(engine) as session:
        assert resolve_session(session, settings, token, now=idle) is None
        assert session.execute(select(ConsoleSession)).first() is None


def test_absolute_session_lifetime_and_logout(
    engine: Engine, settings: ConsoleSettings, user: int
) -> None:
    short = dataclasses.replace(settings, session_max_hours=0)
    with session_scope(engine) as session:
        token = start_session(session, session.get(ConsoleUser, user))
    with session_scope(engine) as session:
        assert resolve_session(session, short, token) is None
    with session_scope(engine) as session:
        token = start_session(session, session.get(ConsoleUser, user))
    with session_scope(engine) as session:
        end_session(session, token)
    with session_scope(engine) as session:
        assert resolve_session(session, settings, token) is None


def test_disabled_users_lose_their_sessions(
    engine: Engine, settings: ConsoleSettings, user: int
) -> None:
    with session_scope(engine) as session:
        token = start_session(session, session.get(ConsoleUser, user))
    with session_scope(engine) as session:
        session.get(ConsoleUser, user).active = False
    with session_scope(engine) as session:
        assert resolve_session(session, settings, token) is None
        assert authenticate(session, settings, "amina", PASSWORD, "1.1.1.1").user is None
