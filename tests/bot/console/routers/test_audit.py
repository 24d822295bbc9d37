from __future__ import annotations

from typing import Callable, Dict

from starlette.testclient import TestClient

from bot.console.auth import Role

from ..conftest import TELEGRAM_ID

Client = Callable[[Role], TestClient]


def test_admin_reads_and_filters_the_log(client_as: Client, conversations: Dict[str, str]) -> None:
    supervisor = client_as(Role.SUPERVISOR)
    supervisor.get("/conversations")
    supervisor.get("/conversations/2")
    supervisor.get("/conversations.csv?channel=telegram")
    admin = client_as(Role.ADMIN)
    page = admin.get("/audit").text
    assert "conversation.view" in page and "conversation.export" in page and "login" in page
    assert TELEGRAM_ID in page
    views = admin.get("/audit", params={"action": "conversation.view"}).text
    assert "conversation.export</td>" not in views and "1 entries" in views
    mine = admin.get("/audit", params={"actor": "supervisor", "target": TELEGRAM_ID}).text
    assert "conversation.view" in mine
    assert client_as(Role.SUPERVISOR).get("/audit").status_code == 403
