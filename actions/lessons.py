"""Lessons and quizzes: start, answer, navigate, progress (docs/lessons.md).

A lesson or quiz runs as the form ``lesson_form``: every client message fills the slot
``lesson_reply`` and ``validate_lesson_form`` interprets it. The actions only read the
slots and the database, call the core and utter domain responses:

- ``bot.lessons.answers``: what a message means (an answer, a navigation command);
- ``bot.lessons.session``: the lesson/quiz state (the ``lesson_*`` slots) and what each
  message or start request does to it;
- ``bot.lessons.presenting``: the values of the responses in the client's language;
- ``bot.lessons.content`` and ``bot.lessons.recommend``: the content and the next step;
- ``bot.store.lessons``: what the client has learnt.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.common import language_of, latest_entity, payload
from bot.lessons import content as lesson_content
from bot.lessons import presenting
from bot.lessons.answers import read_reply
from bot.lessons.content import Question, TopicContent
from bot.lessons.presenting import Verdict
from bot.lessons.recommend import (
    KIND_DONE,
    KIND_LESSON,
    KIND_QUIZ,
    KIND_REVIEW,
    REASON_ASKED,
    REASON_BUDGET,
    REASON_MISTAKES,
    Recommendation,
    TopicOutline,
    asked_topics,
    recommend,
)
from bot.lessons.session import (
    INTENT_INFORM,
    INTENT_START_LESSON,
    INTENT_START_QUIZ,
    MODES,
    FlowState,
    Outcome,
    StartMove,
    Step,
    can_complete,
    lesson_state,
    missed_lessons,
    next_lesson,
    next_question,
    plan_recommended,
    plan_reply,
    plan_start,
    question_in,
    quiz_outcome,
    quiz_state,
    review_refs,
    review_state,
    split_ref,
    start_index,
    unread_lessons,
)
from bot.settings import get_settings
from bot.store import lessons as store
from bot.store.db import Base, get_engine, session_scope

logger = logging.getLogger(__name__)

# actions and form
ACTION_START_LESSON = "action_start_lesson"
ACTION_START_QUIZ = "action_start_quiz"
ACTION_SHOW_PROGRESS = "action_show_progress"
ACTION_VALIDATE_LESSON_FORM = "validate_lesson_form"
ACTION_LISTEN = "action_listen"
FORM_LESSON = "lesson_form"

# slots
SLOT_REPLY = "lesson_reply"
SLOT_MODE = "lesson_mode"
SLOT_TOPIC = "lesson_topic"
SLOT_INDEX = "lesson_index"
SLOT_QUESTIONS = "lesson_questions"
SLOT_ATTEMPT = "lesson_attempt"
SLOT_REQUESTED = "requested_slot"

# entities
ENTITY_TOPIC = "topic"
ENTITY_CHOICE = "lesson_choice"
ENTITY_LANGUAGE = "language"

# responses
UTTER_LESSON_TEXT = "utter_lesson_text"
UTTER_LESSON_HELP = "utter_lesson_help"
UTTER_LESSON_TOPICS = "utter_lesson_topics"
UTTER_LESSONS_READ = "utter_lessons_read"
UTTER_LESSONS_TO_READ = "utter_lessons_to_read"
UTTER_LESSON_STOPPED = "utter_lesson_stopped"
UTTER_REASON = {
    REASON_MISTAKES: "utter_lesson_reason_mistakes",
    REASON_ASKED: "utter_lesson_reason_asked",
    REASON_BUDGET: "utter_lesson_reason_budget",
}
UTTER_QUIZ_INTRO = "utter_quiz_intro"
UTTER_REVIEW_INTRO = "utter_review_intro"
UTTER_QUIZ_QUESTION = "utter_quiz_question"
UTTER_QUIZ_HELP = "utter_quiz_help"
UTTER_QUIZ_CORRECT = "utter_quiz_correct"
UTTER_QUIZ_WRONG = "utter_quiz_wrong"
UTTER_QUIZ_SKIPPED = "utter_quiz_skipped"
UTTER_QUIZ_PASSED = "utter_quiz_passed"
UTTER_QUIZ_PASSED_MISSED = "utter_quiz_passed_missed"
UTTER_QUIZ_FAILED = "utter_quiz_failed"
UTTER_REVIEW_DONE_ALL = "utter_review_done_all"
UTTER_REVIEW_DONE = "utter_review_done"
UTTER_CERTIFICATE = "utter_lesson_certificate"
UTTER_SUGGEST_TOPIC = "utter_lesson_suggest_topic"
UTTER_ALL_DONE = "utter_lesson_all_done"
UTTER_PROGRESS = {
    KIND_LESSON: "utter_lesson_progress_lesson",
    KIND_QUIZ: "utter_lesson_progress_quiz",
    KIND_REVIEW: "utter_lesson_progress_review",
    KIND_DONE: "utter_lesson_progress_done",
}
UTTER_FEEDBACK = {
    Verdict.CORRECT: UTTER_QUIZ_CORRECT,
    Verdict.WRONG: UTTER_QUIZ_WRONG,
    Verdict.SKIPPED: UTTER_QUIZ_SKIPPED,
}
UTTER_OUTCOME = {
    Outcome.REVIEW_DONE_ALL: UTTER_REVIEW_DONE_ALL,
    Outcome.REVIEW_DONE: UTTER_REVIEW_DONE,
    Outcome.FAILED: UTTER_QUIZ_FAILED,
    Outcome.PASSED: UTTER_QUIZ_PASSED,
    Outcome.PASSED_MISSED: UTTER_QUIZ_PASSED_MISSED,
}

Buttons = List[Dict[str, str]]

_LESSON_TABLES = [
    store.LessonView.__table__,
    store.QuizAttempt.__table__,
    store.QuizAnswer.__table__,
    store.ReviewEntry.__table__,
    store.LessonCompletion.__table__,
]
_ready_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def lessons_engine() -> Engine:
    """The deployment's database, with the lesson tables created on first use."""
    engine = get_engine()
    if engine not in _ready_engines:
        Base.metadata.create_all(engine, tables=_LESSON_TABLES)
        _ready_engines.add(engine)
    return engine


