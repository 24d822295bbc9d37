"""Lessons and quizzes: start, answer, navigate, progress (docs/lessons.md).

A lesson or quiz runs as the form ``lesson_form``: every client message fills the slot
``lesson_reply`` and ``validate_lesson_form`` interprets it (navigation words, answer
numbers or texts, button payloads with a ``lesson_choice`` entity). Where the client is
lives in the ``lesson_*`` slots; what the client has learnt lives in the database
(``bot.store.lessons``). Content comes from ``bot.lessons.content``, the next step from
``bot.lessons.recommend``; every frame text is a domain response.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
import logging
import re
import unicodedata
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, List, Sequence, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.common import language_of, latest_entity, payload
from bot.i18n import format_date, format_number, format_percent
from bot.lessons import content as lesson_content
from bot.lessons.content import MENU, NEXT, REPEAT, STOP, Question, TopicContent
from bot.lessons.recommend import (
    KIND_DONE,
    KIND_LESSON,
    KIND_QUIZ,
    KIND_REVIEW,
    REASON_ASKED,
    REASON_BUDGET,
    REASON_MISTAKES,
    REVIEW_BATCH,
    Recommendation,
    TopicOutline,
    asked_topics,
    needed_to_pass,
    recommend,
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

MODE_LESSON = "lesson"
MODE_QUIZ = "quiz"
MODE_REVIEW = "review"

# entities and intents
ENTITY_TOPIC = "topic"
ENTITY_CHOICE = "lesson_choice"
ENTITY_LANGUAGE = "language"
CHOICE_REVIEW = "review"
INTENT_START_LESSON = "start_lesson"
INTENT_START_QUIZ = "start_quiz"
INTENT_SHOW_PROGRESS = "show_progress"
INTENT_INFORM = "inform"
INTENT_AFFIRM = "affirm"
INTENT_CHOOSE_LANGUAGE = "choose_language"
# intents that get a hint inside a lesson or quiz; any other intent (a loan question,
# a request for a person, goodbye...) pauses the lesson and is answered by its feature
STAY_INTENTS = frozenset(
    {
        "inform",
        "affirm",
        "deny",
        "nlu_fallback",
        "out_of_scope",
        "greet",
        "thank",
        "ask_help",
        INTENT_START_LESSON,
        INTENT_START_QUIZ,
        INTENT_SHOW_PROGRESS,
    }
)

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

# lesson buttons in the order of utter_lesson_text: a number typed in a lesson picks one
LESSON_BUTTON_COMMANDS = (NEXT, REPEAT, MENU, STOP)
MARK_DONE = "✅"
MARK_OPEN = "▫️"
MARK_LESSONS = "📖"
MARK_QUIZ = "📝"
OPTION_TEXT_SIMILARITY = 0.8
AMOUNT_PATTERN = re.compile(r"\d[\d.,\s\u00a0\u202f]*")
DECIMAL_PART = re.compile(r"^(.*?)[.,](\d{1,2})\s*$")
MONEY_ONLY = re.compile(r"\{money:(\d+(?:\.\d+)?)\}")
MIN_OPTION_FRAGMENT = 5

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
    """The current time in UTC (naive, as stored); tests replace ``Learner.clock``."""
    return dt.datetime.utcnow()


# --- the state of the lesson or quiz in progress (slots) ----------------------------------


def _as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass
class FlowState:
    """Where the client is: a lesson of a topic, or a question of a quiz or review.

    Attributes:
        mode: ``lesson``, ``quiz``, ``review``, or None (nothing in progress).
        topic: the topic of the lesson or quiz.
        index: the 0-based lesson or question position.
        questions: the quiz's questions as ``topic/question_id``.
        attempt: the database id of the quiz attempt.
    """

    mode: str | None = None
    topic: str | None = None
    index: int = 0
    questions: List[str] = field(default_factory=list)
    attempt: int | None = None

    @classmethod
    def of(cls, tracker: Tracker) -> FlowState:
        """The state kept in ``tracker``'s slots."""
        attempt = tracker.get_slot(SLOT_ATTEMPT)
        return cls(
            mode=tracker.get_slot(SLOT_MODE),
            topic=tracker.get_slot(SLOT_TOPIC),
            index=_as_int(tracker.get_slot(SLOT_INDEX)),
            questions=list(tracker.get_slot(SLOT_QUESTIONS) or []),
            attempt=_as_int(attempt) if attempt is not None else None,
        )

    def slot_events(self) -> List[Dict[str, Any]]:
        """The events that store this state in the slots."""
        return [
            SlotSet(SLOT_MODE, self.mode),
            SlotSet(SLOT_TOPIC, self.topic),
            SlotSet(SLOT_INDEX, float(self.index) if self.mode else None),
            SlotSet(SLOT_QUESTIONS, list(self.questions) if self.questions else None),
            SlotSet(SLOT_ATTEMPT, float(self.attempt) if self.attempt is not None else None),
        ]


