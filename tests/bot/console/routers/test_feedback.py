from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.loading import load_data
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.console.auth import Role
from bot.console.migrate import alembic_config
from bot.console.routers.feedback import (
    CorrectionError,
    DomainNames,
    EntityRow,
    Span,
    annotate,
    build_spans,
    clean_text,
    domain_names,
    nlu_yaml,
)
from bot.store.console import CORRECTION_EXPORTED, CORRECTION_NEW, AuditEntry, NluCorrection
from bot.store.db import session_scope
from bot.store.migrate import head_revision
from bot.store.privacy import delete_client_data

from ..conftest import TELEGRAM_ID, WHATSAPP_ID, csrf_of, post
from ..fakes import EventWriter

Client = Callable[[Role], TestClient]
DOMAIN = DomainNames(
    intents=("greet", "calculate_loan", "inform", "request_human"),
    entities=("amount", "duration", "duration_unit", "rate"),
)
SUMMARY_LINK = re.compile(r'href="/conversations/(\d+)#e(\d+)"')


def message_id(engine: Engine, text_: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT id FROM events WHERE type_name = 'user' AND data LIKE :t"),
                {"t": f'%"text": {json.dumps(text_)}%'},
            ).scalar_one()
        )


def correct(client: TestClient, event_id: int, **fields: str) -> object:
    data = {"language": "en", **fields}
    return post(client, f"/feedback/correct/{event_id}", data)


def corrections(engine: Engine) -> List[NluCorrection]:
    with session_scope(engine) as session:
        return list(session.execute(select(NluCorrection).order_by(NluCorrection.id)).scalars())


def actions(engine: Engine) -> List[Tuple[str, str | None, dict]]:
    with session_scope(engine) as session:
        return [
            (entry.action, entry.target, json.loads(entry.detail or "{}"))
            for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
            if entry.action.startswith("nlu.")
        ]


def export(client: TestClient, language: str, scope: str = "") -> object:
    return post(client, "/feedback/export", {"language": language, "scope": scope})


def load_exported(tmp_path: Path, body: str, name: str = "console.yml") -> List[tuple]:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    data = load_data(str(path))
    return [
        (
            example.get("text"),
            example.get("intent"),
            [(e["entity"], e["value"], e["start"], e["end"]) for e in example.get("entities", [])],
        )
        for example in data.training_examples
    ]