def utcnow() -> dt.datetime:
    """The current time in UTC (naive, as stored); tests replace ``LessonAction.clock``."""
    return dt.datetime.utcnow()


# --- slots and the latest message --------------------------------------------------------


def state_of(tracker: Tracker) -> FlowState:
    """The lesson or quiz state kept in ``tracker``'s slots."""
    return FlowState.of(
        mode=tracker.get_slot(SLOT_MODE),
        topic=tracker.get_slot(SLOT_TOPIC),
        index=tracker.get_slot(SLOT_INDEX),
        questions=tracker.get_slot(SLOT_QUESTIONS),
        attempt=tracker.get_slot(SLOT_ATTEMPT),
    )


def slot_events(state: FlowState) -> List[Dict[str, Any]]:
    """The events that store ``state`` in the slots."""
    return [
        SlotSet(SLOT_MODE, state.mode),
        SlotSet(SLOT_TOPIC, state.topic),
        SlotSet(SLOT_INDEX, float(state.index) if state.mode else None),
        SlotSet(SLOT_QUESTIONS, list(state.questions) if state.questions else None),
        SlotSet(SLOT_ATTEMPT, float(state.attempt) if state.attempt is not None else None),
    ]


def topic_from(tracker: Tracker) -> str | None:
    """The valid ``topic`` entity of the latest message, if any."""
    value = latest_entity(tracker, ENTITY_TOPIC)
    return str(value) if value in lesson_content.topic_keys() else None


def choice_from(tracker: Tracker) -> str | None:
    """The ``lesson_choice`` entity of the latest message (a button), if any."""
    value = latest_entity(tracker, ENTITY_CHOICE)
    return str(value).strip().lower() if value is not None else None


# --- the client and the database ----------------------------------------------------------


