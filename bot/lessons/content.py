"""Lesson and quiz content: loading, validation and rendering of ``data/lessons/``.

The content is data (format in docs/lessons.md):

- ``_topics.yml``: the topics in suggestion order, with what links a client's questions
  to each topic;
- ``<topic>/<code>.yml``: one topic in one language: title, description, micro-lessons
  and quiz questions;
- ``_commands/<code>.yml``: the words that mean next, repeat, menu and stop;
- ``_money.yml``: how lesson amounts scale to the deployment's currency.

Files are read on first use and cached. Every text may hold ``{money:N}``,
``{number:N}`` and ``{percent:N}`` placeholders, rendered for the client's language and
the deployment's currency by :func:`render`. Adding a topic or a language is adding
files: no code changes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Sequence, Tuple

import yaml

from bot.i18n.formatting import format_money, format_number, format_percent
from bot.i18n.languages import language_codes
from bot.settings import PROJECT_ROOT, get_settings

logger = logging.getLogger(__name__)

DEFAULT_LESSONS_DIR = PROJECT_ROOT / "data" / "lessons"
TOPICS_FILE = "_topics.yml"
MONEY_FILE = "_money.yml"
COMMANDS_DIR = "_commands"
SOURCE_LANGUAGE = "en"

# commands
NEXT = "next"
REPEAT = "repeat"
MENU = "menu"
STOP = "stop"
COMMANDS = (NEXT, REPEAT, MENU, STOP)

# limits (characters of the rendered text, in any currency)
MIN_LESSONS = 3
MIN_QUESTIONS = 5
MIN_OPTIONS = 2
MAX_OPTIONS = 4
MAX_LESSON_CHARS = 599  # title, blank line and body: "under 600 characters"
MAX_TITLE_CHARS = 60
MAX_DESCRIPTION_CHARS = 120
MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 80
MAX_EXPLANATION_CHARS = 250
SAMPLE_CURRENCIES = ("KES", "INR", "BDT", "USD", "EUR", "XOF", "BOB", "UGX")

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{(money|number|percent):(-?\d+(?:\.\d+)?)\}")
TOPIC_KEYS = {"topic", "language", "title", "description", "lessons", "questions"}
LESSON_KEYS = {"id", "title", "body"}
QUESTION_KEYS = {"id", "lesson", "text", "options"}
OPTION_KEYS = {"text", "correct", "explanation"}


class ContentError(ValueError):
    """Lesson content that is missing or does not follow the format."""


@dataclass(frozen=True)
class Option:
    """One answer of a quiz question."""

    text: str
    explanation: str
    correct: bool = False


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; ``lesson`` is the id of the lesson that teaches it."""

    id: str
    lesson: str
    text: str
    options: Tuple[Option, ...]

    @property
    def answer_index(self) -> int:
        """The 0-based position of the right option."""
        return next(index for index, option in enumerate(self.options) if option.correct)


@dataclass(frozen=True)
class Lesson:
    """One micro-lesson: one idea with one example."""

    id: str
    title: str
    body: str


@dataclass(frozen=True)
class TopicContent:
    """One topic in one language."""

    topic: str
    language: str
    title: str
    description: str
    lessons: Tuple[Lesson, ...]
    questions: Tuple[Question, ...]

    def lesson_index(self, lesson_id: str) -> int | None:
        """The 0-based position of a lesson, or None."""
        return next((i for i, lesson in enumerate(self.lessons) if lesson.id == lesson_id), None)

    def question(self, question_id: str) -> Question | None:
        """The question with ``question_id``, or None."""
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class TopicInfo:
    """A topic's key and what links a client's questions to it (``_topics.yml``)."""

    key: str
    intents: FrozenSet[str] = frozenset()
    concepts: FrozenSet[str] = frozenset()
    entities: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class Commands:
    """The navigation words of one language (lower-cased, without punctuation)."""

    language: str
    words: Mapping[str, FrozenSet[str]] = field(default_factory=dict)

    def command_for(self, text: str) -> str | None:
        """The command a message means (``next``, ``repeat``, ``menu``, ``stop``), or None."""
        normalised = normalise(text)
        return next((name for name in COMMANDS if normalised in self.words.get(name, ())), None)


