from __future__ import annotations

from typing import Callable, Dict

from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.store.console import AuditEntry, ConsoleUser
from bot.store.db import session_scope

from ..conftest import PASSWORD, login, post

Client = Callable[[Role], TestClient]


def user_id(engine: Engine, username: str) -> int:
    with session_scope(engine) as session:
        return session.execute(
            select(ConsoleUser.id).where(ConsoleUser.username == username)
        ).scalar_one()


def test_admin_adds_a_user_who_can_log_in(
    client_as: Client, engine: Engine, client: TestClient
) -> None:
    admin = client_as(Role.ADMIN)
    form = {
        "username": "wanjiru",
        "role": "agent",
        "password": "a-good-password",
        "password_again": "a-good-password",
    }
    assert post(admin, "/users", form).headers["location"] == "/users?saved=1"
    assert "wanjiru" in admin.get("/users?saved=1").text
    assert login(client, "wanjiru", "a-good-password").status_code == 303
    with session_scope(engine) as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "user.create")
        ).scalar_one()
    assert (entry.actor, entry.target) == ("admin", "wanjiru")
    assert "a-good-password" not in (entry.detail or "")


def test_bad_new_users_are_refused(client_as: Client, users: Dict[Role, str]) -> None:
    admin = client_as(Role.ADMIN)
    base = {"username": "x1", "role": "agent", "password": "a-good-password"}
    differ = post(admin, "/users", {**base, "password_again": "another-one"})
    assert differ.status_code == 400 and "differ" in differ.text
    taken = post(
        admin, "/users", {**base, "username": "viewer", "password_again": base["password"]}
    )
    assert taken.status_code == 400 and "taken" in taken.text
    role = post(admin, "/users", {**base, "role": "root", "password_again": base["password"]})
    assert role.status_code == 400 and "unknown role" in role.text


def test_role_change_and_disabling_end_sessions(
    client_as: Client, engine: Engine, users: Dict[Role, str]
) -> None:
    viewer = client_as(Role.VIEWER)
    admin = client_as(Role.ADMIN)
    target = user_id(engine, "viewer")
    response = post(admin, f"/users/{target}", {"role": "supervisor", "active": "1"})
    assert response.status_code == 303
    assert viewer.get("/conversations", follow_redirects=False).status_code == 303
    assert login(viewer, "viewer").status_code == 303
    assert "(supervisor)" in viewer.get("/conversations").text
    post(admin, f"/users/{target}", {"role": "supervisor", "active": "0"})
    assert login(viewer, "viewer").status_code == 401


def test_new_password_replaces_the_old(
    client_as: Client, engine: Engine, client: TestClient
) -> None:
    admin = client_as(Role.ADMIN)
    target = user_id(engine, "agent")
    weak = post(admin, f"/users/{target}", {"role": "agent", "password": "short"})
    assert weak.status_code == 400
    post(admin, f"/users/{target}", {"role": "agent", "password": "brand-new-password"})
    assert login(client, "agent", PASSWORD).status_code == 401
    assert login(client, "agent", "brand-new-password").status_code == 303


def test_admins_cannot_lock_themselves_out(client_as: Client, engine: Engine) -> None:
    admin = client_as(Role.ADMIN)
    me = user_id(engine, "admin")
    response = post(admin, f"/users/{me}", {"role": "viewer"})
    assert response.status_code == 400 and "your own" in response.text
    assert post(admin, "/users/999", {"role": "viewer"}).status_code == 404
