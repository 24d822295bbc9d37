"""Tables of the messaging channels (WhatsApp/SMS via Twilio, Telegram).

- ``channel_processed_messages``: inbound message ids already handled (Twilio's
  ``MessageSid``, Telegram's ``update_id``), so a retried webhook is processed once;
  rows older than a time-to-live are purged.
- ``channel_opt_outs``: clients who sent STOP (or blocked the bot); nothing is sent to
  them until they opt in again.
- ``channel_button_menus``: the buttons last offered to a client on a channel without
  real buttons, so that a reply ``2`` maps back to the second button's payload.
- ``channel_callback_payloads``: button payloads too long for Telegram's 64-byte
  ``callback_data``, stored under a short token.
- ``channel_failed_messages``: replies that could not be delivered after retries.

Tables are created on first use (``create_all`` is idempotent).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Dict, List

from sqlalchemy import Column, DateTime, Integer, String, Text, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.store.db import Base, get_engine, session_scope

DEFAULT_PROCESSED_TTL = dt.timedelta(days=3)
PURGE_INTERVAL = dt.timedelta(minutes=10)
CALLBACK_TOKEN_PREFIX = "~"
CALLBACK_TOKEN_BYTES = 15  # 20 base64url characters


def utcnow() -> dt.datetime:
    """Return the current time in UTC, without time zone (as stored)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class ProcessedMessage(Base):
    """An inbound message (or update) that has been accepted for processing."""

    __tablename__ = "channel_processed_messages"

    channel = Column(String(32), primary_key=True)
    message_id = Column(String(128), primary_key=True)
    received_at = Column(DateTime, nullable=False, index=True)


class OptOut(Base):
    """A client who asked not to receive messages on a channel."""

    __tablename__ = "channel_opt_outs"

    channel = Column(String(32), primary_key=True)
    recipient_id = Column(String(128), primary_key=True)
    opted_out_at = Column(DateTime, nullable=False)
    reason = Column(String(32), nullable=False, default="keyword")


class ButtonMenu(Base):
    """The buttons last offered to a client as a numbered list."""

    __tablename__ = "channel_button_menus"

    channel = Column(String(32), primary_key=True)
    recipient_id = Column(String(128), primary_key=True)
    buttons = Column(Text, nullable=False)  # JSON list of {"title", "payload"}
    offered_at = Column(DateTime, nullable=False)


class CallbackPayload(Base):
    """A button payload stored under a short token (Telegram's 64-byte limit)."""

    __tablename__ = "channel_callback_payloads"

    token = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class FailedMessage(Base):
    """A reply that could not be delivered."""

    __tablename__ = "channel_failed_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    channel = Column(String(32), nullable=False, index=True)
    recipient_id = Column(String(128), nullable=False, index=True)
    content = Column(Text, nullable=False)  # JSON of what was to be sent
    status_code = Column(Integer, nullable=True)
    error_code = Column(String(32), nullable=True)
    error = Column(Text, nullable=False)
    attempts = Column(Integer, nullable=False)
    failed_at = Column(DateTime, nullable=False, index=True)


CHANNEL_TABLES = [
    model.__table__
    for model in (ProcessedMessage, OptOut, ButtonMenu, CallbackPayload, FailedMessage)
]


@dataclass(frozen=True)
class FailedDelivery:
    """A failed reply as read back from the store."""

    id: int
    channel: str
    recipient_id: str
    content: Dict[str, Any]
    status_code: int | None
    error_code: str | None
    error: str
    attempts: int
    failed_at: dt.datetime


