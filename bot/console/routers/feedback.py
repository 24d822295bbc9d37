"""Training feedback: correct a client message's intent and entities, export them as NLU data.

A supervisor opens "correct this" on a client message of a transcript, picks the right
intent (from the domain's intents) and the entities (a domain entity, its value and the
exact words of the message that name it). Corrections are kept in
``mfi_console_nlu_correction``; the NLU inbox lists them by language and status, and
exports those of one language as a Rasa NLU file (``version: "3.1"``, grouped by intent,
entities annotated as ``[words]{"entity": "...", "value": "..."}``) to put in
``data/nlu/<language>/``; exported corrections are marked so. Saving, removing and
exporting are audited.

Each correction is checked when it is saved: the example it becomes is parsed back with
Rasa's own parser and must give the same text and entities, so that every export loads.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Role, StaffUser, requires
from bot.console.events import EVENTS, USER, decode
from bot.console.listing import summary_by_conversation, summary_ids
from bot.console.web import Area, NavItem, console_of, form_data, redirect, render, user_of
from bot.i18n.languages import language_codes
from bot.settings import PROJECT_ROOT
from bot.store import audit
from bot.store.console import CORRECTION_EXPORTED, CORRECTION_NEW, NluCorrection

FEEDBACK_PATH = "/feedback"
CORRECT_PATH = FEEDBACK_PATH + "/correct"
EXPORT_PATH = FEEDBACK_PATH + "/export"
DOMAIN_PATH = PROJECT_ROOT / "domain.yml"
NOT_TRAINABLE = frozenset({"nlu_fallback"})  # predicted by the FallbackClassifier only
STATUSES = (CORRECTION_NEW, CORRECTION_EXPORTED, "all")
SCOPE_ALL = "all"
PAGE_SIZE = 50
MAX_ENTITIES = 8
BLANK_ENTITY_ROWS = 2
MAX_TEXT_CHARS = 1000
MAX_VALUE_CHARS = 200
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# characters YAML does not allow in a document (C0/C1 controls, surrogates, non-characters)
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cs"})
NON_CHARACTERS = frozenset({"\ufffe", "\uffff"})

NLU_CORRECT = "nlu.correct"  # audit actions
NLU_DELETE = "nlu.delete"
NLU_EXPORT = "nlu.export"

UNREPRESENTABLE = (
    "This message cannot be written as a training example as corrected: its brackets or "
    "braces would be read as entity annotations. Choose other words for the entities."
)


class CorrectionError(ValueError):
    """A correction that cannot be saved (message for staff)."""


@dataclass(frozen=True)
class DomainNames:
    """The intents a message can be corrected to, and the entities it can have."""

    intents: Tuple[str, ...]
    entities: Tuple[str, ...]


def _names(items: Iterable[Any]) -> List[str]:
    """Names of domain list items: ``- greet`` or ``- greet: {use_entities: ...}``."""
    names = []
    for item in items or ():
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            names.append(str(next(iter(item))))
    return names


def _domain_files(path: Path) -> List[Path]:
    if not path.is_dir():
        return [path]
    return sorted(file for file in path.rglob("*") if file.suffix in (".yml", ".yaml"))


@functools.lru_cache(maxsize=4)
def _domain_names(path: Path, stamp: Tuple[float, ...]) -> DomainNames:
    files = _domain_files(path)
    intents: List[str] = []
    entities: List[str] = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            content = yaml.safe_load(handle) or {}
        if isinstance(content, dict):
            intents += [n for n in _names(content.get("intents")) if n not in intents]
            entities += [n for n in _names(content.get("entities")) if n not in entities]
    return DomainNames(
        intents=tuple(name for name in intents if name not in NOT_TRAINABLE),
        entities=tuple(entities),
    )


def domain_names(path: Path = DOMAIN_PATH) -> DomainNames:
    """The domain's trainable intents and its entities (re-read when the files change)."""
    stamp = tuple(file.stat().st_mtime for file in _domain_files(path))
    return _domain_names(path, stamp)


def clean_text(text: str) -> str:
    """A message as one line of training data: whitespace collapsed, unprintables removed."""
    kept = (
        " " if char.isspace() else char
        for char in text
        if char.isspace()
        or (unicodedata.category(char) not in UNPRINTABLE_CATEGORIES and char not in NON_CHARACTERS)
    )
    return " ".join("".join(kept).split())[:MAX_TEXT_CHARS].strip()


