import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.input_guard import NO_TEXT, TOO_LONG, InputGuard, input_problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", NO_TEXT),
        ("   ", NO_TEXT),
        ("😀😀👍", NO_TEXT),
        ("?!...", NO_TEXT),
        ("x" * 1001, TOO_LONG),
        ("habari", None),
        ("2", None),
        ("১০০০০", None),
        ("/greet", None),
    ],
)
def test_input_problem(text: str, problem: str | None) -> None:
    assert input_problem(text, max_chars=1000) == problem


def test_unreadable_messages_become_a_fallback_with_the_reason() -> None:
    guard = InputGuard({"max_chars": 1000})
    message = Message(data={"text": "a" * 10_000, "intent": {"name": "greet", "confidence": 0.9}})
    guard.process([message])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert message.get("input_problem") == TOO_LONG
    assert message.as_dict(only_output_properties=True)["input_problem"] == TOO_LONG


def test_readable_messages_are_left_alone() -> None:
    guard = InputGuard({"max_chars": 1000})
    message = Message(data={"text": "habari", "intent": {"name": "greet", "confidence": 0.9}})
    guard.process([message])
    assert message.get("intent")["name"] == "greet"
    assert message.get("input_problem") is None
