"""The console's app factory: ``create_app(settings)`` builds the Starlette application.

Areas are modules under ``bot/console/routers`` that expose ``AREA``; ``AREAS`` are always
mounted, ``OPTIONAL_AREAS`` when their module exists (features added later: analytics,
training feedback). Middleware, outermost first: security headers, a 400 for a query
string with a NUL character, the logged-in user (``auth``), CSRF checks on every POST
(``csrf``). Creating the app does no I/O: the database is touched on the first request,
and by the background task (indexing new events, carrying out pending deletions) that
runs while the server runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from typing import AsyncIterator, List, Sequence

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console.auth import AuthMiddleware, public, secure_cookies
from bot.console.config import ConsoleSettings
from bot.console.csrf import CSRFMiddleware
from bot.console.handoff import deliver_through_channel
from bot.console.indexer import Indexer
from bot.console.rasa_client import RasaClient
from bot.console.routers.analytics import activity_indexer
from bot.console.web import (
    NUL_REFUSED,
    STATIC_DIR,
    Area,
    Console,
    Deliver,
    make_templates,
    render,
)
from bot.store.db import get_engine
from bot.store.privacy import purge_due

logger = logging.getLogger(__name__)

AREAS = ("auth", "conversations", "handoffs", "complaints", "users", "audit")
OPTIONAL_AREAS = ("analytics", "feedback")
ROUTERS_PACKAGE = "bot.console.routers"
HOME = "/conversations"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
NO_STORE = (b"cache-control", b"no-store")
NUL_QUERY = b"%00"


class SecurityHeadersMiddleware:
    """Adds CSP and related headers; pages (not static files) are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Calls the app, adding headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if not static:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NulQueryMiddleware:
    """Answers 400 to a query string with a NUL character (``%00``).

    No one types one, and PostgreSQL cannot compare a text holding one (a 500). Forms
    are checked where they are read (``bot.console.web.form_data``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Calls the app, unless the query string holds a NUL."""
        if scope["type"] == "http" and NUL_QUERY in scope.get("query_string", b""):
            await PlainTextResponse(NUL_REFUSED, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def load_areas(
    names: Sequence[str] = AREAS, optional: Sequence[str] = OPTIONAL_AREAS
) -> List[Area]:
    """The areas to mount: every one of ``names``, and those of ``optional`` that exist."""
    areas = []
    for name in list(names) + list(optional):
        module_name = f"{ROUTERS_PACKAGE}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if name in optional and error.name == module_name:
                continue
            raise
        areas.append(module.AREA)
    return areas


@public
async def home(request: Request) -> Response:
    """The start page is the conversation list."""
    return RedirectResponse(HOME, status_code=303)


@public
async def health(request: Request) -> Response:
    """Liveness check for process managers."""
    return PlainTextResponse("ok")


async def http_error(request: Request, error: Exception) -> Response:
    """Renders 403, 404 and other HTTP errors as pages."""
    status = error.status_code if isinstance(error, HTTPException) else 500
    detail = error.detail if isinstance(error, HTTPException) else "Server error"
    if not hasattr(request.state, "user"):
        return PlainTextResponse(str(detail), status_code=status)
    return render(request, "errors/error.html", {"status": status, "detail": detail}, status)


async def background(console: Console) -> None:
    """Indexes new events (and their analytics facts), carries out due deletions."""
    while True:
        try:
            while await run_in_threadpool(console.indexer.run) > 0:
                await asyncio.sleep(0)
            activity = activity_indexer(console.engine)
            while await run_in_threadpool(activity.run) > 0:
                await asyncio.sleep(0)
            await run_in_threadpool(purge_due, console.engine)
        except Exception:  # noqa: BLE001 - keep serving; the next round tries again
            logger.exception("Background indexing failed")
        await asyncio.sleep(console.settings.background_seconds or 1.0)


def create_app(
    settings: ConsoleSettings,
    *,
    engine: Engine | None = None,
    rasa: RasaClient | None = None,
    deliver: Deliver | None = None,
    areas: Sequence[Area] | None = None,
) -> Starlette:
    """Builds the console.

    Args:
        settings: the console's settings.
        engine: the database (by default the engine of ``settings.db_url``, made lazily).
        rasa: the client of Rasa's HTTP API (by default one for ``settings.rasa_url``).
        deliver: sends a staff reply through a client's channel (by default
            ``bot.channels.outbound.send_text``).
        areas: the areas to mount (by default ``load_areas()``).
    """
    engine = engine or get_engine(settings.db_url)
    areas = list(areas) if areas is not None else load_areas()
    console = Console(
        settings=settings,
        engine=engine,
        indexer=Indexer(engine, batch_size=settings.index_batch),
        rasa=rasa or RasaClient(settings.rasa_url, settings.rasa_token),
        deliver=deliver or deliver_through_channel,
        templates=make_templates(),
        nav=sorted((item for area in areas for item in area.nav), key=lambda item: item.order),
    )
    routes: List[BaseRoute] = [
        Route("/", home),
        Route("/healthz", health),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    for area in areas:
        routes.extend(area.routes)

    def secure(connection: HTTPConnection) -> bool:
        return secure_cookies(settings, connection)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if settings.background_seconds is not None:
            task = asyncio.create_task(background(console))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await console.rasa.close()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(NulQueryMiddleware),
            Middleware(AuthMiddleware, engine=engine, settings=settings),
            Middleware(CSRFMiddleware, secure=secure),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.console = console
    return app
