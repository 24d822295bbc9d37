"""Fuzz of the staff console: every POST route (read from the app, so a new route is
covered without a change here) gets random forms and bodies with a valid session and
CSRF token, every GET route random query strings; none answers 5xx or shows a trace.
Without the CSRF token every POST is refused."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import quote, urlencode

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.console.auth import SESSION_COOKIE, Role, start_session
from bot.console.csrf import CSRF_FIELD, CSRF_HEADER
from bot.store.console import ConsoleUser
from bot.store.db import session_scope
from tests.fuzzing import (
    assert_no_server_error,
    content_types,
    db_url,  # noqa: F401 - every test runs on SQLite and PostgreSQL
    form_pairs,
    fuzz_settings,
    hostile_text,
    raw_bodies,
)

from .conftest import csrf_of

CONSOLE = Path(__file__).resolve().parents[3] / "bot" / "console"
FORM = "application/x-www-form-urlencoded"
PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")
# form fields and query parameters the console reads: ``form.get("tag")``, ``name="tag"``
FIELD_NAMES = (
    re.compile(r"""\.get\(\s*f?["']([A-Za-z_]\w*)(\{)?"""),
    re.compile(r"""\bname=["']([A-Za-z_]\w*)(\{)?"""),
)
IDS = st.one_of(
    st.integers(0, 6).map(str),
    st.sampled_from(["00", "2147483648", str(2**63), str(2**64), "9" * 40]),
    st.integers(min_value=0).map(str),
)
TOKENS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60)
SEGMENTS = hostile_text(20, huge=False)
RAW_BODIES = raw_bodies()
CONTENT_TYPES = content_types()
QUERY_STRINGS = st.one_of(
    hostile_text(80, huge=False).map(lambda text: quote(text, safe="=&%+")),
    st.sampled_from(["%", "%zz", "&&&", "==", "a=1&a=2", "page=-1", "after=" + "9" * 30]),
    st.sampled_from(["q", "tag", "next", "date_from"]).map(lambda name: f"{name}={'x' * 20_000}"),
)


@functools.cache
def field_names() -> Tuple[str, ...]:
    """Every field name in the console's code and templates (``entity_{i}`` as ``entity_0``)."""
    names = set()
    for path in [*CONSOLE.rglob("*.py"), *CONSOLE.rglob("*.html")]:
        text = path.read_text(encoding="utf-8")
        for pattern in FIELD_NAMES:
            names.update(name + ("0" if brace else "") for name, brace in pattern.findall(text))
    return tuple(sorted(names | {CSRF_FIELD}))


@functools.cache
def fields() -> st.SearchStrategy[List[Tuple[str, str]]]:
    return form_pairs(field_names(), max_size=10)


@functools.cache
def query_fields() -> st.SearchStrategy[List[Tuple[str, str]]]:
    return form_pairs(field_names(), max_size=12, huge=False)  # a URL stays below 64 KiB


@st.composite
def queries(draw: st.DrawFn) -> str:
    """A query string: fields the console reads (and others) with nasty values, or junk."""
    if draw(st.integers(0, 4)) == 0:
        return draw(QUERY_STRINGS)
    return urlencode(draw(query_fields()))


def routes(app: Starlette, method: str) -> List[Route]:
    """The app's routes that answer ``method`` (static files aside)."""
    return [
        route
        for route in app.routes
        if isinstance(route, Route) and method in (route.methods or ())
    ]


def path_of(route: Route, identifier: str, segment: str) -> str:
    """The route's path with its parameters filled in: numbers get ``identifier``."""

    def value(match: re.Match) -> str:
        convertor = route.param_convertors[match.group(1)]
        if re.fullmatch(convertor.regex, "0") and not re.fullmatch(convertor.regex, "a"):
            return identifier  # a number (int, id... convertor)
        return quote(segment, safe="")

    return PARAMETER.sub(value, route.path)


class Staff:
    """An admin's client that is always logged in (a fuzzed POST may log it out)."""

    def __init__(self, app: Starlette, engine: Engine) -> None:
        self.engine = engine
        self.client = TestClient(app)
        self.csrf = ""

    def logged_in(self) -> TestClient:
        """The client, with a new session when the last request ended (or replaced) it."""
        if SESSION_COOKIE not in self.client.cookies:
            with session_scope(self.engine) as session:
                admin = session.execute(
                    select(ConsoleUser).where(ConsoleUser.role == Role.ADMIN.label)
                ).scalar_one()
                token = start_session(session, admin)
            self.client.cookies.set(SESSION_COOKIE, token)
            self.csrf = csrf_of(self.client, "/conversations")
        return self.client

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        """Sends a request as the admin; checks that it got no 5xx and shows no trace."""
        response = self.logged_in().request(method, path, follow_redirects=False, **kwargs)
        if any(SESSION_COOKIE in cookie for cookie in response.headers.get_list("set-cookie")):
            self.client.cookies.clear()  # logged out (or in again): start afresh
        event(f"{method} {response.status_code}")
        assert_no_server_error(response.status_code, response.content)
        return response


