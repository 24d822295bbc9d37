"""The ValueExtractor Rasa component, through Rasa's own Message and recipe API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.value_extractor import DETECTED_LANGUAGE, ValueExtractor

COMPONENT_PATH = "bot.nlu.value_extractor.ValueExtractor"
LONG_TEXT_SECONDS = 2.0


@pytest.fixture(scope="module")
def extractor() -> ValueExtractor:
    return ValueExtractor.create(ValueExtractor.get_default_config(), None, None, None)


def run(component: ValueExtractor, text: Any, language: str | None = None, **data: Any) -> Message:
    message = Message(data={"text": text, DETECTED_LANGUAGE: language, **data})
    component.process([message])
    return message


def pairs(message: Message) -> list[tuple[str, Any]]:
    return [(e["entity"], e["value"]) for e in message.get("entities")]


def test_it_is_a_registered_untrained_entity_extractor() -> None:
    registered = DefaultV1Recipe._from_registry(COMPONENT_PATH)
    assert registered.clazz is ValueExtractor
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable is False


def test_entities_are_added_with_extractor_and_confidence(extractor: ValueExtractor) -> None:
    message = run(extractor, "nataka mkopo wa elfu kumi kwa miezi sita", "sw")
    assert message.get("entities") == [
        {
            "entity": "amount",
            "value": 10000,
            "start": 16,
            "end": 25,
            "confidence": 1.0,
            "extractor": "ValueExtractor",
        },
        {
            "entity": "duration_unit",
            "value": "month",
            "start": 30,
            "end": 35,
            "confidence": 1.0,
            "extractor": "ValueExtractor",
        },
        {
            "entity": "duration",
            "value": 6,
            "start": 36,
            "end": 40,
            "confidence": 1.0,
            "extractor": "ValueExtractor",
        },
    ]
    assert message.as_dict(only_output_properties=True)["entities"] == message.get("entities")


def test_entities_of_earlier_extractors_are_kept(extractor: ValueExtractor) -> None:
    language = {"entity": "language", "value": "sw", "start": 0, "end": 5}
    message = run(extractor, "swahili 500 bob", "en", entities=[language])
    assert message.get("entities")[0] == language
    assert pairs(message)[1:] == [("amount", 500), ("currency", "KES")]


def test_the_example_of_the_contract(extractor: ValueExtractor) -> None:
    text = "how much every week if I borrow 20000 for 6 months at 2% per month flat"
    found = set(pairs(run(extractor, text, "en")))
    assert {
        ("amount", 20000),
        ("duration", 6),
        ("duration_unit", "month"),
        ("rate", 2),
        ("rate_period", "month"),
        ("interest_method", "flat"),
        ("frequency", "weekly"),
    } <= found


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ek so", "hi_Latn", [("amount", 100)]),
        ("ek so", None, []),
        ("ek so", "en", []),
        ("2,5%", "es", [("rate", 2.5)]),
        ("2,5%", "en", [("rate", 5)]),
        ("un préstamo de mil", "es", [("amount", 1000)]),
    ],
)
def test_the_detected_language_is_used(
    extractor: ValueExtractor, text: str, language: str | None, expected: list
) -> None:
    assert pairs(run(extractor, text, language)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        None,
        42,
        "😀😀👍",
        "😀" * 5000,
        "a" * 10_000,
        "1" * 10_000,
        "elfu " * 2000,
        "مرحبا 你好 दस हज़ार ১০০০০ diez mil \u200d\u200c\ufe0f",
        "\x00\ud800%%%///:::",
    ],
)
def test_any_text_returns_quickly_without_raising(extractor: ValueExtractor, text: Any) -> None:
    started = time.perf_counter()
    message = run(extractor, text, "sw")
    assert time.perf_counter() - started < LONG_TEXT_SECONDS
    for entity in message.get("entities"):
        assert 0 <= entity["start"] < entity["end"] <= len(text)


def test_a_message_without_text_gets_no_entities(extractor: ValueExtractor) -> None:
    message = Message(data={})
    extractor.process([message])
    assert message.get("entities") == []


def test_only_the_first_max_chars_are_read() -> None:
    component = ValueExtractor({"max_chars": 20})
    message = run(component, "5000 bob" + " " * 30 + "7000 bob", "en")
    assert pairs(message) == [("amount", 5000), ("currency", "KES")]


def test_several_messages_are_processed(extractor: ValueExtractor) -> None:
    messages = [
        Message(data={"text": "diez mil al mes", DETECTED_LANGUAGE: "es"}),
        Message(data={"text": "दस हज़ार", DETECTED_LANGUAGE: "hi"}),
        Message(data={"text": "১০০০০", DETECTED_LANGUAGE: "bn"}),
    ]
    extractor.process(messages)
    assert [pairs(m) for m in messages] == [
        [("amount", 10000), ("frequency", "monthly")],
        [("amount", 10000)],
        [("amount", 10000)],
    ]


def test_a_topic_is_kept_only_for_lesson_intents(extractor: ValueExtractor) -> None:
    lesson = run(extractor, "teach me about saving", "en", intent={"name": "start_lesson"})
    loan = run(extractor, "i want to save 50000", "en", intent={"name": "plan_savings"})
    assert ("topic", "saving") in pairs(lesson)
    assert all(entity != "topic" for entity, _ in pairs(loan))


def test_glossary_terms_are_found_only_when_a_definition_is_asked(
    extractor: ValueExtractor,
) -> None:
    asked = run(extractor, "what is APR", "en", intent={"name": "ask_definition"})
    loan = run(extractor, "what is APR", "en", intent={"name": "calculate_loan"})
    assert ("concept", "apr") in pairs(asked)
    assert all(entity != "concept" for entity, _ in pairs(loan))
