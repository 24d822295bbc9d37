"""The recommendation rule and the spaced-repetition schedule, with a controllable clock."""

from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lessons.content import TopicInfo, load_topic, topic_keys, topics
from bot.lessons.recommend import (
    KIND_DONE,
    KIND_LESSON,
    KIND_QUIZ,
    KIND_REVIEW,
    REASON_ASKED,
    REASON_BUDGET,
    REASON_DONE,
    REASON_MISTAKES,
    REASON_ORDER,
    REASON_REVIEW_DUE,
    REVIEW_BATCH,
    REVIEW_INTERVALS,
    Progress,
    ReviewItem,
    TopicOutline,
    asked_topics,
    is_pass,
    needed_to_pass,
    recommend,
    schedule_review,
    topics_of_message,
)

T0 = dt.datetime(2026, 3, 2, 9, 0)
DAY = dt.timedelta(days=1)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self.now += delta
        return self.now


def outline(key: str, lessons: int = 3, questions: Dict[str, str] | None = None) -> TopicOutline:
    ids = tuple(f"{key}_l{i}" for i in range(1, lessons + 1))
    return TopicOutline(
        key, ids, questions or {f"{key}_q{i}": ids[i - 1] for i in range(1, lessons + 1)}
    )


OUTLINES = [outline("budgeting"), outline("saving"), outline("interest"), outline("repayment")]


def seen(*pairs: str, at: dt.datetime = T0) -> Dict[str, Dict[str, dt.datetime]]:
    result: Dict[str, Dict[str, dt.datetime]] = {}
    for lesson in pairs:
        result.setdefault(lesson.rsplit("_l", 1)[0], {})[lesson] = at
    return result


def all_lessons(*keys: str) -> List[str]:
    return [lesson for o in OUTLINES if o.key in keys for lesson in o.lesson_ids]


# --- the pass mark ----------------------------------------------------------------------


@pytest.mark.parametrize(("total", "needed"), [(5, 4), (6, 5), (10, 8), (3, 3), (1, 1)])
def test_pass_needs_at_least_80_percent(total: int, needed: int) -> None:
    assert needed_to_pass(total) == needed
    assert is_pass(needed, total) and not is_pass(needed - 1, total)


# --- spaced repetition ------------------------------------------------------------------


def test_a_miss_comes_back_after_a_day_and_climbs_the_boxes() -> None:
    clock = FakeClock()
    item = schedule_review(None, "saving", "q1", correct=False, now=clock())
    assert item == ReviewItem("saving", "q1", 0, T0 + DAY, T0)
    assert not item.is_due(clock.advance(dt.timedelta(hours=23)))
    assert item.is_due(clock.advance(dt.timedelta(hours=1)))
    for box, interval in enumerate(REVIEW_INTERVALS[1:], start=1):
        item = schedule_review(item, "saving", "q1", correct=True, now=clock())
        assert item is not None and item.box == box and item.due_at == clock() + interval
        clock.advance(interval)
    assert schedule_review(item, "saving", "q1", correct=True, now=clock()) is None


def test_a_right_answer_before_the_review_is_due_changes_nothing() -> None:
    item = schedule_review(None, "saving", "q1", correct=False, now=T0)
    assert (
        schedule_review(item, "saving", "q1", correct=True, now=T0 + dt.timedelta(hours=2)) == item
    )


def test_a_miss_at_any_box_starts_again() -> None:
    item = ReviewItem("saving", "q1", 2, T0, T0 - 10 * DAY)
    later = T0 + 3 * DAY
    assert schedule_review(item, "saving", "q1", correct=False, now=later) == ReviewItem(
        "saving", "q1", 0, later + REVIEW_INTERVALS[0], later
    )


def test_right_answers_never_schedule_a_new_question() -> None:
    assert schedule_review(None, "saving", "q1", correct=True, now=T0) is None


@given(st.lists(st.booleans(), max_size=12), st.lists(st.integers(0, 30), min_size=12, max_size=12))
def test_schedule_invariants(answers: List[bool], waits: List[int]) -> None:
    clock = FakeClock()
    item = None
    for correct, wait in zip(answers, waits, strict=False):
        before = item
        item = schedule_review(item, "t", "q", correct, clock())
        if not correct:
            assert item is not None and item.box == 0 and item.due_at > clock()
        elif before is None:
            assert item is None
        if item is not None:
            assert 0 <= item.box < len(REVIEW_INTERVALS) and item.missed_at <= clock()
        clock.advance(dt.timedelta(hours=wait * 12))