@dataclass
class Learner:
    """The client of one action run: conversation, language, time and database session."""

    conversation_id: str
    language: str
    now: dt.datetime
    session: Session

    def topic(self, key: str) -> TopicContent:
        """A topic's content in the client's language (English when not translated)."""
        return lesson_content.get_topic(key, self.language)

    def seen(self, topic: str) -> Dict[str, dt.datetime]:
        """The lessons of ``topic`` the client has read: lesson id -> last shown."""
        return store.lessons_seen(self.session, self.conversation_id).get(topic, {})


def _budget_reader() -> Callable[[Session, str], bool] | None:
    """Whether a client's latest budget is in deficit, read from ``bot.store.budget``.

    None when that module (another feature) is not there.
    """
    try:
        module = importlib.import_module("bot.store.budget")
    except ImportError:
        return None
    latest_budget = getattr(module, "latest_budget", None)
    if not callable(latest_budget):
        return None

    def in_deficit(session: Session, conversation_id: str) -> bool:
        budget = latest_budget(session, conversation_id)
        return bool(budget is not None and getattr(budget, "in_deficit", False))

    return in_deficit


def budget_in_deficit(session: Session, conversation_id: str) -> bool:
    """Whether the client's latest budget spends more than it earns (False if unknown).

    Read in a session of its own, so that a missing budget table cannot spoil ``session``.
    """
    reader = _budget_reader()
    if reader is None:
        return False
    try:
        with session_scope(session.get_bind()) as own:
            return reader(own, conversation_id)
    except SQLAlchemyError:
        logger.debug("No budget to read for a conversation.", exc_info=True)
        return False
    except Exception:  # noqa: BLE001 - a budget problem must not stop a lesson
        logger.exception("Could not read the budget of a conversation.")
        return False


def recommendation(learner: Learner, tracker: Tracker) -> Recommendation:
    """The next step for the client (``bot.lessons.recommend`` with the client's data)."""
    outlines = [
        TopicOutline.of(lesson_content.get_topic(key, lesson_content.SOURCE_LANGUAGE))
        for key in lesson_content.topic_keys()
    ]
    return recommend(
        outlines,
        store.load_progress(learner.session, learner.conversation_id),
        learner.now,
        asked_topics(tracker.events, lesson_content.topics()),
        budget_in_deficit(learner.session, learner.conversation_id),
    )


def question_of(learner: Learner, ref: str) -> Question:
    """The question of a ``topic/question_id`` reference, in the client's language."""
    topic, question_id = split_ref(ref)
    return question_in(learner.topic(topic), question_id)


def missed_questions(learner: Learner, attempt_id: int) -> List[Tuple[str, str]]:
    """The (topic, question id) of the wrong or skipped answers of an attempt, in order."""
    rows = (
        learner.session.query(store.QuizAnswer.topic, store.QuizAnswer.question_id)
        .filter(store.QuizAnswer.attempt_id == attempt_id, store.QuizAnswer.correct.is_(False))
        .order_by(store.QuizAnswer.id)
        .all()
    )
    return [(str(topic), str(question_id)) for topic, question_id in rows]


# --- buttons -------------------------------------------------------------------------------


def answer_payload(number: int) -> str:
    """The payload of the answer button ``number`` (1-based)."""
    return payload(INTENT_INFORM, {ENTITY_CHOICE: str(number)})


def lesson_buttons(learner: Learner, topic: str, lesson_ids: Sequence[str]) -> Buttons:
    """One button per lesson (in lesson order) that opens it."""
    return [
        {
            "title": title,
            "payload": payload(
                INTENT_START_LESSON, {ENTITY_TOPIC: topic, ENTITY_CHOICE: str(number)}
            ),
        }
        for number, title in presenting.lesson_choices(
            learner.topic(topic), lesson_ids, learner.language
        )
    ]


def missed_lesson_buttons(learner: Learner, attempt_id: int) -> Buttons:
    """Buttons for the lessons that teach the questions missed in an attempt."""
    missed = missed_questions(learner, attempt_id)
    topics = {topic: learner.topic(topic) for topic, _ in missed}
    buttons: Buttons = []
    for topic, lesson_ids in missed_lessons(missed, topics).items():
        buttons += lesson_buttons(learner, topic, lesson_ids)
    return buttons


# --- showing -------------------------------------------------------------------------------


