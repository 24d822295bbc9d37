"""Learning progress in the database: it survives a restart (a new engine)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from bot.lessons.recommend import REVIEW_INTERVALS, ReviewItem
from bot.store import lessons as store
from bot.store.db import create_tables, dispose_engines, get_engine, session_scope

T0 = dt.datetime(2026, 3, 2, 9, 0)
CLIENT = "telegram:1001"
OTHER = "whatsapp:+254700000000"


@pytest.fixture
def engine(db_url: str):  # noqa: ANN201 - SQLAlchemy engine
    create_tables()
    return get_engine()


def take_quiz(conversation_id: str, topic: str, answers: list[bool], now: dt.datetime) -> int:
    with session_scope() as session:
        attempt = store.start_attempt(
            session, conversation_id, store.KIND_QUIZ, topic, len(answers), now
        )
        for number, correct in enumerate(answers, start=1):
            store.record_answer(
                session,
                attempt,
                conversation_id,
                topic,
                f"q{number}",
                1 if correct else 2,
                correct,
                now,
            )
        store.finish_attempt(session, attempt, now)
    return attempt


def test_progress_survives_a_restart(engine, db_url: str) -> None:  # noqa: ANN001
    with session_scope() as session:
        store.record_lesson_view(session, CLIENT, "saving", "why_save", "sw", T0)
        store.record_lesson_view(
            session, CLIENT, "saving", "save_first", "sw", T0 + dt.timedelta(minutes=2)
        )
        store.record_lesson_view(session, OTHER, "budgeting", "know_your_money", "en", T0)
    take_quiz(CLIENT, "saving", [True, True, True, True, False], T0 + dt.timedelta(minutes=5))
    with session_scope() as session:
        store.complete_topic(session, CLIENT, "saving", 4, 5, T0 + dt.timedelta(minutes=6))

    dispose_engines()  # every process restarts: nothing is kept in memory
    assert get_engine(db_url) is not engine

    with session_scope() as session:
        progress = store.load_progress(session, CLIENT)
        assert set(progress.lessons_seen["saving"]) == {"why_save", "save_first"}
        assert progress.passed == frozenset({"saving"})
        assert progress.completed == frozenset({"saving"})
        assert progress.reviews == (
            ReviewItem(
                "saving",
                "q5",
                0,
                T0 + dt.timedelta(minutes=5) + REVIEW_INTERVALS[0],
                T0 + dt.timedelta(minutes=5),
            ),
        )
        assert store.best_scores(session, CLIENT) == {"saving": (4, 5)}
        answers = session.query(store.QuizAnswer).filter_by(conversation_id=CLIENT).all()
        assert [(a.question_id, a.chosen, a.correct) for a in answers][-1] == ("q5", 2, False)
        assert all(a.answered_at == T0 + dt.timedelta(minutes=5) for a in answers)
        other = store.load_progress(session, OTHER)
        assert set(other.lessons_seen) == {"budgeting"} and not other.completed


def test_scores_passes_and_the_best_score(engine) -> None:  # noqa: ANN001
    take_quiz(CLIENT, "interest", [True, False, False, True, True], T0)
    with session_scope() as session:
        assert store.load_progress(session, CLIENT).passed == frozenset()
    take_quiz(CLIENT, "interest", [True, True, True, True, False], T0 + dt.timedelta(hours=1))
    take_quiz(CLIENT, "interest", [True, True, False, False, False], T0 + dt.timedelta(hours=2))
    with session_scope() as session:
        assert store.best_scores(session, CLIENT) == {"interest": (4, 5)}
        assert store.load_progress(session, CLIENT).passed == frozenset({"interest"})
        attempts = session.query(store.QuizAttempt).order_by(store.QuizAttempt.id).all()
        assert [(a.score, a.passed) for a in attempts] == [(3, False), (4, True), (2, False)]


def test_an_unfinished_quiz_does_not_count(engine) -> None:  # noqa: ANN001
    with session_scope() as session:
        attempt = store.start_attempt(session, CLIENT, store.KIND_QUIZ, "saving", 5, T0)
        for number in range(1, 6):
            store.record_answer(session, attempt, CLIENT, "saving", f"q{number}", 1, True, T0)
    with session_scope() as session:
        assert store.best_scores(session, CLIENT) == {}
        assert store.load_progress(session, CLIENT).passed == frozenset()


def test_the_review_schedule_moves_with_answers(engine) -> None:  # noqa: ANN001
    take_quiz(CLIENT, "saving", [False], T0)
    due = T0 + REVIEW_INTERVALS[0]
    with session_scope() as session:
        review = store.start_attempt(session, CLIENT, store.KIND_REVIEW, None, 1, due)
        after = store.record_answer(session, review, CLIENT, "saving", "q1", 1, True, due)
        result = store.finish_attempt(session, review, due)
    assert after == ReviewItem("saving", "q1", 1, due + REVIEW_INTERVALS[1], T0)
    assert (result.kind, result.score, result.passed) == (store.KIND_REVIEW, 1, False)
    with session_scope() as session:
        assert store.review_items(session, CLIENT) == [after]
    now = after.due_at
    with session_scope() as session:
        for _ in range(1, len(REVIEW_INTERVALS)):
            attempt = store.start_attempt(session, CLIENT, store.KIND_REVIEW, None, 1, now)
            item = store.record_answer(session, attempt, CLIENT, "saving", "q1", 1, True, now)
            now = item.due_at if item else now
    with session_scope() as session:
        assert store.review_items(session, CLIENT) == []


def test_completion_is_recorded_once_with_a_unique_certificate(engine) -> None:  # noqa: ANN001
    with session_scope() as session:
        first, created = store.complete_topic(session, CLIENT, "saving", 5, 6, T0)
        again, created_again = store.complete_topic(
            session, CLIENT, "saving", 6, 6, T0 + dt.timedelta(days=1)
        )
        other, _ = store.complete_topic(session, OTHER, "saving", 6, 6, T0)
        assert created and not created_again and again.id == first.id
        assert first.certificate.startswith("SAV-") and len(first.certificate) == 10
        assert other.certificate != first.certificate
    with pytest.raises(IntegrityError):
        with session_scope() as session:
            session.add(
                store.LessonCompletion(
                    conversation_id=CLIENT,
                    topic="saving",
                    score=1,
                    total=1,
                    certificate="X-1",
                    completed_at=T0,
                )
            )


def test_every_lesson_table_is_deleted_with_the_client(engine) -> None:  # noqa: ANN001
    from bot.store.privacy import conversation_tables

    names = {table.name for table in conversation_tables()}
    assert {
        "mfi_lesson_view",
        "mfi_quiz_attempt",
        "mfi_quiz_answer",
        "mfi_review_item",
        "mfi_lesson_completion",
    } <= names
