"""What every area of the console shares: the app's context, templates, navigation, forms.

An area (``bot/console/routers/<area>.py``) exposes ``AREA = Area(...)``: its routes and
its navigation links, each with the lowest role that sees it. ``bot.console.app`` mounts
the areas it lists; ``base.html`` shows the links the logged-in role may use. Row ids in
paths use the ``id`` convertor (``/users/{user_id:id}``), registered here.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Sequence, Tuple, TypeVar

import jinja2
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute
from starlette.templating import Jinja2Templates

from bot.console.auth import Role, StaffUser
from bot.console.config import ConsoleSettings
from bot.console.csrf import CSRF_FIELD, csrf_token
from bot.console.indexer import Indexer
from bot.console.masking import Masker
from bot.console.rasa_client import RasaClient
from bot.store.db import session_scope

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
HTMX_REQUEST_HEADER = "hx-request"
NUL_REFUSED = "The request holds a NUL character."
MAX_ID_DIGITS = 18  # below 2**63: fits every database's integer keys
MAX_ID = 10**MAX_ID_DIGITS - 1
T = TypeVar("T")

# ``deliver(channel, recipient_id, text)``: sends a staff reply through a client's channel
Deliver = Callable[[str, str, str], Awaitable[Any]]


class IdConvertor(Convertor[int]):
    """A row id in a path: 1 to 18 digits, so a longer number is no route (404).

    Starlette's ``int`` takes any number of digits, and a number too big for the
    database's integers fails the lookup (SQLite raises OverflowError: a 500).
    """

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def convert(self, value: str) -> int:
        """The id in a matched path."""
        return int(value)

    def to_string(self, value: int) -> str:
        """The path text of an id."""
        if not 0 <= int(value) <= MAX_ID:
            raise ValueError(f"not a row id: {value}")
        return str(int(value))


register_url_convertor("id", IdConvertor())


@dataclass(frozen=True)
class NavItem:
    """A link in the navigation bar, shown to ``role`` and the roles above it."""

    label: str
    path: str
    role: Role
    order: int = 100


@dataclass(frozen=True)
class Area:
    """One area of the console: its routes and navigation links."""

    name: str
    routes: Sequence[BaseRoute]
    nav: Sequence[NavItem] = ()


@dataclass
class Console:
    """Everything the console's requests use, built once by ``create_app``."""

    settings: ConsoleSettings
    engine: Engine
    indexer: Indexer
    rasa: RasaClient
    deliver: Deliver
    templates: Jinja2Templates
    nav: List[NavItem] = field(default_factory=list)
    cache: Dict[str, Tuple[float, Any]] = field(default_factory=dict)

    async def cached(self, key: str, seconds: float, function: Callable[..., T]) -> T:
        """``function(session)`` run at most once per ``seconds`` (for slow, stable lookups)."""
        now = time.monotonic()
        hit = self.cache.get(key)
        if hit is not None and now - hit[0] < seconds:
            return hit[1]
        value = await self.run(function)
        self.cache[key] = (now, value)
        return value

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs ``function(session, *args, **kwargs)`` in a worker thread, in a transaction."""

        def call() -> T:
            with session_scope(self.engine) as session:
                return function(session, *args, **kwargs)

        return await run_in_threadpool(call)

    async def refresh_index(self) -> None:
        """Indexes the newest events (one bounded batch) before a page reads the index."""
        await run_in_threadpool(self.indexer.run, self.settings.index_batch)


def console_of(request: Request) -> Console:
    """The console serving ``request``."""
    return request.app.state.console


def user_of(request: Request) -> StaffUser:
    """The logged-in staff member (routes behind ``requires`` always have one)."""
    return request.state.user


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (answer with a fragment, not a page)."""
    return request.headers.get(HTMX_REQUEST_HEADER) == "true"


def format_ts(value: float | None) -> str:
    """A Unix timestamp as ``YYYY-MM-DD HH:MM`` (UTC)."""
    if value is None:
        return ""
    return dt.datetime.utcfromtimestamp(value).strftime("%Y-%m-%d %H:%M")


def format_dt(value: dt.datetime | None) -> str:
    """A stored (UTC) datetime as ``YYYY-MM-DD HH:MM``."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def format_age(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago ``value`` was, in the largest whole unit (``5 min``, ``3 h``, ``2 d``)."""
    if value is None:
        return ""
    seconds = max(0, int(((now or dt.datetime.utcnow()) - value).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def make_templates() -> Jinja2Templates:
    """The Jinja2 environment: autoescaping on, undefined names are errors."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["ts"] = format_ts
    environment.filters["dt"] = format_dt
    environment.filters["age"] = format_age
    return Jinja2Templates(env=environment)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Renders a page or fragment with what every template may use.

    Templates get ``user`` (None before login), ``nav`` (links for the user's role),
    ``csrf_field`` and ``csrf_token`` (for forms and htmx), ``m`` (the user's Masker) and
    ``path`` (the current path, to mark the active link).
    """
    console = console_of(request)
    user: StaffUser | None = getattr(request.state, "user", None)
    values: Dict[str, Any] = {
        "user": user,
        "nav": [item for item in console.nav if user is not None and user.role >= item.role]
        if user
        else [],
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "m": Masker(unmasked=bool(user and user.unmasked)),
        "path": request.url.path,
        "Role": Role,
    }
    values.update(context or {})
    return console.templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers or {})
    )


def redirect(path: str) -> Response:
    """A redirect after a form post (303: the browser follows with GET)."""
    return RedirectResponse(path, status_code=303)


async def form_data(request: Request) -> Dict[str, str]:
    """The posted form as a dict of single strings (the last value of repeated fields).

    Raises:
        HTTPException: 400 when a field holds a NUL character, which no one types and
            PostgreSQL cannot store or compare.
    """
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if any("\x00" in key or "\x00" in value for key, value in fields.items()):
        raise HTTPException(status_code=400, detail=NUL_REFUSED)
    return fields
