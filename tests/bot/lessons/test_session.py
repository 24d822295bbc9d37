"""The lesson/quiz state and its transitions: starts, replies, moving on, the end of a quiz."""

from __future__ import annotations

import pytest

from bot.lessons.answers import Reply
from bot.lessons.content import (
    MENU,
    NEXT,
    REPEAT,
    STOP,
    ContentError,
    Lesson,
    Option,
    Question,
    TopicContent,
)
from bot.lessons.recommend import (
    KIND_DONE,
    KIND_LESSON,
    KIND_QUIZ,
    KIND_REVIEW,
    REASON_ASKED,
    REASON_DONE,
    REASON_ORDER,
    REASON_REVIEW_DUE,
    REVIEW_BATCH,
    Recommendation,
)
from bot.lessons.session import (
    CHOICE_REVIEW,
    INTENT_AFFIRM,
    INTENT_CHOOSE_LANGUAGE,
    INTENT_INFORM,
    INTENT_SHOW_PROGRESS,
    INTENT_START_LESSON,
    INTENT_START_QUIZ,
    MODE_LESSON,
    MODE_QUIZ,
    MODE_REVIEW,
    FlowState,
    Outcome,
    Start,
    StartMove,
    Step,
    can_complete,
    is_resumable,
    lesson_state,
    missed_lessons,
    next_lesson,
    next_question,
    plan_recommended,
    plan_reply,
    plan_start,
    question_in,
    question_ref,
    quiz_outcome,
    quiz_state,
    review_refs,
    review_state,
    split_ref,
    start_index,
    unread_lessons,
)


def topic(key: str = "saving", lessons: int = 3, questions: int = 5) -> TopicContent:
    lesson_ids = [f"l{n}" for n in range(1, lessons + 1)]
    return TopicContent(
        topic=key,
        language="en",
        title=key.title(),
        description="",
        lessons=tuple(Lesson(lesson_id, f"Title {lesson_id}", "Body") for lesson_id in lesson_ids),
        questions=tuple(
            Question(
                id=f"q{n}",
                lesson=lesson_ids[(n - 1) % lessons],
                text=f"Question {n}?",
                options=(Option("Yes", "Right.", correct=True), Option("No", "Wrong.")),
            )
            for n in range(1, questions + 1)
        ),
    )


SAVING = topic()
LESSON = lesson_state("saving", 1)
QUIZ = quiz_state(SAVING, 7)
NOTHING = FlowState()


# --- the state ---------------------------------------------------------------------------


def test_the_state_of_stored_slot_values() -> None:
    state = FlowState.of(MODE_QUIZ, "saving", 2.0, ["saving/q1", "saving/q2", "saving/q3"], 7.0)
    assert state == FlowState(MODE_QUIZ, "saving", 2, ("saving/q1", "saving/q2", "saving/q3"), 7)
    assert state.in_quiz and not state.in_lesson and state.question == "saving/q3"
    assert FlowState.of() == NOTHING and not NOTHING.in_quiz and not NOTHING.in_lesson
    assert FlowState.of(MODE_LESSON, "saving", "x", None, None).index == 0
    assert FlowState.of(MODE_REVIEW, "saving", 0, ["saving/q1"], 0.0).attempt == 0


def test_question_references() -> None:
    assert question_ref("digital_safety", "pin_secret") == "digital_safety/pin_secret"
    assert split_ref("digital_safety/pin_secret") == ("digital_safety", "pin_secret")
    assert question_in(SAVING, "q2").text == "Question 2?"
    with pytest.raises(ContentError):
        question_in(SAVING, "gone")


def test_a_quiz_asks_every_question_in_order() -> None:
    assert QUIZ == FlowState(MODE_QUIZ, "saving", 0, tuple(f"saving/q{n}" for n in range(1, 6)), 7)


def test_a_review_asks_at_most_a_batch_from_the_first_question_topic() -> None:
    pairs = [("interest", "q1")] + [("saving", f"q{n}") for n in range(1, 9)]
    refs = review_refs(pairs)
    assert len(refs) == REVIEW_BATCH and refs[0] == "interest/q1"
    state = review_state(refs, 3)
    assert (state.mode, state.topic, state.index, state.attempt) == (MODE_REVIEW, "interest", 0, 3)


@pytest.mark.parametrize(
    ("seen", "index", "expected"),
    [
        ({}, None, 0),
        ({"l1": 1}, None, 1),
        ({"l1": 1, "l3": 1}, None, 1),
        ({"l1": 1, "l2": 1, "l3": 1}, None, 0),  # all read: from the start
        ({}, 2, 2),
        ({}, 9, 2),  # a lesson number past the end: the last
        ({}, -1, 0),
    ],
)
def test_start_index(seen: dict, index: int | None, expected: int) -> None:
    assert start_index(["l1", "l2", "l3"], seen, index) == expected


