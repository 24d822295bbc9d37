"""Complaints: open ones with their age (oldest first), closing them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Role, requires
from bot.console.listing import summary_ids
from bot.console.web import Area, NavItem, console_of, redirect, render, user_of
from bot.store import audit
from bot.store.support import COMPLAINT_CLOSED, COMPLAINT_OPEN, Complaint

COMPLAINTS_PATH = "/complaints"
STATUSES = (COMPLAINT_OPEN, COMPLAINT_CLOSED, "all")
MAX_ROWS = 500


@requires(Role.VIEWER)
async def complaint_list(request: Request) -> Response:
    """Complaints of one status: open ones oldest first, others newest first."""
    console = console_of(request)
    await console.refresh_index()
    status = request.query_params.get("status", COMPLAINT_OPEN)
    if status not in STATUSES:
        status = COMPLAINT_OPEN

    def load(session: Session) -> Dict[str, Any]:
        query = select(Complaint)
        if status == COMPLAINT_OPEN:
            query = query.where(Complaint.status == COMPLAINT_OPEN).order_by(Complaint.created_at)
        else:
            if status == COMPLAINT_CLOSED:
                query = query.where(Complaint.status == COMPLAINT_CLOSED)
            query = query.order_by(Complaint.created_at.desc())
        complaints = list(session.execute(query.limit(MAX_ROWS)).scalars())
        return {
            "complaints": complaints,
            "links": summary_ids(session, [c.conversation_id for c in complaints]),
            "status": status,
            "statuses": STATUSES,
            "now": dt.datetime.utcnow(),
        }

    return render(request, "complaints/list.html", await console.run(load))


@requires(Role.AGENT)
async def complaint_close(request: Request) -> Response:
    """Marks a complaint as dealt with."""
    console = console_of(request)
    user = user_of(request)
    complaint_id = request.path_params["complaint_id"]

    def close(session: Session) -> None:
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise HTTPException(status_code=404, detail="No such complaint.")
        if complaint.status == COMPLAINT_CLOSED:
            return
        complaint.status = COMPLAINT_CLOSED
        complaint.closed_at = dt.datetime.utcnow()
        complaint.closed_by = user.username
        audit.record(
            session,
            user.username,
            audit.COMPLAINT_CLOSE,
            complaint.conversation_id,
            {"reference": complaint.reference},
        )

    await console.run(close)
    return redirect(COMPLAINTS_PATH)


AREA = Area(
    name="complaints",
    routes=[
        Route(COMPLAINTS_PATH, complaint_list, methods=["GET"]),
        Route(COMPLAINTS_PATH + "/{complaint_id:id}/close", complaint_close, methods=["POST"]),
    ],
    nav=[NavItem("Complaints", COMPLAINTS_PATH, Role.VIEWER, order=30)],
)