def question_ref(topic: str, question_id: str) -> str:
    """A question's reference in the ``lesson_questions`` slot."""
    return f"{topic}/{question_id}"


def split_ref(ref: str) -> Tuple[str, str]:
    """The (topic, question id) of a ``lesson_questions`` reference."""
    topic, _, question_id = ref.partition("/")
    return topic, question_id


# --- the client ---------------------------------------------------------------------------


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

    def number(self, value: int) -> str:
        """A count in the client's digits."""
        return format_number(value, self.language)


def topic_from(tracker: Tracker) -> str | None:
    """The valid ``topic`` entity of the latest message, if any."""
    value = latest_entity(tracker, ENTITY_TOPIC)
    return str(value) if value in lesson_content.topic_keys() else None


def choice_from(tracker: Tracker) -> str | None:
    """The ``lesson_choice`` entity of the latest message (a button), if any."""
    value = latest_entity(tracker, ENTITY_CHOICE)
    return str(value).strip().lower() if value is not None else None


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


def outlines() -> List[TopicOutline]:
    """The topics' outlines (ids are the same in every language: English is used)."""
    return [
        TopicOutline.of(lesson_content.get_topic(key, lesson_content.SOURCE_LANGUAGE))
        for key in lesson_content.topic_keys()
    ]


def recommendation(learner: Learner, tracker: Tracker) -> Recommendation:
    """The next step for the client (``bot.lessons.recommend`` with the client's data)."""
    return recommend(
        outlines(),
        store.load_progress(learner.session, learner.conversation_id),
        learner.now,
        asked_topics(tracker.events, lesson_content.topics()),
        budget_in_deficit(learner.session, learner.conversation_id),
    )


# --- showing lessons and questions ---------------------------------------------------------


def show_lesson(
    dispatcher: CollectingDispatcher, learner: Learner, topic: str, index: int
) -> FlowState:
    """Shows a lesson and records the view; returns the state of the lesson."""
    content = learner.topic(topic)
    lesson = content.lessons[index]
    dispatcher.utter_message(
        response=UTTER_LESSON_TEXT,
        topic_title=content.title,
        number=learner.number(index + 1),
        total=learner.number(len(content.lessons)),
        title=lesson_content.render(lesson.title, learner.language),
        body=lesson_content.render(lesson.body, learner.language),
    )
    store.record_lesson_view(
        learner.session, learner.conversation_id, topic, lesson.id, learner.language, learner.now
    )
    return FlowState(MODE_LESSON, topic, index)


def question_of(learner: Learner, ref: str) -> Tuple[TopicContent, Question]:
    """The content and question of a ``topic/question_id`` reference."""
    topic, question_id = split_ref(ref)
    content = learner.topic(topic)
    question = content.question(question_id)
    if question is None:
        raise lesson_content.ContentError(f"no question {ref}")
    return content, question


