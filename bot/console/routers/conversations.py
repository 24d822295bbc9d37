"""The conversation list (filters, search, CSV export) and the transcript view.

On a transcript, agents mark the conversation reviewed, add or remove tags and add notes;
an admin can delete the client's data. Every view of a transcript and every export is
audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any, Dict, Iterator, List
from urllib.parse import urlencode

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bot.console.auth import Role, StaffUser, requires
from bot.console.events import load_events
from bot.console.listing import (
    ConversationFilter,
    FilterError,
    export_rows,
    filter_options,
    list_page,
    open_handoffs,
    summary_by_id,
)
from bot.console.masking import Masker
from bot.console.transcript import transcript
from bot.console.web import (
    MAX_ID,
    Area,
    Console,
    NavItem,
    console_of,
    form_data,
    is_htmx,
    redirect,
    render,
    user_of,
)
from bot.store import audit
from bot.store.console import Note, Review, Tag
from bot.store.db import session_scope
from bot.store.privacy import delete_client_data
from bot.store.support import Complaint

LIST_PATH = "/conversations"
TRANSCRIPT_EVENTS = 500
ALL_EVENTS = 20_000
OPTIONS_SECONDS = 60.0
TAG_PATTERN = re.compile(r"^[\w\-]{1,64}$")
MAX_NOTE_CHARS = 2000
DELETE_CONFIRMATION = "DELETE"
CSV_FIELDS = (
    "conversation_id",
    "channel",
    "language",
    "first_message_utc",
    "last_message_utc",
    "client_messages",
    "lowest_confidence",
    "fallback",
    "handoff",
    "reviewed",
    "intents",
    "tags",
)
NOTICES = {
    "sent": "Sent to the client.",
    "recorded": "Recorded in the conversation (this channel cannot be written to first).",
    "handed_back": "The bot answers this client again.",
    "taken": "You are handling this conversation.",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page", "1")), 100_000))
    except ValueError:
        return 1


@requires(Role.VIEWER)
async def conversation_list(request: Request) -> Response:
    """Conversations, newest first, filtered and searched; a fragment for htmx."""
    console = console_of(request)
    await console.refresh_index()
    error = None
    try:
        criteria = ConversationFilter.from_params(request.query_params)
    except FilterError as problem:
        criteria, error = ConversationFilter(), str(problem)
    page = await console.run(list_page, criteria, _page_number(request), console.settings.page_size)
    handoffs = await console.run(open_handoffs, [row.conversation_id for row in page.rows])
    options = await console.cached("filter_options", OPTIONS_SECONDS, filter_options)
    params = criteria.params()
    context = {
        "page": page,
        "criteria": criteria,
        "options": options,
        "error": error,
        "handoffs": handoffs,
        "query": urlencode(params),
        "page_url": lambda number: f"{LIST_PATH}?{urlencode({**params, 'page': number})}",
        "export_url": f"{LIST_PATH}.csv?{urlencode(params)}",
    }
    template = "conversations/_results.html" if is_htmx(request) else "conversations/list.html"
    return render(request, template, context, status_code=400 if error else 200)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_lines(console: Console, criteria: ConversationFilter, masker: Masker) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    with session_scope(console.engine) as session:
        for row in export_rows(session, criteria):
            writer.writerow(
                [
                    _csv_cell(value)
                    for value in (
                        masker.id(row.conversation_id),
                        row.channel,
                        row.language,
                        _iso(row.first_ts),
                        _iso(row.last_ts),
                        row.message_count,
                        "" if row.min_confidence is None else f"{row.min_confidence:.3f}",
                        int(row.fallback),
                        int(row.handoff),
                        int(row.reviewed),
                        " ".join(row.intents),
                        " ".join(row.tags),
                    )
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def _iso(value: float | None) -> str:
    if value is None:
        return ""
    return dt.datetime.utcfromtimestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


@requires(Role.SUPERVISOR)
async def conversation_export(request: Request) -> Response:
    """The filtered list as CSV (audited with its filters)."""
    console = console_of(request)
    user = user_of(request)
    await console.refresh_index()
    try:
        criteria = ConversationFilter.from_params(request.query_params)
    except FilterError as problem:
        raise HTTPException(status_code=400, detail=str(problem)) from None

    def log(session: Session) -> None:
        audit.record(
            session, user.username, audit.CONVERSATION_EXPORT, detail={"filters": criteria.params()}
        )

    await console.run(log)
    stamp = dt.datetime.utcnow().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv_lines(console, criteria, Masker(unmasked=user.unmasked)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="conversations-{stamp}.csv"'},
    )


def _summary_or_404(session: Session, summary_id: int) -> Any:
    summary = summary_by_id(session, summary_id)
    if summary is None:
        raise HTTPException(status_code=404, detail="No such conversation.")
    return summary


def _annotations(session: Session, conversation_id: str) -> Dict[str, Any]:
    return {
        "tags": list(
            session.execute(
                select(Tag).where(Tag.conversation_id == conversation_id).order_by(Tag.tag)
            ).scalars()
        ),
        "notes": list(
            session.execute(
                select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
            ).scalars()
        ),
        "review": session.get(Review, conversation_id),
    }


def _transcript_data(
    session: Session, summary_id: int, user: StaffUser, everything: bool, audited: bool
) -> Dict[str, Any]:
    summary = _summary_or_404(session, summary_id)
    cid = summary.conversation_id
    events = load_events(
        session.connection(), cid, limit=ALL_EVENTS if everything else TRANSCRIPT_EVENTS
    )
    handoff = open_handoffs(session, [cid]).get(cid)
    complaints = list(
        session.execute(
            select(Complaint).where(Complaint.conversation_id == cid).order_by(Complaint.id)
        ).scalars()
    )
    if audited:
        audit.record(session, user.username, audit.CONVERSATION_VIEW, cid)
    return {
        "summary": summary,
        "items": transcript(events),
        "truncated": not everything and len(events) >= TRANSCRIPT_EVENTS,
        "last_event_id": events[-1].id if events else 0,
        "handoff": handoff,
        "complaints": complaints,
        **_annotations(session, cid),
    }


async def show_transcript(
    request: Request,
    summary_id: int,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    """Renders the transcript page (also after a form post without htmx)."""
    console = console_of(request)
    await console.refresh_index()
    everything = request.query_params.get("all") == "1"
    data = await console.run(
        _transcript_data, summary_id, user_of(request), everything, request.method == "GET"
    )
    if notice is None and request.method == "GET":
        notice = NOTICES.get(request.query_params.get("notice", ""))
    data.update({"notice": notice, "problem": problem})
    return render(request, "conversations/transcript.html", data, status_code=status_code)


@requires(Role.VIEWER)
async def conversation_view(request: Request) -> Response:
    """One conversation's transcript, with its tags, notes, review state and handoff."""
    return await show_transcript(request, request.path_params["summary_id"])


