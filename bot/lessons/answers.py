"""What a client's message means inside a lesson or quiz: an answer or a command.

Pure functions, no Rasa: the action passes the message text, the ``lesson_choice`` of a
pressed button, the navigation words of the client's language and, in a quiz, the current
question. The order (docs/lessons.md, "Conversation"):

1. a button's command (``next``, ``repeat``, ``menu``, ``stop``);
2. in a quiz, an answer: its number in any script (``2``, ``২``, ``2.``, ``answer 2``), its
   text (exact, a unique part, or close), or the amount of a lone ``{money:N}`` option;
3. a navigation word, or in a lesson a number 1-4 (the lesson buttons, in order).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from bot.lessons import content as lesson_content
from bot.lessons.content import MENU, NEXT, REPEAT, STOP, Commands, Question
from bot.settings import get_settings

# the lesson buttons in the order of utter_lesson_text: a number typed in a lesson picks one
LESSON_BUTTON_COMMANDS = (NEXT, REPEAT, MENU, STOP)
OPTION_TEXT_SIMILARITY = 0.8
MIN_OPTION_FRAGMENT = 5
AMOUNT_PATTERN = re.compile(r"\d[\d.,\s\u00a0\u202f]*")
DECIMAL_PART = re.compile(r"^(.*?)[.,](\d{1,2})\s*$")
MONEY_ONLY = re.compile(r"\{money:(\d+(?:\.\d+)?)\}")
MAX_NUMBER_TOKENS = 3


@dataclass(frozen=True)
class Reply:
    """What a message means: an answer, a command, or neither (then its intent decides).

    Attributes:
        answer: the 0-based option chosen in a quiz, or None.
        command: ``next``, ``repeat``, ``menu`` or ``stop``, or None.
    """

    answer: int | None = None
    command: str | None = None


def as_int(value: Any, default: int = 0) -> int:
    """``value`` as an int (a slot's float, a text of digits), or ``default``."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def digit_value(text: str) -> int | None:
    """The number a reply is, in any script's digits (``২`` and ``२`` are 2), or None.

    A short reply with exactly one number counts (``2.``, ``answer 2``); more than three
    words, or two numbers, do not.
    """
    tokens = lesson_content.normalise(text).split()
    numbers = []
    for token in tokens:
        digits = [unicodedata.decimal(char, None) for char in token]
        if digits and all(digit is not None for digit in digits):
            numbers.append(int("".join(str(digit) for digit in digits)))
    if len(numbers) == 1 and len(tokens) <= MAX_NUMBER_TOKENS:
        return numbers[0]
    return None


def choice_number(choice: str | None, text: str) -> int | None:
    """The number of a pressed button (a ``lesson_choice`` of digits), else of the text."""
    if choice and choice.isdigit():
        return as_int(choice)
    return digit_value(text)


def typed_amount(text: str) -> Decimal | None:
    """The amount a reply is (``1500``, ``1,500``, ``1.500``, ``১৫০০``, ``KES 1,500.00``).

    None when the reply holds no number or more than one.
    """
    ascii_text = "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char
        for char in text
    )
    match = AMOUNT_PATTERN.search(ascii_text)
    if match is None or AMOUNT_PATTERN.search(ascii_text, match.end()):
        return None
    number = match.group(0).strip()
    decimals = DECIMAL_PART.match(number)
    whole = decimals.group(1) if decimals else number
    digits = re.sub(r"\D", "", whole)
    if not digits:
        return None
    return Decimal(digits + (f".{decimals.group(2)}" if decimals else ""))


def match_amount(text: str, raw_options: Sequence[str], factor: Decimal) -> int | None:
    """The 0-based option whose amount (a lone ``{money:N}``) the reply types.

    Args:
        text: the client's message.
        raw_options: the options' texts as written in the content (with placeholders).
        factor: the deployment currency's factor (``content.money_factor``).
    """
    typed = typed_amount(text)
    if typed is None:
        return None
    for index, raw in enumerate(raw_options):
        placeholder = MONEY_ONLY.fullmatch(raw.strip())
        if placeholder is not None and Decimal(placeholder.group(1)) * factor == typed:
            return index
    return None


def match_option(text: str, options: Sequence[str]) -> int | None:
    """The 0-based option a reply names by its text (exact, a unique part, or close)."""
    reply = lesson_content.normalise(text)
    if not reply:
        return None
    texts = [lesson_content.normalise(option) for option in options]
    if reply in texts:
        return texts.index(reply)
    containing = [i for i, option in enumerate(texts) if reply in option]
    if len(containing) == 1 and len(reply) >= MIN_OPTION_FRAGMENT:
        return containing[0]
    scores = [difflib.SequenceMatcher(None, reply, option).ratio() for option in texts]
    best = max(range(len(texts)), key=lambda i: scores[i])
    return best if scores[best] >= OPTION_TEXT_SIMILARITY else None


def read_answer(
    text: str, choice: str | None, question: Question, language: str, currency: str
) -> int | None:
    """The 0-based option a quiz reply chooses (number, text or amount), or None.

    Args:
        text: the client's message.
        choice: the ``lesson_choice`` of a pressed button, if any.
        question: the question being answered.
        language: the client's language (the options as the client sees them).
        currency: the deployment's currency (amounts as the client sees them).
    """
    options = [
        lesson_content.render(option.text, language, currency) for option in question.options
    ]
    number = choice_number(choice, text)
    if number is not None and 1 <= number <= len(options):
        return number - 1
    answer = match_option(text, options)
    if answer is None:
        raw = [option.text for option in question.options]
        answer = match_amount(text, raw, lesson_content.money_factor(currency))
    return answer


def read_reply(
    text: str,
    choice: str | None,
    commands: Commands,
    question: Question | None = None,
    language: str = lesson_content.SOURCE_LANGUAGE,
    currency: str | None = None,
) -> Reply:
    """What a message means in a lesson (``question`` None) or at a quiz question.

    Args:
        text: the client's message.
        choice: the ``lesson_choice`` entity of a pressed button (lower-cased), if any.
        commands: the navigation words of the client's language (with English).
        question: the current quiz question; None in a lesson.
        language: the client's language code.
        currency: the currency code of quiz amounts (default: the deployment's).

    Returns:
        The answer or command, or an empty ``Reply`` when the message is neither.
    """
    if choice in LESSON_BUTTON_COMMANDS:
        return Reply(command=choice)
    if question is not None:
        answer = read_answer(
            text, choice, question, language, (currency or get_settings().currency).upper()
        )
        if answer is not None:
            return Reply(answer=answer)
    command = commands.command_for(text)
    if command is not None:
        return Reply(command=command)
    if question is None:
        number = choice_number(choice, text)
        if number is not None and 1 <= number <= len(LESSON_BUTTON_COMMANDS):
            return Reply(command=LESSON_BUTTON_COMMANDS[number - 1])
    return Reply()