@dataclass(frozen=True)
class Span:
    """An entity of a corrected message: name, value and where its words are."""

    entity: str
    value: str
    start: int
    end: int

    def as_dict(self) -> Dict[str, Any]:
        """The span as stored (JSON)."""
        return {"entity": self.entity, "value": self.value, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class EntityRow:
    """One entity line of the correction form, as typed."""

    entity: str = ""
    value: str = ""
    words: str = ""

    @property
    def blank(self) -> bool:
        """Whether the row was left empty."""
        return not (self.entity or self.value or self.words)


def annotate(text: str, spans: Sequence[Span]) -> str:
    """The training example: ``text`` with each span as ``[words]{"entity": .., "value": ..}``."""
    parts = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        attributes = json.dumps({"entity": span.entity, "value": span.value}, ensure_ascii=False)
        parts.append(text[position : span.start])
        parts.append(f"[{text[span.start : span.end]}]{attributes}")
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def _parses_back(example: str, text: str, spans: Sequence[Span]) -> bool:
    """Whether Rasa reads ``example`` as exactly ``text`` with ``spans``."""
    from rasa.shared.exceptions import RasaException
    from rasa.shared.nlu.training_data import entities_parser

    try:
        found = entities_parser.find_entities_in_training_example(example)
        plain = entities_parser.replace_entities(example)
    except (RasaException, ValueError):
        return False
    wanted = [(s.entity, s.value, s.start, s.end) for s in sorted(spans, key=lambda s: s.start)]
    got = [(e.get("entity"), e.get("value"), e.get("start"), e.get("end")) for e in found]
    return plain == text and got == wanted


def _locate(text: str, words: str, taken: Sequence[Span]) -> Tuple[int, int] | None:
    """The first place of ``words`` in ``text`` that overlaps no span taken already."""
    start = text.find(words)
    while start != -1:
        end = start + len(words)
        if all(end <= span.start or start >= span.end for span in taken):
            return start, end
        start = text.find(words, start + 1)
    return None


def build_spans(
    text: str, intent: str, rows: Sequence[EntityRow], domain: DomainNames
) -> List[Span]:
    """Checks a correction and returns its entities in text order.

    Args:
        text: the message (``clean_text``).
        intent: the intent chosen.
        rows: the entity rows of the form (blank ones are ignored).
        domain: the domain's intents and entities.

    Raises:
        CorrectionError: an unknown intent or entity, words that are not in the message (or
            overlap another entity), or a message Rasa would read differently.
    """
    if not text:
        raise CorrectionError("The message has no text to learn from.")
    if intent not in domain.intents:
        raise CorrectionError("Choose one of the domain's intents.")
    spans: List[Span] = []
    for row in rows:
        if row.blank:
            continue
        if row.entity not in domain.entities:
            raise CorrectionError("Choose one of the domain's entities for every entity row.")
        words = " ".join(row.words.split())
        if not words:
            raise CorrectionError(f"Give the words of the message that name {row.entity}.")
        value = " ".join(row.value.split()) or words
        if len(value) > MAX_VALUE_CHARS:
            raise CorrectionError(f"An entity value has at most {MAX_VALUE_CHARS} characters.")
        place = _locate(text, words, spans)
        if place is None:
            problem = "does not occur in the message"
            if text.find(words) != -1:
                problem = "overlaps another entity"
            raise CorrectionError(f"“{words}” {problem}.")
        spans.append(Span(row.entity, value, *place))
    spans.sort(key=lambda span: span.start)
    if not _parses_back(annotate(text, spans), text, spans):
        raise CorrectionError(UNREPRESENTABLE)
    return spans


def spans_of(correction: NluCorrection) -> List[Span]:
    """The stored entities of a correction."""
    return [Span(**item) for item in json.loads(correction.entities or "[]")]


def example_of(correction: NluCorrection) -> str:
    """The training example line of a correction."""
    return annotate(correction.text, spans_of(correction))


def _yaml_name(name: str) -> str:
    return name if SAFE_NAME.match(name) else json.dumps(name, ensure_ascii=False)


def nlu_yaml(corrections: Sequence[NluCorrection], language: str, now: dt.datetime) -> str:
    """The corrections as a Rasa NLU training data file, grouped by intent."""
    by_intent: Dict[str, List[str]] = {}
    for correction in sorted(corrections, key=lambda c: c.id):
        examples = by_intent.setdefault(correction.intent, [])
        example = example_of(correction)
        if example not in examples:
            examples.append(example)
    lines = [
        f"# Corrections made in the staff console ({language}), exported {now:%Y-%m-%d %H:%M} UTC.",
        f"# For data/nlu/{language}/.",
        'version: "3.1"',
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {_yaml_name(intent)}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in by_intent[intent])
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ClientMessage:
    """A client message as the correction form shows it."""

    event_id: int
    conversation_id: str
    text: str
    original_text: str
    intent: str | None
    confidence: float | None
    detected_language: str | None
    entities: Tuple[EntityRow, ...]
    summary_id: int | None


def _parse_entities(original: str, text: str, parse: Mapping[str, Any]) -> Tuple[EntityRow, ...]:
    rows = []
    for entity in parse.get("entities") or []:
        if not isinstance(entity, dict) or not entity.get("entity"):
            continue
        value = entity.get("value")
        value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        start, end = entity.get("start"), entity.get("end")
        words = ""
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(original):
            words = clean_text(original[start:end])
        elif value and value in text:
            words = value
        rows.append(EntityRow(str(entity["entity"]), value, words))
    return tuple(rows)


def load_message(session: Session, event_id: int) -> ClientMessage:
    """The client message stored as event ``event_id`` (404 if it is not one)."""
    row = session.execute(
        select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data).where(
            EVENTS.c.id == event_id
        )
    ).first()
    if row is None or row.type_name != USER:
        raise HTTPException(status_code=404, detail="No such client message.")
    data = decode(row.data)
    original = str(data.get("text") or "")
    text = clean_text(original)
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence")
    summary = summary_by_conversation(session, row.sender_id)
    language = parse.get("detected_language") or (summary.language if summary else None)
    return ClientMessage(
        event_id=row.id,
        conversation_id=row.sender_id,
        text=text,
        original_text=original,
        intent=intent.get("name"),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        detected_language=str(language) if language else None,
        entities=_parse_entities(original, text, parse),
        summary_id=summary.id if summary else None,
    )


