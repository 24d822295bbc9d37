from __future__ import annotations

import datetime as dt
from typing import Callable, Dict

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.store.db import session_scope
from bot.store.support import COMPLAINT_CLOSED, COMPLAINT_OPEN, Complaint

from ..conftest import WHATSAPP_ID, post

Client = Callable[[Role], TestClient]


def add_complaint(engine: Engine, reference: str, days_ago: int, text: str) -> int:
    with session_scope(engine) as session:
        complaint = Complaint(
            reference=reference,
            conversation_id=WHATSAPP_ID,
            channel="whatsapp",
            text=text,
            status=COMPLAINT_OPEN,
            created_at=dt.datetime.utcnow() - dt.timedelta(days=days_ago, minutes=1),
        )
        session.add(complaint)
        session.flush()
        return complaint.id


def test_open_complaints_oldest_first_with_age_and_reference(
    client_as: Client, engine: Engine, conversations: Dict[str, str]
) -> None:
    add_complaint(engine, "C-NEWER2", 1, "The officer was rude, call 0712 345 678")
    add_complaint(engine, "C-OLDER3", 3, "Wrong fee <b>charged</b>")
    page = client_as(Role.VIEWER).get("/complaints").text
    assert page.index("C-OLDER3") < page.index("C-NEWER2")
    assert "3 d" in page and "1 d" in page
    assert "0712 345 678" not in page and "Wrong fee &lt;b&gt;charged&lt;/b&gt;" in page
    assert 'href="/conversations/1"' in page
    assert "Close" not in page


def test_agents_close_complaints(
    client_as: Client, engine: Engine, conversations: Dict[str, str]
) -> None:
    complaint = add_complaint(engine, "C-ABCDEF", 0, "late")
    agent = client_as(Role.AGENT)
    assert post(agent, f"/complaints/{complaint}/close").headers["location"] == "/complaints"
    assert "C-ABCDEF" not in agent.get("/complaints").text
    closed = agent.get("/complaints?status=closed").text
    assert "C-ABCDEF" in closed and "(agent," in closed
    with session_scope(engine) as session:
        assert session.get(Complaint, complaint).status == COMPLAINT_CLOSED
    assert post(agent, "/complaints/999/close").status_code == 404
    assert post(client_as(Role.VIEWER), f"/complaints/{complaint}/close").status_code == 403