def answer_payload(number: int) -> str:
    """The payload of the answer button ``number`` (1-based)."""
    return payload(INTENT_INFORM, {ENTITY_CHOICE: str(number)})


def show_question(dispatcher: CollectingDispatcher, learner: Learner, state: FlowState) -> None:
    """Shows the current question of a quiz or review, with one button per option."""
    _, question = question_of(learner, state.questions[state.index])
    dispatcher.utter_message(
        response=UTTER_QUIZ_QUESTION,
        number=learner.number(state.index + 1),
        total=learner.number(len(state.questions)),
        question=lesson_content.render(question.text, learner.language),
        buttons=[
            {
                "title": lesson_content.render(option.text, learner.language),
                "payload": answer_payload(number),
            }
            for number, option in enumerate(question.options, start=1)
        ],
    )


def show_topics(
    dispatcher: CollectingDispatcher, learner: Learner, intent: str = INTENT_START_LESSON
) -> None:
    """Lists the topics as buttons (completed ones marked) that start a lesson or quiz."""
    done = store.completions(learner.session, learner.conversation_id)
    buttons = []
    for key in lesson_content.topic_keys():
        title = learner.topic(key).title
        buttons.append(
            {
                "title": f"{MARK_DONE} {title}" if key in done else title,
                "payload": payload(intent, {ENTITY_TOPIC: key}),
            }
        )
    dispatcher.utter_message(response=UTTER_LESSON_TOPICS, buttons=buttons)


def lesson_buttons(learner: Learner, topic: str, lesson_ids: Sequence[str]) -> List[Dict[str, str]]:
    """One button per lesson (in lesson order) that opens it."""
    content = learner.topic(topic)
    buttons = []
    for index, lesson in enumerate(content.lessons, start=1):
        if lesson.id in lesson_ids:
            buttons.append(
                {
                    "title": lesson_content.render(lesson.title, learner.language),
                    "payload": payload(
                        INTENT_START_LESSON, {ENTITY_TOPIC: topic, ENTITY_CHOICE: str(index)}
                    ),
                }
            )
    return buttons


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
    if index is None:
        seen = store.lessons_seen(learner.session, learner.conversation_id).get(topic, {})
        index = next((i for i, lesson in enumerate(content.lessons) if lesson.id not in seen), 0)
    index = min(max(index, 0), len(content.lessons) - 1)
    if reason in UTTER_REASON:
        dispatcher.utter_message(response=UTTER_REASON[reason], topic_title=content.title)
    return show_lesson(dispatcher, learner, topic, index)


def begin_quiz(dispatcher: CollectingDispatcher, learner: Learner, topic: str) -> FlowState:
    """Starts the quiz of a topic: every question, in order."""
    content = learner.topic(topic)
    refs = [question_ref(topic, question.id) for question in content.questions]
    attempt = store.start_attempt(
        learner.session, learner.conversation_id, store.KIND_QUIZ, topic, len(refs), learner.now
    )
    dispatcher.utter_message(
        response=UTTER_QUIZ_INTRO,
        topic_title=content.title,
        total=learner.number(len(refs)),
        needed=learner.number(needed_to_pass(len(refs))),
    )
    state = FlowState(MODE_QUIZ, topic, 0, refs, attempt)
    show_question(dispatcher, learner, state)
    return state


def begin_review(
    dispatcher: CollectingDispatcher, learner: Learner, questions: Sequence[Tuple[str, str]]
) -> FlowState:
    """Starts a review of missed questions."""
    refs = [question_ref(topic, question_id) for topic, question_id in questions][:REVIEW_BATCH]
    attempt = store.start_attempt(
        learner.session, learner.conversation_id, store.KIND_REVIEW, None, len(refs), learner.now
    )
    dispatcher.utter_message(response=UTTER_REVIEW_INTRO, total=learner.number(len(refs)))
    state = FlowState(MODE_REVIEW, split_ref(refs[0])[0], 0, refs, attempt)
    show_question(dispatcher, learner, state)
    return state