@requires(Role.VIEWER)
async def conversation_events(request: Request) -> Response:
    """The transcript lines after ``after`` (htmx polling while a person answers)."""
    console = console_of(request)
    await console.refresh_index()
    summary_id = request.path_params["summary_id"]
    try:  # clamped: a number too big for the database's integers fails the query
        after = max(0, min(int(request.query_params.get("after", "0")), MAX_ID))
    except ValueError:
        after = 0

    def newer(session: Session) -> Dict[str, Any]:
        summary = _summary_or_404(session, summary_id)
        events = load_events(
            session.connection(), summary.conversation_id, after_id=after, limit=TRANSCRIPT_EVENTS
        )
        return {
            "summary": summary,
            "items": transcript(events),
            "last_event_id": events[-1].id if events else after,
        }

    return render(request, "conversations/_poll.html", await console.run(newer))


async def _annotation_response(request: Request, summary_id: int, fragment: str) -> Response:
    console = console_of(request)
    if not is_htmx(request):
        return redirect(f"{LIST_PATH}/{summary_id}")

    def load(session: Session) -> Dict[str, Any]:
        summary = _summary_or_404(session, summary_id)
        return {"summary": summary, **_annotations(session, summary.conversation_id)}

    return render(request, fragment, await console.run(load))


@requires(Role.AGENT)
async def conversation_review(request: Request) -> Response:
    """Marks the conversation reviewed (up to its newest event) or not reviewed."""
    console = console_of(request)
    user = user_of(request)
    summary_id = request.path_params["summary_id"]
    form = await form_data(request)
    unmark = form.get("action") == "unmark"

    def mark(session: Session) -> None:
        summary = _summary_or_404(session, summary_id)
        review = session.get(Review, summary.conversation_id)
        if unmark:
            if review is not None:
                session.delete(review)
        elif review is None:
            session.add(
                Review(
                    conversation_id=summary.conversation_id,
                    reviewed_by=user.username,
                    upto_ts=summary.last_ts,
                )
            )
        else:
            review.reviewed_by = user.username
            review.reviewed_at = dt.datetime.utcnow()
            review.upto_ts = summary.last_ts
        audit.record(
            session, user.username, audit.REVIEW, summary.conversation_id, {"reviewed": not unmark}
        )

    await console.run(mark)
    return await _annotation_response(request, summary_id, "conversations/_review.html")


def normalise_tag(raw: str) -> str:
    """A tag as stored: trimmed, lower case, spaces as dashes; ValueError if unusable."""
    tag = re.sub(r"\s+", "-", raw.strip().lower())
    if not TAG_PATTERN.match(tag):
        raise ValueError("A tag has 1-64 letters, digits, - or _.")
    return tag