def test_next_lesson_and_question() -> None:
    assert next_lesson(lesson_state("saving", 0), 3) == lesson_state("saving", 1)
    assert next_lesson(lesson_state("saving", 2), 3) is None
    following = next_question(QUIZ)
    assert following is not None and following.index == 1
    assert (following.questions, following.attempt) == (QUIZ.questions, QUIZ.attempt)
    last = FlowState(MODE_QUIZ, "saving", 4, QUIZ.questions, 7)
    assert next_question(last) is None


@pytest.mark.parametrize(
    ("state", "want_quiz", "resumable"),
    [
        (LESSON, False, True),
        (LESSON, True, False),
        (QUIZ, True, True),
        (QUIZ, False, False),
        (FlowState(MODE_QUIZ, "saving", 5, QUIZ.questions, 7), True, False),  # past the end
        (FlowState(MODE_LESSON, None, 0), False, False),
        (NOTHING, False, False),
        (NOTHING, True, False),
    ],
)
def test_is_resumable(state: FlowState, want_quiz: bool, resumable: bool) -> None:
    assert is_resumable(state, want_quiz) is resumable


# --- starting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "topic_", "choice", "want_quiz", "expected"),
    [
        (NOTHING, None, MENU, True, Start(StartMove.MENU, quiz=True)),
        (LESSON, "saving", STOP, False, Start(StartMove.STOP)),
        (NOTHING, None, CHOICE_REVIEW, True, Start(StartMove.RECOMMENDED, quiz=True)),
        (NOTHING, None, CHOICE_REVIEW, False, Start(StartMove.RECOMMENDED)),
        (LESSON, "interest", None, True, Start(StartMove.QUIZ, quiz=True, topic="interest")),
        (QUIZ, "interest", None, False, Start(StartMove.LESSON, topic="interest")),
        (NOTHING, "interest", "3", False, Start(StartMove.LESSON, topic="interest", index=2)),
        (NOTHING, "interest", "0", False, Start(StartMove.LESSON, topic="interest")),
        (NOTHING, "interest", NEXT, False, Start(StartMove.LESSON, topic="interest")),
        (LESSON, None, None, False, Start(StartMove.RESUME)),
        (LESSON, None, NEXT, False, Start(StartMove.NEXT_LESSON)),
        (LESSON, None, None, True, Start(StartMove.RECOMMENDED, quiz=True)),
        (QUIZ, None, None, True, Start(StartMove.RESUME, quiz=True)),
        (QUIZ, None, None, False, Start(StartMove.RECOMMENDED)),
        # an old button of a paused quiz or lesson continues it, whatever the intent
        (QUIZ, None, "2", False, Start(StartMove.RESUME, quiz=True)),
        (LESSON, None, NEXT, True, Start(StartMove.NEXT_LESSON)),
        (NOTHING, None, None, False, Start(StartMove.RECOMMENDED)),
        (NOTHING, None, "2", True, Start(StartMove.RECOMMENDED, quiz=True)),
    ],
)
def test_plan_start(
    state: FlowState, topic_: str | None, choice: str | None, want_quiz: bool, expected: Start
) -> None:
    assert plan_start(state, topic_, choice, want_quiz) == expected


def test_plan_recommended() -> None:
    review = Recommendation(KIND_REVIEW, REASON_REVIEW_DUE, "saving", questions=(("saving", "q1"),))
    assert plan_recommended(review, False) == Start(
        StartMove.REVIEW, quiz=True, questions=(("saving", "q1"),)
    )
    done = Recommendation(KIND_DONE, REASON_DONE)
    assert plan_recommended(done, True) == Start(StartMove.ALL_DONE, quiz=True)
    assert plan_recommended(done, False) == Start(StartMove.ALL_DONE)
    lesson = Recommendation(KIND_LESSON, REASON_ASKED, "interest", lesson_id="flat_rate")
    assert plan_recommended(lesson, False) == Start(
        StartMove.LESSON, topic="interest", lesson_id="flat_rate", reason=REASON_ASKED
    )
    # a quiz asked for: the quiz of the recommended topic, even if a lesson is next
    assert plan_recommended(lesson, True) == Start(StartMove.QUIZ, quiz=True, topic="interest")
    quiz = Recommendation(KIND_QUIZ, REASON_ORDER, "saving")
    assert plan_recommended(quiz, False) == Start(StartMove.QUIZ, quiz=True, topic="saving")


# --- a message inside the lesson or quiz -----------------------------------------------------