def begin_recommended(
    dispatcher: CollectingDispatcher, learner: Learner, tracker: Tracker, want_quiz: bool
) -> FlowState | None:
    """Starts what the recommendation rule says (a quiz of its topic when one is asked for).

    Returns None, after saying so, when every topic is completed.
    """
    advice = recommendation(learner, tracker)
    if advice.kind == KIND_REVIEW:
        return begin_review(dispatcher, learner, advice.questions)
    if advice.kind == KIND_DONE:
        dispatcher.utter_message(response=UTTER_ALL_DONE)
        show_topics(dispatcher, learner, INTENT_START_QUIZ if want_quiz else INTENT_START_LESSON)
        return None
    if want_quiz or advice.kind == KIND_QUIZ:
        return begin_quiz(dispatcher, learner, str(advice.topic))
    content = learner.topic(str(advice.topic))
    index = content.lesson_index(str(advice.lesson_id))
    return begin_lesson(dispatcher, learner, str(advice.topic), index, advice.reason)


def resume(dispatcher: CollectingDispatcher, learner: Learner, state: FlowState) -> FlowState:
    """Shows again the lesson or question a paused state is at."""
    if state.mode == MODE_LESSON and state.topic:
        return show_lesson(dispatcher, learner, state.topic, state.index)
    show_question(dispatcher, learner, state)
    return state


def _is_resumable(state: FlowState, want_quiz: bool) -> bool:
    if want_quiz:
        return state.mode in (MODE_QUIZ, MODE_REVIEW) and state.index < len(state.questions)
    return state.mode == MODE_LESSON and bool(state.topic)


def start(
    dispatcher: CollectingDispatcher, learner: Learner, tracker: Tracker, want_quiz: bool
) -> FlowState | None:
    """Starts (or resumes) a lesson or quiz from the latest message; None: nothing to run."""
    topic = topic_from(tracker)
    choice = choice_from(tracker)
    state = FlowState.of(tracker)
    if choice == MENU:
        show_topics(dispatcher, learner, INTENT_START_QUIZ if want_quiz else INTENT_START_LESSON)
        return None
    if choice == STOP:
        dispatcher.utter_message(response=UTTER_LESSON_STOPPED)
        return None
    if want_quiz and choice == CHOICE_REVIEW:
        return begin_recommended(dispatcher, learner, tracker, want_quiz=True)
    if want_quiz and topic:
        return begin_quiz(dispatcher, learner, topic)
    if topic:
        number = _as_int(choice, 0) if choice and choice.isdigit() else 0
        return begin_lesson(dispatcher, learner, topic, number - 1 if number else None)
    if choice is not None and _is_resumable(state, state.mode != MODE_LESSON):
        # a button of a paused lesson or quiz: continue it
        want_quiz = state.mode != MODE_LESSON
    if _is_resumable(state, want_quiz):
        if state.mode == MODE_LESSON and choice == NEXT:
            return advance_lesson(dispatcher, learner, state, tracker)
        return resume(dispatcher, learner, state)
    return begin_recommended(dispatcher, learner, tracker, want_quiz)


# --- answering and moving on ------------------------------------------------------------


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
    seen = store.lessons_seen(learner.session, learner.conversation_id).get(topic, {})
    if any(lesson.id not in seen for lesson in content.lessons):
        return False
    best = store.best_scores(learner.session, learner.conversation_id).get(topic)
    if best is None or best[0] < needed_to_pass(best[1]):
        return False
    completion, created = store.complete_topic(
        learner.session, learner.conversation_id, topic, best[0], best[1], learner.now
    )
    if not created:
        return False
    dispatcher.utter_message(
        response=UTTER_CERTIFICATE,
        topic_title=content.title,
        date=format_date(completion.completed_at.date(), learner.language),
        percent=format_percent(completion.score / completion.total, learner.language, 0),
        code=completion.certificate,
    )
    suggest_next(dispatcher, learner, tracker)
    return True