def show_lesson(
    dispatcher: CollectingDispatcher, learner: Learner, topic: str, index: int
) -> FlowState:
    """Shows a lesson and records the view; returns the state of the lesson."""
    content = learner.topic(topic)
    values = presenting.lesson_values(content, index, learner.language)
    dispatcher.utter_message(response=UTTER_LESSON_TEXT, **values)
    store.record_lesson_view(
        learner.session,
        learner.conversation_id,
        topic,
        content.lessons[index].id,
        learner.language,
        learner.now,
    )
    return lesson_state(topic, index)


def show_question(dispatcher: CollectingDispatcher, learner: Learner, state: FlowState) -> None:
    """Shows the current question of a quiz or review, with one button per option."""
    question = question_of(learner, state.question)
    titles = presenting.option_titles(question, learner.language)
    dispatcher.utter_message(
        response=UTTER_QUIZ_QUESTION,
        buttons=[
            {"title": title, "payload": answer_payload(number)}
            for number, title in enumerate(titles, start=1)
        ],
        **presenting.question_values(question, state.index, len(state.questions), learner.language),
    )


def show_topics(dispatcher: CollectingDispatcher, learner: Learner, quiz: bool = False) -> None:
    """Lists the topics as buttons (completed ones marked) that start a lesson or quiz."""
    done = store.completions(learner.session, learner.conversation_id)
    intent = INTENT_START_QUIZ if quiz else INTENT_START_LESSON
    buttons = [
        {
            "title": presenting.topic_title(learner.topic(key).title, key in done),
            "payload": payload(intent, {ENTITY_TOPIC: key}),
        }
        for key in lesson_content.topic_keys()
    ]
    dispatcher.utter_message(response=UTTER_LESSON_TOPICS, buttons=buttons)


def show_progress(dispatcher: CollectingDispatcher, learner: Learner, tracker: Tracker) -> None:
    """Topics completed, scores and what is next, in one message."""
    advice = recommendation(learner, tracker)
    values = presenting.progress_values(
        {key: learner.topic(key) for key in lesson_content.topic_keys()},
        store.lessons_seen(learner.session, learner.conversation_id),
        store.best_scores(learner.session, learner.conversation_id),
        store.completions(learner.session, learner.conversation_id),
        advice,
        learner.language,
    )
    dispatcher.utter_message(response=UTTER_PROGRESS[advice.kind], **values)


def resume(dispatcher: CollectingDispatcher, learner: Learner, state: FlowState) -> FlowState:
    """Shows again the lesson or question a paused state is at."""
    if state.in_lesson and state.topic:
        return show_lesson(dispatcher, learner, state.topic, state.index)
    show_question(dispatcher, learner, state)
    return state


# --- starting ------------------------------------------------------------------------------


def begin_lesson(
    dispatcher: CollectingDispatcher,
    learner: Learner,
    topic: str,
    index: int | None = None,
    reason: str | None = None,
) -> FlowState:
    """Starts a topic's lessons at ``index`` (default: the first lesson not read yet)."""
    content = learner.topic(topic)
    seen = learner.seen(topic) if index is None else {}
    index = start_index([lesson.id for lesson in content.lessons], seen, index)
    if reason in UTTER_REASON:
        dispatcher.utter_message(response=UTTER_REASON[reason], topic_title=content.title)
    return show_lesson(dispatcher, learner, topic, index)


def begin_quiz(dispatcher: CollectingDispatcher, learner: Learner, topic: str) -> FlowState:
    """Starts the quiz of a topic: every question, in order."""
    content = learner.topic(topic)
    total = len(content.questions)
    attempt = store.start_attempt(
        learner.session, learner.conversation_id, store.KIND_QUIZ, topic, total, learner.now
    )
    dispatcher.utter_message(
        response=UTTER_QUIZ_INTRO,
        **presenting.quiz_intro_values(content, total, learner.language),
    )
    state = quiz_state(content, attempt)
    show_question(dispatcher, learner, state)
    return state