def _correction_of(session: Session, event_id: int) -> NluCorrection | None:
    return session.execute(
        select(NluCorrection).where(NluCorrection.event_id == event_id)
    ).scalar_one_or_none()


def _form_rows(rows: Sequence[EntityRow]) -> List[EntityRow]:
    count = min(MAX_ENTITIES, len(rows) + BLANK_ENTITY_ROWS)
    return list(rows[:count]) + [EntityRow()] * (count - len(rows[:count]))


async def _show_form(
    request: Request,
    event_id: int,
    *,
    submitted: Mapping[str, Any] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    console = console_of(request)
    domain = domain_names()

    def load(session: Session) -> Dict[str, Any]:
        message = load_message(session, event_id)
        correction = _correction_of(session, event_id)
        if submitted is not None:
            values = dict(submitted)
        elif correction is not None:
            values = {
                "intent": correction.intent,
                "language": correction.language or "",
                "rows": [
                    EntityRow(span.entity, span.value, correction.text[span.start : span.end])
                    for span in spans_of(correction)
                ],
            }
        else:
            values = {
                "intent": message.intent if message.intent in domain.intents else "",
                "language": message.detected_language or "",
                "rows": list(message.entities),
            }
        return {
            "message": message,
            "correction": correction,
            "example": example_of(correction) if correction is not None else None,
            "values": {**values, "rows": _form_rows(values["rows"])},
        }

    context = await console.run(load)
    saved = request.method == "GET" and request.query_params.get("saved") == "1"
    context.update(
        {
            "domain": domain,
            "languages": language_codes(),
            "notice": "Saved: it goes into the next export of its language." if saved else None,
            "problem": problem,
        }
    )
    return render(request, "feedback/correct.html", context, status_code=status_code)


@requires(Role.SUPERVISOR)
async def correction_form(request: Request) -> Response:
    """The correction form of one client message."""
    return await _show_form(request, request.path_params["event_id"])


def _submitted_rows(form: Mapping[str, str]) -> List[EntityRow]:
    return [
        EntityRow(
            entity=form.get(f"entity_{index}", "").strip()[:255],
            value=form.get(f"value_{index}", "").strip()[: MAX_VALUE_CHARS + 1],
            words=form.get(f"words_{index}", "").strip()[:MAX_TEXT_CHARS],
        )
        for index in range(MAX_ENTITIES)
    ]


def save_correction(
    session: Session,
    user: StaffUser,
    event_id: int,
    intent: str,
    language: str,
    rows: Sequence[EntityRow],
    domain: DomainNames,
) -> NluCorrection:
    """Checks and stores (or replaces) the correction of a message; audits it.

    Raises:
        CorrectionError: the correction is not valid (see ``build_spans``).
    """
    message = load_message(session, event_id)
    if language not in language_codes():
        raise CorrectionError("Choose the language the message is written in.")
    spans = build_spans(message.text, intent, rows, domain)
    correction = _correction_of(session, event_id)
    if correction is None:
        correction = NluCorrection(event_id=event_id, conversation_id=message.conversation_id)
        session.add(correction)
    correction.text = message.text
    correction.language = language
    correction.predicted_intent = message.intent
    correction.predicted_confidence = message.confidence
    correction.intent = intent
    correction.entities = json.dumps([span.as_dict() for span in spans], ensure_ascii=False)
    correction.status = CORRECTION_NEW
    correction.corrected_by = user.username
    correction.corrected_at = dt.datetime.utcnow()
    audit.record(
        session,
        user.username,
        NLU_CORRECT,
        message.conversation_id,
        {
            "event_id": event_id,
            "predicted_intent": message.intent,
            "intent": intent,
            "entities": [span.entity for span in spans],
            "language": language,
        },
    )
    session.flush()
    return correction


@requires(Role.SUPERVISOR)
async def correction_save(request: Request) -> Response:
    """Saves the correction of one client message."""
    console = console_of(request)
    user = user_of(request)
    event_id = request.path_params["event_id"]
    form = await form_data(request)
    intent = form.get("intent", "").strip()
    language = form.get("language", "").strip()
    rows = _submitted_rows(form)
    domain = domain_names()
    try:
        try:
            await console.run(save_correction, user, event_id, intent, language, rows, domain)
        except IntegrityError:  # saved at the same moment by someone else: replace theirs
            await console.run(save_correction, user, event_id, intent, language, rows, domain)
    except CorrectionError as problem:
        submitted = {
            "intent": intent,
            "language": language,
            "rows": [r for r in rows if not r.blank],
        }
        return await _show_form(
            request, event_id, submitted=submitted, problem=str(problem), status_code=400
        )
    return redirect(f"{CORRECT_PATH}/{event_id}?saved=1")


@dataclass(frozen=True)
class InboxFilter:
    """What the NLU inbox lists."""

    language: str = ""  # a language code, or "" for all
    status: str = CORRECTION_NEW

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> InboxFilter:
        """The filter of the query string (unknown values fall back to the defaults)."""
        language = params.get("language", "")
        if language not in language_codes():
            language = ""
        status = params.get("status", CORRECTION_NEW)
        return cls(language=language, status=status if status in STATUSES else CORRECTION_NEW)

    def params(self) -> Dict[str, str]:
        """The filter as query parameters."""
        return {"language": self.language, "status": self.status}


def inbox(session: Session, criteria: InboxFilter, page: int) -> Dict[str, Any]:
    """The corrections of one page (newest first), their count, and new ones per language."""
    query = select(NluCorrection)
    count = select(func.count()).select_from(NluCorrection)
    conditions = []
    if criteria.status != SCOPE_ALL:
        conditions.append(NluCorrection.status == criteria.status)
    if criteria.language:
        conditions.append(NluCorrection.language == criteria.language)
    rows = list(
        session.execute(
            query.where(*conditions)
            .order_by(NluCorrection.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).scalars()
    )
    pending = dict(
        session.execute(
            select(NluCorrection.language, func.count())
            .where(NluCorrection.status == CORRECTION_NEW)
            .group_by(NluCorrection.language)
        ).all()
    )
    return {
        "corrections": rows,
        "examples": {correction.id: example_of(correction) for correction in rows},
        "spans": {correction.id: spans_of(correction) for correction in rows},
        "links": summary_ids(session, [correction.conversation_id for correction in rows]),
        "total": int(session.execute(count.where(*conditions)).scalar_one()),
        "pending": {code: int(pending[code]) for code in language_codes() if code in pending},
    }


def _page(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page", "1")), 100_000))
    except ValueError:
        return 1


async def _show_inbox(
    request: Request, problem: str | None = None, status_code: int = 200
) -> Response:
    console = console_of(request)
    criteria = InboxFilter.from_params(request.query_params)
    page = _page(request)
    context = await console.run(inbox, criteria, page)
    params = criteria.params()
    context.update(
        {
            "criteria": criteria,
            "page": page,
            "pages": max(1, -(-context["total"] // PAGE_SIZE)),
            "page_query": lambda number: "&".join(
                f"{key}={value}" for key, value in {**params, "page": number}.items()
            ),
            "languages": language_codes(),
            "statuses": STATUSES,
            "notice": None,
            "problem": problem,
        }
    )
    return render(request, "feedback/inbox.html", context, status_code=status_code)


@requires(Role.SUPERVISOR)
async def inbox_page(request: Request) -> Response:
    """The NLU inbox: corrections filtered by language and status, export per language."""
    return await _show_inbox(request)


@requires(Role.SUPERVISOR)
async def correction_delete(request: Request) -> Response:
    """Removes a correction (it will not be exported)."""
    console = console_of(request)
    user = user_of(request)
    correction_id = request.path_params["correction_id"]

    def remove(session: Session) -> None:
        correction = session.get(NluCorrection, correction_id)
        if correction is None:
            raise HTTPException(status_code=404, detail="No such correction.")
        audit.record(
            session,
            user.username,
            NLU_DELETE,
            correction.conversation_id,
            {"event_id": correction.event_id, "intent": correction.intent},
        )
        session.delete(correction)

    await console.run(remove)
    return redirect(FEEDBACK_PATH)


def export_language(
    session: Session, user: StaffUser, language: str, everything: bool, now: dt.datetime
) -> Tuple[str, int]:
    """The NLU file of one language's corrections (new ones, or all); marks them exported.

    Returns:
        The YAML text and how many corrections it holds (0: nothing to export).
    """
    conditions = [NluCorrection.language == language]
    if not everything:
        conditions.append(NluCorrection.status == CORRECTION_NEW)
    corrections = list(
        session.execute(
            select(NluCorrection).where(*conditions).order_by(NluCorrection.id)
        ).scalars()
    )
    if not corrections:
        return "", 0
    for correction in corrections:
        correction.status = CORRECTION_EXPORTED
        correction.exported_by = user.username
        correction.exported_at = now
    audit.record(
        session,
        user.username,
        NLU_EXPORT,
        detail={
            "language": language,
            "scope": SCOPE_ALL if everything else CORRECTION_NEW,
            "count": len(corrections),
            "ids": [correction.id for correction in corrections],
        },
    )
    return nlu_yaml(corrections, language, now), len(corrections)


@requires(Role.SUPERVISOR)
async def export(request: Request) -> Response:
    """Downloads one language's corrections as ``data/nlu`` YAML and marks them exported."""
    console = console_of(request)
    user = user_of(request)
    form = await form_data(request)
    language = form.get("language", "")
    if language not in language_codes():
        return await _show_inbox(request, problem="Choose a language to export.", status_code=400)
    everything = form.get("scope") == SCOPE_ALL
    now = dt.datetime.utcnow().replace(microsecond=0)
    text, count = await console.run(export_language, user, language, everything, now)
    if not count:
        return await _show_inbox(
            request, problem=f"No corrections to export for {language}.", status_code=400
        )
    name = f"console_feedback_{language}_{now:%Y%m%d-%H%M%S}.yml"
    return Response(
        text,
        media_type="application/x-yaml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


AREA = Area(
    name="feedback",
    routes=[
        Route(FEEDBACK_PATH, inbox_page, methods=["GET"]),
        Route(EXPORT_PATH, export, methods=["POST"]),
        Route(CORRECT_PATH + "/{event_id:id}", correction_form, methods=["GET"]),
        Route(CORRECT_PATH + "/{event_id:id}", correction_save, methods=["POST"]),
        Route(FEEDBACK_PATH + "/{correction_id:id}/delete", correction_delete, methods=["POST"]),
    ],
    nav=[NavItem("NLU inbox", FEEDBACK_PATH, Role.SUPERVISOR, order=50)],
)