def advance_lesson(
    dispatcher: CollectingDispatcher, learner: Learner, state: FlowState, tracker: Tracker
) -> FlowState | None:
    """Shows the next lesson; after the last one, offers the quiz (None: the form ends)."""
    content = learner.topic(str(state.topic))
    if state.index + 1 < len(content.lessons):
        return show_lesson(dispatcher, learner, str(state.topic), state.index + 1)
    if not complete_if_done(dispatcher, learner, str(state.topic), tracker):
        dispatcher.utter_message(
            response=UTTER_LESSONS_READ, topic=state.topic, topic_title=content.title
        )
    return None


def digit_value(text: str) -> int | None:
    """The number a reply is, in any script's digits (``২`` and ``२`` are 2), or None."""
    tokens = lesson_content.normalise(text).split()
    numbers = []
    for token in tokens:
        digits = [unicodedata.decimal(char, None) for char in token]
        if digits and all(digit is not None for digit in digits):
            numbers.append(int("".join(str(digit) for digit in digits)))
    if len(numbers) == 1 and len(tokens) <= 3:
        return numbers[0]
    return None


def typed_amount(text: str) -> Decimal | None:
    """The amount a reply is (``1500``, ``1,500``, ``1.500``, ``১৫০০``, ``KES 1,500.00``)."""
    ascii_text = "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char
        for char in text
    )
    match = AMOUNT_PATTERN.search(ascii_text)
    if match is None or AMOUNT_PATTERN.search(ascii_text, match.end()):
        return None
    number = match.group(0).strip()
    decimals = DECIMAL_PART.match(number)
    whole = decimals.group(1) if decimals else number
    digits = re.sub(r"\D", "", whole)
    if not digits:
        return None
    return Decimal(digits + (f".{decimals.group(2)}" if decimals else ""))


def match_amount(text: str, raw_options: Sequence[str], currency: str) -> int | None:
    """The 0-based option whose amount (a lone ``{money:N}``) the reply types."""
    typed = typed_amount(text)
    if typed is None:
        return None
    for index, raw in enumerate(raw_options):
        placeholder = MONEY_ONLY.fullmatch(raw.strip())
        if placeholder is not None:
            amount = Decimal(placeholder.group(1)) * lesson_content.money_factor(currency)
            if amount == typed:
                return index
    return None


def match_option(text: str, options: Sequence[str]) -> int | None:
    """The 0-based option a reply names by its text (exact, a unique part, or close)."""
    reply = lesson_content.normalise(text)
    if not reply:
        return None
    texts = [lesson_content.normalise(option) for option in options]
    if reply in texts:
        return texts.index(reply)
    containing = [i for i, option in enumerate(texts) if reply in option]
    if len(containing) == 1 and len(reply) >= MIN_OPTION_FRAGMENT:
        return containing[0]
    scores = [difflib.SequenceMatcher(None, reply, option).ratio() for option in texts]
    best = max(range(len(texts)), key=lambda i: scores[i])
    return best if scores[best] >= OPTION_TEXT_SIMILARITY else None