def begin_review(
    dispatcher: CollectingDispatcher, learner: Learner, questions: Sequence[Tuple[str, str]]
) -> FlowState:
    """Starts a review of missed questions (at most ``REVIEW_BATCH``)."""
    refs = review_refs(questions)
    attempt = store.start_attempt(
        learner.session, learner.conversation_id, store.KIND_REVIEW, None, len(refs), learner.now
    )
    dispatcher.utter_message(
        response=UTTER_REVIEW_INTRO, total=presenting.count(len(refs), learner.language)
    )
    state = review_state(refs, attempt)
    show_question(dispatcher, learner, state)
    return state


def start(
    dispatcher: CollectingDispatcher, learner: Learner, tracker: Tracker, want_quiz: bool
) -> FlowState | None:
    """Starts (or resumes) a lesson or quiz from the latest message; None: nothing to run."""
    state = state_of(tracker)
    plan = plan_start(state, topic_from(tracker), choice_from(tracker), want_quiz)
    if plan.move is StartMove.RECOMMENDED:
        plan = plan_recommended(recommendation(learner, tracker), plan.quiz)
    if plan.move is StartMove.MENU:
        show_topics(dispatcher, learner, plan.quiz)
        return None
    if plan.move is StartMove.STOP:
        dispatcher.utter_message(response=UTTER_LESSON_STOPPED)
        return None
    if plan.move is StartMove.ALL_DONE:
        dispatcher.utter_message(response=UTTER_ALL_DONE)
        show_topics(dispatcher, learner, plan.quiz)
        return None
    if plan.move is StartMove.REVIEW:
        return begin_review(dispatcher, learner, plan.questions)
    if plan.move is StartMove.QUIZ:
        return begin_quiz(dispatcher, learner, str(plan.topic))
    if plan.move is StartMove.LESSON:
        topic = str(plan.topic)
        index = plan.index
        if plan.lesson_id is not None:
            index = learner.topic(topic).lesson_index(plan.lesson_id)
        return begin_lesson(dispatcher, learner, topic, index, plan.reason)
    if plan.move is StartMove.NEXT_LESSON:
        return advance_lesson(dispatcher, learner, state, tracker)
    return resume(dispatcher, learner, state)


# --- moving on -----------------------------------------------------------------------------


def suggest_next(dispatcher: CollectingDispatcher, learner: Learner, tracker: Tracker) -> None:
    """Suggests the next topic to learn, or says everything is done."""
    advice = recommendation(learner, tracker)
    if advice.kind in (KIND_LESSON, KIND_QUIZ) and advice.topic:
        dispatcher.utter_message(
            response=UTTER_SUGGEST_TOPIC,
            topic=advice.topic,
            topic_title=learner.topic(advice.topic).title,
        )
    elif advice.kind == KIND_DONE:
        dispatcher.utter_message(response=UTTER_ALL_DONE)


def complete_if_done(
    dispatcher: CollectingDispatcher, learner: Learner, topic: str, tracker: Tracker
) -> bool:
    """Completes a topic when every lesson is read and the quiz passed (certificate, next).

    Returns True when the topic was completed now.
    """
    content = learner.topic(topic)
    lesson_ids = [lesson.id for lesson in content.lessons]
    best = store.best_scores(learner.session, learner.conversation_id).get(topic)
    if best is None or not can_complete(lesson_ids, learner.seen(topic), best):
        return False
    completion, created = store.complete_topic(
        learner.session, learner.conversation_id, topic, best[0], best[1], learner.now
    )
    if not created:
        return False
    dispatcher.utter_message(
        response=UTTER_CERTIFICATE,
        **presenting.certificate_values(
            content,
            completion.completed_at,
            completion.score,
            completion.total,
            completion.certificate,
            learner.language,
        ),
    )
    suggest_next(dispatcher, learner, tracker)
    return True


def advance_lesson(
    dispatcher: CollectingDispatcher, learner: Learner, state: FlowState, tracker: Tracker
) -> FlowState | None:
    """Shows the next lesson; after the last one, offers the quiz (None: the form ends)."""
    topic = str(state.topic)
    content = learner.topic(topic)
    following = next_lesson(state, len(content.lessons))
    if following is not None:
        return show_lesson(dispatcher, learner, topic, following.index)
    if not complete_if_done(dispatcher, learner, topic, tracker):
        dispatcher.utter_message(
            response=UTTER_LESSONS_READ, topic=state.topic, topic_title=content.title
        )
    return None


