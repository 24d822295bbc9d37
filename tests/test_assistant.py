"""The whole assistant as `make run` starts it: Rasa server + action server, over HTTP.

One Rasa server and one action server are started per test run (they take ~30 s), with
the trained model and a temporary SQLite tracker store; the tests talk to them as a
client would, through the REST channel and the HTTP API.
"""

from __future__ import annotations

import uuid

import pytest
import yaml

from bot.i18n.catalog import translate
from bot.settings import PROJECT_ROOT
from tests.rest_client import post, say

MODEL = PROJECT_ROOT / "models" / "mfi.tar.gz"
STARTUP_SECONDS = 180
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.model


def response_text(name: str, language: str) -> str:
    return translate(language, name, DOMAIN["responses"][name][0]["text"])


@pytest.mark.parametrize(
    ("greeting", "language"), [("habari", "sw"), ("hola", "es"), ("নমস্কার", "bn"), ("hello", "en")]
)
def test_greets_back_in_the_clients_language(assistant: str, greeting: str, language: str) -> None:
    replies = say(assistant, greeting)
    assert replies[0]["text"] == response_text("utter_greet", language)
    assert replies[0]["buttons"], "the greeting offers the menu as buttons"


def test_the_language_is_remembered_for_the_conversation(assistant: str) -> None:
    sender = uuid.uuid4().hex
    say(assistant, "habari", sender)
    replies = say(assistant, "asdfgh qwerty", sender)
    assert replies[0]["text"] == response_text("utter_default", "sw")


def test_a_named_language_switches_the_conversation(assistant: str) -> None:
    sender = uuid.uuid4().hex
    say(assistant, "hello", sender)
    replies = say(assistant, "kiswahili tafadhali", sender)
    assert replies[0]["text"] == response_text("utter_language_changed", "sw")


def test_the_language_menu_lists_every_language(assistant: str) -> None:
    replies = say(assistant, "change language")
    payloads = [button["payload"] for button in replies[0]["buttons"]]
    assert len(payloads) == 7 and '/choose_language{"language":"bn"}' in payloads
    chosen = say(assistant, payloads[-1])
    assert chosen[0]["text"] == response_text("utter_language_changed", "bn")


def test_parse_follows_the_nlu_contract(assistant: str) -> None:
    status, parsed = post(f"{assistant}/model/parse", b'{"text":"nataka mkopo wa elfu kumi"}')
    assert status == 200
    assert parsed["intent"]["name"] == "calculate_loan"
    amounts = [e["value"] for e in parsed["entities"] if e["entity"] == "amount"]
    assert amounts == [10000]
    assert parsed["detected_language"] == "sw"


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("", "utter_cannot_read_input"),
        ("😀😀😀", "utter_cannot_read_input"),
        ("mkopo " * 2000, "utter_input_too_long"),
    ],
)
def test_unreadable_input_gets_a_clear_answer(assistant: str, text: str, response: str) -> None:
    replies = say(assistant, text)
    assert [r["text"] for r in replies] == [response_text(response, "en")] or (
        response == "utter_input_too_long" and replies[0]["text"] == response_text(response, "sw")
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"sender": "a"}',
        b'{"message": 5}',
        b"[]",
        b'{"sender": "a", "message": null}',
    ],
)
def test_malformed_requests_get_a_4xx(assistant: str, body: bytes) -> None:
    status, _ = post(f"{assistant}/webhooks/rest/webhook", body)
    assert 400 <= status < 500