@requires(Role.AGENT)
async def tag_add(request: Request) -> Response:
    """Adds a tag to the conversation."""
    console = console_of(request)
    user = user_of(request)
    summary_id = request.path_params["summary_id"]
    form = await form_data(request)
    try:
        tag = normalise_tag(form.get("tag", ""))
    except ValueError as problem:
        if is_htmx(request):
            return Response(str(problem), status_code=400)
        return await show_transcript(request, summary_id, problem=str(problem), status_code=400)

    def add(session: Session) -> None:
        summary = _summary_or_404(session, summary_id)
        cid = summary.conversation_id
        exists_already = session.execute(
            select(Tag.id).where(Tag.conversation_id == cid, Tag.tag == tag)
        ).first()
        if exists_already:
            return
        session.add(Tag(conversation_id=cid, tag=tag, created_by=user.username))
        audit.record(session, user.username, audit.TAG_ADD, cid, {"tag": tag})
        session.flush()

    try:
        await console.run(add)
    except IntegrityError:
        pass  # added at the same moment by someone else
    console.cache.pop("filter_options", None)
    return await _annotation_response(request, summary_id, "conversations/_tags.html")


@requires(Role.AGENT)
async def tag_remove(request: Request) -> Response:
    """Removes a tag from the conversation."""
    console = console_of(request)
    user = user_of(request)
    summary_id = request.path_params["summary_id"]
    form = await form_data(request)
    tag = form.get("tag", "")[:64]

    def remove(session: Session) -> None:
        summary = _summary_or_404(session, summary_id)
        cid = summary.conversation_id
        result = session.execute(delete(Tag).where(Tag.conversation_id == cid, Tag.tag == tag))
        if result.rowcount:
            audit.record(session, user.username, audit.TAG_REMOVE, cid, {"tag": tag})

    await console.run(remove)
    return await _annotation_response(request, summary_id, "conversations/_tags.html")


@requires(Role.AGENT)
async def note_add(request: Request) -> Response:
    """Adds a note to the conversation."""
    console = console_of(request)
    user = user_of(request)
    summary_id = request.path_params["summary_id"]
    form = await form_data(request)
    text = form.get("text", "").strip()
    if not text or len(text) > MAX_NOTE_CHARS:
        problem = f"A note has 1-{MAX_NOTE_CHARS} characters."
        if is_htmx(request):
            return Response(problem, status_code=400)
        return await show_transcript(request, summary_id, problem=problem, status_code=400)

    def add(session: Session) -> None:
        summary = _summary_or_404(session, summary_id)
        session.add(Note(conversation_id=summary.conversation_id, author=user.username, text=text))
        audit.record(session, user.username, audit.NOTE_ADD, summary.conversation_id)

    await console.run(add)
    return await _annotation_response(request, summary_id, "conversations/_notes.html")


@requires(Role.ADMIN)
async def conversation_delete(request: Request) -> Response:
    """Deletes the client's data (typed confirmation), as the client's own request would."""
    console = console_of(request)
    user = user_of(request)
    summary_id = request.path_params["summary_id"]
    form = await form_data(request)
    if form.get("confirm", "").strip() != DELETE_CONFIRMATION:
        return await show_transcript(
            request,
            summary_id,
            problem=f"Type {DELETE_CONFIRMATION} to delete this client's data.",
            status_code=400,
        )
    summary = await console.run(_summary_or_404, summary_id)

    await run_in_threadpool(
        delete_client_data,
        summary.conversation_id,
        user.username,
        console.engine,
        console.settings.deletion_delay_seconds,
    )
    console.cache.clear()
    return redirect(f"{LIST_PATH}?deleted=1")


ROUTES: List[Route] = [
    Route(LIST_PATH, conversation_list, methods=["GET"]),
    Route(f"{LIST_PATH}.csv", conversation_export, methods=["GET"]),
    Route(LIST_PATH + "/{summary_id:id}", conversation_view, methods=["GET"]),
    Route(LIST_PATH + "/{summary_id:id}/events", conversation_events, methods=["GET"]),
    Route(LIST_PATH + "/{summary_id:id}/review", conversation_review, methods=["POST"]),
    Route(LIST_PATH + "/{summary_id:id}/tags", tag_add, methods=["POST"]),
    Route(LIST_PATH + "/{summary_id:id}/tags/remove", tag_remove, methods=["POST"]),
    Route(LIST_PATH + "/{summary_id:id}/notes", note_add, methods=["POST"]),
    Route(LIST_PATH + "/{summary_id:id}/delete", conversation_delete, methods=["POST"]),
]

AREA = Area(
    name="conversations",
    routes=ROUTES,
    nav=[NavItem("Conversations", LIST_PATH, Role.VIEWER, order=10)],
)
