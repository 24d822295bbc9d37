"""Lessons and quizzes through the actions: a rasa_sdk Tracker per step, a temporary DB."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, Dict, List

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import lessons as act
from bot.lessons import content
from bot.lessons.answers import LESSON_BUTTON_COMMANDS
from bot.lessons.presenting import MARK_DONE
from bot.lessons.recommend import REVIEW_INTERVALS
from bot.lessons.session import INTENT_SHOW_PROGRESS, MODE_LESSON, MODE_QUIZ
from bot.store import lessons as store
from bot.store.db import dispose_engines, session_scope

T0 = dt.datetime(2026, 3, 2, 9, 0)
SLOTS = (
    act.SLOT_REPLY,
    act.SLOT_MODE,
    act.SLOT_TOPIC,
    act.SLOT_INDEX,
    act.SLOT_QUESTIONS,
    act.SLOT_ATTEMPT,
    act.SLOT_REQUESTED,
)
BUDGETING = content.load_topic("budgeting", "en")
ANSWERS = [question.answer_index + 1 for question in BUDGETING.questions]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(act.LessonAction, "clock", staticmethod(fake))
    monkeypatch.setattr(act, "_budget_reader", lambda: None)
    return fake


class Chat:
    """One client's conversation: slots and events kept between action runs."""

    def __init__(self, sender: str = "telegram:42", language: str = "en") -> None:
        self.sender = sender
        self.slots: Dict[str, Any] = {name: None for name in SLOTS}
        self.events: List[Dict[str, Any]] = [
            {"event": "slot", "name": "language", "value": language}
        ]
        self.latest: Dict[str, Any] = {}
        self.form_active = False
        self.messages: List[Dict[str, Any]] = []
        self.returned: List[Dict[str, Any]] = []

    def user(self, text: str, intent: str, **entities: str) -> None:
        self.latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [{"entity": name, "value": value} for name, value in entities.items()],
        }
        self.events.append({"event": "user", "text": text, "parse_data": self.latest})

    def run(self, action: Action) -> List[Dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        tracker = Tracker(
            self.sender,
            dict(self.slots),
            self.latest,
            list(self.events),
            False,
            None,
            {"name": act.FORM_LESSON} if self.form_active else {},
            "action_listen",
        )
        self.returned = asyncio.run(action.run(dispatcher, tracker, {}))
        for event in self.returned:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            if event.get("event") == "active_loop" and event.get("name") is None:
                self.form_active = False
        self.events += self.returned
        self.messages = dispatcher.messages
        return self.messages

    def start_lesson(self, text: str = "teach me", **entities: str) -> List[Dict[str, Any]]:
        self.user(text, act.INTENT_START_LESSON, **entities)
        return self._start(act.ActionStartLesson())

    def start_quiz(self, text: str = "quiz me", **entities: str) -> List[Dict[str, Any]]:
        self.user(text, act.INTENT_START_QUIZ, **entities)
        return self._start(act.ActionStartQuiz())

    def _start(self, action: Action) -> List[Dict[str, Any]]:
        messages = self.run(action)
        self.form_active = not any(e.get("event") == "followup" for e in self.returned)
        if self.form_active:  # lesson_form activates: validation sees no reply yet
            assert (
                asyncio.run(
                    act.ValidateLessonForm().run(CollectingDispatcher(), self.tracker(), {})
                )
                == []
            )
        self.messages = messages
        return messages

    def tracker(self) -> Tracker:
        return Tracker(
            self.sender, dict(self.slots), self.latest, list(self.events), False, None, {}, None
        )

    def send(self, text: str, intent: str = "inform", **entities: str) -> List[Dict[str, Any]]:
        """A message while lesson_form runs: it fills lesson_reply, then validation runs."""
        assert self.form_active, "lesson_form is not running"
        self.user(text, intent, **entities)
        self.slots[act.SLOT_REPLY] = text
        messages = self.run(act.ValidateLessonForm())
        if self.slots.get(act.SLOT_REQUESTED) is None and any(
            e.get("event") == "slot" and e.get("name") == act.SLOT_REQUESTED for e in self.returned
        ):
            self.form_active = False
        return messages

    def press(self, button: Dict[str, str]) -> List[Dict[str, Any]]:
        """Presses a button: its payload ``/intent{entities}``."""
        intent, _, raw = button["payload"][1:].partition("{")
        entities = json.loads("{" + raw) if raw else {}
        if self.form_active:
            return self.send(button["payload"], intent, **entities)
        self.user(button["payload"], intent, **entities)
        return self._start(
            act.ActionStartQuiz() if intent == act.INTENT_START_QUIZ else act.ActionStartLesson()
        )


def responses(messages: List[Dict[str, Any]]) -> List[str | None]:
    return [message.get("response") for message in messages]


def read_all_lessons(chat: Chat) -> None:
    chat.start_lesson(topic="budgeting")
    for _ in range(len(BUDGETING.lessons)):
        chat.send("next")


def test_the_action_server_registers_the_lesson_actions() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions.lessons")
    assert {
        act.ACTION_START_LESSON,
        act.ACTION_START_QUIZ,
        act.ACTION_SHOW_PROGRESS,
        act.ACTION_VALIDATE_LESSON_FORM,
    } <= set(executor.actions)


# --- lessons -----------------------------------------------------------------------------


def test_a_full_lesson(clock: Clock) -> None:
    chat = Chat()
    shown = chat.start_lesson("i want to learn")
    assert responses(shown) == [act.UTTER_LESSON_TEXT]
    first = shown[0]
    assert (first["topic_title"], first["number"], first["total"]) == ("Budgeting", "1", "4")
    assert first["title"] == BUDGETING.lessons[0].title and "KES\xa07,000.00" in first["body"]
    assert chat.slots[act.SLOT_MODE] == MODE_LESSON
    for number in range(2, len(BUDGETING.lessons) + 1):
        shown = chat.send("next")
        assert responses(shown) == [act.UTTER_LESSON_TEXT] and shown[0]["number"] == str(number)
    shown = chat.send("next")
    assert responses(shown) == [act.UTTER_LESSONS_READ] and shown[0]["topic"] == "budgeting"
    assert not chat.form_active and chat.slots[act.SLOT_MODE] is None
    with session_scope() as session:
        seen = store.lessons_seen(session, chat.sender)["budgeting"]
    assert set(seen) == {lesson.id for lesson in BUDGETING.lessons}


def test_repeat_menu_and_stop(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="saving")
    assert chat.send("repeat")[0]["number"] == "1"
    assert chat.send("/inform", "inform", lesson_choice="repeat")[0]["number"] == "1"
    assert chat.send("Next!")[0]["number"] == "2"
    menu = chat.send("menu", "ask_help")
    assert responses(menu) == [act.UTTER_LESSON_TOPICS] and not chat.form_active
    assert [b["payload"] for b in menu[0]["buttons"]][0] == '/start_lesson{"topic":"budgeting"}'
    chat.press(menu[0]["buttons"][1])  # saving: continues at the first lesson not read
    assert chat.messages[0]["number"] == "3"
    assert responses(chat.send("stop", "opt_out")) == [act.UTTER_LESSON_STOPPED]
    assert not chat.form_active and chat.slots[act.SLOT_MODE] is None


def test_lesson_buttons_are_the_numbers_of_a_whatsapp_reply(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="saving")
    assert chat.send("1")[0]["number"] == "2"  # 1 = Next
    assert chat.send("2")[0]["number"] == "2"  # 2 = Repeat
    assert responses(chat.send("4")) == [act.UTTER_LESSON_STOPPED]  # 4 = End


def test_not_understood_in_a_lesson_gives_the_help(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="saving")
    assert responses(chat.send("blah blah", "nlu_fallback")) == [act.UTTER_LESSON_HELP]
    assert chat.form_active and chat.slots[act.SLOT_INDEX] == 0


@pytest.mark.parametrize(
    ("language", "next_word", "stop_word"),
    [
        ("sw", "endelea", "maliza"),
        ("es", "siguiente", "terminar"),
        ("fr", "suivant", "terminer"),
        ("hi", "आगे", "खत्म"),
        ("hi_Latn", "agla", "khatam"),
        ("bn", "পরের", "শেষ"),
    ],
)
def test_navigation_words_of_every_language(
    clock: Clock, language: str, next_word: str, stop_word: str
) -> None:
    chat = Chat(language=language)
    first = chat.start_lesson(topic="saving")[0]
    assert chat.send(next_word)[0]["number"] != first["number"]
    assert responses(chat.send("next")) == [act.UTTER_LESSON_TEXT]  # English works too
    assert responses(chat.send(stop_word)) == [act.UTTER_LESSON_STOPPED]


def test_amounts_follow_the_language_and_currency(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(language="bn")
    body = chat.start_lesson(topic="budgeting")[0]["body"]
    assert "৭,০০০.০০" in body and chat.messages[0]["number"] == "১"


# --- quizzes ------------------------------------------------------------------------------


def test_a_full_quiz_answered_every_way_then_the_certificate(clock: Clock) -> None:
    chat = Chat()
    read_all_lessons(chat)
    start = chat.start_quiz()
    assert responses(start) == [act.UTTER_QUIZ_INTRO, act.UTTER_QUIZ_QUESTION]
    assert (start[0]["total"], start[0]["needed"]) == ("6", "5")
    question = start[1]
    assert question["number"] == "1" and question["question"] == BUDGETING.questions[0].text
    assert [b["payload"] for b in question["buttons"]] == [
        f'/inform{{"lesson_choice":"{n}"}}'
        for n in range(1, len(BUDGETING.questions[0].options) + 1)
    ]
    # 1: the button; 2: the number; 3: the option's text; 4: Bengali digit; 5: "2." ; 6: button
    replies = [
        lambda n: chat.press(chat.messages[-1]["buttons"][n - 1]),
        lambda n: chat.send(str(n)),
        lambda n: chat.send(BUDGETING.questions[2].options[n - 1].text.upper()),
        lambda n: chat.send("১২৩৪"[n - 1]),
        lambda n: chat.send(f"{n}."),
    ]
    for index, reply in enumerate(replies):
        shown = reply(ANSWERS[index])
        assert responses(shown) == [act.UTTER_QUIZ_CORRECT, act.UTTER_QUIZ_QUESTION], index
        right = BUDGETING.questions[index].options[ANSWERS[index] - 1]
        assert shown[0]["explanation"] == content.render(right.explanation, "en")
    wrong = 1 if ANSWERS[5] != 1 else 2
    end = chat.press(chat.messages[-1]["buttons"][wrong - 1])
    assert responses(end) == [
        act.UTTER_QUIZ_WRONG,
        act.UTTER_QUIZ_PASSED_MISSED,
        act.UTTER_CERTIFICATE,
        act.UTTER_SUGGEST_TOPIC,
    ]
    assert end[0]["answer"] == BUDGETING.questions[5].options[ANSWERS[5] - 1].text
    assert (end[1]["score"], end[1]["total"]) == ("5", "6")
    lesson_of_missed = BUDGETING.questions[5].lesson
    assert [b["payload"] for b in end[1]["buttons"]] == [
        '/start_lesson{"topic":"budgeting","lesson_choice":"'
        + str(BUDGETING.lesson_index(lesson_of_missed) + 1)
        + '"}'
    ]
    assert end[2]["percent"] == "83%" and end[2]["code"].startswith("BUD-")
    assert end[3]["topic"] == "saving"
    assert not chat.form_active
    with session_scope() as session:
        completion = store.completion_of(session, chat.sender, "budgeting")
        assert completion is not None and completion.certificate == end[2]["code"]


@pytest.mark.parametrize(
    ("currency", "typed"), [("KES", "1,500"), ("KES", "KES 1500.00"), ("USD", "15")]
)
def test_an_amount_can_be_typed_as_the_answer(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, currency: str, typed: str
) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("MFI_CURRENCY", currency)
    get_settings.cache_clear()
    question = BUDGETING.questions[3]
    assert (
        question.id == "what_is_left"
        and question.options[question.answer_index].text == "{money:1500}"
    )
    chat = Chat()
    chat.start_quiz(topic="budgeting")
    for answer in ANSWERS[:3]:
        chat.send(str(answer))
    assert responses(chat.send(typed))[0] == act.UTTER_QUIZ_CORRECT


def test_a_failed_quiz_offers_the_lessons_of_the_missed_questions(clock: Clock) -> None:
    chat = Chat()
    chat.start_quiz(topic="budgeting")
    for answer in ANSWERS[:3]:
        chat.send(str(answer))
    for answer in ANSWERS[3:]:
        chat.send(str(answer % len(BUDGETING.questions[3].options) + 1))
    result = chat.messages[-1]
    assert result["response"] == act.UTTER_QUIZ_FAILED
    assert (result["score"], result["needed"], result["topic"]) == ("3", "5", "budgeting")
    missed_lessons = {BUDGETING.questions[i].lesson for i in range(3, 6)}
    assert len(result["buttons"]) == len(missed_lessons)
    with session_scope() as session:
        assert store.completion_of(session, chat.sender, "budgeting") is None


def test_passing_before_reading_every_lesson_asks_to_read_them(clock: Clock) -> None:
    chat = Chat()
    chat.start_quiz(topic="budgeting")
    for answer in ANSWERS:
        chat.send(str(answer))
    assert responses(chat.messages) == [
        act.UTTER_QUIZ_CORRECT,
        act.UTTER_QUIZ_PASSED,
        act.UTTER_LESSONS_TO_READ,
    ]
    assert len(chat.messages[-1]["buttons"]) == len(BUDGETING.lessons)
    read_all_lessons(chat)  # reading the last lesson completes the topic
    assert responses(chat.messages) == [act.UTTER_CERTIFICATE, act.UTTER_SUGGEST_TOPIC]


def test_skip_repeat_and_help_in_a_quiz(clock: Clock) -> None:
    chat = Chat()
    chat.start_quiz(topic="saving")
    assert responses(chat.send("repeat")) == [act.UTTER_QUIZ_QUESTION]
    help_ = chat.send("what?", "nlu_fallback")
    assert responses(help_) == [act.UTTER_QUIZ_HELP] and help_[0]["count"] == "3"
    assert responses(chat.send("9")) == [act.UTTER_QUIZ_HELP]
    skipped = chat.send("next")
    assert responses(skipped) == [act.UTTER_QUIZ_SKIPPED, act.UTTER_QUIZ_QUESTION]
    with session_scope() as session:
        answer = session.query(store.QuizAnswer).one()
        assert (answer.chosen, answer.correct) == (None, False)
        assert [item.question_id for item in store.review_items(session, chat.sender)] == [
            "why_emergency"
        ]


def test_missed_questions_come_back_for_review_after_a_day(clock: Clock) -> None:
    chat = Chat()
    saving = content.load_topic("saving", "en")
    chat.start_quiz(topic="saving")
    first_wrong = saving.questions[0].answer_index % 3 + 2
    chat.send(str(first_wrong))
    for question in saving.questions[1:]:
        chat.send(str(question.answer_index + 1))
    clock.now = T0 + dt.timedelta(hours=5)
    assert responses(chat.start_quiz())[0] == act.UTTER_QUIZ_INTRO  # not due yet: a quiz
    chat.send("end")
    clock.now = T0 + REVIEW_INTERVALS[0]
    review = chat.start_quiz()
    assert responses(review) == [act.UTTER_REVIEW_INTRO, act.UTTER_QUIZ_QUESTION]
    assert review[0]["total"] == "1" and review[1]["question"] == saving.questions[0].text
    done = chat.send(str(saving.questions[0].answer_index + 1))
    assert responses(done) == [act.UTTER_QUIZ_CORRECT, act.UTTER_REVIEW_DONE_ALL]
    with session_scope() as session:
        (item,) = store.review_items(session, chat.sender)
    assert (item.box, item.due_at) == (1, clock.now + REVIEW_INTERVALS[1])


# --- recommendations and progress -----------------------------------------------------


def test_asking_about_flat_rates_leads_to_the_interest_lesson(clock: Clock) -> None:
    chat = Chat()
    chat.user("what is a flat rate", "explain_interest", interest_method="flat")
    shown = chat.start_lesson("teach me")
    assert responses(shown) == [act.UTTER_REASON[act.REASON_ASKED], act.UTTER_LESSON_TEXT]
    assert shown[1]["topic_title"] == content.load_topic("interest", "en").title


def test_a_budget_in_deficit_leads_to_budgeting(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(act, "_budget_reader", lambda: lambda session, conversation_id: True)
    shown = Chat().start_lesson()
    assert responses(shown) == [act.UTTER_REASON[act.REASON_BUDGET], act.UTTER_LESSON_TEXT]
    assert shown[1]["topic_title"] == "Budgeting"
    # a topic the client asked about comes first
    chat = Chat()
    chat.user("i want to save for school fees", "plan_savings")
    assert chat.start_lesson()[1]["topic_title"] == "Saving"


def test_a_saved_budget_in_deficit_is_read_from_the_budget_store(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import Decimal

    from bot.finance.budget import Category, Expense, Frequency, IncomeSource, build_budget
    from bot.store import budget as budget_store
    from bot.store.db import Base, get_engine

    monkeypatch.setattr(act.LessonAction, "clock", staticmethod(Clock()))
    chat = Chat()
    assert responses(chat.start_lesson()) == [act.UTTER_LESSON_TEXT]  # no budget table yet
    chat.send("end")
    incomes = [IncomeSource(Decimal(15000), Frequency.MONTHLY)]
    expenses = [Expense(Category.FOOD, Decimal(17000), Frequency.MONTHLY)]
    Base.metadata.create_all(get_engine(), tables=[budget_store.BudgetRecord.__table__])
    with session_scope() as session:
        result = build_budget(incomes, expenses, "month")
        budget_store.save_budget(session, chat.sender, result, incomes, expenses, T0)
    shown = chat.start_lesson()
    assert responses(shown) == [act.UTTER_REASON[act.REASON_BUDGET], act.UTTER_LESSON_TEXT]


def test_a_broken_budget_reader_does_not_stop_the_lesson(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: Any, conversation_id: str) -> bool:
        raise RuntimeError("budget table missing")

    monkeypatch.setattr(act, "_budget_reader", lambda: broken)
    assert responses(Chat().start_lesson()) == [act.UTTER_LESSON_TEXT]


def test_progress_in_one_message_survives_a_restart(clock: Clock) -> None:
    chat = Chat()
    read_all_lessons(chat)
    chat.start_quiz(topic="budgeting")
    for answer in ANSWERS:
        chat.send(str(answer))
    chat.start_lesson(topic="saving")
    chat.send("next")
    dispose_engines()  # restart: only the database and the slots remain
    chat.user("my progress", INTENT_SHOW_PROGRESS)
    (progress,) = chat.run(act.ActionShowProgress())
    assert progress["response"] == "utter_lesson_progress_lesson"
    assert (progress["done"], progress["total"]) == ("1", "6")
    lines = progress["topics"].split("\n")
    assert lines[0] == "✅ Budgeting 📝 6/6"
    assert lines[1] == "▫️ Saving 📖 2/4"
    assert progress["lesson_title"] == content.load_topic("saving", "en").lessons[2].title


def test_all_done_shows_the_topics(clock: Clock) -> None:
    chat = Chat()
    with session_scope(act.lessons_engine()) as session:
        for key in content.topic_keys():
            store.complete_topic(session, chat.sender, key, 6, 6, T0)
    shown = chat.start_lesson()
    assert responses(shown) == [act.UTTER_ALL_DONE, act.UTTER_LESSON_TOPICS]
    assert all(b["title"].startswith(MARK_DONE) for b in shown[1]["buttons"])
    assert not chat.form_active
    assert chat.returned[-1] == {"event": "followup", "name": act.ACTION_LISTEN, "timestamp": None}


# --- leaving and coming back ------------------------------------------------------------


def test_another_question_pauses_the_lesson_and_it_resumes(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="interest")
    chat.send("next")
    events = chat.send("how much is a loan of 20000 for 6 months", "calculate_loan")
    assert events == []  # no message: the loans feature answers
    kinds = [event["event"] for event in chat.returned]
    assert kinds[-2:] == ["active_loop", "action_execution_rejected"]
    assert chat.slots[act.SLOT_MODE] == MODE_LESSON and chat.slots[act.SLOT_INDEX] == 1
    shown = chat.start_lesson("continue lesson")
    assert responses(shown) == [act.UTTER_LESSON_TEXT] and shown[0]["number"] == "2"


def test_an_old_next_button_continues_after_a_pause(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="interest")
    chat.send("bye", "goodbye")
    assert not chat.form_active
    chat.user('/inform{"lesson_choice":"next"}', "inform", lesson_choice="next")
    assert chat._start(act.ActionStartLesson())[0]["number"] == "2"


def test_an_old_answer_button_shows_the_paused_question_again(clock: Clock) -> None:
    chat = Chat()
    chat.start_quiz(topic="saving")
    chat.send("1")
    chat.send("i want to talk to a person", "request_human")
    assert not chat.form_active and chat.slots[act.SLOT_MODE] == MODE_QUIZ
    chat.user('/inform{"lesson_choice":"2"}', "inform", lesson_choice="2")
    shown = chat._start(act.ActionStartLesson())
    assert responses(shown) == [act.UTTER_QUIZ_QUESTION] and shown[0]["number"] == "2"
    assert chat.form_active


def test_changing_language_in_a_lesson_shows_it_again(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="saving")
    chat.events.append({"event": "slot", "name": "language", "value": "fr"})
    shown = chat.send("parle français", "choose_language", language="fr")
    assert responses(shown) == [act.UTTER_LESSON_TEXT] and shown[0]["number"] == "1"


def test_asking_for_a_quiz_during_a_lesson_starts_it(clock: Clock) -> None:
    chat = Chat()
    chat.start_lesson(topic="saving")
    shown = chat.send("quiz me on saving", act.INTENT_START_QUIZ, topic="saving")
    assert responses(shown) == [act.UTTER_QUIZ_INTRO, act.UTTER_QUIZ_QUESTION]
    assert chat.slots[act.SLOT_MODE] == MODE_QUIZ and chat.form_active


# --- the domain responses, rendered in every language --------------------------------


@pytest.fixture(scope="module")
def nlg():  # noqa: ANN201 - bot.nlg.generator.CatalogNLG
    from rasa.shared.core.domain import Domain

    from bot.nlg.generator import CatalogNLG
    from bot.settings import PROJECT_ROOT

    return CatalogNLG(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))


VALUES = {
    "topic": "saving",
    "topic_title": "Saving",
    "number": "2",
    "total": "4",
    "title": "T",
    "body": "B",
    "needed": "5",
    "question": "Q?",
    "count": "3",
    "explanation": "E.",
    "answer": "A",
    "answer_explanation": "AE.",
    "score": "5",
    "date": "2 Mar 2026",
    "percent": "83%",
    "code": "SAV-ABC234",
    "done": "1",
    "topics": "✅ Budgeting",
    "lesson_title": "L",
}


@pytest.mark.parametrize("language", ["en", "sw", "es", "fr", "hi", "hi_Latn", "bn"])
def test_every_lesson_response_renders_with_working_buttons(nlg, language: str) -> None:  # noqa: ANN001
    names = [
        name
        for name in nlg.responses
        if name.startswith(("utter_lesson", "utter_quiz", "utter_review"))
    ]
    assert len(names) >= 25
    for name in names:
        rendered = nlg.generate_in_language(
            name, language, {"language": language}, "rest", **VALUES
        )
        assert "{" not in rendered["text"] and "}" not in rendered["text"], (name, rendered["text"])
        for button in rendered.get("buttons") or []:
            assert button["payload"].startswith("/")
            intent, _, raw = button["payload"][1:].partition("{")
            assert intent in {"inform", "start_lesson", "start_quiz"}, button
            if raw:
                assert json.loads("{" + raw)  # valid JSON entities after interpolation
    lesson = nlg.generate_in_language(
        "utter_lesson_text", language, {"language": language}, "rest", **VALUES
    )
    assert [b["payload"] for b in lesson["buttons"]] == [
        f'/inform{{"lesson_choice":"{command}"}}' for command in LESSON_BUTTON_COMMANDS
    ]
    read = nlg.generate_in_language(
        "utter_lessons_read", language, {"language": language}, "rest", **VALUES
    )
    assert read["buttons"][0]["payload"] == '/start_quiz{"topic":"saving"}'
    if language != "en":
        english = nlg.generate_in_language("utter_lesson_text", "en", {}, "rest", **VALUES)
        assert lesson["buttons"][0]["title"] != english["buttons"][0]["title"]


@pytest.mark.parametrize("language", ["en", "sw", "es", "fr", "hi", "hi_Latn", "bn"])
def test_the_words_the_help_texts_suggest_are_commands(nlg, language: str) -> None:  # noqa: ANN001
    import re

    commands = content.get_commands(language)
    for name in ("utter_lesson_help", "utter_quiz_help"):
        text = nlg.generate_in_language(name, language, {}, "rest", **VALUES)["text"]
        quoted = re.findall(r'["«]\s*([^"»]+?)\s*["»]', text)
        assert quoted, text
        assert all(commands.command_for(word) for word in quoted), (name, quoted)
