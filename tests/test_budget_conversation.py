"""The budget quick path through the REST channel of a running assistant (issue 4)."""

from __future__ import annotations

import uuid

import pytest
import yaml

from bot.i18n import format_money
from bot.i18n.catalog import translate
from bot.settings import PROJECT_ROOT
from tests.rest_client import say

pytestmark = pytest.mark.model
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def not_understood(language: str) -> str:
    return translate(language, "utter_default", DOMAIN["responses"]["utter_default"][0]["text"])


def test_income_and_spending_in_one_message_give_the_result_at_once(assistant: str) -> None:
    replies = say(assistant, "I earn 12000 a week and spend about 9000", uuid.uuid4().hex)
    text = "\n".join(reply.get("text") or "" for reply in replies)
    for figure in (12000, 9000, 3000):
        assert format_money(figure, "en") in text, text


@pytest.mark.parametrize(
    ("message", "language"),
    [("napata elfu tano kwa siku", "sw"), ("gano ocho mil al mes", "es")],
)
def test_an_income_in_words_starts_the_budget(assistant: str, message: str, language: str) -> None:
    replies = say(assistant, message, uuid.uuid4().hex)
    assert replies and replies[0]["text"] != not_understood(language)