def test_supervisor_corrects_a_message_from_the_transcript(
    client_as: Client, conversations: Dict[str, str], engine: Engine
) -> None:
    supervisor = client_as(Role.SUPERVISOR)
    event_id = message_id(engine, "how much for a loan of 20000")
    transcript = supervisor.get("/conversations").text
    summary = re.search(r'href="/conversations/(\d+)">' + re.escape(TELEGRAM_ID), transcript)
    assert summary
    page = supervisor.get(f"/conversations/{summary.group(1)}").text
    assert f'href="/feedback/correct/{event_id}">correct this</a>' in page
    form = supervisor.get(f"/feedback/correct/{event_id}").text
    assert "how much for a loan of 20000" in form
    assert "<option selected>calculate_loan</option>" in form  # the predicted intent
    assert "<option>explain_interest</option>" in form and ">nlu_fallback<" not in form
    assert 'name="words_0" value="20000"' in form  # the entity the NLU found
    assert f'href="/conversations/{summary.group(1)}#e{event_id}"' in form
    response = correct(
        supervisor,
        event_id,
        intent="calculate_loan",
        entity_0="amount",
        value_0="20000",
        words_0="20000",
        entity_1="duration",
        value_1="",
        words_1="",
    )
    assert response.status_code == 400 and "Give the words of the message" in response.text
    response = correct(
        supervisor, event_id, intent="calculate_loan", entity_0="amount", words_0="20000"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/feedback/correct/{event_id}?saved=1"
    saved = supervisor.get(response.headers["location"]).text
    assert "Saved" in saved
    (row,) = corrections(engine)
    assert (row.intent, row.language, row.status, row.corrected_by) == (
        "calculate_loan",
        "en",
        CORRECTION_NEW,
        "supervisor",
    )
    assert row.predicted_intent == "calculate_loan" and row.conversation_id == TELEGRAM_ID
    assert json.loads(row.entities) == [
        {"entity": "amount", "value": "20000", "start": 23, "end": 28}
    ]
    inbox = supervisor.get("/feedback").text
    assert (
        "how much for a loan of [20000]{&#34;entity&#34;: &#34;amount&#34;, "
        "&#34;value&#34;: &#34;20000&#34;}" in inbox
    )
    assert "Download en (1 new)" in inbox
    assert actions(engine) == [
        (
            "nlu.correct",
            TELEGRAM_ID,
            {
                "event_id": event_id,
                "predicted_intent": "calculate_loan",
                "intent": "calculate_loan",
                "entities": ["amount"],
                "language": "en",
            },
        )
    ]


def test_only_supervisors_give_feedback(
    client_as: Client, client: TestClient, conversations: Dict[str, str], engine: Engine
) -> None:
    event_id = message_id(engine, "blorp")
    for role in (Role.VIEWER, Role.AGENT):
        other = client_as(role)
        assert 'href="/feedback"' not in other.get("/conversations").text
        assert "correct this" not in other.get("/conversations/2").text
        assert other.get("/feedback").status_code == 403
        assert other.get(f"/feedback/correct/{event_id}").status_code == 403
        assert correct(other, event_id, intent="greet").status_code == 403
        assert export(other, "en").status_code == 403
    assert corrections(engine) == []
    anonymous = client.get("/feedback", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    assert client.post(f"/feedback/correct/{event_id}", data={"intent": "greet"}).status_code in (
        401,
        403,
    )
    admin = client_as(Role.ADMIN)
    assert 'href="/feedback"' in admin.get("/conversations").text
    assert correct(admin, event_id, intent="greet").status_code == 303


def test_every_post_needs_the_csrf_token(
    client_as: Client, conversations: Dict[str, str], engine: Engine
) -> None:
    supervisor = client_as(Role.SUPERVISOR)
    event_id = message_id(engine, "blorp")
    for path, data in (
        (f"/feedback/correct/{event_id}", {"intent": "greet", "language": "en"}),
        ("/feedback/export", {"language": "en"}),
        ("/feedback/1/delete", {}),
    ):
        assert supervisor.post(path, data=data).status_code == 403
        wrong = {**data, "csrf_token": "x" * 43}
        assert supervisor.post(path, data=wrong).status_code == 403
    assert corrections(engine) == []
    token = csrf_of(supervisor, "/feedback")
    assert (
        f'name="csrf_token" value="{token}"' in supervisor.get(f"/feedback/correct/{event_id}").text
    )


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"intent": "nlu_fallback"}, "domain&#39;s intents"),
        ({"intent": "made_up"}, "domain&#39;s intents"),
        ({"intent": "greet", "language": "xx"}, "language the message is written in"),
        ({"intent": "greet", "entity_0": "colour", "words_0": "riba"}, "domain&#39;s entities"),
        (
            {"intent": "greet", "entity_0": "amount", "words_0": "<b>mkopo</b>"},
            "“&lt;b&gt;mkopo&lt;/b&gt;” does not occur in the message",
        ),
        (
            {
                "intent": "greet",
                "entity_0": "amount",
                "words_0": "0712",
                "entity_1": "rate",
                "words_1": "0712 345",
            },
            "overlaps another entity",
        ),
    ],
)
def test_invalid_corrections_are_refused(
    client_as: Client,
    conversations: Dict[str, str],
    engine: Engine,
    fields: Dict[str, str],
    problem: str,
) -> None:
    supervisor = client_as(Role.SUPERVISOR)
    event_id = message_id(engine, "riba ni nini? call me on 0712 345 678")
    response = correct(supervisor, event_id, **fields)
    assert response.status_code == 400 and problem in response.text
    assert f"<option selected>{fields['intent']}</option>" in response.text or (
        fields["intent"] not in DOMAIN.intents
    )
    assert corrections(engine) == [] and actions(engine) == []


def test_messages_rasa_would_misread_are_refused(
    client_as: Client, writer: EventWriter, engine: Engine
) -> None:
    writer.user("c1", "call [me](amount) at <b>5</b>", "request_human")
    writer.bot("c1", "A person will call you.")
    supervisor = client_as(Role.SUPERVISOR)
    event_id = message_id(engine, "call [me](amount) at <b>5</b>")
    form = supervisor.get(f"/feedback/correct/{event_id}").text
    assert "call [me](amount) at &lt;b&gt;5&lt;/b&gt;" in form and "<b>5</b>" not in form
    response = correct(supervisor, event_id, intent="request_human")
    assert (
        response.status_code == 400 and "cannot be written as a training example" in response.text
    )
    assert supervisor.get(f"/feedback/correct/{event_id + 1}").status_code == 404  # bot
    assert supervisor.get("/feedback/correct/999999").status_code == 404


