from __future__ import annotations

from typing import Callable, Dict

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from bot.console.app import AREAS, OPTIONAL_AREAS, create_app, load_areas
from bot.console.auth import Role
from bot.console.config import ConsoleSettings

# (method, path, lowest role) of every guarded page and action
GUARDED = [
    ("GET", "/conversations", Role.VIEWER),
    ("GET", "/conversations.csv", Role.SUPERVISOR),
    ("GET", "/conversations/1", Role.VIEWER),
    ("GET", "/conversations/1/events", Role.VIEWER),
    ("POST", "/conversations/1/review", Role.AGENT),
    ("POST", "/conversations/1/tags", Role.AGENT),
    ("POST", "/conversations/1/tags/remove", Role.AGENT),
    ("POST", "/conversations/1/notes", Role.AGENT),
    ("POST", "/conversations/1/delete", Role.ADMIN),
    ("GET", "/handoffs", Role.VIEWER),
    ("POST", "/handoffs/1/take", Role.AGENT),
    ("POST", "/handoffs/1/reply", Role.AGENT),
    ("POST", "/handoffs/1/close", Role.AGENT),
    ("GET", "/complaints", Role.VIEWER),
    ("POST", "/complaints/1/close", Role.AGENT),
    ("GET", "/users", Role.ADMIN),
    ("POST", "/users", Role.ADMIN),
    ("POST", "/users/1", Role.ADMIN),
    ("GET", "/audit", Role.ADMIN),
    ("POST", "/logout", Role.VIEWER),
    ("GET", "/analytics", Role.VIEWER),
    ("GET", "/analytics.csv", Role.SUPERVISOR),
    ("GET", "/feedback", Role.SUPERVISOR),
    ("POST", "/feedback/export", Role.SUPERVISOR),
    ("GET", "/feedback/correct/1", Role.SUPERVISOR),
    ("POST", "/feedback/correct/1", Role.SUPERVISOR),
    ("POST", "/feedback/1/delete", Role.SUPERVISOR),
]


def endpoints(app: Starlette):  # noqa: ANN201
    for route in app.routes:
        if isinstance(route, Route):
            yield route


def test_every_route_declares_who_may_use_it(app: Starlette) -> None:
    for route in endpoints(app):
        assert getattr(route.endpoint, "public", False) or hasattr(
            route.endpoint, "required_role"
        ), route.path
    assert any(isinstance(route, Mount) and route.path == "/static" for route in app.routes)


def test_the_table_above_covers_every_guarded_route(app: Starlette) -> None:
    guarded = {
        (method, route.path, route.endpoint.required_role)
        for route in endpoints(app)
        if hasattr(route.endpoint, "required_role")
        for method in route.methods - {"HEAD"}
    }
    listed = {
        (method, path.replace("/1", "/{summary_id:id}", 1), role) for method, path, role in GUARDED
    }
    normalised = {
        (
            method,
            path.replace("{handoff_id:id}", "{summary_id:id}")
            .replace("{complaint_id:id}", "{summary_id:id}")
            .replace("{user_id:id}", "{summary_id:id}")
            .replace("{event_id:id}", "{summary_id:id}")
            .replace("{correction_id:id}", "{summary_id:id}"),
            role,
        )
        for method, path, role in guarded
    }
    assert normalised == listed


@pytest.mark.parametrize(("method", "path", "role"), GUARDED)
def test_anonymous_visitors_are_sent_to_login_or_refused(
    client: TestClient, method: str, path: str, role: Role
) -> None:
    response = client.request(method, path, follow_redirects=False)
    if method == "GET":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code in (401, 403)


@pytest.mark.parametrize(("method", "path", "role"), GUARDED)
def test_lower_roles_get_403(
    client_as: Callable[[Role], TestClient], method: str, path: str, role: Role
) -> None:
    for lower in Role:
        if lower >= role:
            continue
        client = client_as(lower)
        token = (
            client.get("/conversations").text.split('name="csrf_token" value="')[1].split('"')[0]
        )
        response = client.request(
            method, path, headers={"x-csrf-token": token}, follow_redirects=False
        )
        assert response.status_code == 403, (lower, method, path)


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    static = client.get("/static/htmx.min.js")
    assert static.status_code == 200 and "cache-control" not in static.headers
    assert client.get("/healthz").text == "ok"
    assert client.get("/", follow_redirects=False).headers["location"] == "/conversations"


def test_optional_areas_are_mounted_only_when_present() -> None:
    names = [area.name for area in load_areas(AREAS, ("no_such_area",))]
    assert names == list(AREAS)
    assert set(OPTIONAL_AREAS) == {"analytics", "feedback"}


def test_navigation_shows_links_by_role(client_as: Callable[[Role], TestClient]) -> None:
    viewer = client_as(Role.VIEWER).get("/conversations").text
    admin = client_as(Role.ADMIN).get("/conversations").text
    assert 'href="/handoffs"' in viewer and 'href="/users"' not in viewer
    assert 'href="/users"' in admin and 'href="/audit"' in admin


def test_unknown_pages_render_an_error_page(client_as: Callable[[Role], TestClient]) -> None:
    client = client_as(Role.VIEWER)
    assert client.get("/conversations/999").status_code == 404
    assert client.get("/nothing-here").status_code == 404


def test_app_factory_does_not_open_the_database(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'never' / 'made.db'}"
    app = create_app(ConsoleSettings(db_url=url, background_seconds=None))
    assert isinstance(app, Starlette)
    assert not (tmp_path / "never" / "made.db").exists()


def test_agent_sees_masked_ids_supervisor_does_not(
    client_as: Callable[[Role], TestClient], conversations: Dict[str, str]
) -> None:
    agent = client_as(Role.AGENT).get("/conversations").text
    supervisor = client_as(Role.SUPERVISOR).get("/conversations").text
    assert conversations["whatsapp"] not in agent and "whatsapp:+2547" in agent
    assert conversations["whatsapp"] in supervisor
