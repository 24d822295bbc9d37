"""Handoffs to a person and complaints: the tables the bot and the staff console share.

A handoff starts when a client asks for a person (or complains, or is repeatedly not
understood); while it is ``open`` or ``active`` the bot is paused for that conversation
(Rasa's ``pause`` event) and staff answer from the console; ``closed`` hands the
conversation back to the bot. A complaint gets a reference number the client is given.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, Text
from sqlalchemy.orm import Session

from bot.store.db import Base

HANDOFF_OPEN = "open"  # waiting for a person
HANDOFF_ACTIVE = "active"  # a person is handling it
HANDOFF_CLOSED = "closed"  # handed back to the bot
HANDOFF_REASONS = ("request_human", "complain", "fallback")

COMPLAINT_OPEN = "open"
COMPLAINT_CLOSED = "closed"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def utcnow() -> dt.datetime:
    """The current time in UTC (naive, as stored)."""
    return dt.datetime.utcnow()


class Handoff(Base):
    """A conversation handed over to a person."""

    __tablename__ = "mfi_handoff"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    language = Column(String(16), nullable=True)
    reason = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default=HANDOFF_OPEN, index=True)
    requested_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    taken_by = Column(String(255), nullable=True)
    taken_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)


class Complaint(Base):
    """A client's complaint, with the reference number the client was given."""

    __tablename__ = "mfi_complaint"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    text = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default=COMPLAINT_OPEN, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    closed_at = Column(DateTime, nullable=True)
    closed_by = Column(String(255), nullable=True)


def new_reference(prefix: str = "C") -> str:
    """A short, unambiguous complaint reference such as ``C-7K3QX9``."""
    return prefix + "-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def open_handoff(session: Session, conversation_id: str) -> Optional[Handoff]:
    """The conversation's handoff that is not closed yet, if any."""
    return (
        session.query(Handoff)
        .filter(Handoff.conversation_id == conversation_id, Handoff.status != HANDOFF_CLOSED)
        .order_by(Handoff.id.desc())
        .first()
    )
