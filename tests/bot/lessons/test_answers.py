"""Reading a client's reply in a lesson or quiz: numbers in any script, texts, amounts, words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lessons.answers import (
    LESSON_BUTTON_COMMANDS,
    Reply,
    as_int,
    choice_number,
    digit_value,
    match_amount,
    match_option,
    read_answer,
    read_reply,
    typed_amount,
)
from bot.lessons.content import (
    MENU,
    NEXT,
    REPEAT,
    STOP,
    Commands,
    Option,
    Question,
    get_commands,
)

OPTIONS = ["Write down income and spending", "Spend first, count later", "Borrow to fill the gap"]
QUESTION = Question(
    id="first_step",
    lesson="why_budget",
    text="What is the first step of a budget?",
    options=tuple(
        Option(text=text, explanation=f"Because {n}.", correct=n == 1)
        for n, text in enumerate(OPTIONS, start=1)
    ),
)
AMOUNTS = Question(
    id="what_is_left",
    lesson="plan",
    text="Income {money:5000}, spending {money:3500}. What is left?",
    options=(
        Option(text="{money:8500}", explanation="No, that is the sum."),
        Option(text="{money:1500}", explanation="Right.", correct=True),
        Option(text="Nothing", explanation="No, something is left."),
    ),
)
ENGLISH = Commands(
    language="en",
    words={
        NEXT: frozenset({"next", "ok"}),
        REPEAT: frozenset({"repeat", "again"}),
        MENU: frozenset({"menu"}),
        STOP: frozenset({"end", "stop"}),
    },
)
DIGITS = {
    "latin": "0123456789",
    "bengali": "০১২৩৪৫৬৭৮৯",
    "devanagari": "०१२३४५६७८९",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
}


def in_script(number: int, script: str) -> str:
    return "".join(DIGITS[script][int(digit)] for digit in str(number))


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2", 2),
        ("২", 2),
        ("२", 2),
        ("2.", 2),
        ("(3)", 3),
        ("answer 2", 2),
        ("it is 4", 4),
        ("১২", 12),
        ("two", None),
        ("", None),
        ("1 or 2", None),
        ("i think it is 2", None),  # a sentence, not a number
        ("2a", None),
    ],
)
def test_digit_value(text: str, number: int | None) -> None:
    assert digit_value(text) == number


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(DIGITS)))
def test_digit_value_reads_every_script(number: int, script: str) -> None:
    assert digit_value(in_script(number, script)) == number


@pytest.mark.parametrize(
    ("choice", "text", "number"),
    [("3", "ignored 1", 3), (None, "2", 2), ("next", "২", 2), ("next", "next", None)],
)
def test_choice_number_prefers_the_button(choice: str | None, text: str, number: int) -> None:
    assert choice_number(choice, text) == number


@pytest.mark.parametrize(
    ("value", "expected"), [(2.0, 2), ("7", 7), (None, 0), ("x", 0), (float("nan"), 0)]
)
def test_as_int(value: object, expected: int) -> None:
    assert as_int(value) == expected


def test_as_int_default() -> None:
    assert as_int(None, -1) == -1


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1500", Decimal(1500)),
        ("1,500", Decimal(1500)),
        ("1.500", Decimal(1500)),
        ("1 500", Decimal(1500)),
        ("1\u202f500", Decimal(1500)),
        ("১৫০০", Decimal(1500)),
        ("KES 1,500.00", Decimal("1500.00")),
        ("15,5", Decimal("15.5")),
        ("$15.50", Decimal("15.50")),
        ("no amount", None),
        ("1500 or 2000", None),
    ],
)
def test_typed_amount(text: str, amount: Decimal | None) -> None:
    assert typed_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "factor", "index"),
    [
        ("1500", Decimal(1), 1),
        ("KES 8,500.00", Decimal(1), 0),
        ("15", Decimal("0.01"), 1),
        ("7500", Decimal(5), 1),
        ("1500", Decimal(5), None),  # in F CFA the option reads 7 500
        ("1400", Decimal(1), None),
        ("nothing", Decimal(1), None),  # a text option is no amount
    ],
)
def test_match_amount_scales_the_option_amounts(text: str, factor: Decimal, index: int) -> None:
    raw = [option.text for option in AMOUNTS.options]
    assert match_amount(text, raw, factor) == index


# --- option texts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("Write down income and spending", 0),
        ("SPEND FIRST, COUNT LATER!", 1),
        ("borrow", 2),  # a unique part of at least 5 characters
        ("write down income and spendng", 0),  # close
        ("fill", None),  # too short a part
        ("count", 1),  # five characters are enough
        ("", None),
        ("!!!", None),
        ("something else entirely", None),
    ],
)
def test_match_option(text: str, index: int | None) -> None:
    assert match_option(text, OPTIONS) == index


def test_a_part_in_two_options_matches_neither() -> None:
    assert match_option("money", ["Save money", "Borrow money"]) is None


# --- a whole reply -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choice", "index"),
    [
        ("/inform", "3", 2),
        ("2", None, 1),
        ("২", None, 1),
        ("answer 1", None, 0),
        ("borrow to fill the gap", None, 2),
        ("9", None, None),
        ("what?", None, None),
    ],
)
def test_read_answer(text: str, choice: str | None, index: int | None) -> None:
    assert read_answer(text, choice, QUESTION, "en", "KES") == index


def test_read_answer_by_amount_in_the_deployment_currency() -> None:
    assert read_answer("KES 1,500.00", None, AMOUNTS, "en", "KES") == 1
    assert read_answer("15", None, AMOUNTS, "en", "USD") == 1
    assert read_answer("১৫০০", None, AMOUNTS, "bn", "BDT") == 1


@pytest.mark.parametrize(
    ("text", "choice", "expected"),
    [
        ("/inform", "next", Reply(command=NEXT)),  # a lesson button
        ("/inform", "stop", Reply(command=STOP)),
        ("again", None, Reply(command=REPEAT)),
        ("Menu.", None, Reply(command=MENU)),
        ("1", None, Reply(command=NEXT)),  # WhatsApp: the lesson buttons by number
        ("2", None, Reply(command=REPEAT)),
        ("৩", None, Reply(command=MENU)),
        ("4", None, Reply(command=STOP)),
        ("5", None, Reply()),
        ("/inform", "2", Reply(command=REPEAT)),
        ("tell me more", None, Reply()),
    ],
)
def test_read_reply_in_a_lesson(text: str, choice: str | None, expected: Reply) -> None:
    assert read_reply(text, choice, ENGLISH) == expected


@pytest.mark.parametrize(
    ("text", "choice", "expected"),
    [
        ("/inform", "2", Reply(answer=1)),  # an answer button
        ("/inform", "next", Reply(command=NEXT)),  # a lesson button wins
        ("3", None, Reply(answer=2)),
        ("4", None, Reply()),  # no fourth option, and no lesson buttons in a quiz
        ("spend first count later", None, Reply(answer=1)),
        ("next", None, Reply(command=NEXT)),  # skips the question
        ("again", None, Reply(command=REPEAT)),
        ("hmm", None, Reply()),
    ],
)
def test_read_reply_at_a_question(text: str, choice: str | None, expected: Reply) -> None:
    assert read_reply(text, choice, ENGLISH, QUESTION, "en", "KES") == expected


def test_an_answer_comes_before_a_navigation_word() -> None:
    question = Question(
        id="q",
        lesson="l",
        text="Ready?",
        options=(Option("Next", "Right.", correct=True), Option("Later", "No.")),
    )
    assert read_reply("next", None, ENGLISH, question, "en", "KES") == Reply(answer=0)


def test_the_words_of_the_client_language_and_english_are_commands() -> None:
    swahili = get_commands("sw")
    assert read_reply("endelea", None, swahili) == Reply(command=NEXT)
    assert read_reply("next", None, swahili) == Reply(command=NEXT)
    assert read_reply("maliza", None, swahili, QUESTION, "sw", "KES") == Reply(command=STOP)


def test_the_lesson_buttons_are_in_the_order_of_the_frame() -> None:
    assert LESSON_BUTTON_COMMANDS == (NEXT, REPEAT, MENU, STOP)
