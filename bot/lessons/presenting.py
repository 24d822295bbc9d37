"""The values of the lesson and quiz responses, as the client sees them (pure, no Rasa).

Each function returns the values a domain response interpolates (``{number}``,
``{title}``, ``{score}``...): content texts rendered with :func:`content.render`, counts
in the client's digits, dates and percentages in the client's language. The actions pick
the response and build the buttons' payloads.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, Collection, Dict, List, Mapping, Sequence, Tuple

from bot.i18n.formatting import format_date, format_number, format_percent
from bot.lessons.content import Question, TopicContent, render
from bot.lessons.recommend import (
    KIND_LESSON,
    KIND_QUIZ,
    KIND_REVIEW,
    Recommendation,
    needed_to_pass,
)

MARK_DONE = "✅"
MARK_OPEN = "▫️"
MARK_LESSONS = "📖"
MARK_QUIZ = "📝"


def count(value: int, language: str) -> str:
    """A count in the client's digits (``১২`` in Bengali)."""
    return format_number(value, language)


def lesson_values(content: TopicContent, index: int, language: str) -> Dict[str, str]:
    """A lesson's frame: topic title, "lesson 2 of 4", title and body."""
    lesson = content.lessons[index]
    return {
        "topic_title": content.title,
        "number": count(index + 1, language),
        "total": count(len(content.lessons), language),
        "title": render(lesson.title, language),
        "body": render(lesson.body, language),
    }


def question_values(question: Question, index: int, total: int, language: str) -> Dict[str, str]:
    """A question's frame: "question 2 of 6" and its text (``index`` is 0-based)."""
    return {
        "number": count(index + 1, language),
        "total": count(total, language),
        "question": render(question.text, language),
    }


def option_titles(question: Question, language: str) -> List[str]:
    """The titles of a question's answer buttons, in option order."""
    return [render(option.text, language) for option in question.options]


def quiz_intro_values(content: TopicContent, total: int, language: str) -> Dict[str, str]:
    """A quiz's introduction: the topic, the number of questions and the pass mark."""
    return {
        "topic_title": content.title,
        "total": count(total, language),
        "needed": pass_mark(total, language),
    }


def pass_mark(total: int, language: str) -> str:
    """How many right answers pass a quiz of ``total`` questions, in the client's digits."""
    return count(needed_to_pass(total), language)


class Verdict(enum.Enum):
    """How one answer went."""

    CORRECT = "correct"
    WRONG = "wrong"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Feedback:
    """The feedback on one answer: its verdict and the response's values.

    Attributes:
        verdict: right, wrong or skipped.
        values: ``explanation`` (of the chosen option; none when skipped) and, unless
            right, ``answer`` and ``answer_explanation`` (the right option's).
    """

    verdict: Verdict
    values: Dict[str, str] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        """Whether the answer was right."""
        return self.verdict is Verdict.CORRECT


def feedback(question: Question, chosen: int | None, language: str) -> Feedback:
    """The feedback on ``chosen`` (0-based option; None: skipped) for ``question``."""
    right = question.options[question.answer_index]
    if chosen == question.answer_index:
        return Feedback(Verdict.CORRECT, {"explanation": render(right.explanation, language)})
    values = {
        "answer": render(right.text, language),
        "answer_explanation": render(right.explanation, language),
    }
    if chosen is None:
        return Feedback(Verdict.SKIPPED, values)
    values["explanation"] = render(question.options[chosen].explanation, language)
    return Feedback(Verdict.WRONG, values)


def score_values(score: int, total: int, language: str) -> Dict[str, str]:
    """A quiz score: right answers and questions."""
    return {"score": count(score, language), "total": count(total, language)}


def certificate_values(
    content: TopicContent,
    completed_at: dt.datetime,
    score: int,
    total: int,
    code: str,
    language: str,
) -> Dict[str, str]:
    """A completed topic's certificate line: topic, date, score in percent and code."""
    return {
        "topic_title": content.title,
        "date": format_date(completed_at.date(), language),
        "percent": format_percent(score / total, language, 0),
        "code": code,
    }


def topic_title(title: str, done: bool) -> str:
    """A topic's button title, marked when the topic is completed."""
    return f"{MARK_DONE} {title}" if done else title


def lesson_choices(
    content: TopicContent, lesson_ids: Collection[str], language: str
) -> List[Tuple[int, str]]:
    """The (1-based number, title) of the lessons ``lesson_ids``, in lesson order."""
    return [
        (number, render(lesson.title, language))
        for number, lesson in enumerate(content.lessons, start=1)
        if lesson.id in lesson_ids
    ]


def progress_lines(
    contents: Sequence[TopicContent],
    seen: Mapping[str, Mapping[str, Any]],
    best: Mapping[str, Tuple[int, int]],
    done: Collection[str],
    language: str,
) -> List[str]:
    """One line per topic: completed with its score, or lessons read and best score.

    Args:
        contents: the topics in suggestion order, in the client's language.
        seen: topic -> the ids of the lessons read.
        best: topic -> the best (score, total) of its quiz.
        done: the completed topics.
        language: the client's language code.
    """
    lines = []
    for content in contents:
        key = content.topic
        parts = [MARK_DONE if key in done else MARK_OPEN, content.title]
        read = sum(1 for lesson in content.lessons if lesson.id in seen.get(key, {}))
        if key not in done and read:
            lessons = count(len(content.lessons), language)
            parts.append(f"{MARK_LESSONS} {count(read, language)}/{lessons}")
        if key in best:
            score, total = best[key]
            parts.append(f"{MARK_QUIZ} {count(score, language)}/{count(total, language)}")
        lines.append(" ".join(parts))
    return lines


def advice_values(
    advice: Recommendation, contents: Mapping[str, TopicContent], language: str
) -> Dict[str, str]:
    """What a recommendation names: the lesson, the quiz's topic, or the review's size."""
    if advice.kind == KIND_LESSON and advice.topic:
        content = contents[advice.topic]
        index = content.lesson_index(str(advice.lesson_id)) or 0
        return {
            "topic": advice.topic,
            "topic_title": content.title,
            "lesson_title": render(content.lessons[index].title, language),
        }
    if advice.kind == KIND_QUIZ and advice.topic:
        return {"topic": advice.topic, "topic_title": contents[advice.topic].title}
    if advice.kind == KIND_REVIEW:
        return {"count": count(len(advice.questions), language)}
    return {}


def progress_values(
    contents: Mapping[str, TopicContent],
    seen: Mapping[str, Mapping[str, Any]],
    best: Mapping[str, Tuple[int, int]],
    done: Collection[str],
    advice: Recommendation,
    language: str,
) -> Dict[str, str]:
    """The progress summary: topics completed, one line per topic, and what is next.

    Args:
        contents: topic key -> content in the client's language, in suggestion order.
        seen: topic -> the ids of the lessons read.
        best: topic -> the best (score, total) of its quiz.
        done: the completed topics.
        advice: the client's next step.
        language: the client's language code.
    """
    values = {
        "done": count(len(done), language),
        "total": count(len(contents), language),
        "topics": "\n".join(progress_lines(list(contents.values()), seen, best, done, language)),
    }
    values.update(advice_values(advice, contents, language))
    return values