# --- the recommendation rule --------------------------------------------------------------


def test_a_new_client_starts_with_the_first_topic() -> None:
    advice = recommend(OUTLINES, Progress(), T0)
    assert (advice.kind, advice.reason, advice.topic, advice.lesson_id) == (
        KIND_LESSON,
        REASON_ORDER,
        "budgeting",
        "budgeting_l1",
    )


def test_next_unread_lesson_then_the_quiz_then_the_next_topic() -> None:
    progress = Progress(lessons_seen=seen("budgeting_l1", "budgeting_l2"))
    assert recommend(OUTLINES, progress, T0).lesson_id == "budgeting_l3"
    progress = Progress(lessons_seen=seen(*all_lessons("budgeting")))
    assert recommend(OUTLINES, progress, T0).kind == KIND_QUIZ
    progress = Progress(
        lessons_seen=seen(*all_lessons("budgeting")),
        passed=frozenset({"budgeting"}),
        completed=frozenset({"budgeting"}),
    )
    advice = recommend(OUTLINES, progress, T0)
    assert (advice.kind, advice.topic, advice.lesson_id) == (KIND_LESSON, "saving", "saving_l1")


def test_a_client_who_asked_about_flat_rates_gets_interest() -> None:
    message = {
        "intent": {"name": "explain_interest"},
        "entities": [{"entity": "interest_method", "value": "flat"}],
    }
    events = [{"event": "user", "parse_data": message}, {"event": "bot", "text": "..."}]
    asked = asked_topics(events, topics())
    assert asked == ["interest"]
    advice = recommend(OUTLINES, Progress(), T0, asked_topics=asked)
    assert (advice.topic, advice.reason) == ("interest", REASON_ASKED)


def test_a_budget_in_deficit_leads_to_budgeting() -> None:
    progress = Progress(lessons_seen=seen("budgeting_l1"))
    plain = recommend(OUTLINES[1:] + OUTLINES[:1], progress, T0)
    assert plain.topic == "saving"  # budgeting last in this order
    advice = recommend(OUTLINES[1:] + OUTLINES[:1], progress, T0, budget_deficit=True)
    assert (advice.topic, advice.reason, advice.lesson_id) == (
        "budgeting",
        REASON_BUDGET,
        "budgeting_l2",
    )


def test_asked_topics_come_before_the_budget_and_skip_completed_ones() -> None:
    progress = Progress(completed=frozenset({"interest"}))
    advice = recommend(
        OUTLINES, progress, T0, asked_topics=["interest", "repayment"], budget_deficit=True
    )
    assert (advice.topic, advice.reason) == ("repayment", REASON_ASKED)


def test_wrong_answers_come_first_with_the_lesson_to_read_again() -> None:
    missed = ReviewItem("saving", "saving_q2", 0, T0 + DAY, T0)
    progress = Progress(
        lessons_seen=seen(*all_lessons("budgeting", "saving"), at=T0 - DAY),
        passed=frozenset({"budgeting"}),
        completed=frozenset({"budgeting"}),
        reviews=(missed,),
    )
    advice = recommend(OUTLINES, progress, T0 + dt.timedelta(hours=1), asked_topics=["interest"])
    assert (advice.kind, advice.reason, advice.topic, advice.lesson_id) == (
        KIND_LESSON,
        REASON_MISTAKES,
        "saving",
        "saving_l2",
    )
    # once read again, the topic's quiz (not passed yet) is next, still before "interest"
    reread = dict(progress.lessons_seen)
    reread["saving"] = {**reread["saving"], "saving_l2": T0 + dt.timedelta(hours=2)}
    progress = Progress(reread, progress.passed, progress.completed, progress.reviews)
    advice = recommend(OUTLINES, progress, T0 + dt.timedelta(hours=3), asked_topics=["interest"])
    assert (advice.kind, advice.reason, advice.topic) == (KIND_QUIZ, REASON_MISTAKES, "saving")