def answer_quiz(
    dispatcher: CollectingDispatcher,
    learner: Learner,
    state: FlowState,
    chosen: int | None,
    tracker: Tracker,
) -> FlowState | None:
    """Records an answer (None: skipped), gives feedback, then the next question or the end."""
    content, question = question_of(learner, state.questions[state.index])
    right = question.options[question.answer_index]
    correct = chosen == question.answer_index
    store.record_answer(
        learner.session,
        int(state.attempt or 0),
        learner.conversation_id,
        content.topic,
        question.id,
        chosen + 1 if chosen is not None else None,
        correct,
        learner.now,
    )
    render = lesson_content.render
    if correct:
        explanation = render(right.explanation, learner.language)
        dispatcher.utter_message(response=UTTER_QUIZ_CORRECT, explanation=explanation)
    else:
        values = {
            "answer": render(right.text, learner.language),
            "answer_explanation": render(right.explanation, learner.language),
        }
        if chosen is None:
            dispatcher.utter_message(response=UTTER_QUIZ_SKIPPED, **values)
        else:
            explanation = render(question.options[chosen].explanation, learner.language)
            dispatcher.utter_message(response=UTTER_QUIZ_WRONG, explanation=explanation, **values)
    if state.index + 1 < len(state.questions):
        following = FlowState(
            state.mode, state.topic, state.index + 1, state.questions, state.attempt
        )
        show_question(dispatcher, learner, following)
        return following
    finish_quiz(dispatcher, learner, state, tracker)
    return None


def missed_lesson_buttons(learner: Learner, attempt_id: int) -> List[Dict[str, str]]:
    """Buttons for the lessons that teach the questions missed in an attempt."""
    missed = (
        learner.session.query(store.QuizAnswer.topic, store.QuizAnswer.question_id)
        .filter(store.QuizAnswer.attempt_id == attempt_id, store.QuizAnswer.correct.is_(False))
        .order_by(store.QuizAnswer.id)
        .all()
    )
    by_topic: Dict[str, List[str]] = {}
    for topic, question_id in missed:
        question = learner.topic(topic).question(question_id)
        if question is not None and question.lesson not in by_topic.setdefault(topic, []):
            by_topic[topic].append(question.lesson)
    buttons: List[Dict[str, str]] = []
    for topic, lesson_ids in by_topic.items():
        buttons += lesson_buttons(learner, topic, lesson_ids)
    return buttons


def finish_quiz(
    dispatcher: CollectingDispatcher, learner: Learner, state: FlowState, tracker: Tracker
) -> None:
    """Gives the score, the lessons of the missed questions, and completes the topic."""
    result = store.finish_attempt(learner.session, int(state.attempt or 0), learner.now)
    buttons = missed_lesson_buttons(learner, result.attempt_id)
    score = {"score": learner.number(result.score), "total": learner.number(result.total)}
    if result.kind == store.KIND_REVIEW:
        if buttons:
            dispatcher.utter_message(response=UTTER_REVIEW_DONE, buttons=buttons, **score)
        else:
            dispatcher.utter_message(response=UTTER_REVIEW_DONE_ALL, **score)
        return
    topic = str(result.topic)
    if not result.passed:
        dispatcher.utter_message(
            response=UTTER_QUIZ_FAILED,
            topic=topic,
            needed=learner.number(needed_to_pass(result.total)),
            buttons=buttons,
            **score,
        )
        return
    if buttons:
        dispatcher.utter_message(response=UTTER_QUIZ_PASSED_MISSED, buttons=buttons, **score)
    else:
        dispatcher.utter_message(response=UTTER_QUIZ_PASSED, **score)
    if not complete_if_done(dispatcher, learner, topic, tracker):
        unread = lesson_buttons(learner, topic, unread_lessons(learner, topic))
        if unread:
            dispatcher.utter_message(
                response=UTTER_LESSONS_TO_READ,
                topic_title=learner.topic(topic).title,
                buttons=unread,
            )


def unread_lessons(learner: Learner, topic: str) -> List[str]:
    """The ids of a topic's lessons the client has not read yet."""
    seen = store.lessons_seen(learner.session, learner.conversation_id).get(topic, {})
    return [lesson.id for lesson in learner.topic(topic).lessons if lesson.id not in seen]


# --- progress ------------------------------------------------------------------------------


