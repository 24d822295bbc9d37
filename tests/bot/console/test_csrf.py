from __future__ import annotations

from typing import Callable, Dict

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.console.csrf import ANONYMOUS_COOKIE

from .conftest import PASSWORD, csrf_of


def test_login_form_needs_its_token(client: TestClient, users: Dict[Role, str]) -> None:
    data = {"username": "admin", "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 403
    assert client.post("/login", data={**data, "csrf_token": "forged"}).status_code == 403
    token = csrf_of(client, "/login")
    assert client.cookies.get(ANONYMOUS_COOKIE) == token
    response = client.post("/login", data={**data, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_anonymous_cookie_is_httponly_and_strict(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"]
    assert ANONYMOUS_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie


def test_secure_flag_over_https(app: Starlette) -> None:
    with TestClient(app, base_url="https://console.example") as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]


def test_logged_in_posts_need_the_session_token(
    client_as: Callable[[Role], TestClient], conversations: Dict[str, str]
) -> None:
    agent = client_as(Role.AGENT)
    other = client_as(Role.SUPERVISOR)
    agent.get("/conversations")
    path = "/conversations/1/tags"
    assert agent.post(path, data={"tag": "x"}).status_code == 403
    other_token = csrf_of(other, "/conversations")
    assert agent.post(path, data={"tag": "x", "csrf_token": other_token}).status_code == 403
    token = csrf_of(agent, "/conversations")
    ok = agent.post(path, data={"tag": "from-form", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    header = agent.post(
        path, data={"tag": "from-header"}, headers={"x-csrf-token": token, "hx-request": "true"}
    )
    assert header.status_code == 200
    assert "from-form" in header.text and "from-header" in header.text


def test_multipart_posts_must_use_the_header(
    client_as: Callable[[Role], TestClient], conversations: Dict[str, str]
) -> None:
    agent = client_as(Role.AGENT)
    token = csrf_of(agent, "/conversations")
    response = agent.post(
        "/conversations/1/tags",
        data={"csrf_token": token, "tag": "x"},
        files={"file": ("a.txt", b"hello")},
    )
    assert response.status_code == 403
