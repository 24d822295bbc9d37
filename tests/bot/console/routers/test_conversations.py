from __future__ import annotations

import csv
import io
import json
from typing import Callable, Dict

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.console.events import EVENTS
from bot.store.console import AuditEntry, Note, Tag
from bot.store.db import session_scope

from ..conftest import REST_ID, TELEGRAM_ID, WHATSAPP_ID, csrf_of, post
from ..fakes import EventWriter

Client = Callable[[Role], TestClient]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def audit_actions(engine: Engine) -> list:
    with session_scope(engine) as session:
        return list(
            session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.detail))
        )


def summary_id(client: TestClient, conversation_id: str) -> int:
    page = client.get("/conversations?page=1").text
    supervisor_view = conversation_id in page
    assert supervisor_view, "use a supervisor client"
    return int(page.split(conversation_id)[0].rsplit('href="/conversations/', 1)[1].split('"')[0])


def test_list_shows_conversations_with_intents_and_confidences(
    client_as: Client, conversations: Dict[str, str]
) -> None:
    page = client_as(Role.SUPERVISOR).get("/conversations").text
    assert page.index(REST_ID) < page.index(TELEGRAM_ID) < page.index(WHATSAPP_ID)
    assert "3 conversations" in page
    assert "calculate_loan" in page and "0.42" in page and "0.20" in page
    assert "fallback" in page and "handoff" in page


def test_filters_search_and_htmx_fragment(client_as: Client, conversations: Dict[str, str]) -> None:
    client = client_as(Role.SUPERVISOR)
    page = client.get("/conversations", params={"q": "mkopo", "language": "sw"}).text
    assert WHATSAPP_ID in page and TELEGRAM_ID not in page and "1 conversation<" in page
    fragment = client.get(
        "/conversations", params={"fallback": "yes"}, headers={"hx-request": "true"}
    )
    assert "<html" not in fragment.text and TELEGRAM_ID in fragment.text
    bad = client.get("/conversations", params={"max_confidence": "lots"})
    assert bad.status_code == 400 and "confidence" in bad.text


def test_pagination(client_as: Client, writer: EventWriter) -> None:
    for index in range(12):
        writer.user(f"rest-{index:02d}", "hello")
    client = client_as(Role.VIEWER)
    first = client.get("/conversations").text
    second = client.get("/conversations?page=2").text
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert first.count('class="client"') == 10 and second.count('class="client"') == 2


def test_export_is_for_supervisors_audited_and_safe(
    client_as: Client, writer: EventWriter, engine: Engine
) -> None:
    writer.user("=HYPERLINK(1)", "hello", channel="rest")
    client = client_as(Role.SUPERVISOR)
    response = client.get("/conversations.csv?channel=rest")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "conversation_id" and len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(1)"
    [(action, target, detail)] = [a for a in audit_actions(engine) if a[0] == "conversation.export"]
    assert json.loads(detail) == {"filters": {"channel": "rest"}}
    assert client_as(Role.AGENT).get("/conversations.csv").status_code == 403


def test_transcript_shows_each_step(client_as: Client, conversations: Dict[str, str]) -> None:
    client = client_as(Role.SUPERVISOR)
    page = client.get(f"/conversations/{summary_id(client, TELEGRAM_ID)}").text
    assert "how much for a loan of 20000" in page
    assert "calculate_loan" in page and "0.88" in page
    assert "amount" in page and "20000" in page
    assert "utter_calculate_loan" in page and "It costs 4800." in page
    assert "nlu_fallback" in page and "action_fallback" in page
    whatsapp = client.get(f"/conversations/{summary_id(client, WHATSAPP_ID)}").text
    assert "slot" in whatsapp and "language" in whatsapp and "New session" in whatsapp


def test_client_text_is_escaped(client_as: Client, writer: EventWriter) -> None:
    writer.user("xss-client", XSS, intent="out_of_scope")
    client = client_as(Role.SUPERVISOR)
    listing = client.get("/conversations?q=script").text
    page = client.get(f"/conversations/{summary_id(client, 'xss-client')}").text
    assert "xss-client" in listing
    assert XSS not in page and "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_viewers_see_masked_ids_and_numbers(
    client_as: Client, conversations: Dict[str, str]
) -> None:
    supervisor = client_as(Role.SUPERVISOR)
    path = f"/conversations/{summary_id(supervisor, WHATSAPP_ID)}"
    assert "0712 345 678" in supervisor.get(path).text
    page = client_as(Role.VIEWER).get(path).text
    assert WHATSAPP_ID not in page and "0712 345 678" not in page
    assert "whatsapp:+2547" in page and "•" in page


