"""The lesson or quiz in progress: its state and what each message does to it (pure).

The state (:class:`FlowState`) is what the ``lesson_*`` slots hold: a lesson of a topic,
or a question of a quiz or review. The functions here decide; the actions read the slots
and the database, call them, utter the responses and store the new state:

- :func:`plan_start` and :func:`plan_recommended`: what ``start_lesson``/``start_quiz``
  (or a button pressed after a pause) starts or resumes;
- :func:`plan_reply`: what a message inside ``lesson_form`` does (answer, navigation,
  help, another feature's question that pauses the lesson...);
- :func:`next_lesson`, :func:`next_question`, :func:`quiz_outcome`, :func:`can_complete`:
  moving on, and the end of a quiz or topic.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from bot.lessons.answers import Reply, as_int
from bot.lessons.content import MENU, NEXT, REPEAT, STOP, ContentError, Question, TopicContent
from bot.lessons.recommend import (
    KIND_DONE,
    KIND_QUIZ,
    KIND_REVIEW,
    REVIEW_BATCH,
    Recommendation,
    needed_to_pass,
)

MODE_LESSON = "lesson"
MODE_QUIZ = "quiz"
MODE_REVIEW = "review"
QUIZ_MODES = (MODE_QUIZ, MODE_REVIEW)
MODES = (MODE_LESSON, *QUIZ_MODES)

# a button's lesson_choice that asks for the review of missed questions
CHOICE_REVIEW = "review"

# intents (docs/nlu.md) that mean something inside a lesson or quiz
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
        INTENT_INFORM,
        INTENT_AFFIRM,
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


@dataclass(frozen=True)
class FlowState:
    """Where the client is: a lesson of a topic, or a question of a quiz or review.

    Attributes:
        mode: ``lesson``, ``quiz``, ``review``, or None (nothing in progress).
        topic: the topic of the lesson or quiz (of the first question, for a review).
        index: the 0-based lesson or question position.
        questions: the quiz's questions as ``topic/question_id``.
        attempt: the database id of the quiz attempt.
    """

    mode: str | None = None
    topic: str | None = None
    index: int = 0
    questions: Tuple[str, ...] = ()
    attempt: int | None = None

    @classmethod
    def of(
        cls,
        mode: Any = None,
        topic: Any = None,
        index: Any = None,
        questions: Any = None,
        attempt: Any = None,
    ) -> FlowState:
        """The state of stored values (slots): the index and attempt may be floats."""
        return cls(
            mode=mode,
            topic=topic,
            index=as_int(index),
            questions=tuple(questions or ()),
            attempt=as_int(attempt) if attempt is not None else None,
        )

    @property
    def in_lesson(self) -> bool:
        """Whether a lesson is in progress."""
        return self.mode == MODE_LESSON

    @property
    def in_quiz(self) -> bool:
        """Whether a quiz or review is in progress."""
        return self.mode in QUIZ_MODES

    @property
    def question(self) -> str:
        """The current question's ``topic/question_id`` reference."""
        return self.questions[self.index]


def question_ref(topic: str, question_id: str) -> str:
    """A question's reference in the ``lesson_questions`` slot."""
    return f"{topic}/{question_id}"


def split_ref(ref: str) -> Tuple[str, str]:
    """The (topic, question id) of a ``lesson_questions`` reference."""
    topic, _, question_id = ref.partition("/")
    return topic, question_id


def question_in(content: TopicContent, question_id: str) -> Question:
    """The question ``question_id`` of a topic.

    Raises:
        ContentError: the topic has no such question (the content changed).
    """
    question = content.question(question_id)
    if question is None:
        raise ContentError(f"no question {question_ref(content.topic, question_id)}")
    return question


# --- starting ------------------------------------------------------------------------------


def lesson_state(topic: str, index: int) -> FlowState:
    """The state of a lesson being shown."""
    return FlowState(MODE_LESSON, topic, index)


def quiz_state(content: TopicContent, attempt: int | None) -> FlowState:
    """The state at the first question of a topic's quiz (every question, in order)."""
    refs = tuple(question_ref(content.topic, question.id) for question in content.questions)
    return FlowState(MODE_QUIZ, content.topic, 0, refs, attempt)


def review_refs(questions: Iterable[Tuple[str, str]]) -> Tuple[str, ...]:
    """The references of a review: at most ``REVIEW_BATCH`` (topic, question id) pairs."""
    return tuple(question_ref(topic, question_id) for topic, question_id in questions)[
        :REVIEW_BATCH
    ]


def review_state(refs: Sequence[str], attempt: int | None) -> FlowState:
    """The state at the first question of a review (its topic: the first question's)."""
    return FlowState(MODE_REVIEW, split_ref(refs[0])[0], 0, tuple(refs), attempt)