def normalise(text: str) -> str:
    """Lower-cases ``text``, drops punctuation and symbols, and collapses spaces."""
    kept = []
    for char in unicodedata.normalize("NFC", text or "").casefold():
        category = unicodedata.category(char)
        if category[0] in "PS":
            kept.append(" ")
        elif category[0] != "C":
            kept.append(char)
    return " ".join("".join(kept).split())


def lessons_dir(path: Path | None = None) -> Path:
    """The content folder: ``path`` when given, else ``data/lessons``."""
    return Path(path) if path else DEFAULT_LESSONS_DIR


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ContentError(f"{_shown(path)}: missing")
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise ContentError(f"{_shown(path)}: not valid YAML: {error}") from error


# --- topics and money ---------------------------------------------------------------


@lru_cache(maxsize=8)
def _topics(folder: Path) -> Tuple[TopicInfo, ...]:
    raw = _read_yaml(folder / TOPICS_FILE)
    items = raw.get("topics") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ContentError(f"{folder / TOPICS_FILE}: needs a non-empty `topics` list")
    found = []
    for item in items:
        if not isinstance(item, dict) or not ID_PATTERN.match(str(item.get("key", ""))):
            raise ContentError(f"{folder / TOPICS_FILE}: each topic needs a `key`: {item!r}")
        found.append(
            TopicInfo(
                key=item["key"],
                intents=frozenset(item.get("intents") or ()),
                concepts=frozenset(item.get("concepts") or ()),
                entities=frozenset(item.get("entities") or ()),
            )
        )
    keys = [topic.key for topic in found]
    if len(set(keys)) != len(keys):
        raise ContentError(f"{folder / TOPICS_FILE}: a topic is listed twice")
    return tuple(found)


def topics(path: Path | None = None) -> Tuple[TopicInfo, ...]:
    """The topics in suggestion order."""
    return _topics(lessons_dir(path))


def topic_keys(path: Path | None = None) -> Tuple[str, ...]:
    """The topic keys in suggestion order."""
    return tuple(topic.key for topic in topics(path))


@lru_cache(maxsize=8)
def _money_scale(folder: Path) -> Dict[str, Decimal]:
    path = folder / MONEY_FILE
    if not path.is_file():
        return {}
    raw = _read_yaml(path) or {}
    scale = raw.get("scale") or {}
    if not isinstance(scale, dict):
        raise ContentError(f"{path}: `scale` must map currency codes to factors")
    factors = {}
    for code, factor in scale.items():
        value = Decimal(str(factor))
        if value <= 0:
            raise ContentError(f"{path}: factor of {code} must be positive")
        factors[str(code).upper()] = value
    return factors


def money_factor(currency: str, path: Path | None = None) -> Decimal:
    """The factor lesson amounts are multiplied by in ``currency`` (1 when not listed)."""
    return _money_scale(lessons_dir(path)).get(currency.upper(), Decimal(1))


# --- rendering ------------------------------------------------------------------------


def placeholders(text: str) -> List[str]:
    """The ``{kind:N}`` placeholders of a text, sorted (to compare translations)."""
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text or ""))