def test_views_are_audited(
    client_as: Client, conversations: Dict[str, str], engine: Engine
) -> None:
    client = client_as(Role.SUPERVISOR)
    client.get(f"/conversations/{summary_id(client, REST_ID)}")
    client.get(f"/conversations/{summary_id(client, REST_ID)}/events?after=0")
    views = [a for a in audit_actions(engine) if a[0] == "conversation.view"]
    assert [(action, target) for action, target, _ in views] == [("conversation.view", REST_ID)]


def test_polling_returns_only_newer_lines(
    client_as: Client, conversations: Dict[str, str], writer: EventWriter, engine: Engine
) -> None:
    client = client_as(Role.VIEWER)
    with engine.connect() as connection:
        last = connection.execute(select(func.max(EVENTS.c.id))).scalar()
    writer.user(REST_ID, "are you there?", "ask_help", language="en")
    response = client.get(f"/conversations/3/events?after={last}")
    assert "are you there?" in response.text and "A person will answer" not in response.text
    assert f"after={last + 1}" in response.text


def test_agents_review_tag_and_note(
    client_as: Client, conversations: Dict[str, str], engine: Engine
) -> None:
    agent = client_as(Role.AGENT)
    agent.get("/conversations")
    assert post(agent, "/conversations/2/review").status_code == 303
    assert "Reviewed by agent" in agent.get("/conversations/2").text
    reviewed = agent.get("/conversations?reviewed=yes").text
    assert 'href="/conversations/2"' in reviewed and "1 conversation<" in reviewed
    htmx = {"hx-request": "true"}
    tags = post(agent, "/conversations/2/tags", {"tag": "Wrong Intent"}, headers=htmx)
    assert tags.status_code == 200 and "wrong-intent" in tags.text and "<html" not in tags.text
    assert (
        post(agent, "/conversations/2/tags", {"tag": "bad tag!"}, headers=htmx).status_code == 400
    )
    notes = post(agent, "/conversations/2/notes", {"text": "Check the <b>amount</b>"}, headers=htmx)
    assert "Check the &lt;b&gt;amount&lt;/b&gt;" in notes.text
    assert post(agent, "/conversations/2/notes", {"text": "  "}).status_code == 400
    removed = post(agent, "/conversations/2/tags/remove", {"tag": "wrong-intent"}, headers=htmx)
    assert "wrong-intent" not in removed.text
    unmarked = post(agent, "/conversations/2/review", {"action": "unmark"}, headers=htmx)
    assert "Not reviewed." in unmarked.text
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(Tag)).scalar() == 0
        assert session.execute(select(Note.text)).scalar() == "Check the <b>amount</b>"
    actions = [action for action, _, _ in audit_actions(engine)]
    for expected in ("conversation.review", "tag.add", "tag.remove", "note.add"):
        assert expected in actions


def test_viewers_cannot_change_anything(client_as: Client, conversations: Dict[str, str]) -> None:
    viewer = client_as(Role.VIEWER)
    page = viewer.get("/conversations/1").text
    assert "Add tag" not in page and "Mark reviewed" not in page
    assert post(viewer, "/conversations/1/tags", {"tag": "x"}).status_code == 403


def test_admin_deletes_a_clients_data(
    client_as: Client, conversations: Dict[str, str], engine: Engine
) -> None:
    admin = client_as(Role.ADMIN)
    sid = summary_id(admin, TELEGRAM_ID)
    refused = post(admin, f"/conversations/{sid}/delete", {"confirm": "yes"})
    assert refused.status_code == 400
    done = post(admin, f"/conversations/{sid}/delete", {"confirm": "DELETE"})
    assert done.headers["location"] == "/conversations?deleted=1"
    page = admin.get("/conversations?deleted=1").text
    assert TELEGRAM_ID not in page and "data was deleted" in page
    assert admin.get(f"/conversations/{sid}").status_code == 404
    with engine.connect() as connection:
        left = connection.execute(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == TELEGRAM_ID)
        ).scalar()
    assert left == 0
    assert csrf_of(admin, "/conversations")
