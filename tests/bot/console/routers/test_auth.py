from __future__ import annotations

from typing import Dict

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.console.auth import SESSION_COOKIE, Role
from bot.console.routers.auth import THROTTLED, WRONG, safe_next
from bot.store.console import AuditEntry
from bot.store.db import session_scope

from ..conftest import PASSWORD, csrf_of, login


def test_login_sets_a_protected_session_cookie(client: TestClient, users: Dict[Role, str]) -> None:
    response = login(client, "viewer")
    assert response.status_code == 303 and response.headers["location"] == "/conversations"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE)
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    assert client.get("/conversations").status_code == 200


def test_session_cookie_is_secure_over_https(app: Starlette, users: Dict[Role, str]) -> None:
    with TestClient(app, base_url="https://console.example") as client:
        assert "Secure" in login(client, "viewer").headers["set-cookie"]


def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: TestClient, users: Dict[Role, str]
) -> None:
    unknown = login(client, "nobody", PASSWORD)
    wrong = login(client, "admin", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert WRONG in unknown.text and WRONG in wrong.text
    assert unknown.text.replace("nobody", "admin") == wrong.text


def test_logins_are_throttled(client: TestClient, users: Dict[Role, str]) -> None:
    for _ in range(5):
        assert login(client, "admin", "guess-guess").status_code == 401
    throttled = login(client, "admin", PASSWORD)
    assert throttled.status_code == 429 and THROTTLED in throttled.text
    assert SESSION_COOKIE not in throttled.headers.get("set-cookie", "")
    # another user from the same address is not locked out yet
    assert login(client, "viewer").status_code == 303


def test_login_returns_to_the_page_asked_for(client: TestClient, users: Dict[Role, str]) -> None:
    first = client.get("/handoffs?closed=1", follow_redirects=False)
    assert first.headers["location"] == "/login?next=%2Fhandoffs%3Fclosed%3D1"
    page = client.get(first.headers["location"])
    assert 'name="next" value="/handoffs?closed=1"' in page.text
    token = csrf_of(client)
    response = client.post(
        "/login",
        data={
            "username": "viewer",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/handoffs?closed=1",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/handoffs?closed=1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "", None]
)
def test_next_never_leaves_the_site(target: str) -> None:
    assert safe_next(target) == "/conversations"


def test_logout_ends_the_session(
    client: TestClient, users: Dict[Role, str], engine: Engine
) -> None:
    login(client, "agent")
    token = client.cookies.get(SESSION_COOKIE)
    response = client.post(
        "/logout", data={"csrf_token": csrf_of(client, "/conversations")}, follow_redirects=False
    )
    assert response.headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/conversations", follow_redirects=False).status_code == 303
    with session_scope(engine) as session:
        actions = list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())
    assert actions[-2:] == ["login", "logout"]


def test_logged_in_staff_skip_the_login_page(client: TestClient, users: Dict[Role, str]) -> None:
    login(client, "viewer")
    assert client.get("/login", follow_redirects=False).headers["location"] == "/conversations"