def _plain_number(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def render(
    text: str,
    language: str,
    currency: str | None = None,
    path: Path | None = None,
) -> str:
    """Replaces the placeholders of ``text`` with amounts formatted for the client.

    Args:
        text: a content text with ``{money:N}``, ``{number:N}`` or ``{percent:N}``.
        language: the client's language code (numbers and digits follow it).
        currency: ISO code; the deployment's currency by default. Money is scaled by
            the currency's factor in ``_money.yml``.
        path: the content folder (tests).

    Returns:
        The text as the client sees it.
    """
    currency = (currency or get_settings().currency).upper()

    def replace(match: re.Match) -> str:
        kind, raw = match.group(1), Decimal(match.group(2))
        if kind == "money":
            return format_money(
                _plain_number(raw * money_factor(currency, path)), language, currency
            )
        if kind == "percent":
            decimals = max(0, -_plain_number(raw).as_tuple().exponent)
            return format_percent(raw / 100, language, decimals=decimals)
        decimals = max(0, -_plain_number(raw).as_tuple().exponent)
        return format_number(raw, language, decimals=decimals)

    return PLACEHOLDER.sub(replace, text)


def longest_rendering(text: str, language: str, path: Path | None = None) -> int:
    """The length of ``text`` rendered in the longest of a few sample currencies."""
    return max(len(render(text, language, code, path)) for code in SAMPLE_CURRENCIES)


# --- validation -----------------------------------------------------------------------


def _check_text(
    problems: List[str],
    where: str,
    value: Any,
    limit: int,
    language: str,
    path: Path | None,
) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: must be a non-empty text")
        return
    stray = PLACEHOLDER.sub("", value)
    if "{" in stray or "}" in stray:
        problems.append(
            f"{where}: unknown placeholder (only {{money:N}}, {{number:N}}, {{percent:N}})"
        )
    length = longest_rendering(value, language, path)
    if length > limit:
        problems.append(f"{where}: {length} characters, the limit is {limit}")


def _check_keys(problems: List[str], where: str, item: Any, allowed: set, required: set) -> bool:
    if not isinstance(item, dict):
        problems.append(f"{where}: must be a mapping")
        return False
    for key in sorted(set(item) - allowed):
        problems.append(f"{where}: unknown key `{key}`")
    for key in sorted(required - set(item)):
        problems.append(f"{where}: missing `{key}`")
    return True


def validate_topic_data(
    data: Any, topic: str, language: str, path: Path | None = None
) -> List[str]:
    """Checks one topic file's data against the format; returns the problems found."""
    where = f"{topic}/{language}.yml"
    problems: List[str] = []
    if not _check_keys(problems, where, data, TOPIC_KEYS, TOPIC_KEYS - {"description"}):
        return problems
    if data.get("topic") != topic:
        problems.append(f"{where}: `topic` must be {topic!r}, not {data.get('topic')!r}")
    if data.get("language") != language:
        problems.append(f"{where}: `language` must be {language!r}, not {data.get('language')!r}")
    _check_text(problems, f"{where} title", data.get("title"), MAX_TITLE_CHARS, language, path)
    if "description" in data:
        _check_text(
            problems,
            f"{where} description",
            data["description"],
            MAX_DESCRIPTION_CHARS,
            language,
            path,
        )
    lessons = data.get("lessons")
    lesson_ids: List[str] = []
    if not isinstance(lessons, list) or len(lessons) < MIN_LESSONS:
        problems.append(f"{where}: needs at least {MIN_LESSONS} lessons")
        lessons = lessons if isinstance(lessons, list) else []
    for number, lesson in enumerate(lessons, start=1):
        at = f"{where} lesson {number}"
        if not _check_keys(problems, at, lesson, LESSON_KEYS, LESSON_KEYS):
            continue
        _check_id(problems, at, lesson.get("id"), lesson_ids)
        _check_text(problems, f"{at} title", lesson.get("title"), MAX_TITLE_CHARS, language, path)
        before = len(problems)
        _check_text(problems, f"{at} body", lesson.get("body"), MAX_LESSON_CHARS, language, path)
        if len(problems) == before and isinstance(lesson.get("title"), str):
            whole = f"{lesson['title']}\n\n{lesson['body']}"
            length = longest_rendering(whole, language, path)
            if length > MAX_LESSON_CHARS:
                problems.append(
                    f"{at}: {length} characters with the title, limit {MAX_LESSON_CHARS}"
                )
    questions = data.get("questions")
    question_ids: List[str] = []
    if not isinstance(questions, list) or len(questions) < MIN_QUESTIONS:
        problems.append(f"{where}: needs at least {MIN_QUESTIONS} questions")
        questions = questions if isinstance(questions, list) else []
    for number, question in enumerate(questions, start=1):
        at = f"{where} question {number}"
        if not _check_keys(problems, at, question, QUESTION_KEYS, QUESTION_KEYS):
            continue
        _check_id(problems, at, question.get("id"), question_ids)
        if question.get("lesson") not in lesson_ids:
            problems.append(f"{at}: `lesson` {question.get('lesson')!r} is not a lesson id")
        _check_text(
            problems, f"{at} text", question.get("text"), MAX_QUESTION_CHARS, language, path
        )
        _check_options(problems, at, question.get("options"), language, path)
    return problems


def _check_id(problems: List[str], where: str, value: Any, seen: List[str]) -> None:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        problems.append(f"{where}: `id` must be lower_case_with_underscores, not {value!r}")
    elif value in seen:
        problems.append(f"{where}: `id` {value!r} is used twice")
    else:
        seen.append(value)


def _check_options(
    problems: List[str], where: str, options: Any, language: str, path: Path | None
) -> None:
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        problems.append(f"{where}: needs {MIN_OPTIONS} to {MAX_OPTIONS} options")
        return
    correct = 0
    texts = []
    for number, option in enumerate(options, start=1):
        at = f"{where} option {number}"
        if not _check_keys(problems, at, option, OPTION_KEYS, {"text", "explanation"}):
            continue
        if option.get("correct", False) not in (True, False):
            problems.append(f"{at}: `correct` must be true or false")
        correct += option.get("correct") is True
        _check_text(problems, f"{at} text", option.get("text"), MAX_OPTION_CHARS, language, path)
        _check_text(
            problems,
            f"{at} explanation",
            option.get("explanation"),
            MAX_EXPLANATION_CHARS,
            language,
            path,
        )
        if isinstance(option.get("explanation"), str) and "\n" in option["explanation"].strip():
            problems.append(f"{at} explanation: must be one sentence on one line")
        texts.append(normalise(str(option.get("text", ""))))
    if correct != 1:
        problems.append(f"{where}: needs exactly one option with `correct: true`, has {correct}")
    if len(set(texts)) != len(texts):
        problems.append(f"{where}: two options have the same text")


def _structure(data: Mapping[str, Any]) -> Dict[str, Any]:
    """What must be equal in every language: ids, links, answers and placeholders."""
    lessons = [
        (item.get("id"), placeholders(item.get("body", "")))
        for item in data.get("lessons") or []
        if isinstance(item, dict)
    ]
    questions = []
    for item in data.get("questions") or []:
        if not isinstance(item, dict):
            continue
        options = [
            (
                option.get("correct") is True,
                placeholders(option.get("text", "")),
                placeholders(option.get("explanation", "")),
            )
            for option in item.get("options") or []
            if isinstance(option, dict)
        ]
        questions.append(
            (item.get("id"), item.get("lesson"), placeholders(item.get("text", "")), options)
        )
    return {"lessons": lessons, "questions": questions}


def compare_with_source(
    data: Mapping[str, Any], source: Mapping[str, Any], topic: str, language: str
) -> List[str]:
    """Checks that a translation has the source's structure; returns the problems."""
    where = f"{topic}/{language}.yml"
    mine, theirs = _structure(data), _structure(source)
    problems: List[str] = []
    if [lesson[0] for lesson in mine["lessons"]] != [lesson[0] for lesson in theirs["lessons"]]:
        problems.append(
            f"{where}: lesson ids differ from {SOURCE_LANGUAGE}.yml (same ids, same order)"
        )
    else:
        for (lesson_id, have), (_, want) in zip(mine["lessons"], theirs["lessons"], strict=True):
            if have != want:
                problems.append(
                    f"{where} lesson {lesson_id}: placeholders {have} differ from {want}"
                )
    if [q[0] for q in mine["questions"]] != [q[0] for q in theirs["questions"]]:
        problems.append(
            f"{where}: question ids differ from {SOURCE_LANGUAGE}.yml (same ids, same order)"
        )
        return problems
    for have, want in zip(mine["questions"], theirs["questions"], strict=True):
        question_id = have[0]
        if have[1] != want[1]:
            problems.append(
                f"{where} question {question_id}: `lesson` differs from {SOURCE_LANGUAGE}.yml"
            )
        if have[2] != want[2]:
            problems.append(
                f"{where} question {question_id}: placeholders {have[2]} differ from {want[2]}"
            )
        if [o[0] for o in have[3]] != [o[0] for o in want[3]]:
            problems.append(
                f"{where} question {question_id}: options or the right answer differ from "
                f"{SOURCE_LANGUAGE}.yml (same options, same order)"
            )
        elif [o[1:] for o in have[3]] != [o[1:] for o in want[3]]:
            problems.append(f"{where} question {question_id}: option placeholders differ")
    return problems


def validate_commands_data(data: Any, language: str) -> List[str]:
    """Checks one ``_commands/<code>.yml`` file's data; returns the problems found."""
    where = f"{COMMANDS_DIR}/{language}.yml"
    problems: List[str] = []
    if not _check_keys(problems, where, data, {"language", *COMMANDS}, {"language", *COMMANDS}):
        return problems
    if data.get("language") != language:
        problems.append(f"{where}: `language` must be {language!r}")
    owner: Dict[str, str] = {}
    for command in COMMANDS:
        words = data.get(command)
        if not isinstance(words, list) or not words:
            problems.append(f"{where}: `{command}` needs a list of words")
            continue
        for word in words:
            key = normalise(str(word))
            if not key:
                problems.append(f"{where}: `{command}` has an empty word")
            elif owner.get(key, command) != command:
                problems.append(f"{where}: {word!r} is both `{owner[key]}` and `{command}`")
            elif key.isdigit():
                problems.append(f"{where}: {word!r} would hide the answer numbers")
            owner.setdefault(key, command)
    return problems


def check_topic_file(topic: str, language: str, path: Path | None = None) -> List[str]:
    """Checks ``<topic>/<language>.yml``: the format, and the structure of ``en.yml``."""
    folder = lessons_dir(path)
    try:
        data = _read_yaml(folder / topic / f"{language}.yml")
    except ContentError as error:
        return [str(error)]
    problems = validate_topic_data(data, topic, language, folder)
    if language != SOURCE_LANGUAGE and isinstance(data, dict):
        try:
            source = _read_yaml(folder / topic / f"{SOURCE_LANGUAGE}.yml")
        except ContentError as error:
            return problems + [str(error)]
        problems += compare_with_source(data, source, topic, language)
    return problems


def check_commands_file(language: str, path: Path | None = None) -> List[str]:
    """Checks ``_commands/<language>.yml``."""
    try:
        data = _read_yaml(lessons_dir(path) / COMMANDS_DIR / f"{language}.yml")
    except ContentError as error:
        return [str(error)]
    return validate_commands_data(data, language)


def check_topic_list(path: Path | None = None) -> List[str]:
    """Checks ``_topics.yml`` and ``_money.yml``, and that every topic folder is listed."""
    folder = lessons_dir(path)
    try:
        keys = [topic.key for topic in _topics(folder)]
        _money_scale(folder)
    except (ContentError, ArithmeticError) as error:
        return [str(error)]
    folders = {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")}
    problems = [
        f"{name}/: folder is not listed in {TOPICS_FILE}" for name in sorted(folders - set(keys))
    ]
    problems += [
        f"{key}/: listed in {TOPICS_FILE} but has no folder" for key in keys if key not in folders
    ]
    return problems


def check_all(path: Path | None = None, languages: Sequence[str] | None = None) -> List[str]:
    """Checks every topic and command file in every language; returns all problems."""
    problems = check_topic_list(path)
    if problems:
        return problems
    codes = tuple(languages or language_codes())
    for key in topic_keys(path):
        for code in codes:
            problems += check_topic_file(key, code, path)
    for code in codes:
        problems += check_commands_file(code, path)
    return problems


# --- loading --------------------------------------------------------------------------


def _build_topic(data: Mapping[str, Any]) -> TopicContent:
    return TopicContent(
        topic=data["topic"],
        language=data["language"],
        title=data["title"].strip(),
        description=str(data.get("description") or "").strip(),
        lessons=tuple(
            Lesson(id=item["id"], title=item["title"].strip(), body=item["body"].strip())
            for item in data["lessons"]
        ),
        questions=tuple(
            Question(
                id=item["id"],
                lesson=item["lesson"],
                text=item["text"].strip(),
                options=tuple(
                    Option(
                        text=str(option["text"]).strip(),
                        explanation=option["explanation"].strip(),
                        correct=option.get("correct") is True,
                    )
                    for option in item["options"]
                ),
            )
            for item in data["questions"]
        ),
    )


@lru_cache(maxsize=128)
def _load_topic(folder: Path, topic: str, language: str) -> TopicContent:
    data = _read_yaml(folder / topic / f"{language}.yml")
    problems = validate_topic_data(data, topic, language, folder)
    if language != SOURCE_LANGUAGE and not problems:
        problems = compare_with_source(
            data, _read_yaml(folder / topic / f"{SOURCE_LANGUAGE}.yml"), topic, language
        )
    if problems:
        raise ContentError("; ".join(problems))
    return _build_topic(data)


def load_topic(topic: str, language: str, path: Path | None = None) -> TopicContent:
    """One topic in one language, validated.

    Raises:
        ContentError: the file is missing or breaks the format.
    """
    return _load_topic(lessons_dir(path), topic, language)


@lru_cache(maxsize=128)
def _usable_topic(folder: Path, topic: str, language: str) -> TopicContent:
    try:
        return _load_topic(folder, topic, language)
    except ContentError as error:
        if language == SOURCE_LANGUAGE:
            raise
        logger.warning("Lesson topic %s in English for %s: %s", topic, language, error)
        return _load_topic(folder, topic, SOURCE_LANGUAGE)


def get_topic(topic: str, language: str, path: Path | None = None) -> TopicContent:
    """One topic in the client's language, or in English when that file is not usable.

    The choice is made once per process (logged); ``clear_cache`` forgets it.
    """
    return _usable_topic(lessons_dir(path), topic, language)


@lru_cache(maxsize=32)
def _load_commands(folder: Path, language: str) -> Commands:
    data = _read_yaml(folder / COMMANDS_DIR / f"{language}.yml")
    problems = validate_commands_data(data, language)
    if problems:
        raise ContentError("; ".join(problems))
    return Commands(
        language=language,
        words={name: frozenset(normalise(str(word)) for word in data[name]) for name in COMMANDS},
    )


def get_commands(language: str, path: Path | None = None) -> Commands:
    """The navigation words of a language together with the English ones."""
    folder = lessons_dir(path)
    english = _load_commands(folder, SOURCE_LANGUAGE)
    if language == SOURCE_LANGUAGE:
        return english
    try:
        own = _load_commands(folder, language)
    except ContentError:
        return english
    merged: Dict[str, FrozenSet[str]] = {}
    taken = set().union(*own.words.values())
    for name in COMMANDS:
        # a word of the client's language wins over an English word spelled the same
        merged[name] = own.words[name] | (english.words[name] - taken)
    return Commands(language=language, words=merged)


def clear_cache() -> None:
    """Forgets loaded content (after files changed)."""
    for cached in (_topics, _money_scale, _load_topic, _usable_topic, _load_commands):
        cached.cache_clear()


__all__ = [
    "COMMANDS",
    "Commands",
    "ContentError",
    "Lesson",
    "MENU",
    "NEXT",
    "Option",
    "Question",
    "REPEAT",
    "STOP",
    "TopicContent",
    "TopicInfo",
    "check_all",
    "check_commands_file",
    "check_topic_file",
    "check_topic_list",
    "get_commands",
    "get_topic",
    "load_topic",
    "normalise",
    "render",
    "topic_keys",
    "topics",
]
