"""The audit log (admins): who viewed, exported, replied, changed what, and when."""

from __future__ import annotations

from typing import Any, Dict
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Role, requires
from bot.console.web import Area, NavItem, console_of, render
from bot.store import audit

AUDIT_PATH = "/audit"
PAGE_SIZE = 100
MAX_PAGE = 100_000


@requires(Role.ADMIN)
async def audit_log(request: Request) -> Response:
    """Audit entries, newest first, filtered by actor, action and target."""
    console = console_of(request)
    params = request.query_params
    criteria = audit.AuditFilter(
        actor=(params.get("actor") or "").strip()[:150] or None,
        action=(params.get("action") or "").strip()[:64] or None,
        target=(params.get("target") or "").strip()[:255] or None,
    )
    try:
        page = max(1, min(int(params.get("page", "1")), MAX_PAGE))  # offset fits the database
    except ValueError:
        page = 1

    def load(session: Session) -> Dict[str, Any]:
        entries, total = audit.search(
            session, criteria, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        return {"entries": entries, "total": total, "actions": audit.known_actions(session)}

    data = await console.run(load)
    filters = {key: value for key, value in vars(criteria).items() if value}
    data.update(
        {
            "criteria": criteria,
            "page": page,
            "pages": max(1, -(-data["total"] // PAGE_SIZE)),
            "page_url": lambda number: f"{AUDIT_PATH}?{urlencode({**filters, 'page': number})}",
        }
    )
    return render(request, "audit/list.html", data)


AREA = Area(
    name="audit",
    routes=[Route(AUDIT_PATH, audit_log, methods=["GET"])],
    nav=[NavItem("Audit log", AUDIT_PATH, Role.ADMIN, order=80)],
)