def answer_quiz(
    dispatcher: CollectingDispatcher,
    learner: Learner,
    state: FlowState,
    chosen: int | None,
    tracker: Tracker,
) -> FlowState | None:
    """Records an answer (None: skipped), gives feedback, then the next question or the end."""
    topic, question_id = split_ref(state.question)
    content = learner.topic(topic)
    question = question_in(content, question_id)
    verdict = presenting.feedback(question, chosen, learner.language)
    store.record_answer(
        learner.session,
        int(state.attempt or 0),
        learner.conversation_id,
        content.topic,
        question.id,
        chosen + 1 if chosen is not None else None,
        verdict.correct,
        learner.now,
    )
    dispatcher.utter_message(response=UTTER_FEEDBACK[verdict.verdict], **verdict.values)
    following = next_question(state)
    if following is not None:
        show_question(dispatcher, learner, following)
        return following
    finish_quiz(dispatcher, learner, state, tracker)
    return None


def finish_quiz(
    dispatcher: CollectingDispatcher, learner: Learner, state: FlowState, tracker: Tracker
) -> None:
    """Gives the score, the lessons of the missed questions, and completes the topic."""
    result = store.finish_attempt(learner.session, int(state.attempt or 0), learner.now)
    buttons = missed_lesson_buttons(learner, result.attempt_id)
    outcome = quiz_outcome(result.kind == store.KIND_REVIEW, result.passed, bool(buttons))
    values = presenting.score_values(result.score, result.total, learner.language)
    if outcome is Outcome.FAILED:
        values.update(
            topic=str(result.topic), needed=presenting.pass_mark(result.total, learner.language)
        )
    dispatcher.utter_message(response=UTTER_OUTCOME[outcome], buttons=buttons, **values)
    if outcome not in (Outcome.PASSED, Outcome.PASSED_MISSED):
        return
    topic = str(result.topic)
    if not complete_if_done(dispatcher, learner, topic, tracker):
        content = learner.topic(topic)
        unread = unread_lessons([lesson.id for lesson in content.lessons], learner.seen(topic))
        buttons = lesson_buttons(learner, topic, unread)
        if buttons:
            dispatcher.utter_message(
                response=UTTER_LESSONS_TO_READ, topic_title=content.title, buttons=buttons
            )


# --- the actions -------------------------------------------------------------------------


def start_events(state: FlowState | None) -> List[Dict[str, Any]]:
    """The events after a start: the state, and listening when nothing runs."""
    events = slot_events(state or FlowState())
    events += [SlotSet(SLOT_REPLY, None), SlotSet(SLOT_REQUESTED, None)]
    if state is None:
        # the rule would activate lesson_form next: listen instead
        events.append(FollowupAction(ACTION_LISTEN))
    return events


def continue_events(state: FlowState) -> List[Dict[str, Any]]:
    """Keep the form running at ``state``."""
    return slot_events(state) + [SlotSet(SLOT_REPLY, None)]


def end_events() -> List[Dict[str, Any]]:
    """End the form and forget the state."""
    return slot_events(FlowState()) + [SlotSet(SLOT_REPLY, None), SlotSet(SLOT_REQUESTED, None)]


def after(state: FlowState | None) -> List[Dict[str, Any]]:
    """Continue at ``state``, or end the form when there is none."""
    return continue_events(state) if state is not None else end_events()


def pause_events() -> List[Dict[str, Any]]:
    """Leave the form with the state kept, and let another feature answer the message."""
    return [
        SlotSet(SLOT_REPLY, None),
        SlotSet(SLOT_REQUESTED, None),
        ActiveLoop(None),
        ActionExecutionRejected(FORM_LESSON),
    ]


class LessonAction:
    """Mixin of the lesson actions: a ``Learner`` with a database session per run.

    Not an ``Action`` itself, so that the action server registers only the real actions.
    """

    clock: Callable[[], dt.datetime] = staticmethod(utcnow)

    def learner(self, tracker: Tracker, session: Session) -> Learner:
        """The client of this run."""
        return Learner(tracker.sender_id, language_of(tracker), self.clock(), session)