def test_the_topic_with_most_mistakes_comes_first() -> None:
    reviews = (
        ReviewItem("budgeting", "budgeting_q1", 0, T0 + DAY, T0),
        ReviewItem("interest", "interest_q1", 0, T0 + DAY, T0),
        ReviewItem("interest", "interest_q2", 0, T0 + DAY, T0),
    )
    advice = recommend(OUTLINES, Progress(reviews=reviews), T0)
    assert (advice.topic, advice.lesson_id) == ("interest", "interest_l1")


def test_due_reviews_come_before_everything_in_batches() -> None:
    clock = FakeClock()
    reviews = tuple(
        ReviewItem("saving", f"saving_q{i}", 0, T0 + DAY + i * dt.timedelta(minutes=1), T0)
        for i in range(1, REVIEW_BATCH + 3)
    )
    progress = Progress(reviews=reviews)
    assert recommend(OUTLINES, progress, clock()).kind == KIND_LESSON
    advice = recommend(OUTLINES, progress, clock.advance(2 * DAY), asked_topics=["interest"])
    assert (advice.kind, advice.reason) == (KIND_REVIEW, REASON_REVIEW_DUE)
    assert advice.questions == tuple(("saving", f"saving_q{i}") for i in range(1, REVIEW_BATCH + 1))


def test_when_all_is_done_the_next_review_date_is_given() -> None:
    keys = [o.key for o in OUTLINES]
    pending = ReviewItem("saving", "saving_q1", 1, T0 + 3 * DAY, T0 - DAY)
    progress = Progress(
        lessons_seen=seen(*all_lessons(*keys)),
        passed=frozenset(keys),
        completed=frozenset(keys),
        reviews=(pending,),
    )
    advice = recommend(OUTLINES, progress, T0)
    assert (advice.kind, advice.reason, advice.next_review_at) == (
        KIND_DONE,
        REASON_DONE,
        T0 + 3 * DAY,
    )
    assert recommend(OUTLINES, progress, T0 + 3 * DAY).kind == KIND_REVIEW


def test_reviews_of_unknown_topics_are_ignored() -> None:
    gone = ReviewItem("removed_topic", "q", 0, T0 - DAY, T0 - 2 * DAY)
    assert recommend(OUTLINES, Progress(reviews=(gone,)), T0).kind == KIND_LESSON


# --- what the client asked about ------------------------------------------------------------


INFOS = (
    TopicInfo("budgeting", frozenset({"start_budget"})),
    TopicInfo(
        "interest",
        frozenset({"explain_interest"}),
        frozenset({"apr"}),
        frozenset({"interest_method"}),
    ),
    TopicInfo("repayment", frozenset({"request_schedule"}), frozenset({"penalty"})),
)


def user(intent: str, *entities: Dict[str, str]) -> Dict[str, object]:
    return {"event": "user", "parse_data": {"intent": {"name": intent}, "entities": list(entities)}}


def test_asked_topics_newest_first_without_repeats() -> None:
    events: Iterable[Dict[str, object]] = [
        user("explain_interest"),
        user("start_budget"),
        user("ask_definition", {"entity": "concept", "value": "penalty"}),
        user("calculate_loan", {"entity": "interest_method", "value": "flat"}),
        {"event": "action", "name": "action_listen"},
    ]
    assert asked_topics(events, INFOS) == ["interest", "repayment", "budgeting"]


def test_topic_entity_links_directly() -> None:
    message = {
        "intent": {"name": "start_quiz"},
        "entities": [{"entity": "topic", "value": "saving"}],
    }
    assert topics_of_message(message, INFOS) == ["saving"]
    assert topics_of_message({"intent": {"name": "greet"}}, INFOS) == []


def test_the_real_topics_link_their_intents() -> None:
    by_intent = {intent: info.key for info in topics() for intent in info.intents}
    assert by_intent["explain_interest"] == "interest"
    assert by_intent["plan_savings"] == "saving"
    assert by_intent["start_budget"] == "budgeting"


def test_outlines_of_real_content_link_questions_to_lessons() -> None:
    for key in topic_keys():
        content = load_topic(key, "en")
        made = TopicOutline.of(content)
        assert made.lesson_ids == tuple(lesson.id for lesson in content.lessons)
        assert set(made.question_lessons.values()) <= set(made.lesson_ids)
