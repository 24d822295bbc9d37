"""The values of the lesson and quiz responses, in the client's language and digits."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest

from bot.lessons.content import Lesson, Option, Question, TopicContent, load_topic
from bot.lessons.presenting import (
    MARK_DONE,
    MARK_LESSONS,
    MARK_OPEN,
    MARK_QUIZ,
    Verdict,
    advice_values,
    certificate_values,
    count,
    feedback,
    lesson_choices,
    lesson_values,
    option_titles,
    pass_mark,
    progress_lines,
    progress_values,
    question_values,
    quiz_intro_values,
    score_values,
    topic_title,
)
from bot.lessons.recommend import (
    KIND_DONE,
    KIND_LESSON,
    KIND_QUIZ,
    KIND_REVIEW,
    REASON_DONE,
    REASON_ORDER,
    REASON_REVIEW_DUE,
    Recommendation,
)

MONEY_TOPIC = TopicContent(
    topic="budgeting",
    language="bn",
    title="বাজেট",
    description="",
    lessons=(
        Lesson("income", "আয় {money:7000}", "Body {money:7000} and {percent:2}"),
        Lesson("spending", "Spending", "Body"),
        Lesson("plan", "Plan", "Body"),
    ),
    questions=(
        Question(
            id="left",
            lesson="plan",
            text="What is left of {money:5000}?",
            options=(
                Option("{money:1500}", "Right, {money:1500}.", correct=True),
                Option("{money:8500}", "No, that is the sum."),
                Option("Nothing", "No, something is left."),
            ),
        ),
    ),
)
QUESTION = MONEY_TOPIC.questions[0]


@pytest.fixture(autouse=True)
def _kes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from bot.settings import get_settings

    monkeypatch.setenv("MFI_CURRENCY", "KES")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_counts_use_the_language_digits() -> None:
    assert count(12, "en") == "12"
    assert count(12, "bn") == "১২"
    assert count(3, "hi") in {"3", "३"}
    assert pass_mark(6, "en") == "5" and pass_mark(5, "bn") == "৪"


def test_lesson_values() -> None:
    values = lesson_values(MONEY_TOPIC, 0, "bn")
    assert (values["topic_title"], values["number"], values["total"]) == ("বাজেট", "১", "৩")
    assert "৭,০০০.০০" in values["title"] and "৭,০০০.০০" in values["body"]
    assert "{" not in values["body"] and "২" in values["body"]
    assert lesson_values(MONEY_TOPIC, 2, "en")["number"] == "3"


def test_question_values_and_option_titles() -> None:
    assert question_values(QUESTION, 1, 6, "en") == {
        "number": "2",
        "total": "6",
        "question": "What is left of KES\xa05,000.00?",
    }
    assert option_titles(QUESTION, "en") == ["KES\xa01,500.00", "KES\xa08,500.00", "Nothing"]
    assert quiz_intro_values(MONEY_TOPIC, 6, "en") == {
        "topic_title": "বাজেট",
        "total": "6",
        "needed": "5",
    }


def test_feedback_on_a_right_answer() -> None:
    result = feedback(QUESTION, 0, "en")
    assert result.verdict is Verdict.CORRECT and result.correct
    assert result.values == {"explanation": "Right, KES\xa01,500.00."}


def test_feedback_on_a_wrong_answer_gives_the_right_one() -> None:
    result = feedback(QUESTION, 2, "en")
    assert result.verdict is Verdict.WRONG and not result.correct
    assert result.values == {
        "explanation": "No, something is left.",
        "answer": "KES\xa01,500.00",
        "answer_explanation": "Right, KES\xa01,500.00.",
    }


def test_feedback_on_a_skipped_question() -> None:
    result = feedback(QUESTION, None, "en")
    assert result.verdict is Verdict.SKIPPED and not result.correct
    assert set(result.values) == {"answer", "answer_explanation"}


def test_score_and_certificate() -> None:
    assert score_values(5, 6, "bn") == {"score": "৫", "total": "৬"}
    values = certificate_values(
        MONEY_TOPIC, dt.datetime(2026, 3, 2, 9, 0), 5, 6, "BUD-ABC234", "en"
    )
    assert values == {
        "topic_title": "বাজেট",
        "date": "Mar 2, 2026",
        "percent": "83%",
        "code": "BUD-ABC234",
    }
    assert certificate_values(MONEY_TOPIC, dt.datetime(2026, 3, 2), 6, 6, "X", "fr")[
        "percent"
    ].startswith("100")


def test_topic_titles_mark_completed_topics() -> None:
    assert topic_title("Saving", True) == f"{MARK_DONE} Saving"
    assert topic_title("Saving", False) == "Saving"


def test_lesson_choices_keep_the_lesson_order() -> None:
    assert lesson_choices(MONEY_TOPIC, ["plan", "spending"], "en") == [
        (2, "Spending"),
        (3, "Plan"),
    ]
    assert lesson_choices(MONEY_TOPIC, [], "en") == []


def test_progress_lines() -> None:
    budgeting, saving = load_topic("budgeting", "en"), load_topic("saving", "en")
    seen = {"saving": {lesson.id: 1 for lesson in saving.lessons[:2]}}
    lines = progress_lines(
        [budgeting, saving], seen, {"budgeting": (6, 6), "saving": (3, 5)}, {"budgeting"}, "en"
    )
    assert lines == [
        f"{MARK_DONE} Budgeting {MARK_QUIZ} 6/6",
        f"{MARK_OPEN} Saving {MARK_LESSONS} 2/4 {MARK_QUIZ} 3/5",
    ]
    assert progress_lines([saving], {}, {}, set(), "en") == [f"{MARK_OPEN} Saving"]


def test_progress_lines_in_bengali_digits() -> None:
    saving = load_topic("saving", "bn")
    seen = {"saving": {saving.lessons[0].id: 1}}
    (line,) = progress_lines([saving], seen, {}, set(), "bn")
    assert line.endswith(f"{MARK_LESSONS} ১/৪") and saving.title in line


def test_advice_values() -> None:
    saving = load_topic("saving", "en")
    contents = {"saving": saving}
    lesson = Recommendation(KIND_LESSON, REASON_ORDER, "saving", lesson_id=saving.lessons[2].id)
    assert advice_values(lesson, contents, "en") == {
        "topic": "saving",
        "topic_title": "Saving",
        "lesson_title": saving.lessons[2].title,
    }
    quiz = Recommendation(KIND_QUIZ, REASON_ORDER, "saving")
    assert advice_values(quiz, contents, "en") == {"topic": "saving", "topic_title": "Saving"}
    review = Recommendation(
        KIND_REVIEW, REASON_REVIEW_DUE, "saving", questions=(("saving", "a"), ("saving", "b"))
    )
    assert advice_values(review, contents, "bn") == {"count": "২"}
    assert advice_values(Recommendation(KIND_DONE, REASON_DONE), contents, "en") == {}


def test_progress_values() -> None:
    contents = {key: load_topic(key, "en") for key in ("budgeting", "saving", "interest")}
    advice = Recommendation(KIND_QUIZ, REASON_ORDER, "saving")
    values = progress_values(contents, {}, {"budgeting": (6, 6)}, {"budgeting"}, advice, "en")
    assert (values["done"], values["total"], values["topic"]) == ("1", "3", "saving")
    assert values["topics"].split("\n") == [
        f"{MARK_DONE} Budgeting {MARK_QUIZ} 6/6",
        f"{MARK_OPEN} Saving",
        f"{MARK_OPEN} {contents['interest'].title}",
    ]