def start_index(lesson_ids: Sequence[str], seen: Mapping[str, Any], index: int | None) -> int:
    """The lesson to show: ``index`` kept within the topic, by default the first unread.

    Args:
        lesson_ids: the topic's lesson ids in order.
        seen: the ids of the lessons the client has read (only used when ``index`` is None).
        index: the 0-based lesson asked for, or None.
    """
    if index is None:
        index = next((i for i, lesson in enumerate(lesson_ids) if lesson not in seen), 0)
    return min(max(index, 0), len(lesson_ids) - 1)


def is_resumable(state: FlowState, want_quiz: bool) -> bool:
    """Whether a paused quiz (``want_quiz``) or lesson can go on where it was."""
    if want_quiz:
        return state.in_quiz and state.index < len(state.questions)
    return state.in_lesson and bool(state.topic)


class StartMove(enum.Enum):
    """What a start request does."""

    MENU = "menu"  # list the topics
    STOP = "stop"  # say the lesson ended
    RECOMMENDED = "recommended"  # what the recommendation rule says (plan_recommended)
    ALL_DONE = "all_done"  # every topic is completed: say so and list the topics
    REVIEW = "review"  # a review of missed questions
    QUIZ = "quiz"  # a topic's quiz
    LESSON = "lesson"  # a topic's lessons
    NEXT_LESSON = "next_lesson"  # the lesson after the paused one
    RESUME = "resume"  # the paused lesson or question again


@dataclass(frozen=True)
class Start:
    """A start request's plan.

    Attributes:
        move: what to do.
        quiz: whether the client asked for a quiz (the topic buttons then start quizzes).
        topic: the topic of a ``QUIZ`` or ``LESSON``.
        index: for ``LESSON``, the 0-based lesson asked for (None: first unread).
        lesson_id: for a recommended ``LESSON``, its lesson (None: first unread).
        reason: for a recommended ``LESSON``, why (``recommend.REASON_*``).
        questions: for ``REVIEW``, the (topic, question id) pairs.
    """

    move: StartMove
    quiz: bool = False
    topic: str | None = None
    index: int | None = None
    lesson_id: str | None = None
    reason: str | None = None
    questions: Tuple[Tuple[str, str], ...] = ()


def plan_start(state: FlowState, topic: str | None, choice: str | None, want_quiz: bool) -> Start:
    """What ``start_lesson`` (``want_quiz`` False) or ``start_quiz`` starts.

    Args:
        state: the state kept in the slots (a paused lesson or quiz, or nothing).
        topic: the valid ``topic`` entity of the message, if any.
        choice: the ``lesson_choice`` of a pressed button (lower-cased), if any: a lesson
            number, a command, ``review``, or an answer number of a paused quiz.
        want_quiz: whether the message asks for a quiz.
    """
    if choice == MENU:
        return Start(StartMove.MENU, quiz=want_quiz)
    if choice == STOP:
        return Start(StartMove.STOP, quiz=want_quiz)
    if want_quiz and choice == CHOICE_REVIEW:
        return Start(StartMove.RECOMMENDED, quiz=True)
    if want_quiz and topic:
        return Start(StartMove.QUIZ, quiz=True, topic=topic)
    if topic:
        number = as_int(choice) if choice and choice.isdigit() else 0
        return Start(StartMove.LESSON, topic=topic, index=number - 1 if number else None)
    if choice is not None and is_resumable(state, not state.in_lesson):
        # a button of a paused lesson or quiz: continue it
        want_quiz = not state.in_lesson
    if is_resumable(state, want_quiz):
        if state.in_lesson and choice == NEXT:
            return Start(StartMove.NEXT_LESSON, quiz=want_quiz)
        return Start(StartMove.RESUME, quiz=want_quiz)
    return Start(StartMove.RECOMMENDED, quiz=want_quiz)


def plan_recommended(advice: Recommendation, want_quiz: bool) -> Start:
    """What the recommendation starts (the quiz of its topic when a quiz is asked for)."""
    if advice.kind == KIND_REVIEW:
        return Start(StartMove.REVIEW, quiz=True, questions=tuple(advice.questions))
    if advice.kind == KIND_DONE:
        return Start(StartMove.ALL_DONE, quiz=want_quiz)
    if want_quiz or advice.kind == KIND_QUIZ:
        return Start(StartMove.QUIZ, quiz=True, topic=str(advice.topic))
    return Start(
        StartMove.LESSON,
        topic=str(advice.topic),
        lesson_id=advice.lesson_id,
        reason=advice.reason,
    )


# --- a message inside the lesson or quiz -----------------------------------------------------


class Step(enum.Enum):
    """What a message inside ``lesson_form`` does."""

    ANSWER = "answer"  # record the answer, give feedback, go on
    SKIP = "skip"  # the question counts as missed, go on
    NEXT_LESSON = "next_lesson"  # the next lesson (or the end of the topic's lessons)
    SHOW_AGAIN = "show_again"  # the same lesson or question again (repeat, new language)
    MENU = "menu"  # list the topics; the form ends
    STOP = "stop"  # say it ended (progress is kept); the form ends
    PROGRESS = "progress"  # the progress summary, then the same lesson or question
    START_LESSON = "start_lesson"  # a start request (plan_start)
    START_QUIZ = "start_quiz"  # a start request for a quiz (plan_start)
    PAUSE = "pause"  # another feature answers; the state is kept
    HELP = "help"  # say how to answer or move on


