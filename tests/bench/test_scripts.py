"""The conversations of the load benchmark and their turn types (bench/scripts.py)."""

from __future__ import annotations

import random

import pytest
import yaml

from bench.scripts import (
    BUDGET,
    CALCULATOR,
    LESSON,
    OTHER,
    PLAIN,
    apologies,
    build_library,
    classify,
    custom_actions,
    load_library,
    plain_text,
    story_language,
    story_turns,
)
from bot.settings import PROJECT_ROOT

DOMAIN = {
    "actions": [
        "utter_greet",
        "action_loan_quote",
        "validate_loan_form",
        "action_budget_route",
        "validate_budget_form",
        "action_start_lesson",
        "validate_lesson_form",
        "action_define_term",
        "action_explain_interest",
    ],
    "forms": {"loan_form": {}, "budget_form": {}, "lesson_form": {}, "complaint_form": {}},
}
CUSTOM = custom_actions(DOMAIN)


def test_custom_actions_are_the_action_servers() -> None:
    assert "utter_greet" not in CUSTOM
    assert {"action_loan_quote", "loan_form", "budget_form", "lesson_form"} <= CUSTOM
    # a form nobody validates runs inside Rasa
    assert "complaint_form" not in CUSTOM


@pytest.mark.parametrize(
    ("actions", "kind"),
    [
        (["utter_greet"], PLAIN),
        (["utter_help", "utter_menu"], PLAIN),
        ([], PLAIN),
        (["loan_form", "action_loan_quote"], CALCULATOR),
        (["loan_form"], CALCULATOR),
        (["action_budget_route", "budget_form"], BUDGET),
        (["action_start_lesson", "lesson_form"], LESSON),
        (["action_define_term"], OTHER),
        # an interruption inside the budget form is a budget turn
        (["action_explain_interest", "budget_form"], BUDGET),
    ],
)
def test_classify(actions: list, kind: str) -> None:
    assert classify(actions, CUSTOM) == kind


def test_plain_text_drops_entity_markup_and_keeps_payloads() -> None:
    annotated = (
        'borrow [20000]{"entity": "amount", "value": "20000"} for [6](duration) '
        '[months]{"entity": "duration_unit", "value": "month"}'
    )
    assert plain_text(annotated) == "borrow 20000 for 6 months"
    assert plain_text('/inform{"frequency":"weekly"}\n') == '/inform{"frequency":"weekly"}'


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("a loan word is explained (sw)", "sw"),
        ("a full lesson and a full quiz in romanised Hindi (hi_Latn)", "hi_Latn"),
        ("basics in bn", "bn"),
        ("gibberish gets the fallback", "en"),
        ("a lesson in English", "en"),
    ],
)
def test_story_language(name: str, language: str) -> None:
    assert story_language(name, {"en", "sw", "hi_Latn", "bn"}) == language


STORY = yaml.safe_load(
    """
steps:
  - user: "calculate my loan"
    intent: calculate_loan
  - action: loan_form
  - active_loop: loan_form
  - user: |
      [20000]{"entity": "amount", "value": "20000"}
    intent: inform
  - action: loan_form
  - active_loop: null
  - action: action_loan_quote
  - user: "what is APR"
    intent: ask_definition
  - action: action_define_term
"""
)


def test_story_turns() -> None:
    turns, form_open = story_turns(STORY["steps"], CUSTOM)
    assert [(turn.text, turn.kind) for turn in turns] == [
        ("calculate my loan", CALCULATOR),
        ("20000", CALCULATOR),
        ("what is APR", OTHER),
    ]
    assert form_open is False
    _, still_open = story_turns(STORY["steps"][:3], CUSTOM)
    assert still_open is True


def _library(form_open: bool):  # noqa: ANN202
    steps = STORY["steps"][:3] if form_open else STORY["steps"]
    nlu = {
        "nlu": [
            {"intent": "greet", "examples": "- jambo\n- habari"},
            {"intent": "goodbye", "examples": "- kwaheri"},
            {"intent": "deny", "examples": "- hapana"},
        ]
    }
    stories = {"loans.yml": {"stories": [{"story": "a loan (sw)", "steps": steps}]}}
    return build_library(stories, {"sw": nlu}, DOMAIN)


def test_a_conversation_opens_with_a_greeting_and_closes_with_a_goodbye() -> None:
    script = _library(form_open=False).draw(random.Random(7))
    assert (script.flow, script.language) == ("loans", "sw")
    assert script.turns[0].text in {"jambo", "habari"} and script.turns[0].kind == PLAIN
    assert script.turns[-1].text == "kwaheri" and script.turns[-1].kind == PLAIN
    assert [turn.text for turn in script.turns[1:-1]] == [
        "calculate my loan",
        "20000",
        "what is APR",
    ]


def test_no_goodbye_while_a_form_is_open() -> None:
    script = _library(form_open=True).draw(random.Random(7))
    assert [turn.text for turn in script.turns[1:]] == ["calculate my loan"]


def test_apologies_in_every_language() -> None:
    domain = {"responses": {"utter_channel_temporary_problem": [{"text": "Sorry."}]}}
    texts = apologies(domain, ["en", "sw"], lambda code, name, text: f"{code}:{name}:{text} ")
    assert texts == {
        "en:utter_channel_temporary_problem:Sorry.",
        "sw:utter_channel_temporary_problem:Sorry.",
    }
    assert apologies({}, ["en"], lambda *_: "x") == frozenset()


@pytest.fixture(scope="module")
def library():  # noqa: ANN201
    return load_library(PROJECT_ROOT)


def test_the_project_flows_cover_every_turn_type_and_language(library) -> None:  # noqa: ANN001
    assert set(library.flows) == {"basics", "loans", "budget", "lessons"}
    kinds = {turn.kind for stories in library.flows.values() for s in stories for turn in s[2]}
    assert {PLAIN, CALCULATOR, BUDGET, LESSON} <= kinds
    languages = {"en", "sw", "es", "fr", "hi", "hi_Latn", "bn"}
    for flow in ("loans", "budget", "lessons"):
        assert {story[1] for story in library.flows[flow]} == languages, flow
    for code in languages:
        assert library.openings[code] and library.closings[code], code


def test_the_project_apologies(library) -> None:  # noqa: ANN001
    assert len(library.apologies) == 7  # one per language
    assert any(text.startswith("Sorry, something went wrong") for text in library.apologies)
    assert any(text.startswith("Samahani") for text in library.apologies)


def test_the_project_texts_are_what_clients_type(library) -> None:  # noqa: ANN001
    for stories in library.flows.values():
        for name, _, turns, _ in stories:
            for turn in turns:
                assert turn.text.strip(), name
                assert "]{" not in turn.text and '"entity"' not in turn.text, (name, turn.text)


def test_project_loan_and_greeting_turns(library) -> None:  # noqa: ANN001
    """Greetings need no custom action; loan quotes do."""
    basics = {turn.text: turn.kind for s in library.flows["basics"] for turn in s[2]}
    assert basics["greetings"] == PLAIN
    assert basics["asdf qwerty zxcv"] == OTHER  # the fallback action
    loans = [turn for s in library.flows["loans"] for turn in s[2]]
    assert any(turn.kind == CALCULATOR for turn in loans)
    assert {turn.kind for turn in loans} <= {CALCULATOR, OTHER}