@pytest.fixture
def staff(
    app: Starlette, engine: Engine, users: Dict[Role, str], conversations: Dict[str, str]
) -> Iterator[Staff]:
    staff = Staff(app, engine)
    with staff.client:
        yield staff


@st.composite
def posts(draw: st.DrawFn) -> Dict[str, Any]:
    """How a form arrives: URL-encoded (token in a field or the header), multipart, raw."""
    pairs = draw(fields())
    kind = draw(st.sampled_from(["form", "form", "header", "multipart", "raw"]))
    if kind == "form":
        return {"content": urlencode(pairs).encode(), "content_type": FORM, "token_in_body": True}
    if kind == "header":
        return {"content": urlencode(pairs).encode(), "content_type": FORM}
    if kind == "multipart":
        upload = ("upload.bin", draw(st.binary(max_size=200)), "application/octet-stream")
        return {"data": dict(pairs), "files": {draw(st.sampled_from(field_names())): upload}}
    return {"content": draw(RAW_BODIES), "content_type": draw(CONTENT_TYPES)}


def request_arguments(post: Dict[str, Any], csrf: str) -> Dict[str, Any]:
    """The ``client.post`` arguments of a drawn post, with the CSRF token."""
    if post.get("token_in_body"):
        content = post["content"] + f"&{CSRF_FIELD}={csrf}".encode()
        return {"content": content, "headers": {"content-type": FORM}}
    headers = {CSRF_HEADER: csrf}
    if "files" in post:
        return {"data": post["data"], "files": post["files"], "headers": headers}
    if post["content_type"] is not None:
        headers["content-type"] = post["content_type"]
    return {"content": post["content"], "headers": headers}


def test_the_routes_are_found(app: Starlette) -> None:
    posted = {route.path for route in routes(app, "POST")}
    assert {"/login", "/logout", "/users", "/conversations/{summary_id:id}/notes"} <= posted
    assert {"/conversations", "/analytics"} <= {route.path for route in routes(app, "GET")}
    assert {"tag", "date_from", "entity_0", "password_again"} <= set(field_names())


@fuzz_settings(max_examples=30)
@given(post=posts(), identifier=IDS, segment=SEGMENTS)
# was a 500 on every route with an id (OverflowError: too big for SQLite's integers)
@example(post={"content": b"", "content_type": FORM}, identifier=str(2**63), segment="x")
# a NUL in the login form (anonymous too), a note or a tag was a 500 on PostgreSQL
@example(
    post={"content": b"username=a%00b&text=a%00b&tag=a%00b", "token_in_body": True},
    identifier="1",
    segment="x",
)
def test_every_post_route_survives_random_forms(
    staff: Staff, app: Starlette, post: Dict[str, Any], identifier: str, segment: str
) -> None:
    for route in routes(app, "POST"):
        staff.logged_in()
        arguments = request_arguments(post, staff.csrf)
        response = staff.send("POST", path_of(route, identifier, segment), **arguments)
        assert response.status_code != 403 or "expired" not in response.text, route.path


@fuzz_settings(max_examples=60)
@given(data=st.data(), post=posts(), token=st.one_of(st.none(), TOKENS))
def test_posts_without_the_csrf_token_are_refused(
    staff: Staff, app: Starlette, data: st.DataObject, post: Dict[str, Any], token: str | None
) -> None:
    route = data.draw(st.sampled_from(routes(app, "POST")), label="route")
    staff.logged_in()
    arguments = request_arguments({**post, "token_in_body": False}, staff.csrf)
    arguments["headers"].pop(CSRF_HEADER, None)
    if token is not None and token != staff.csrf:
        arguments["headers"][CSRF_HEADER] = token
    response = staff.send("POST", path_of(route, "1", "x"), **arguments)
    assert response.status_code in (403, 413)


@fuzz_settings(max_examples=30)
@given(query=queries(), identifier=IDS, segment=SEGMENTS)
# each was a 500: a transcript's ``after`` and the audit log's ``page`` too big for SQLite
@example(query=f"after={2**63}&page={10**17}", identifier="1", segment="x")
# ... the day after 9999-12-31 (conversation list and analytics)
@example(query="date_from=9999-12-31&date_to=9999-12-31", identifier="1", segment="x")
# ... analytics ``days``: too many digits for int(), and a digit that is no decimal
@example(query=f"days={'9' * 5_000}", identifier="1", segment="x")
@example(query="days=%C2%B2", identifier="1", segment="x")
# ... a NUL in a search word (SQLite FTS5: unterminated string)
@example(query="q=a%00b", identifier="1", segment="x")
# ... an id too big for SQLite's integers
@example(query="", identifier="9" * 40, segment="x")
# ... a NUL in a filter of the conversation list or the audit log (PostgreSQL)
@example(query="channel=%00&tag=a%00&actor=%00&target=%00", identifier="1", segment="x")
def test_every_get_route_survives_random_query_strings(
    staff: Staff, app: Starlette, query: str, identifier: str, segment: str
) -> None:
    for route in routes(app, "GET"):
        staff.send("GET", f"{path_of(route, identifier, segment)}?{query}")