def progress_lines(learner: Learner) -> List[str]:
    """One line per topic: completed with its score, or lessons read and best score."""
    seen = store.lessons_seen(learner.session, learner.conversation_id)
    best = store.best_scores(learner.session, learner.conversation_id)
    done = store.completions(learner.session, learner.conversation_id)
    lines = []
    for key in lesson_content.topic_keys():
        content = learner.topic(key)
        parts = [MARK_DONE if key in done else MARK_OPEN, content.title]
        read = sum(1 for lesson in content.lessons if lesson.id in seen.get(key, {}))
        if key not in done and read:
            parts.append(
                f"{MARK_LESSONS} {learner.number(read)}/{learner.number(len(content.lessons))}"
            )
        if key in best:
            score, total = best[key]
            parts.append(f"{MARK_QUIZ} {learner.number(score)}/{learner.number(total)}")
        lines.append(" ".join(parts))
    return lines


def show_progress(dispatcher: CollectingDispatcher, learner: Learner, tracker: Tracker) -> None:
    """Topics completed, scores and what is next, in one message."""
    done = store.completions(learner.session, learner.conversation_id)
    advice = recommendation(learner, tracker)
    values: Dict[str, Any] = {
        "done": learner.number(len(done)),
        "total": learner.number(len(lesson_content.topic_keys())),
        "topics": "\n".join(progress_lines(learner)),
    }
    if advice.kind == KIND_LESSON and advice.topic:
        content = learner.topic(advice.topic)
        index = content.lesson_index(str(advice.lesson_id)) or 0
        values.update(
            topic=advice.topic,
            topic_title=content.title,
            lesson_title=lesson_content.render(content.lessons[index].title, learner.language),
        )
    elif advice.kind == KIND_QUIZ and advice.topic:
        values.update(topic=advice.topic, topic_title=learner.topic(advice.topic).title)
    elif advice.kind == KIND_REVIEW:
        values.update(count=learner.number(len(advice.questions)))
    dispatcher.utter_message(response=UTTER_PROGRESS[advice.kind], **values)


# --- the actions -------------------------------------------------------------------------


class LessonAction:
    """Mixin of the lesson actions: a ``Learner`` with a database session per run.

    Not an ``Action`` itself, so that the action server registers only the real actions.
    """

    clock: Callable[[], dt.datetime] = staticmethod(utcnow)

    def learner(self, tracker: Tracker, session: Session) -> Learner:
        """The client of this run."""
        return Learner(tracker.sender_id, language_of(tracker), self.clock(), session)


def start_events(state: FlowState | None) -> List[Dict[str, Any]]:
    """The events after a start: the state, and listening when nothing runs."""
    events = (state or FlowState()).slot_events()
    events += [SlotSet(SLOT_REPLY, None), SlotSet(SLOT_REQUESTED, None)]
    if state is None:
        # the rule would activate lesson_form next: listen instead
        events.append(FollowupAction(ACTION_LISTEN))
    return events


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


def continue_events(state: FlowState) -> List[Dict[str, Any]]:
    """Keep the form running at ``state``."""
    return state.slot_events() + [SlotSet(SLOT_REPLY, None)]


def end_events() -> List[Dict[str, Any]]:
    """End the form and forget the state."""
    return FlowState().slot_events() + [SlotSet(SLOT_REPLY, None), SlotSet(SLOT_REQUESTED, None)]