def callback_token(payload: str) -> str:
    """Return the short, stable token a long payload is stored under."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:CALLBACK_TOKEN_BYTES]
    return CALLBACK_TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")


class ChannelStore:
    """Reads and writes the channel tables (synchronous; call from a worker thread).

    Args:
        engine: the database; the deployment's (``MFI_DB_URL``) when omitted.
        processed_ttl: how long an inbound message id is remembered.
    """

    _ready_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
    _ready_lock = threading.Lock()

    def __init__(
        self,
        engine: Engine | None = None,
        processed_ttl: dt.timedelta = DEFAULT_PROCESSED_TTL,
    ) -> None:
        self._engine = engine
        self.processed_ttl = processed_ttl
        self._last_purge: dt.datetime | None = None

    @property
    def engine(self) -> Engine:
        """Return the engine, with the tables created on first use."""
        engine = self._engine or get_engine()
        if engine not in ChannelStore._ready_engines:
            with ChannelStore._ready_lock:
                if engine not in ChannelStore._ready_engines:
                    Base.metadata.create_all(engine, tables=CHANNEL_TABLES)
                    ChannelStore._ready_engines.add(engine)
        return engine

    # --- inbound de-duplication -------------------------------------------------

    def claim_message(self, channel: str, message_id: str, now: dt.datetime | None = None) -> bool:
        """Record an inbound message id; return False when it was already recorded.

        Concurrent deliveries of the same id are safe: the primary key lets exactly
        one of them in.
        """
        now = now or utcnow()
        self._purge_if_due(now)
        try:
            with session_scope(self.engine) as session:
                row = ProcessedMessage(channel=channel, message_id=message_id, received_at=now)
                session.add(row)
        except IntegrityError:
            return False
        return True

    def purge_processed(self, now: dt.datetime | None = None) -> int:
        """Forget inbound ids older than the time-to-live; return how many."""
        cutoff = (now or utcnow()) - self.processed_ttl
        with session_scope(self.engine) as session:
            result = session.execute(
                delete(ProcessedMessage).where(ProcessedMessage.received_at < cutoff)
            )
            return int(result.rowcount or 0)

    def _purge_if_due(self, now: dt.datetime) -> None:
        if self._last_purge is None or now - self._last_purge >= PURGE_INTERVAL:
            self._last_purge = now
            self.purge_processed(now)

    # --- opt-out ------------------------------------------------------------------

    def is_opted_out(self, channel: str, recipient_id: str) -> bool:
        """Tell whether the client asked not to receive messages on this channel."""
        with session_scope(self.engine) as session:
            return session.get(OptOut, (channel, recipient_id)) is not None

    def set_opted_out(
        self, channel: str, recipient_id: str, opted_out: bool, reason: str = "keyword"
    ) -> bool:
        """Opt a client out (or back in); return True when the state changed."""
        with session_scope(self.engine) as session:
            row = session.get(OptOut, (channel, recipient_id))
            if opted_out and row is None:
                session.add(
                    OptOut(
                        channel=channel,
                        recipient_id=recipient_id,
                        opted_out_at=utcnow(),
                        reason=reason,
                    )
                )
                return True
            if not opted_out and row is not None:
                session.delete(row)
                return True
            return False

    # --- numbered buttons ---------------------------------------------------------

    def save_buttons(self, channel: str, recipient_id: str, buttons: List[Dict[str, str]]) -> None:
        """Remember the buttons just offered (an empty list forgets them)."""
        with session_scope(self.engine) as session:
            row = session.get(ButtonMenu, (channel, recipient_id))
            if not buttons:
                if row is not None:
                    session.delete(row)
                return
            encoded = json.dumps(buttons, ensure_ascii=False)
            if row is None:
                session.add(
                    ButtonMenu(
                        channel=channel,
                        recipient_id=recipient_id,
                        buttons=encoded,
                        offered_at=utcnow(),
                    )
                )
            else:
                row.buttons = encoded
                row.offered_at = utcnow()

    def get_buttons(self, channel: str, recipient_id: str) -> List[Dict[str, str]]:
        """Return the buttons last offered to the client (empty when none)."""
        with session_scope(self.engine) as session:
            row = session.get(ButtonMenu, (channel, recipient_id))
            return list(json.loads(row.buttons)) if row is not None else []

    # --- long callback payloads ---------------------------------------------------

    def put_callback_payload(self, payload: str) -> str:
        """Store a payload and return its short token (the same token every time)."""
        token = callback_token(payload)
        try:
            with session_scope(self.engine) as session:
                if session.get(CallbackPayload, token) is None:
                    session.add(CallbackPayload(token=token, payload=payload, created_at=utcnow()))
        except IntegrityError:
            pass  # stored at the same moment by another request
        return token

    def get_callback_payload(self, token: str) -> str | None:
        """Return the payload stored under ``token``, or None."""
        with session_scope(self.engine) as session:
            row = session.get(CallbackPayload, token)
            return str(row.payload) if row is not None else None

    # --- failed deliveries --------------------------------------------------------

    def record_failure(
        self,
        channel: str,
        recipient_id: str,
        content: Dict[str, Any],
        error: str,
        attempts: int,
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> int:
        """Record a reply that could not be delivered; return its id."""
        with session_scope(self.engine) as session:
            row = FailedMessage(
                channel=channel,
                recipient_id=recipient_id,
                content=json.dumps(content, ensure_ascii=False, default=str),
                status_code=status_code,
                error_code=error_code,
                error=error,
                attempts=attempts,
                failed_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def failures(
        self, channel: str | None = None, recipient_id: str | None = None
    ) -> List[FailedDelivery]:
        """Return failed replies, oldest first, optionally for one channel or client."""
        query = select(FailedMessage).order_by(FailedMessage.id)
        if channel is not None:
            query = query.where(FailedMessage.channel == channel)
        if recipient_id is not None:
            query = query.where(FailedMessage.recipient_id == recipient_id)
        with session_scope(self.engine) as session:
            return [
                FailedDelivery(
                    id=row.id,
                    channel=row.channel,
                    recipient_id=row.recipient_id,
                    content=json.loads(row.content),
                    status_code=row.status_code,
                    error_code=row.error_code,
                    error=row.error,
                    attempts=row.attempts,
                    failed_at=row.failed_at,
                )
                for row in session.execute(query).scalars()
            ]
