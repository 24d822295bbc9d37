"""Logging in and out."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import (
    LOGIN_PATH,
    SESSION_COOKIE,
    LoginResult,
    Role,
    authenticate,
    end_session,
    public,
    requires,
    set_session_cookie,
    start_session,
)
from bot.console.web import Area, console_of, form_data, redirect, render, user_of
from bot.store import audit

HOME = "/conversations"
WRONG = "Wrong username or password."
THROTTLED = "Too many failed logins. Wait a few minutes and try again."
MAX_FIELD = 300


def safe_next(target: str | None) -> str:
    """Where to go after login: a path of this site only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


@public
async def login_page(request: Request) -> Response:
    """The login form (logged-in staff go straight to the conversations)."""
    if request.state.user is not None:
        return redirect(HOME)
    return render(
        request,
        "auth/login.html",
        {"next": safe_next(request.query_params.get("next")), "error": None},
    )


@public
async def login(request: Request) -> Response:
    """Checks the login; the same error for an unknown user and a wrong password."""
    console = console_of(request)
    form = await form_data(request)
    username = form.get("username", "")[:MAX_FIELD]
    password = form.get("password", "")[:MAX_FIELD]
    target = safe_next(form.get("next"))
    address = request.client.host if request.client else "unknown"

    def check(session: Session) -> tuple[str | None, bool]:
        result: LoginResult = authenticate(session, console.settings, username, password, address)
        if result.user is None:
            audit.record(
                session,
                username.strip()[:150] or "-",
                audit.LOGIN_FAILED,
                detail={"address": address, "throttled": result.throttled},
            )
            return None, result.throttled
        audit.record(session, result.user.username, audit.LOGIN, detail={"address": address})
        return start_session(session, result.user), False

    token, throttled = await console.run(check)
    if token is None:
        return render(
            request,
            "auth/login.html",
            {"next": target, "error": THROTTLED if throttled else WRONG, "username": username},
            status_code=429 if throttled else 401,
        )
    response = redirect(target)
    set_session_cookie(response, token, console.settings, request)
    return response


@requires(Role.VIEWER)
async def logout(request: Request) -> Response:
    """Ends the session."""
    console = console_of(request)
    user = user_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")

    def end(session: Session) -> None:
        end_session(session, token)
        audit.record(session, user.username, audit.LOGOUT)

    await console.run(end)
    response = redirect(LOGIN_PATH)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


AREA = Area(
    name="auth",
    routes=[
        Route(LOGIN_PATH, login_page, methods=["GET"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ],
)
