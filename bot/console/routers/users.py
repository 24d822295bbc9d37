"""Staff accounts (admins): create, change role, disable, set a new password."""

from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import (
    Role,
    UserError,
    check_new_password,
    create_user,
    end_sessions_of,
    hash_password,
    requires,
    role_names,
)
from bot.console.web import Area, NavItem, console_of, form_data, redirect, render, user_of
from bot.store import audit
from bot.store.console import ConsoleUser

USERS_PATH = "/users"


def _users(session: Session) -> List[ConsoleUser]:
    return list(session.execute(select(ConsoleUser).order_by(ConsoleUser.username)).scalars())


async def _page(
    request: Request, problem: str | None = None, notice: str | None = None, status: int = 200
) -> Response:
    users = await console_of(request).run(_users)
    context = {"users": users, "roles": role_names(), "problem": problem, "notice": notice}
    return render(request, "users/list.html", context, status_code=status)


@requires(Role.ADMIN)
async def user_list(request: Request) -> Response:
    """Every staff account, and the form to add one."""
    notice = "Saved." if request.query_params.get("saved") == "1" else None
    return await _page(request, notice=notice)


@requires(Role.ADMIN)
async def user_create(request: Request) -> Response:
    """Adds a staff account."""
    console = console_of(request)
    admin = user_of(request)
    form = await form_data(request)
    password = form.get("password", "")
    if password != form.get("password_again", ""):
        return await _page(request, problem="The two passwords differ.", status=400)

    def add(session: Session) -> None:
        role = Role.parse(form.get("role", ""))
        user = create_user(session, form.get("username", ""), password, role)
        audit.record(
            session, admin.username, audit.USER_CREATE, user.username, {"role": role.label}
        )

    try:
        await console.run(add)
    except (UserError, ValueError) as problem:
        return await _page(request, problem=str(problem), status=400)
    return redirect(f"{USERS_PATH}?saved=1")


@requires(Role.ADMIN)
async def user_update(request: Request) -> Response:
    """Changes a user's role, active flag or password; their sessions end."""
    console = console_of(request)
    admin = user_of(request)
    user_id = request.path_params["user_id"]
    form = await form_data(request)

    def update(session: Session) -> None:
        user = session.get(ConsoleUser, user_id)
        if user is None:
            raise HTTPException(status_code=404, detail="No such user.")
        changes: Dict[str, Any] = {}
        role = Role.parse(form.get("role", user.role))
        active = form.get("active", "1") == "1"
        if user.id == admin.id and (role != Role.ADMIN or not active):
            raise UserError("You cannot take away your own admin role or disable yourself.")
        if role.label != user.role:
            changes["role"] = role.label
            user.role = role.label
        if active != user.active:
            changes["active"] = active
            user.active = active
        password = form.get("password", "")
        if password:
            check_new_password(password)
            user.password_hash = hash_password(password)
            changes["password"] = "changed"
        if changes:
            if user.id != admin.id:
                end_sessions_of(session, user.id)
            audit.record(session, admin.username, audit.USER_UPDATE, user.username, changes)

    try:
        await console.run(update)
    except (UserError, ValueError) as problem:
        return await _page(request, problem=str(problem), status=400)
    return redirect(f"{USERS_PATH}?saved=1")


AREA = Area(
    name="users",
    routes=[
        Route(USERS_PATH, user_list, methods=["GET"]),
        Route(USERS_PATH, user_create, methods=["POST"]),
        Route(USERS_PATH + "/{user_id:id}", user_update, methods=["POST"]),
    ],
    nav=[NavItem("Users", USERS_PATH, Role.ADMIN, order=90)],
)