def pause_events() -> List[Dict[str, Any]]:
    """Leave the form with the state kept, and let another feature answer the message."""
    return [
        SlotSet(SLOT_REPLY, None),
        SlotSet(SLOT_REQUESTED, None),
        ActiveLoop(None),
        ActionExecutionRejected(FORM_LESSON),
    ]


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
        state = FlowState.of(tracker)
        if reply is None:
            return []  # the form was just activated: the start action showed the first item
        if state.mode not in (MODE_LESSON, MODE_QUIZ, MODE_REVIEW):
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
        reply: str,
    ) -> List[Dict[str, Any]]:
        """Applies one client message to the state; returns the form's events."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        choice = choice_from(tracker)
        command = choice if choice in LESSON_BUTTON_COMMANDS else None
        quiz = state.mode in (MODE_QUIZ, MODE_REVIEW)
        answer: int | None = None
        if quiz:
            _, question = question_of(learner, state.questions[state.index])
            options = [lesson_content.render(o.text, learner.language) for o in question.options]
            number = _as_int(choice) if choice and choice.isdigit() else digit_value(reply)
            if command is None and number is not None and 1 <= number <= len(options):
                answer = number - 1
            elif command is None:
                answer = match_option(reply, options)
                if answer is None:
                    raw = [option.text for option in question.options]
                    answer = match_amount(reply, raw, get_settings().currency)
        if command is None and answer is None:
            command = lesson_content.get_commands(learner.language).command_for(reply)
        if command is None and answer is None and not quiz:
            number = _as_int(choice) if choice and choice.isdigit() else digit_value(reply)
            if number is not None and 1 <= number <= len(LESSON_BUTTON_COMMANDS):
                command = LESSON_BUTTON_COMMANDS[number - 1]
        if answer is not None:
            return self.after(answer_quiz(dispatcher, learner, state, answer, tracker))
        if command is not None:
            return self.navigate(dispatcher, learner, tracker, state, command)
        return self.by_intent(dispatcher, learner, tracker, state, intent)

    def navigate(
        self,
        dispatcher: CollectingDispatcher,
        learner: Learner,
        tracker: Tracker,
        state: FlowState,
        command: str,
    ) -> List[Dict[str, Any]]:
        """Next, repeat, menu or stop."""
        if command == STOP:
            dispatcher.utter_message(response=UTTER_LESSON_STOPPED)
            return end_events()
        if command == MENU:
            show_topics(dispatcher, learner)
            return end_events()
        if command == REPEAT:
            return continue_events(resume(dispatcher, learner, state))
        if state.mode == MODE_LESSON:
            return self.after(advance_lesson(dispatcher, learner, state, tracker))
        return self.after(answer_quiz(dispatcher, learner, state, None, tracker))

    def by_intent(
        self,
        dispatcher: CollectingDispatcher,
        learner: Learner,
        tracker: Tracker,
        state: FlowState,
        intent: str | None,
    ) -> List[Dict[str, Any]]:
        """A message that is no command and no answer: by its intent."""
        if intent == INTENT_CHOOSE_LANGUAGE and latest_entity(tracker, ENTITY_LANGUAGE):
            # the language changed: show the same lesson or question in it
            return continue_events(resume(dispatcher, learner, state))
        if intent not in STAY_INTENTS and intent != INTENT_CHOOSE_LANGUAGE:
            return pause_events()
        if intent == INTENT_SHOW_PROGRESS:
            show_progress(dispatcher, learner, tracker)
            return continue_events(resume(dispatcher, learner, state))
        if intent in (INTENT_START_LESSON, INTENT_START_QUIZ):
            topic = topic_from(tracker)
            if intent == INTENT_START_LESSON and state.mode == MODE_LESSON and not topic:
                return self.after(advance_lesson(dispatcher, learner, state, tracker))
            return self.after(
                start(dispatcher, learner, tracker, want_quiz=intent == INTENT_START_QUIZ)
            )
        if intent == INTENT_AFFIRM and state.mode == MODE_LESSON:
            return self.after(advance_lesson(dispatcher, learner, state, tracker))
        if intent == INTENT_CHOOSE_LANGUAGE:
            return pause_events()
        if state.mode == MODE_LESSON:
            dispatcher.utter_message(response=UTTER_LESSON_HELP)
        else:
            _, question = question_of(learner, state.questions[state.index])
            dispatcher.utter_message(
                response=UTTER_QUIZ_HELP, count=learner.number(len(question.options))
            )
        return continue_events(state)

    @staticmethod
    def after(state: FlowState | None) -> List[Dict[str, Any]]:
        """Continue at ``state``, or end the form when there is none."""
        return continue_events(state) if state is not None else end_events()
