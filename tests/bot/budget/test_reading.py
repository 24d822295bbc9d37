"""Client messages read for the budget forms (bot/budget/reading.py).

Entities come from bot/nlu, as the pipeline extracts them.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from bot.budget.reading import (
    Mention,
    Reading,
    find_date,
    is_interruption,
    period_of,
    problem_of,
    read_message,
    with_roles,
)
from bot.budget.words import budget_words
from bot.nlu.values import extract_values

TODAY = dt.date(2026, 3, 1)
# One message per language that holds income and spending (the quick path).
QUICK = {
    "en": "I earn 12000 a week and spend about 9000",
    "sw": "napata 12000 kwa wiki na natumia 9000",
    "es": "gano 12000 a la semana y gasto 9000",
    "fr": "je gagne 12000 par semaine et je depense 9000",
    "hi": "मैं हफ्ते में 12000 कमाता हूं और 9000 खर्च करता हूं",
    "hi_Latn": "mai hafte me 12000 kamata hu aur 9000 kharch karta hu",
    "bn": "আমি সপ্তাহে ১২০০০ টাকা আয় করি আর ৯০০০ খরচ করি",
}


def read(text: str, intent: str = "inform", language: str = "en") -> Reading:
    languages = (language, "en") if language != "en" else ("en",)
    return read_message(
        text, extract_values(text, list(languages)), intent, budget_words(languages), TODAY
    )


@pytest.mark.parametrize("language", sorted(QUICK))
def test_the_quick_message_is_read_as_weekly_income_and_spending_in_every_language(
    language: str,
) -> None:
    text = QUICK[language]
    reading = read_message(
        text, extract_values(text, [language, "en"]), "start_budget", budget_words((language, "en"))
    )
    assert [(m.amount, m.role) for m in reading.mentions] == [
        (Decimal(12000), "income"),
        (Decimal(9000), "expense"),
    ]
    assert reading.mentions[1].category is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i spend 500 a day on food", [("500", "daily", "expense", "food")]),
        (
            "I spend 500 on food and 300 on transport",
            [("500", None, "expense", "food"), ("300", None, "expense", "transport")],
        ),
        (
            "4000 for rent, 3000 for food",
            [("4000", None, "expense", "rent"), ("3000", None, "expense", "food")],
        ),
        (
            "my salary is 25,000 and rent is 8000",
            [("25000", None, "income", None), ("8000", None, "expense", "rent")],
        ),
        ("my husband gives me 5000 a week for the house", [("5000", "weekly", "income", None)]),
    ],
)
def test_words_beside_an_amount_say_what_it_is(text: str, expected: list) -> None:
    reading = read_message(
        text, extract_values(text, ["en"]), "start_budget", budget_words(("en",))
    )
    found = [(str(m.amount), m.frequency, m.role, m.category) for m in reading.mentions]
    assert found == expected


@pytest.mark.parametrize(
    ("language", "text", "categories"),
    [
        ("hi_Latn", "kiraya 3000 ration 4000 school fees 1000", ["rent", "food", "school_fees"]),
        ("hi", "किराया 3000 राशन 4000 स्कूल फीस 1000", ["rent", "food", "school_fees"]),
        ("sw", "natumia 300 kwa chakula kila siku", ["food"]),
        ("bn", "আমার বেতন 18000, বাসা ভাড়া 5000, বাজার 7000", [None, "rent", "food"]),
        ("fr", "je paie 3000 de loyer et 2000 de marchandises", ["rent", "business_stock"]),
        ("es", "pago 800 de alquiler y 300 de pasajes", ["rent", "transport"]),
    ],
)
def test_category_words_of_every_language(language: str, text: str, categories: list) -> None:
    reading = read_message(
        text, extract_values(text, [language, "en"]), "inform", budget_words((language, "en"))
    )
    assert [m.category for m in reading.mentions] == categories


def test_amounts_without_words_take_the_previous_role_or_the_defaults() -> None:
    words = budget_words(("es", "en"))
    text = "mi esposo gana 2000 y yo 1500"
    labelled = read_message(text, extract_values(text, ["es", "en"]), "start_budget", words)
    assert [
        m.role for m in with_roles(labelled.mentions, ("expense", None), ("expense", None))
    ] == [
        "income",
        "income",
    ]
    bare = read_message("12000 9000", extract_values("12000 9000", ["en"]), "inform", words)
    roles = with_roles(bare.mentions, ("income", None), ("expense", "other"))
    assert [(m.role, m.category) for m in roles] == [("income", None), ("expense", "other")]


@pytest.mark.parametrize(
    ("text", "attribute", "value"),
    [
        ("I earn -5000 a week", "negative", True),
        ("I earn 5000-6000 a week", "negative", False),
        ("1000000000000000", "oversized", True),
        ("0", "zero", True),
        ("done", "only_words", True),
        ("that's all", "says_done", True),
        ("skip", "says_no", True),
        ("help me reach 80k by december", "month", 12),
        ("i need 60000 by 15/01/2027", "date", dt.date(2027, 1, 15)),
        ("i need 60000 by 2027-01-15", "date", dt.date(2027, 1, 15)),
    ],
)
def test_signs_big_numbers_zero_words_and_dates(text: str, attribute: str, value: Any) -> None:
    reading = read_message(
        text, extract_values(text, ["en"]), "inform", budget_words(("en",)), TODAY
    )
    found = reading.mentions[0].negative if attribute == "negative" else getattr(reading, attribute)
    assert found == value


def test_a_button_payload_is_read_from_its_entities_only() -> None:
    reading = read_message(
        '/inform{"frequency":"weekly"}',
        [{"entity": "frequency", "value": "weekly"}],
        "inform",
        budget_words(("en",)),
    )
    assert reading.frequency == "weekly" and not reading.mentions and not reading.kinds


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("week", "week"),
        ("mwezi", "month"),
        ("kwa mwezi", "month"),
        ("10000 kwa mwezi", None),  # the frequency of an amount names no period
        ("wiki au mwezi", None),
    ],
)
def test_the_period_a_client_chose(text: str, period: str | None) -> None:
    assert period_of(read(text, language="sw")) == period


@pytest.mark.parametrize(("frequency", "period"), [("weekly", "week"), ("monthly", "month")])
def test_the_period_buttons(frequency: str, period: str) -> None:
    text = "/inform" + json.dumps({"frequency": frequency})
    entities = [{"entity": "frequency", "value": frequency}]
    reading = read_message(text, entities, "inform", budget_words(("en",)), TODAY)
    assert period_of(reading) == period


@pytest.mark.parametrize(
    ("text", "intent", "interrupts"),
    [
        ("what is interest", "explain_interest", True),
        ("skip", "ask_help", False),  # only budget words: an answer
        ("thanks", "thank", True),
        ("thanks, 3000 a week", "thank", False),
        ("budget", "start_budget", True),
        ("blah", "nlu_fallback", False),
        ("3000", "inform", False),
    ],
)
def test_other_topics_interrupt_but_answers_do_not(
    text: str, intent: str, interrupts: bool
) -> None:
    assert is_interruption(read(text, intent)) is interrupts


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5000 a week", "negative_amount"),
        ("10,000,000,000,000 a week", "amount_too_large"),
        ("1000000000000000", "amount_too_large"),
        ("5000 a week", None),
    ],
)
def test_amounts_the_forms_refuse(text: str, code: str | None) -> None:
    reading = read(text)
    assert problem_of(reading, reading.mentions) == code


def test_an_amount_above_the_limit_is_too_large() -> None:
    reading = Reading(intent="inform")
    huge = Mention(Decimal(10) ** 13, None, 0, 14)
    assert problem_of(reading, [huge]) == "amount_too_large"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("by 15/01/2027", dt.date(2027, 1, 15)),
        ("by 2027-01-15", dt.date(2027, 1, 15)),
        ("by 15.01.27", dt.date(2027, 1, 15)),
        ("by 31/02/2027", None),
        ("in 3 months", None),
    ],
)
def test_dates_written_with_digits(text: str, date: dt.date | None) -> None:
    assert find_date(text, TODAY) == date


def test_a_frequency_goes_to_the_nearest_amount_and_a_lone_one_is_kept() -> None:
    reading = read("3000 a week and 500")
    assert [(m.amount, m.frequency) for m in reading.mentions] == [
        (Decimal(3000), "weekly"),
        (Decimal(500), None),
    ]
    alone = read("per month")
    assert alone.frequency == "monthly" and not alone.mentions


def test_rates_durations_and_methods() -> None:
    reading = read("20000 at 2% a month for 6 months declining")
    assert reading.rate == Decimal(2) and reading.rate_period == "month"
    assert reading.duration == (Decimal(6), "month")
    assert reading.method == "declining"
    assert reading.has_content and not reading.says_no
