"""What a client should learn next, and when missed questions come back (pure functions).

The rule (docs/lessons.md, "Recommendation rule"), first match wins:

1. missed questions whose review is due: a review of up to ``REVIEW_BATCH`` of them;
2. topics with wrong quiz answers still in the review schedule (most first): the lesson of
   a missed question not read again since the mistake, else the topic's next step;
3. topics the client asked about, most recent first;
4. ``budgeting`` when the client's budget is in deficit;
5. the suggestion order of ``_topics.yml``.

A topic's next step is its first unread lesson, else its quiz until passed; completed
topics are skipped. Spaced repetition (:func:`schedule_review`) is a Leitner schedule with
the intervals of ``REVIEW_INTERVALS``. Every function takes the time as an argument.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Sequence, Tuple

from bot.lessons.content import TopicContent, TopicInfo

REVIEW_INTERVALS: Tuple[dt.timedelta, ...] = (
    dt.timedelta(days=1),
    dt.timedelta(days=3),
    dt.timedelta(days=7),
)
REVIEW_BATCH = 5
PASS_NUMERATOR, PASS_DENOMINATOR = 4, 5  # 80 %
DEFICIT_TOPIC = "budgeting"

KIND_LESSON = "lesson"
KIND_QUIZ = "quiz"
KIND_REVIEW = "review"
KIND_DONE = "done"

REASON_REVIEW_DUE = "review_due"
REASON_MISTAKES = "mistakes"
REASON_ASKED = "asked"
REASON_BUDGET = "budget"
REASON_ORDER = "order"
REASON_DONE = "done"

ENTITY_TOPIC = "topic"
ENTITY_CONCEPT = "concept"


def needed_to_pass(total: int) -> int:
    """How many right answers pass a quiz of ``total`` questions (at least 80 %)."""
    return math.ceil(total * PASS_NUMERATOR / PASS_DENOMINATOR)


def is_pass(score: int, total: int) -> bool:
    """Whether ``score`` right answers out of ``total`` pass."""
    return total > 0 and score >= needed_to_pass(total)


# --- spaced repetition ------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    """A missed question in the review schedule.

    Attributes:
        topic: the question's topic.
        question_id: the question's id.
        box: 0 after a mistake; one higher after each right answer at a due review.
        due_at: when it should be asked again.
        missed_at: the time of the latest wrong answer.
    """

    topic: str
    question_id: str
    box: int
    due_at: dt.datetime
    missed_at: dt.datetime

    def is_due(self, now: dt.datetime) -> bool:
        """Whether the review time has come."""
        return self.due_at <= now


def schedule_review(
    item: ReviewItem | None,
    topic: str,
    question_id: str,
    correct: bool,
    now: dt.datetime,
) -> ReviewItem | None:
    """The question's review state after an answer (None: not in the schedule).

    Args:
        item: the current state, None when the question is not in the schedule.
        topic: the question's topic.
        question_id: the question's id.
        correct: whether the answer was right (a skipped question counts as wrong).
        now: the time of the answer.

    Returns:
        Wrong: box 0, due after the first interval. Right at a due review: the next box,
        due after its interval, or None after the last box. Right before it is due, or
        right on a question not in the schedule: the state is unchanged.
    """
    if not correct:
        return ReviewItem(topic, question_id, 0, now + REVIEW_INTERVALS[0], now)
    if item is None or not item.is_due(now):
        return item
    box = item.box + 1
    if box >= len(REVIEW_INTERVALS):
        return None
    return replace(item, box=box, due_at=now + REVIEW_INTERVALS[box])


# --- the client's progress --------------------------------------------------------------


@dataclass(frozen=True)
class TopicOutline:
    """What the rule needs of a topic: its lessons in order and each question's lesson."""

    key: str
    lesson_ids: Tuple[str, ...]
    question_lessons: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, content: TopicContent) -> TopicOutline:
        """The outline of a loaded topic."""
        return cls(
            key=content.topic,
            lesson_ids=tuple(lesson.id for lesson in content.lessons),
            question_lessons={q.id: q.lesson for q in content.questions},
        )


