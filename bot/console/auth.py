"""Staff accounts, login sessions, roles and login throttling.

- Passwords are hashed with Argon2id (argon2-cffi); an unknown username costs the same
  hash check as a wrong password and gets the same error.
- A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS);
  the database keeps only its SHA-256, with the session's CSRF token. Sessions end after
  ``session_idle_minutes`` without a request, ``session_max_hours`` after login, at
  logout, and when the user is disabled or changes role.
- Failed logins are counted per username and per client address over a window; past the
  limit, logins are refused without checking the password.
- Roles are ordered: viewer < agent < supervisor < admin; ``requires(role)`` guards a
  route on the server (redirect to the login page, or 403).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Awaitable, Callable, Tuple
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.console.config import ConsoleSettings
from bot.store.console import ConsoleSession, ConsoleUser, LoginFailure
from bot.store.db import session_scope

SESSION_COOKIE = "mfi_console_session"
LOGIN_PATH = "/login"
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{2,150}$")
TOUCH_EVERY = dt.timedelta(minutes=1)
Endpoint = Callable[[Request], Awaitable[Response]]

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class Role(enum.IntEnum):
    """What a staff member may do; each role may do everything the roles below may."""

    VIEWER = 1  # reads; phone numbers and ids masked
    AGENT = 2  # answers handoffs, tags, notes, marks reviewed, closes complaints
    SUPERVISOR = 3  # sees unmasked data, exports, gives training feedback
    ADMIN = 4  # manages users, reads the audit log, deletes a client's data

    @classmethod
    def parse(cls, name: str) -> Role:
        """The role called ``name`` (case-insensitive); ValueError if there is none."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}; one of {role_names()}") from None

    @property
    def label(self) -> str:
        """The role's name as stored and shown (``viewer``...)."""
        return self.name.lower()


def role_names() -> Tuple[str, ...]:
    """The names of all roles, lowest first."""
    return tuple(role.label for role in Role)


@dataclass(frozen=True)
class StaffUser:
    """The logged-in staff member of a request."""

    id: int
    username: str
    role: Role
    session_id: int
    csrf_token: str

    @property
    def unmasked(self) -> bool:
        """Whether this user sees phone numbers and ids in full."""
        return self.role >= Role.SUPERVISOR

    def can(self, role: Role) -> bool:
        """Whether this user has ``role`` or a higher one."""
        return self.role >= role


