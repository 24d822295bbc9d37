"""The handoff inbox: clients who asked for a person; take, reply, hand back to the bot."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Role, requires
from bot.console.handoff import HandoffError, get_handoff, hand_back, inbox, reply, take
from bot.console.listing import summary_ids
from bot.console.routers.conversations import LIST_PATH, NOTICES, show_transcript
from bot.console.web import Area, NavItem, console_of, form_data, is_htmx, redirect, render, user_of

INBOX_PATH = "/handoffs"


@requires(Role.VIEWER)
async def handoff_inbox(request: Request) -> Response:
    """Open and active handoffs, oldest request first (or recently closed ones)."""
    console = console_of(request)
    await console.refresh_index()
    closed = request.query_params.get("closed") == "1"

    def load(session: Session) -> Dict[str, Any]:
        handoffs = inbox(session, include_closed=closed)
        return {
            "handoffs": handoffs,
            "links": summary_ids(session, [handoff.conversation_id for handoff in handoffs]),
            "closed": closed,
            "now": dt.datetime.utcnow(),
        }

    template = "handoffs/_table.html" if is_htmx(request) else "handoffs/inbox.html"
    return render(request, template, await console.run(load))


async def _summary_id_of(request: Request, handoff_id: int) -> int:
    console = console_of(request)
    await console.refresh_index()

    def find(session: Session) -> int:
        handoff = get_handoff(session, handoff_id)
        if handoff is None:
            raise HTTPException(status_code=404, detail="No such handoff.")
        ids = summary_ids(session, [handoff.conversation_id])
        if handoff.conversation_id not in ids:
            raise HTTPException(status_code=404, detail="The conversation is not indexed yet.")
        return ids[handoff.conversation_id]

    return await console.run(find)


@requires(Role.AGENT)
async def handoff_take(request: Request) -> Response:
    """The current staff member handles this handoff."""
    console = console_of(request)
    handoff_id = request.path_params["handoff_id"]
    try:
        await console.run(take, handoff_id, user_of(request))
    except HandoffError as problem:
        return redirect_or_problem(request, str(problem))
    if request.query_params.get("from") == "inbox":
        return redirect(INBOX_PATH)
    return redirect(f"{LIST_PATH}/{await _summary_id_of(request, handoff_id)}?notice=taken")


def redirect_or_problem(request: Request, problem: str) -> Response:
    """Back to the inbox, showing why a step failed."""
    return render(request, "handoffs/problem.html", {"problem": problem}, status_code=409)


@requires(Role.AGENT)
async def handoff_reply(request: Request) -> Response:
    """Sends a staff reply through the client's channel and records it in the transcript."""
    console = console_of(request)
    handoff_id = request.path_params["handoff_id"]
    form = await form_data(request)
    summary_id = await _summary_id_of(request, handoff_id)
    code = problem = None
    try:
        outcome = await reply(console, handoff_id, user_of(request), form.get("text", ""))
    except HandoffError as error:
        problem = str(error)
    else:
        problem = outcome.warning
        code = "sent" if outcome.delivered else "recorded"
    if is_htmx(request):
        context = {
            "reply_notice": NOTICES[code] if code and not problem else None,
            "reply_problem": problem,
            "text": form.get("text", "") if problem else "",
            "handoff": {"id": handoff_id},
            "current": await console.run(get_handoff, handoff_id),
        }
        headers = {"HX-Trigger": "transcript-changed"} if code else {}
        return render(request, "handoffs/_reply_result.html", context, headers=headers)
    if problem:
        return await show_transcript(request, summary_id, problem=problem, status_code=502)
    return redirect(f"{LIST_PATH}/{summary_id}?notice={code}")


@requires(Role.AGENT)
async def handoff_close(request: Request) -> Response:
    """Hands the conversation back to the bot (which tells the client)."""
    console = console_of(request)
    handoff_id = request.path_params["handoff_id"]
    summary_id = await _summary_id_of(request, handoff_id)
    try:
        warning = await hand_back(console, handoff_id, user_of(request))
    except HandoffError as error:
        return await show_transcript(request, summary_id, problem=str(error), status_code=502)
    if warning:
        return await show_transcript(request, summary_id, NOTICES["handed_back"], warning)
    return redirect(f"{LIST_PATH}/{summary_id}?notice=handed_back")


AREA = Area(
    name="handoffs",
    routes=[
        Route(INBOX_PATH, handoff_inbox, methods=["GET"]),
        Route(INBOX_PATH + "/{handoff_id:id}/take", handoff_take, methods=["POST"]),
        Route(INBOX_PATH + "/{handoff_id:id}/reply", handoff_reply, methods=["POST"]),
        Route(INBOX_PATH + "/{handoff_id:id}/close", handoff_close, methods=["POST"]),
    ],
    nav=[NavItem("Handoffs", INBOX_PATH, Role.VIEWER, order=20)],
)
