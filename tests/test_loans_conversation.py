"""The five worked loan cases (docs/finance.md) as REST conversations in en, sw and hi.

Needs the trained model and the ``assistant`` fixture of tests/conftest.py (a Rasa server
and an action server). Each case is asked as a client would: the loan in a few messages,
then a fee or a deposit, and the reply must show the engine's figures formatted for the
client's language.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Dict, List, Sequence, Tuple

import pytest
import yaml

from bot.i18n import format_money, format_percent
from bot.i18n.catalog import translate
from bot.settings import PROJECT_ROOT
from tests.rest_client import say

pytestmark = pytest.mark.model

CURRENCY = "KES"
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
PERIOD_FOR_THE_WHOLE_LOAN = '/inform{"rate_period":"term"}'

# Per language: the messages of each step (texts a client types).
STEPS: Dict[str, Dict[str, Sequence[str]]] = {
    "en": {
        "flat_monthly": ["calculate my loan", "10000", "2% per month", "12 months", "every month"],
        "fee": ["there is also a 2% fee"],
        "whole_loan_weekly": [
            "calculate my loan", "10000", "15%", PERIOD_FOR_THE_WHOLE_LOAN, "6 months",
            "every week",
        ],
        "deposit": ["there is also a 10% deposit"],
        "declining": [
            "calculate my loan", "10000", "24% per year", "12 months", "every month",
            "declining",
        ],
    },
    "sw": {
        "flat_monthly": [
            "hesabu mkopo wangu", "10000", "asilimia 2 kwa mwezi", "miezi 12", "kila mwezi",
        ],
        "fee": ["kuna ada ya 2%"],
        "whole_loan_weekly": [
            "hesabu mkopo wangu", "10000", "asilimia 15", PERIOD_FOR_THE_WHOLE_LOAN, "miezi 6",
            "kila wiki",
        ],
        "deposit": ["kuna amana ya 10%"],
        "declining": [
            "hesabu mkopo wangu", "10000", "24% kwa mwaka", "miezi 12", "kila mwezi",
            "salio linalopungua",
        ],
    },
    "hi": {
        "flat_monthly": ["लोन का हिसाब लगाओ", "10000", "2% महीना", "12 महीने", "हर महीने"],
        "fee": ["2% प्रोसेसिंग फीस भी है"],
        "whole_loan_weekly": [
            "लोन का हिसाब लगाओ", "10000", "15%", PERIOD_FOR_THE_WHOLE_LOAN, "6 महीने", "हर हफ्ते",
        ],
        "deposit": ["10% जमा राशि भी है"],
        "declining": [
            "लोन का हिसाब लगाओ", "10000", "24% सालाना", "12 महीने", "हर महीने", "घटते बैलेंस",
        ],
    },
}  # fmt: skip

# Case -> the steps that lead to it (in one conversation), and its figures:
# installment, total interest, total paid, APR, EIR.
CASES: Dict[str, Tuple[Tuple[str, ...], Tuple[str, str, str, str, str]]] = {
    "2% a month flat, 12 months": (
        ("flat_monthly",),
        ("1033.33", "2400.00", "12400.00", "0.417", "0.507"),
    ),
    "same with a 2% fee": (
        ("flat_monthly", "fee"),
        ("1033.33", "2400.00", "12600.00", "0.458", "0.568"),
    ),
    "15% flat for 6 months, weekly": (
        ("whole_loan_weekly",),
        ("442.31", "1500.00", "11500.00", "0.553", "0.734"),
    ),
    "same with a 10% deposit": (
        ("whole_loan_weekly", "deposit"),
        ("442.31", "1500.00", "11500.00", "0.671", "0.948"),
    ),
    "24% a year declining, 12 months": (
        ("declining",),
        ("945.60", "1347.15", "11347.15", "0.240", "0.268"),
    ),
}


def expected_figures(language: str, figures: Sequence[str]) -> List[str]:
    """The figures as the client reads them in a language."""
    money = [format_money(Decimal(value), language, CURRENCY) for value in figures[:3]]
    rates = [format_percent(Decimal(value), language) for value in figures[3:]]
    return money + rates


@pytest.mark.parametrize("language", ["en", "sw", "hi"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_worked_case_is_quoted_in_a_rest_conversation(
    assistant: str, language: str, case: str
) -> None:
    steps, figures = CASES[case]
    sender = uuid.uuid4().hex
    replies: List[dict] = []
    for step in steps:
        for text in STEPS[language][step]:
            replies = say(assistant, text, sender)
    texts = "\n".join(reply.get("text") or "" for reply in replies)
    for figure in expected_figures(language, figures):
        assert figure in texts, (case, language, figure, texts)
    assert "Traceback" not in texts


@pytest.mark.parametrize(
    ("language", "start", "bad", "good"),
    [
        ("en", "calculate my loan", ["-500", "abc"], "20000"),
        ("sw", "hesabu mkopo wangu", ["-500", "abc"], "elfu ishirini"),
        ("hi", "लोन का हिसाब लगाओ", ["-500", "abc"], "20000 रुपये"),
    ],
)
def test_bad_values_get_a_clear_reask(
    assistant: str, language: str, start: str, bad: List[str], good: str
) -> None:
    def response(name: str) -> str:
        return translate(language, name, DOMAIN["responses"][name][0]["text"])

    sender = uuid.uuid4().hex
    first = say(assistant, start, sender)
    assert first[-1]["text"] == response("utter_ask_loan_amount")
    for text in bad:
        replies = say(assistant, text, sender)
        assert [reply["text"] for reply in replies] == [
            response("utter_loan_amount_invalid"),
            response("utter_ask_loan_amount"),
        ], text
    replies = say(assistant, good, sender)
    assert replies[-1]["text"] == response("utter_ask_loan_rate")