class ActionStartLesson(LessonAction, Action):
    """Starts or resumes a lesson: the topic asked for, or the recommended one."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_START_LESSON

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Shows the first lesson (lesson_form runs next) or the topic menu."""
        with session_scope(lessons_engine()) as session:
            state = start(dispatcher, self.learner(tracker, session), tracker, want_quiz=False)
        return start_events(state)


class ActionStartQuiz(LessonAction, Action):
    """Starts a quiz: the topic asked for, due reviews, or the recommended topic's quiz."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_START_QUIZ

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Shows the first question (lesson_form runs next) or the topic menu."""
        with session_scope(lessons_engine()) as session:
            state = start(dispatcher, self.learner(tracker, session), tracker, want_quiz=True)
        return start_events(state)


class ActionShowProgress(LessonAction, Action):
    """Shows the client's learning progress in one message."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_SHOW_PROGRESS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Utters the progress summary."""
        with session_scope(lessons_engine()) as session:
            show_progress(dispatcher, self.learner(tracker, session), tracker)
        return []


class ValidateLessonForm(LessonAction, Action):
    """Interprets every message of a lesson or quiz (``lesson_form``)."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_VALIDATE_LESSON_FORM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Moves the lesson or quiz on, or ends or pauses it."""
        reply = tracker.get_slot(SLOT_REPLY)
        state = state_of(tracker)
        if reply is None:
            return []  # the form was just activated: the start action showed the first item
        if state.mode not in MODES:
            return end_events()
        try:
            with session_scope(lessons_engine()) as session:
                learner = self.learner(tracker, session)
                return self.handle(dispatcher, learner, tracker, state, str(reply))
        except lesson_content.ContentError:
            # the content changed under a running lesson (a new release): start afresh
            logger.exception("Lesson state %s no longer matches the content.", state)
            dispatcher.utter_message(response=UTTER_LESSON_STOPPED)
            return end_events()

    def handle(
        self,
        dispatcher: CollectingDispatcher,
        learner: Learner,
        tracker: Tracker,
        state: FlowState,
        text: str,
    ) -> List[Dict[str, Any]]:
        """Applies one client message to the state; returns the form's events."""
        question = question_of(learner, state.question) if state.in_quiz else None
        reply = read_reply(
            text,
            choice_from(tracker),
            lesson_content.get_commands(learner.language),
            question,
            learner.language,
            get_settings().currency,
        )
        step = plan_reply(
            state,
            reply,
            (tracker.latest_message.get("intent") or {}).get("name"),
            topic_from(tracker),
            latest_entity(tracker, ENTITY_LANGUAGE) is not None,
        )
        if step is Step.ANSWER:
            return after(answer_quiz(dispatcher, learner, state, reply.answer, tracker))
        if step is Step.SKIP:
            return after(answer_quiz(dispatcher, learner, state, None, tracker))
        if step is Step.NEXT_LESSON:
            return after(advance_lesson(dispatcher, learner, state, tracker))
        if step is Step.SHOW_AGAIN:
            return continue_events(resume(dispatcher, learner, state))
        if step is Step.PROGRESS:
            show_progress(dispatcher, learner, tracker)
            return continue_events(resume(dispatcher, learner, state))
        if step in (Step.START_LESSON, Step.START_QUIZ):
            return after(start(dispatcher, learner, tracker, want_quiz=step is Step.START_QUIZ))
        if step is Step.MENU:
            show_topics(dispatcher, learner)
            return end_events()
        if step is Step.STOP:
            dispatcher.utter_message(response=UTTER_LESSON_STOPPED)
            return end_events()
        if step is Step.PAUSE:
            return pause_events()
        if question is None:
            dispatcher.utter_message(response=UTTER_LESSON_HELP)
        else:
            dispatcher.utter_message(
                response=UTTER_QUIZ_HELP,
                count=presenting.count(len(question.options), learner.language),
            )
        return continue_events(state)
