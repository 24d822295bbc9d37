"""Learning progress per client: lessons seen, quiz answers, scores, completions, reviews.

Every table has a ``conversation_id`` (Rasa's sender id), so ``bot.store.privacy`` deletes
a client's progress with the rest of their data. Times are naive UTC. The functions take
a session (``bot.store.db.session_scope``) and the current time, so tests control both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Dict, List, Tuple

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Session

from bot.lessons.recommend import Progress, ReviewItem, is_pass, schedule_review
from bot.store.db import Base

KIND_QUIZ = "quiz"
KIND_REVIEW = "review"
CERTIFICATE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CERTIFICATE_LENGTH = 6


def utcnow() -> dt.datetime:
    """The current time in UTC (naive, as stored)."""
    return dt.datetime.utcnow()


class LessonView(Base):
    """A lesson shown to a client."""

    __tablename__ = "mfi_lesson_view"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    topic = Column(String(64), nullable=False)
    lesson_id = Column(String(64), nullable=False)
    language = Column(String(16), nullable=True)
    viewed_at = Column(DateTime, nullable=False, default=utcnow)


class QuizAttempt(Base):
    """A quiz of one topic, or a review of missed questions, taken by a client."""

    __tablename__ = "mfi_quiz_attempt"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    kind = Column(String(16), nullable=False, default=KIND_QUIZ)
    topic = Column(String(64), nullable=True)  # None for a review across topics
    total = Column(Integer, nullable=False)
    score = Column(Integer, nullable=False, default=0)
    passed = Column(Boolean, nullable=True)
    started_at = Column(DateTime, nullable=False, default=utcnow)
    finished_at = Column(DateTime, nullable=True)


class QuizAnswer(Base):
    """One answer (or skipped question) of an attempt."""

    __tablename__ = "mfi_quiz_answer"

    id = Column(Integer, primary_key=True)
    attempt_id = Column(
        Integer, ForeignKey("mfi_quiz_attempt.id", ondelete="CASCADE"), nullable=False, index=True
    )
    conversation_id = Column(String(255), nullable=False, index=True)
    topic = Column(String(64), nullable=False)
    question_id = Column(String(64), nullable=False)
    chosen = Column(Integer, nullable=True)  # 1-based option number; None when skipped
    correct = Column(Boolean, nullable=False)
    answered_at = Column(DateTime, nullable=False, default=utcnow)


class ReviewEntry(Base):
    """A missed question in the client's spaced-repetition schedule."""

    __tablename__ = "mfi_review_item"
    __table_args__ = (UniqueConstraint("conversation_id", "topic", "question_id"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    topic = Column(String(64), nullable=False)
    question_id = Column(String(64), nullable=False)
    box = Column(Integer, nullable=False, default=0)
    due_at = Column(DateTime, nullable=False, index=True)
    missed_at = Column(DateTime, nullable=False)


class LessonCompletion(Base):
    """A topic completed: every lesson read and the quiz passed; the certificate code."""

    __tablename__ = "mfi_lesson_completion"
    __table_args__ = (UniqueConstraint("conversation_id", "topic"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    topic = Column(String(64), nullable=False)
    score = Column(Integer, nullable=False)
    total = Column(Integer, nullable=False)
    certificate = Column(String(32), nullable=False, unique=True)
    completed_at = Column(DateTime, nullable=False, default=utcnow)


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of a finished attempt."""

    attempt_id: int
    kind: str
    topic: str | None
    score: int
    total: int
    passed: bool


def record_lesson_view(
    session: Session,
    conversation_id: str,
    topic: str,
    lesson_id: str,
    language: str | None,
    now: dt.datetime,
) -> None:
    """Records that a lesson was shown."""
    session.add(
        LessonView(
            conversation_id=conversation_id,
            topic=topic,
            lesson_id=lesson_id,
            language=language,
            viewed_at=now,
        )
    )


def start_attempt(
    session: Session,
    conversation_id: str,
    kind: str,
    topic: str | None,
    total: int,
    now: dt.datetime,
) -> int:
    """Starts a quiz (``kind`` quiz, one topic) or a review; returns the attempt's id."""
    attempt = QuizAttempt(
        conversation_id=conversation_id, kind=kind, topic=topic, total=total, started_at=now
    )
    session.add(attempt)
    session.flush()
    return int(attempt.id)


def _review_entry(
    session: Session, conversation_id: str, topic: str, question_id: str
) -> ReviewEntry | None:
    return session.execute(
        select(ReviewEntry).where(
            ReviewEntry.conversation_id == conversation_id,
            ReviewEntry.topic == topic,
            ReviewEntry.question_id == question_id,
        )
    ).scalar_one_or_none()


def _as_item(entry: ReviewEntry) -> ReviewItem:
    return ReviewItem(entry.topic, entry.question_id, entry.box, entry.due_at, entry.missed_at)


def record_answer(
    session: Session,
    attempt_id: int,
    conversation_id: str,
    topic: str,
    question_id: str,
    chosen: int | None,
    correct: bool,
    now: dt.datetime,
) -> ReviewItem | None:
    """Stores an answer, counts it in the attempt and updates the review schedule.

    Args:
        session: the database session.
        attempt_id: the quiz or review the answer belongs to.
        conversation_id: the client's conversation.
        topic: the question's topic.
        question_id: the question's id.
        chosen: the 1-based option number, None when the question was skipped.
        correct: whether the answer was right.
        now: the time of the answer.

    Returns:
        The question's review state after the answer (None: not in the schedule).
    """
    session.add(
        QuizAnswer(
            attempt_id=attempt_id,
            conversation_id=conversation_id,
            topic=topic,
            question_id=question_id,
            chosen=chosen,
            correct=correct,
            answered_at=now,
        )
    )
    if correct:
        attempt = session.get(QuizAttempt, attempt_id)
        if attempt is not None:
            attempt.score = (attempt.score or 0) + 1
    entry = _review_entry(session, conversation_id, topic, question_id)
    before = _as_item(entry) if entry is not None else None
    after = schedule_review(before, topic, question_id, correct, now)
    if after is None and entry is not None:
        session.delete(entry)
    elif after is not None and after != before:
        if entry is None:
            entry = ReviewEntry(
                conversation_id=conversation_id, topic=topic, question_id=question_id
            )
            session.add(entry)
        entry.box, entry.due_at, entry.missed_at = after.box, after.due_at, after.missed_at
    return after


def finish_attempt(session: Session, attempt_id: int, now: dt.datetime) -> AttemptResult:
    """Closes an attempt and returns its score (a quiz passes with 80 %)."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise LookupError(f"no quiz attempt {attempt_id}")
    attempt.finished_at = now
    attempt.passed = attempt.kind == KIND_QUIZ and is_pass(attempt.score or 0, attempt.total)
    return AttemptResult(
        attempt_id=int(attempt.id),
        kind=attempt.kind,
        topic=attempt.topic,
        score=int(attempt.score or 0),
        total=int(attempt.total),
        passed=bool(attempt.passed),
    )


def new_certificate_code(conversation_id: str, topic: str) -> str:
    """A short, unambiguous certificate code such as ``SAV-7K3QX9``."""
    prefix = topic[:3].upper()
    salt = secrets.token_hex(4)
    digest = hashlib.sha256(f"{conversation_id}|{topic}|{salt}".encode()).digest()
    code = "".join(CERTIFICATE_ALPHABET[b % len(CERTIFICATE_ALPHABET)] for b in digest)
    return f"{prefix}-{code[:CERTIFICATE_LENGTH]}"


def completion_of(session: Session, conversation_id: str, topic: str) -> LessonCompletion | None:
    """The client's completion of a topic, if any."""
    return session.execute(
        select(LessonCompletion).where(
            LessonCompletion.conversation_id == conversation_id, LessonCompletion.topic == topic
        )
    ).scalar_one_or_none()


def complete_topic(
    session: Session,
    conversation_id: str,
    topic: str,
    score: int,
    total: int,
    now: dt.datetime,
) -> Tuple[LessonCompletion, bool]:
    """Records a topic as completed; returns the completion and whether it is new."""
    existing = completion_of(session, conversation_id, topic)
    if existing is not None:
        return existing, False
    completion = LessonCompletion(
        conversation_id=conversation_id,
        topic=topic,
        score=score,
        total=total,
        certificate=new_certificate_code(conversation_id, topic),
        completed_at=now,
    )
    session.add(completion)
    session.flush()
    return completion, True


def best_scores(session: Session, conversation_id: str) -> Dict[str, Tuple[int, int]]:
    """The best finished quiz score per topic: ``{topic: (score, total)}``."""
    rows = session.execute(
        select(QuizAttempt.topic, QuizAttempt.score, QuizAttempt.total).where(
            QuizAttempt.conversation_id == conversation_id,
            QuizAttempt.kind == KIND_QUIZ,
            QuizAttempt.finished_at.is_not(None),
        )
    ).all()
    best: Dict[str, Tuple[int, int]] = {}
    for topic, score, total in rows:
        current = best.get(topic)
        if total and (current is None or score * current[1] > current[0] * total):
            best[topic] = (int(score), int(total))
    return best


def lessons_seen(session: Session, conversation_id: str) -> Dict[str, Dict[str, dt.datetime]]:
    """When each lesson was last shown: ``{topic: {lesson_id: time}}``."""
    rows = session.execute(
        select(LessonView.topic, LessonView.lesson_id, func.max(LessonView.viewed_at))
        .where(LessonView.conversation_id == conversation_id)
        .group_by(LessonView.topic, LessonView.lesson_id)
    ).all()
    seen: Dict[str, Dict[str, dt.datetime]] = {}
    for topic, lesson_id, viewed_at in rows:
        seen.setdefault(topic, {})[lesson_id] = viewed_at
    return seen


def review_items(session: Session, conversation_id: str) -> List[ReviewItem]:
    """The client's missed questions in the review schedule, earliest due first."""
    entries = session.execute(
        select(ReviewEntry)
        .where(ReviewEntry.conversation_id == conversation_id)
        .order_by(ReviewEntry.due_at, ReviewEntry.id)
    ).scalars()
    return [_as_item(entry) for entry in entries]


def completions(session: Session, conversation_id: str) -> Dict[str, LessonCompletion]:
    """The client's completed topics."""
    rows = session.execute(
        select(LessonCompletion).where(LessonCompletion.conversation_id == conversation_id)
    ).scalars()
    return {row.topic: row for row in rows}


def load_progress(session: Session, conversation_id: str) -> Progress:
    """Everything the recommendation rule needs about one client."""
    passed = session.execute(
        select(QuizAttempt.topic)
        .where(
            QuizAttempt.conversation_id == conversation_id,
            QuizAttempt.kind == KIND_QUIZ,
            QuizAttempt.passed.is_(True),
        )
        .distinct()
    ).scalars()
    return Progress(
        lessons_seen=lessons_seen(session, conversation_id),
        passed=frozenset(topic for topic in passed if topic),
        completed=frozenset(completions(session, conversation_id)),
        reviews=tuple(review_items(session, conversation_id)),
    )