def test_export_round_trips_through_rasa_and_marks_items(
    client_as: Client, writer: EventWriter, engine: Engine, tmp_path: Path
) -> None:
    writer.user("c1", "i need  50k for\n6 months", "greet", language="en")
    writer.user("c2", 'he said "fees" #2: - okay', "nlu_fallback", language="en")
    writer.user("c3", "मुझे 20 हज़ार का लोन चाहिए", "greet", language="hi")
    writer.user("c4", "hello", "greet", language=None)
    supervisor = client_as(Role.SUPERVISOR)
    first = message_id(engine, "i need  50k for\n6 months")
    second = message_id(engine, 'he said "fees" #2: - okay')
    hindi = message_id(engine, "मुझे 20 हज़ार का लोन चाहिए")
    unknown = message_id(engine, "hello")
    assert 'name="language"' in supervisor.get(f"/feedback/correct/{unknown}").text
    assert correct(supervisor, unknown, intent="greet", language="").status_code == 400
    assert correct(
        supervisor, first, intent="calculate_loan",
        entity_0="amount", value_0="50000", words_0="50k",
        entity_1="duration", value_1="6", words_1="6",
        entity_2="duration_unit", value_2="month", words_2="months",
    ).status_code == 303  # fmt: skip
    assert correct(supervisor, second, intent="out_of_scope").status_code == 303
    assert correct(
        supervisor, hindi, intent="calculate_loan", language="hi",
        entity_0="amount", value_0="20000", words_0="20 हज़ार",
    ).status_code == 303  # fmt: skip
    response = export(supervisor, "en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-yaml")
    assert re.search(
        r'filename="console_feedback_en_\d{8}-\d{6}\.yml"', response.headers["content-disposition"]
    )
    body = response.text
    assert 'version: "3.1"' in body and "- intent: calculate_loan\n  examples: |\n" in body
    assert '[50k]{"entity": "amount", "value": "50000"}' in body
    assert load_exported(tmp_path, body) == [
        (
            "i need 50k for 6 months",
            "calculate_loan",
            [
                ("amount", "50000", 7, 10),
                ("duration", "6", 15, 16),
                ("duration_unit", "month", 17, 23),
            ],
        ),
        ('he said "fees" #2: - okay', "out_of_scope", []),
    ]
    assert [(c.language, c.status) for c in corrections(engine)] == [
        ("en", CORRECTION_EXPORTED),
        ("en", CORRECTION_EXPORTED),
        ("hi", CORRECTION_NEW),
    ]
    again = export(supervisor, "en")
    assert again.status_code == 400 and "No corrections to export for en" in again.text
    everything = export(supervisor, "en", "all")
    assert everything.status_code == 200 and len(load_exported(tmp_path, everything.text)) == 2
    hindi_file = export(supervisor, "hi").text
    assert load_exported(tmp_path, hindi_file, "hi.yml") == [
        ("मुझे 20 हज़ार का लोन चाहिए", "calculate_loan", [("amount", "20000", 5, 13)])
    ]
    exports = [detail for action, _, detail in actions(engine) if action == "nlu.export"]
    assert [(d["language"], d["scope"], d["count"]) for d in exports] == [
        ("en", "new", 2),
        ("en", "all", 2),
        ("hi", "new", 1),
    ]
    assert export(supervisor, "klingon").status_code == 400
    # correcting an exported message again puts it back into the next export
    assert correct(supervisor, second, intent="complain").status_code == 303
    assert load_exported(tmp_path, export(supervisor, "en").text) == [
        ('he said "fees" #2: - okay', "complain", [])
    ]


def test_inbox_filters_pages_and_removal(
    client_as: Client, writer: EventWriter, engine: Engine
) -> None:
    for number in range(3):
        writer.user(f"s{number}", f"habari {number}", "greet", language="sw")
    writer.user("e1", "hello there", "greet", language="en")
    supervisor = client_as(Role.SUPERVISOR)
    for number in range(3):
        event_id = message_id(engine, f"habari {number}")
        assert correct(supervisor, event_id, intent="greet", language="sw").status_code == 303
    assert correct(supervisor, message_id(engine, "hello there"), intent="greet").status_code == 303
    export(supervisor, "en")
    assert "4 corrections" not in supervisor.get("/feedback").text
    assert "3 corrections" in supervisor.get("/feedback").text  # new ones by default
    page = supervisor.get("/feedback?status=all").text
    assert "4 corrections" in page and "hello there" in page
    exported = supervisor.get("/feedback?status=exported").text
    assert "1 correction<" in exported and "hello there" in exported and "habari" not in exported
    swahili = supervisor.get("/feedback?status=all&language=sw").text
    assert "3 corrections" in swahili and "hello there" not in swahili
    assert "Download sw (3 new)" in swahili and "Download en" not in swahili
    junk = supervisor.get("/feedback?status=junk&language=<x>")
    assert junk.status_code == 200 and "3 corrections" in junk.text
    target = corrections(engine)[0]
    assert post(supervisor, f"/feedback/{target.id}/delete").status_code == 303
    assert post(supervisor, f"/feedback/{target.id}/delete").status_code == 404
    assert len(corrections(engine)) == 3
    assert ("nlu.delete", target.conversation_id) in [(a, t) for a, t, _ in actions(engine)]