class UserError(ValueError):
    """A user cannot be created or changed as asked (message for staff)."""


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def check_new_password(password: str) -> None:
    """Raises UserError when ``password`` is too weak to be set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(session: Session, username: str, password: str, role: Role) -> ConsoleUser:
    """Adds a staff account; UserError if the name is invalid or taken, or weak password."""
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise UserError("A username has 2-150 letters, digits or . _ @ - characters.")
    check_new_password(password)
    taken = session.execute(
        select(ConsoleUser.id).where(func.lower(ConsoleUser.username) == username.lower())
    ).first()
    if taken:
        raise UserError(f"The username {username!r} is taken.")
    user = ConsoleUser(
        username=username, password_hash=hash_password(password), role=role.label, active=True
    )
    session.add(user)
    session.flush()
    return user


def end_sessions_of(session: Session, user_id: int) -> None:
    """Logs a user out everywhere (after a role change, disabling, a new password)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt: a user, or throttled, or neither (wrong)."""

    user: ConsoleUser | None = None
    throttled: bool = False


def _failure_keys(username: str, address: str) -> Tuple[str, str]:
    return f"user:{username.strip().lower()[:250]}", f"addr:{address[:250]}"


def authenticate(
    session: Session,
    settings: ConsoleSettings,
    username: str,
    password: str,
    address: str,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Checks a login, counting failures; the password is not checked when throttled."""
    now = now or dt.datetime.utcnow()
    since = now - dt.timedelta(minutes=settings.login_window_minutes)
    user_key, address_key = _failure_keys(username, address)
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    counts = dict(
        session.execute(
            select(LoginFailure.key, func.count())
            .where(LoginFailure.key.in_((user_key, address_key)), LoginFailure.at >= since)
            .group_by(LoginFailure.key)
        ).all()
    )
    if (
        counts.get(user_key, 0) >= settings.max_failures_per_user
        or counts.get(address_key, 0) >= settings.max_failures_per_address
    ):
        return LoginResult(throttled=True)
    user = session.execute(
        select(ConsoleUser).where(func.lower(ConsoleUser.username) == username.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        _verify(_dummy(), password)
        ok = False
    else:
        ok = _verify(user.password_hash, password)
    if not ok:
        session.add_all([LoginFailure(key=user_key, at=now), LoginFailure(key=address_key, at=now)])
        return LoginResult()
    session.execute(delete(LoginFailure).where(LoginFailure.key == user_key))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return LoginResult(user=user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(session: Session, user: ConsoleUser) -> str:
    """Opens a session for ``user``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.utcnow()
    session.add(
        ConsoleSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


def end_session(session: Session, token: str) -> None:
    """Ends the session of ``token`` (logout)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))


def resolve_session(
    session: Session, settings: ConsoleSettings, token: str, now: dt.datetime | None = None
) -> StaffUser | None:
    """The staff member whose session ``token`` is, if it is still valid."""
    now = now or dt.datetime.utcnow()
    row = session.execute(
        select(ConsoleSession, ConsoleUser)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    console_session, user = row
    expired = now - console_session.last_seen_at > dt.timedelta(
        minutes=settings.session_idle_minutes
    ) or now - console_session.created_at > dt.timedelta(hours=settings.session_max_hours)
    if expired or not user.active:
        session.delete(console_session)
        return None
    try:
        role = Role.parse(user.role)
    except ValueError:
        return None
    if now - console_session.last_seen_at > TOUCH_EVERY:
        console_session.last_seen_at = now
    return StaffUser(
        id=user.id,
        username=user.username,
        role=role,
        session_id=console_session.id,
        csrf_token=console_session.csrf_token,
    )


def secure_cookies(settings: ConsoleSettings, connection: HTTPConnection) -> bool:
    """Whether cookies get the Secure flag for this request."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return connection.url.scheme == "https"


def set_session_cookie(
    response: Response, token: str, settings: ConsoleSettings, request: Request
) -> None:
    """Puts the session token in its cookie (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings, request),
        path="/",
    )


class AuthMiddleware:
    """Puts the logged-in staff member (or None) in ``request.state.user``."""

    def __init__(self, app: ASGIApp, engine: Engine, settings: ConsoleSettings) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolves the session cookie, then calls the app."""
        if scope["type"] == "http":
            scope.setdefault("state", {})
            scope["state"]["user"] = None
            token = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
            if token:

                def resolve() -> StaffUser | None:
                    with session_scope(self.engine) as session:
                        return resolve_session(session, self.settings, token)

                scope["state"]["user"] = await run_in_threadpool(resolve)
        await self.app(scope, receive, send)


def requires(role: Role) -> Callable[[Endpoint], Endpoint]:
    """Guards an endpoint: anonymous visitors go to the login page, lower roles get 403."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user: StaffUser | None = getattr(request.state, "user", None)
            if user is None:
                if request.method == "GET":
                    target = request.url.path
                    if request.url.query:
                        target += "?" + request.url.query
                    return RedirectResponse(
                        f"{LOGIN_PATH}?next={quote(target, safe='')}", status_code=303
                    )
                return Response("Not logged in.", status_code=401)
            if user.role < role:
                raise HTTPException(status_code=403, detail=f"This needs the {role.label} role.")
            return await endpoint(request)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(endpoint: Endpoint) -> Endpoint:
    """Marks an endpoint as open to anonymous visitors (login page, health check)."""
    endpoint.public = True  # type: ignore[attr-defined]
    return endpoint
