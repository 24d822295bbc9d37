from __future__ import annotations

import datetime as dt
import json
from typing import Callable, Dict

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.store.console import AuditEntry
from bot.store.db import session_scope
from bot.store.support import HANDOFF_ACTIVE, HANDOFF_CLOSED, HANDOFF_OPEN, Handoff

from ..conftest import REST_ID, WHATSAPP_ID, Deliveries, post
from ..fakes import EventWriter, FakeRasa

Client = Callable[[Role], TestClient]


def open_handoff(engine: Engine, conversation_id: str, channel: str, minutes_ago: int = 5) -> int:
    with session_scope(engine) as session:
        handoff = Handoff(
            conversation_id=conversation_id,
            channel=channel,
            language="sw",
            reason="request_human",
            status=HANDOFF_OPEN,
            requested_at=dt.datetime.utcnow() - dt.timedelta(minutes=minutes_ago),
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def handoff_row(engine: Engine, handoff_id: int) -> Handoff:
    with session_scope(engine) as session:
        return session.get(Handoff, handoff_id)


@pytest.fixture
def whatsapp_handoff(engine: Engine, writer: EventWriter, conversations: Dict[str, str]) -> int:
    writer.turn(
        WHATSAPP_ID,
        "nataka mtu",
        "request_human",
        "A person will answer.",
        channel="whatsapp",
        language="sw",
    )
    writer.plain(WHATSAPP_ID, "pause")
    return open_handoff(engine, WHATSAPP_ID, "whatsapp", minutes_ago=90)


def test_inbox_lists_waiting_clients_oldest_first(
    client_as: Client, engine: Engine, whatsapp_handoff: int
) -> None:
    rest = open_handoff(engine, REST_ID, "rest", minutes_ago=5)
    page = client_as(Role.VIEWER).get("/handoffs").text
    assert page.index("1 h ago") < page.index("5 min ago")
    assert "request_human" in page and "whatsapp:+2547" in page and WHATSAPP_ID not in page
    assert "Take" not in page
    agent_page = client_as(Role.AGENT).get("/handoffs").text
    assert f'action="/handoffs/{rest}/take"' in agent_page
    fragment = client_as(Role.VIEWER).get("/handoffs", headers={"hx-request": "true"}).text
    assert "<html" not in fragment and "request_human" in fragment


def test_agent_takes_a_handoff(client_as: Client, engine: Engine, whatsapp_handoff: int) -> None:
    agent = client_as(Role.AGENT)
    response = post(agent, f"/handoffs/{whatsapp_handoff}/take")
    assert response.status_code == 303 and response.headers["location"].endswith("?notice=taken")
    row = handoff_row(engine, whatsapp_handoff)
    assert (row.status, row.taken_by) == (HANDOFF_ACTIVE, "agent")
    page = agent.get(response.headers["location"]).text
    assert "You are handling this conversation." in page and "handled by <strong>agent" in page


def test_reply_goes_through_the_clients_channel_and_into_the_transcript(
    client_as: Client,
    engine: Engine,
    whatsapp_handoff: int,
    deliveries: Deliveries,
    fake_rasa: FakeRasa,
) -> None:
    agent = client_as(Role.AGENT)
    response = post(agent, f"/handoffs/{whatsapp_handoff}/reply", {"text": "Habari, ni Amina."})
    assert response.status_code == 303 and response.headers["location"].endswith("?notice=sent")
    assert deliveries.sent == [("whatsapp", WHATSAPP_ID, "Habari, ni Amina.")]
    [call] = fake_rasa.calls
    assert (call.path, call.conversation_id) == ("tracker/events", WHATSAPP_ID)
    assert call.body == [
        {"event": "bot", "text": "Habari, ni Amina.", "metadata": {"staff": "agent"}}
    ]
    page = agent.get(response.headers["location"]).text
    assert "Sent to the client." in page
    assert "Staff: agent" in page and "Habari, ni Amina." in page
    assert handoff_row(engine, whatsapp_handoff).status == HANDOFF_ACTIVE
    with session_scope(engine) as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "handoff.reply")
        ).scalar_one()
    assert entry.target == WHATSAPP_ID
    assert json.loads(entry.detail) == {
        "text": "Habari, ni Amina.",
        "channel": "whatsapp",
        "delivered": True,
    }


def test_reply_over_htmx_returns_a_fresh_form(
    client_as: Client, whatsapp_handoff: int, deliveries: Deliveries
) -> None:
    agent = client_as(Role.AGENT)
    response = post(
        agent,
        f"/handoffs/{whatsapp_handoff}/reply",
        {"text": "Hello"},
        headers={"hx-request": "true"},
    )
    assert response.status_code == 200 and response.headers["hx-trigger"] == "transcript-changed"
    assert "Sent to the client." in response.text and "<html" not in response.text
    assert "Hello</textarea>" not in response.text
    assert 'id="handoff-status" hx-swap-oob="true"' in response.text
    assert "handled by <strong>agent</strong>" in response.text