def test_deleting_a_clients_data_deletes_their_corrections(
    client_as: Client, conversations: Dict[str, str], engine: Engine
) -> None:
    supervisor = client_as(Role.SUPERVISOR)
    event_id = message_id(engine, "habari, nataka mkopo")
    assert correct(supervisor, event_id, intent="greet", language="sw").status_code == 303
    assert correct(supervisor, message_id(engine, "blorp"), intent="greet").status_code == 303
    deleted = delete_client_data(WHATSAPP_ID, "client", engine)
    assert deleted["mfi_console_nlu_correction"] == 1
    assert [c.conversation_id for c in corrections(engine)] == [TELEGRAM_ID]


def test_the_migration_adds_and_removes_the_tables(engine: Engine) -> None:
    tables = {"mfi_console_nlu_correction", "mfi_console_activity"}
    assert tables <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM mfi_alembic_version"))
        assert version.scalar() == head_revision()
    config = alembic_config(engine)
    command.downgrade(config, "0001")
    assert not tables & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    columns = {c["name"] for c in inspect(engine).get_columns("mfi_console_nlu_correction")}
    assert {"event_id", "conversation_id", "intent", "entities", "status", "language"} <= columns


def test_domain_names_read_the_projects_domain_and_a_domain_folder(tmp_path: Path) -> None:
    project = domain_names()
    assert "calculate_loan" in project.intents and "nlu_fallback" not in project.intents
    assert "amount" in project.entities and "concept" in project.entities
    folder = tmp_path / "domain"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.yml").write_text("intents:\n  - greet\n  - ask: {use_entities: []}\n")
    (folder / "sub" / "b.yaml").write_text(
        "intents: [greet, bye]\nentities:\n  - city: {roles: [a]}\n"
    )
    assert domain_names(folder) == DomainNames(("greet", "ask", "bye"), ("city",))


def test_spans_follow_the_text_and_skip_taken_places() -> None:
    spans = build_spans(
        "10 for 10 weeks",
        "inform",
        [EntityRow("amount", "", "10"), EntityRow("duration", "", "10"), EntityRow()],
        DOMAIN,
    )
    assert spans == [Span("amount", "10", 0, 2), Span("duration", "10", 7, 9)]
    assert annotate("10 for 10 weeks", spans) == (
        '[10]{"entity": "amount", "value": "10"} for '
        '[10]{"entity": "duration", "value": "10"} weeks'
    )
    with pytest.raises(CorrectionError):
        build_spans("", "greet", [], DOMAIN)
    with pytest.raises(CorrectionError):
        build_spans("a value}", "inform", [EntityRow("amount", "x}", "a")], DOMAIN)


def test_clean_text_gives_one_printable_line() -> None:
    assert clean_text(" a\tb\r\n c\u2028d\x00e\x1b[0m \ufffe") == "a b c de[0m"
    assert clean_text("ভাই\u200dয়া ১০০০") == "ভাই\u200dয়া ১০০০"


ALPHABET = st.sampled_from(
    list("ab zক্ষি१২#:-\"'{}[]()|>\\!%&*@`,?") + ["\u200d", "é", "😀", "\t", "\n"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.text(ALPHABET, min_size=1, max_size=30),
    cut=st.tuples(st.integers(0, 30), st.integers(1, 8)),
    value=st.text(ALPHABET, max_size=6),
)
def test_any_accepted_correction_loads_back_in_rasa(
    raw: str, cut: Tuple[int, int], value: str
) -> None:
    message = clean_text(raw)
    start = min(cut[0], max(0, len(message) - 1))
    words = message[start : start + cut[1]].strip()
    rows = [EntityRow("amount", value, words)] if words else []
    try:
        spans = build_spans(message, "inform", rows, DOMAIN)
    except CorrectionError:
        return
    correction = NluCorrection(
        id=1,
        text=message,
        intent="inform",
        entities=json.dumps([span.as_dict() for span in spans]),
    )
    body = nlu_yaml([correction], "en", dt.datetime(2024, 1, 1))
    (example,) = RasaYAMLReader().reads(body).training_examples
    assert example.get("text") == message and example.get("intent") == "inform"
    assert [
        (e["entity"], e["value"], e["start"], e["end"]) for e in example.get("entities", [])
    ] == [(s.entity, s.value, s.start, s.end) for s in spans]