@dataclass(frozen=True)
class Progress:
    """A client's learning record, as read from the database.

    Attributes:
        lessons_seen: topic -> lesson id -> when it was last shown.
        passed: topics whose quiz the client has passed at least once.
        completed: topics completed (every lesson read and the quiz passed).
        reviews: the missed questions in the review schedule.
    """

    lessons_seen: Mapping[str, Mapping[str, dt.datetime]] = field(default_factory=dict)
    passed: FrozenSet[str] = frozenset()
    completed: FrozenSet[str] = frozenset()
    reviews: Tuple[ReviewItem, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    """What to do next, and why.

    Attributes:
        kind: ``lesson``, ``quiz``, ``review`` or ``done``.
        reason: which step of the rule chose it (``REASON_*``).
        topic: the topic (of the first question, for a review).
        lesson_id: the lesson to show, for ``lesson``.
        questions: (topic, question id) pairs, for ``review``.
        next_review_at: for ``done``, when the next review falls due (None: none left).
    """

    kind: str
    reason: str
    topic: str | None = None
    lesson_id: str | None = None
    questions: Tuple[Tuple[str, str], ...] = ()
    next_review_at: dt.datetime | None = None


def topic_step(outline: TopicOutline, progress: Progress) -> Tuple[str, str | None] | None:
    """A topic's next step: ``(lesson, id)`` of the first unread lesson, ``(quiz, None)``.

    Returns None when the topic is completed (or all read and passed).
    """
    if outline.key in progress.completed:
        return None
    seen = progress.lessons_seen.get(outline.key, {})
    unread = next((lesson for lesson in outline.lesson_ids if lesson not in seen), None)
    if unread is not None:
        return KIND_LESSON, unread
    if outline.key not in progress.passed:
        return KIND_QUIZ, None
    return None


def _relearn_step(outline: TopicOutline, progress: Progress) -> str | None:
    """The lesson of a missed question that was not read again since the mistake."""
    seen = progress.lessons_seen.get(outline.key, {})
    missed = sorted(
        (item for item in progress.reviews if item.topic == outline.key),
        key=lambda item: item.missed_at,
    )
    for item in missed:
        lesson = outline.question_lessons.get(item.question_id)
        if lesson in outline.lesson_ids and (lesson not in seen or seen[lesson] < item.missed_at):
            return lesson
    return None


def recommend(
    outlines: Sequence[TopicOutline],
    progress: Progress,
    now: dt.datetime,
    asked_topics: Sequence[str] = (),
    budget_deficit: bool = False,
) -> Recommendation:
    """Applies the recommendation rule (module docstring) to one client's data.

    Args:
        outlines: the topics in suggestion order.
        progress: the client's record.
        now: the current time (naive UTC, like the stored times).
        asked_topics: topics the client asked about, most recent first.
        budget_deficit: whether the client's latest budget spends more than it earns.

    Returns:
        The recommendation.
    """
    by_key = {outline.key: outline for outline in outlines}
    reviews = [item for item in progress.reviews if item.topic in by_key]
    due = sorted((item for item in reviews if item.is_due(now)), key=lambda item: item.due_at)
    if due:
        batch = tuple((item.topic, item.question_id) for item in due[:REVIEW_BATCH])
        return Recommendation(KIND_REVIEW, REASON_REVIEW_DUE, topic=batch[0][0], questions=batch)

    order = {outline.key: index for index, outline in enumerate(outlines)}
    mistakes: Dict[str, int] = {}
    for item in reviews:
        mistakes[item.topic] = mistakes.get(item.topic, 0) + 1
    for key in sorted(mistakes, key=lambda key: (-mistakes[key], order[key])):
        lesson = _relearn_step(by_key[key], progress)
        if lesson is not None:
            return Recommendation(KIND_LESSON, REASON_MISTAKES, topic=key, lesson_id=lesson)
        step = topic_step(by_key[key], progress)
        if step is not None:
            return Recommendation(step[0], REASON_MISTAKES, topic=key, lesson_id=step[1])

    candidates: List[Tuple[str, str]] = [(key, REASON_ASKED) for key in asked_topics]
    if budget_deficit:
        candidates.append((DEFICIT_TOPIC, REASON_BUDGET))
    candidates += [(outline.key, REASON_ORDER) for outline in outlines]
    tried = set()
    for key, reason in candidates:
        if key in tried or key not in by_key:
            continue
        tried.add(key)
        step = topic_step(by_key[key], progress)
        if step is not None:
            return Recommendation(step[0], reason, topic=key, lesson_id=step[1])

    upcoming = min((item.due_at for item in reviews), default=None)
    return Recommendation(KIND_DONE, REASON_DONE, next_review_at=upcoming)


# --- what the client asked about ----------------------------------------------------------


def topics_of_message(parse_data: Mapping[str, Any], infos: Sequence[TopicInfo]) -> List[str]:
    """The topics one client message shows interest in (``_topics.yml`` links)."""
    found: List[str] = []
    intent = (parse_data.get("intent") or {}).get("name")
    entities = parse_data.get("entities") or []
    names = {entity.get("entity") for entity in entities}
    for entity in entities:
        if entity.get("entity") == ENTITY_TOPIC and entity.get("value"):
            found.append(str(entity["value"]))
    concepts = {str(e.get("value")) for e in entities if e.get("entity") == ENTITY_CONCEPT}
    for info in infos:
        if intent in info.intents or concepts & info.concepts or names & info.entities:
            found.append(info.key)
    return found


def asked_topics(events: Iterable[Mapping[str, Any]], infos: Sequence[TopicInfo]) -> List[str]:
    """Topics the client's messages show interest in, most recent first, without repeats.

    Args:
        events: tracker events as dicts (rasa-sdk ``tracker.events``), oldest first.
        infos: the topics with their links (``content.topics()``).
    """
    ordered: List[str] = []
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        for key in topics_of_message(event.get("parse_data") or {}, infos):
            if key not in ordered:
                ordered.append(key)
    return ordered