COMMAND_STEPS = {STOP: Step.STOP, MENU: Step.MENU, REPEAT: Step.SHOW_AGAIN}


def plan_reply(
    state: FlowState,
    reply: Reply,
    intent: str | None,
    topic: str | None = None,
    names_language: bool = False,
) -> Step:
    """What a message does: its answer or command first, else its intent.

    Args:
        state: the lesson or quiz in progress.
        reply: the message read by ``answers.read_reply``.
        intent: the message's intent name.
        topic: the valid ``topic`` entity of the message, if any.
        names_language: whether the message has a ``language`` entity.
    """
    if reply.answer is not None:
        return Step.ANSWER
    if reply.command is not None:
        if reply.command in COMMAND_STEPS:
            return COMMAND_STEPS[reply.command]
        return Step.NEXT_LESSON if state.in_lesson else Step.SKIP
    if intent == INTENT_CHOOSE_LANGUAGE:
        # the language changed: the same lesson or question in it; else another feature
        return Step.SHOW_AGAIN if names_language else Step.PAUSE
    if intent not in STAY_INTENTS:
        return Step.PAUSE
    if intent == INTENT_SHOW_PROGRESS:
        return Step.PROGRESS
    if intent == INTENT_START_LESSON and state.in_lesson and not topic:
        return Step.NEXT_LESSON
    if intent == INTENT_START_LESSON:
        return Step.START_LESSON
    if intent == INTENT_START_QUIZ:
        return Step.START_QUIZ
    if intent == INTENT_AFFIRM and state.in_lesson:
        return Step.NEXT_LESSON
    return Step.HELP


# --- moving on -------------------------------------------------------------------------------


def next_lesson(state: FlowState, lesson_count: int) -> FlowState | None:
    """The state at the following lesson; None after the topic's last lesson."""
    if state.index + 1 < lesson_count:
        return lesson_state(str(state.topic), state.index + 1)
    return None


def next_question(state: FlowState) -> FlowState | None:
    """The state at the following question; None after the last one (the quiz ends)."""
    if state.index + 1 < len(state.questions):
        return FlowState(state.mode, state.topic, state.index + 1, state.questions, state.attempt)
    return None


class Outcome(enum.Enum):
    """How a finished quiz or review went."""

    REVIEW_DONE_ALL = "review_done_all"  # a review with every answer right
    REVIEW_DONE = "review_done"  # a review with missed questions
    FAILED = "failed"  # a quiz not passed
    PASSED = "passed"  # a quiz passed with every answer right
    PASSED_MISSED = "passed_missed"  # a quiz passed with missed questions


def quiz_outcome(review: bool, passed: bool, missed: bool) -> Outcome:
    """The outcome of a finished attempt.

    Args:
        review: whether it was a review (reviews are neither passed nor failed).
        passed: whether a quiz scored enough.
        missed: whether lessons of missed questions are to be offered.
    """
    if review:
        return Outcome.REVIEW_DONE if missed else Outcome.REVIEW_DONE_ALL
    if not passed:
        return Outcome.FAILED
    return Outcome.PASSED_MISSED if missed else Outcome.PASSED


def can_complete(
    lesson_ids: Sequence[str], seen: Mapping[str, Any], best: Tuple[int, int] | None
) -> bool:
    """Whether a topic is complete: every lesson read and a best score that passes.

    Args:
        lesson_ids: the topic's lesson ids.
        seen: the ids of the lessons the client has read.
        best: the best (score, total) of the topic's quiz, None when never taken.
    """
    if any(lesson not in seen for lesson in lesson_ids):
        return False
    return best is not None and best[0] >= needed_to_pass(best[1])


def unread_lessons(lesson_ids: Sequence[str], seen: Mapping[str, Any]) -> List[str]:
    """The ids of a topic's lessons the client has not read yet, in order."""
    return [lesson for lesson in lesson_ids if lesson not in seen]


def missed_lessons(
    missed: Iterable[Tuple[str, str]], topics: Mapping[str, TopicContent]
) -> Dict[str, List[str]]:
    """The lessons that teach missed questions, per topic, without repeats.

    Args:
        missed: the (topic, question id) of the wrong or skipped answers, in order.
        topics: the content of those topics; a question no longer there is ignored.
    """
    by_topic: Dict[str, List[str]] = {}
    for topic, question_id in missed:
        question = topics[topic].question(question_id)
        if question is not None and question.lesson not in by_topic.setdefault(topic, []):
            by_topic[topic].append(question.lesson)
    return by_topic