def test_reply_on_rest_is_only_recorded(
    client_as: Client,
    engine: Engine,
    conversations: Dict[str, str],
    deliveries: Deliveries,
    fake_rasa: FakeRasa,
) -> None:
    handoff = open_handoff(engine, REST_ID, "rest")
    agent = client_as(Role.AGENT)
    response = post(agent, f"/handoffs/{handoff}/reply", {"text": "A person here."})
    assert response.headers["location"].endswith("?notice=recorded")
    assert deliveries.sent == []
    assert [call.path for call in fake_rasa.calls] == ["tracker/events"]


def test_bot_is_paused_first_when_it_was_not(
    client_as: Client, engine: Engine, conversations: Dict[str, str], fake_rasa: FakeRasa
) -> None:
    handoff = open_handoff(engine, WHATSAPP_ID, "whatsapp")
    post(client_as(Role.AGENT), f"/handoffs/{handoff}/reply", {"text": "Hi"})
    assert [event["event"] for event in fake_rasa.calls[0].body] == ["pause", "bot"]


def test_failed_delivery_records_nothing(
    client_as: Client, whatsapp_handoff: int, deliveries: Deliveries, fake_rasa: FakeRasa
) -> None:
    deliveries.error = RuntimeError("Twilio is down")
    agent = client_as(Role.AGENT)
    response = post(
        agent,
        f"/handoffs/{whatsapp_handoff}/reply",
        {"text": "Hello"},
        headers={"hx-request": "true"},
    )
    assert "not sent" in response.text and "Twilio is down" in response.text
    assert "Hello</textarea>" in response.text
    assert fake_rasa.calls == []
    plain = post(agent, f"/handoffs/{whatsapp_handoff}/reply", {"text": "Hello"})
    assert plain.status_code == 502


def test_rasa_failure_after_delivery_is_reported(
    client_as: Client, whatsapp_handoff: int, deliveries: Deliveries, fake_rasa: FakeRasa
) -> None:
    fake_rasa.fail_status = 500
    response = post(client_as(Role.AGENT), f"/handoffs/{whatsapp_handoff}/reply", {"text": "Hi"})
    assert response.status_code == 502 and "not added to the transcript" in response.text
    assert len(deliveries.sent) == 1


def test_empty_reply_is_refused(client_as: Client, whatsapp_handoff: int) -> None:
    response = post(client_as(Role.AGENT), f"/handoffs/{whatsapp_handoff}/reply", {"text": " "})
    assert response.status_code == 502 and "The reply is empty." in response.text


def test_hand_back_resumes_the_bot_and_tells_the_client(
    client_as: Client, engine: Engine, whatsapp_handoff: int, fake_rasa: FakeRasa
) -> None:
    agent = client_as(Role.AGENT)
    response = post(agent, f"/handoffs/{whatsapp_handoff}/close")
    assert response.headers["location"].endswith("?notice=handed_back")
    assert [(call.path, call.body) for call in fake_rasa.calls] == [
        ("tracker/events", [{"event": "resume"}]),
        ("execute", {"name": "utter_handoff_back"}),
    ]
    assert fake_rasa.calls[1].params["output_channel"] == "latest"
    row = handoff_row(engine, whatsapp_handoff)
    assert row.status == HANDOFF_CLOSED and row.closed_at is not None
    page = agent.get(response.headers["location"]).text
    assert "This is the assistant again." in page and "Bot resumed" in page
    assert "Reply to the client" not in page
    closed = post(agent, f"/handoffs/{whatsapp_handoff}/reply", {"text": "late"})
    assert closed.status_code == 502 and "closed" in closed.text
    assert "request_human" in agent.get("/handoffs?closed=1").text


def test_hand_back_keeps_the_handoff_when_rasa_fails(
    client_as: Client, engine: Engine, whatsapp_handoff: int, fake_rasa: FakeRasa
) -> None:
    fake_rasa.fail_status = 503
    response = post(client_as(Role.AGENT), f"/handoffs/{whatsapp_handoff}/close")
    assert response.status_code == 502 and "could not be resumed" in response.text
    assert handoff_row(engine, whatsapp_handoff).status == HANDOFF_OPEN


def test_viewers_cannot_reply(
    client_as: Client, whatsapp_handoff: int, deliveries: Deliveries
) -> None:
    viewer = client_as(Role.VIEWER)
    assert "Reply to the client" not in viewer.get("/conversations/1").text
    assert post(viewer, f"/handoffs/{whatsapp_handoff}/reply", {"text": "x"}).status_code == 403
    assert deliveries.sent == []


def test_unknown_handoff_is_404(client_as: Client, conversations: Dict[str, str]) -> None:
    assert post(client_as(Role.AGENT), "/handoffs/999/reply", {"text": "x"}).status_code == 404