@pytest.mark.parametrize(
    ("state", "reply", "expected"),
    [
        (QUIZ, Reply(answer=0), Step.ANSWER),
        (QUIZ, Reply(command=NEXT), Step.SKIP),
        (LESSON, Reply(command=NEXT), Step.NEXT_LESSON),
        (LESSON, Reply(command=REPEAT), Step.SHOW_AGAIN),
        (QUIZ, Reply(command=REPEAT), Step.SHOW_AGAIN),
        (QUIZ, Reply(command=MENU), Step.MENU),
        (LESSON, Reply(command=STOP), Step.STOP),
    ],
)
def test_answers_and_commands_come_before_the_intent(
    state: FlowState, reply: Reply, expected: Step
) -> None:
    assert plan_reply(state, reply, "request_human") == expected


@pytest.mark.parametrize(
    ("state", "intent", "topic_", "names_language", "expected"),
    [
        (LESSON, INTENT_CHOOSE_LANGUAGE, None, True, Step.SHOW_AGAIN),
        (QUIZ, INTENT_CHOOSE_LANGUAGE, None, True, Step.SHOW_AGAIN),
        (LESSON, INTENT_CHOOSE_LANGUAGE, None, False, Step.PAUSE),
        (LESSON, "calculate_loan", None, False, Step.PAUSE),
        (QUIZ, "request_human", None, False, Step.PAUSE),
        (LESSON, "goodbye", None, False, Step.PAUSE),
        (LESSON, None, None, False, Step.PAUSE),
        (QUIZ, INTENT_SHOW_PROGRESS, None, False, Step.PROGRESS),
        (LESSON, INTENT_START_LESSON, None, False, Step.NEXT_LESSON),
        (LESSON, INTENT_START_LESSON, "interest", False, Step.START_LESSON),
        (QUIZ, INTENT_START_LESSON, None, False, Step.START_LESSON),
        (LESSON, INTENT_START_QUIZ, None, False, Step.START_QUIZ),
        (QUIZ, INTENT_START_QUIZ, "saving", False, Step.START_QUIZ),
        (LESSON, INTENT_AFFIRM, None, False, Step.NEXT_LESSON),
        (QUIZ, INTENT_AFFIRM, None, False, Step.HELP),
        (LESSON, INTENT_INFORM, None, False, Step.HELP),
        (QUIZ, "nlu_fallback", None, False, Step.HELP),
        (LESSON, "greet", None, True, Step.HELP),
    ],
)
def test_a_message_without_answer_or_command_goes_by_its_intent(
    state: FlowState, intent: str | None, topic_: str | None, names_language: bool, expected: Step
) -> None:
    assert plan_reply(state, Reply(), intent, topic_, names_language) == expected


# --- the end of a quiz or topic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("review", "passed", "missed", "outcome"),
    [
        (True, False, False, Outcome.REVIEW_DONE_ALL),
        (True, False, True, Outcome.REVIEW_DONE),
        (False, False, True, Outcome.FAILED),
        (False, False, False, Outcome.FAILED),
        (False, True, False, Outcome.PASSED),
        (False, True, True, Outcome.PASSED_MISSED),
    ],
)
def test_quiz_outcome(review: bool, passed: bool, missed: bool, outcome: Outcome) -> None:
    assert quiz_outcome(review, passed, missed) is outcome


@pytest.mark.parametrize(
    ("seen", "best", "complete"),
    [
        ({"l1", "l2", "l3"}, (5, 6), True),
        ({"l1", "l2", "l3"}, (6, 6), True),
        ({"l1", "l2", "l3"}, (4, 6), False),  # 80 % of 6 is 5
        ({"l1", "l2", "l3"}, None, False),
        ({"l1", "l3"}, (6, 6), False),
        ({"l1", "l2", "l3", "old"}, (4, 5), True),
    ],
)
def test_can_complete(seen: set, best: tuple | None, complete: bool) -> None:
    assert can_complete(["l1", "l2", "l3"], dict.fromkeys(seen), best) is complete


def test_unread_lessons_in_order() -> None:
    assert unread_lessons(["l1", "l2", "l3"], {"l2": 1}) == ["l1", "l3"]
    assert unread_lessons(["l1"], {"l1": 1}) == []


def test_missed_lessons_per_topic_without_repeats() -> None:
    interest = topic("interest", lessons=2, questions=4)
    missed = [
        ("saving", "q4"),  # lesson l1
        ("interest", "q2"),
        ("saving", "q1"),  # l1 again
        ("saving", "q3"),
        ("saving", "gone"),  # no longer in the content
        ("interest", "q4"),  # l2 again
    ]
    assert missed_lessons(missed, {"saving": SAVING, "interest": interest}) == {
        "saving": ["l1", "l3"],
        "interest": ["l2"],
    }
    assert missed_lessons([], {}) == {}


def test_the_lesson_core_imports_neither_rasa_nor_a_database() -> None:
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    modules = ("bot.lessons.answers", "bot.lessons.session", "bot.lessons.presenting")
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in modules)
        + "print(sorted({m.split('.')[0] for m in sys.modules}"
        + " & {'rasa', 'rasa_sdk', 'sqlalchemy'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert result.stdout.strip() == "[]"
