"""Cross-site request forgery protection, checked on every POST of every route.

A logged-in session has its own random token (kept with the session); an anonymous
visitor (the login form) gets a random token in an HttpOnly, SameSite=Strict cookie.
Forms send the token in the ``csrf_token`` field, htmx in the ``X-CSRF-Token`` header
(``base.html`` sets it for every htmx request). ``CSRFMiddleware`` reads the body of a
POST (URL-encoded forms; other bodies must use the header), compares the token in
constant time, refuses the request with 403 when it does not match, and hands the body
on to the route unchanged.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Callable, List
from urllib.parse import parse_qs

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ANONYMOUS_COOKIE = "mfi_console_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 1_000_000
NEW_ANONYMOUS_TOKEN = "csrf_new_anonymous_token"
SecureFlag = Callable[[HTTPConnection], bool]
REJECTED = "The form has expired or did not come from this site. Reload the page and try again."


def csrf_token(connection: HTTPConnection) -> str:
    """The token that forms and htmx requests of this visitor must send."""
    user = getattr(connection.state, "user", None)
    if user is not None:
        return user.csrf_token
    return connection.cookies.get(ANONYMOUS_COOKIE) or getattr(
        connection.state, NEW_ANONYMOUS_TOKEN, ""
    )


def _expected(connection: HTTPConnection) -> str | None:
    user = getattr(connection.state, "user", None)
    if user is not None:
        return user.csrf_token
    return connection.cookies.get(ANONYMOUS_COOKIE)


def _form_token(body: bytes) -> str | None:
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).get(CSRF_FIELD)
    return values[-1] if values else None


class CSRFMiddleware:
    """Checks the CSRF token of every unsafe request; gives anonymous visitors a token.

    Args:
        app: the application to protect.
        secure: tells, per request, whether the anonymous cookie gets the Secure flag.
    """

    def __init__(self, app: ASGIApp, secure: SecureFlag) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Checks the token, then calls the app (or answers 403)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        send = self._with_anonymous_cookie(scope, connection, send)
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = _expected(connection)
        supplied = connection.headers.get(CSRF_HEADER)
        body: List[bytes] = []
        if supplied is None:
            content_type = connection.headers.get("content-type", "")
            if content_type.split(";")[0].strip().lower() == FORM_CONTENT_TYPE:
                size = 0
                more = True
                while more:
                    message = await receive()
                    if message["type"] != "http.request":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > MAX_FORM_BYTES:
                        await PlainTextResponse("Form too large.", 413)(scope, receive, send)
                        return
                    body.append(chunk)
                    more = message.get("more_body", False)
                supplied = _form_token(b"".join(body))
        if (
            not expected
            or not supplied
            or not hmac.compare_digest(expected.encode(), supplied.encode())
        ):
            await PlainTextResponse(REJECTED, status_code=403)(scope, receive, send)
            return
        await self.app(scope, _replay(b"".join(body), receive) if body else receive, send)

    def _with_anonymous_cookie(self, scope: Scope, connection: HTTPConnection, send: Send) -> Send:
        state = scope.setdefault("state", {})
        if state.get("user") is not None or connection.cookies.get(ANONYMOUS_COOKIE):
            return send
        token = secrets.token_urlsafe(32)
        state[NEW_ANONYMOUS_TOKEN] = token
        secure = "; Secure" if self.secure(connection) else ""
        cookie = f"{ANONYMOUS_COOKIE}={token}; HttpOnly; Path=/; SameSite=Strict{secure}"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_cookie


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the already-read body once, then defers to ``receive``."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
