"""Whether a client still wants messages from the assistant, by conversation.

A client who tells the assistant to stop (the ``opt_out`` intent, e.g. "please stop
sending me messages") is recorded here as opted out; anything that sends messages the
client did not ask for (reminders, campaigns) must skip opted-out conversations. The
client comes back by writing again (START, "hi"): whoever handles that records the opt-in.
Keyword STOP/START on a channel is handled by the channel itself (``bot.store.channels``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.orm import Session

from bot.store.db import Base

CONSENT_OPTED_OUT = "opted_out"
CONSENT_OPTED_IN = "opted_in"
SOURCE_INTENT = "intent"  # the client asked in words the NLU understood as opt_out
SOURCE_KEYWORD = "keyword"  # a channel keyword such as STOP or START
SOURCE_STAFF = "staff"  # changed by staff on the client's request


def utcnow() -> dt.datetime:
    """Return the current time in UTC (naive, as stored)."""
    return dt.datetime.utcnow()


class Consent(Base):
    """The latest messaging choice of one conversation's client."""

    __tablename__ = "mfi_consent"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True, index=True)
    channel = Column(String(64), nullable=True)
    status = Column(String(16), nullable=False, index=True)
    source = Column(String(16), nullable=False)
    changed_at = Column(DateTime, nullable=False, default=utcnow)
    opted_out_at = Column(DateTime, nullable=True)


def consent_of(session: Session, conversation_id: str) -> Consent | None:
    """Return the conversation's consent row, if the client ever opted out."""
    return session.query(Consent).filter(Consent.conversation_id == conversation_id).first()


def record_opt_out(
    session: Session,
    conversation_id: str,
    channel: str | None = None,
    source: str = SOURCE_INTENT,
    now: dt.datetime | None = None,
) -> Consent:
    """Record that the client wants no more messages; return the (new or updated) row."""
    now = now or utcnow()
    consent = consent_of(session, conversation_id)
    if consent is None:
        consent = Consent(conversation_id=conversation_id)
        session.add(consent)
    consent.channel = channel or consent.channel
    consent.status = CONSENT_OPTED_OUT
    consent.source = source
    consent.changed_at = now
    consent.opted_out_at = now
    session.flush()
    return consent


def record_opt_in(
    session: Session,
    conversation_id: str,
    source: str = SOURCE_KEYWORD,
    now: dt.datetime | None = None,
) -> bool:
    """Record that an opted-out client came back; return True when anything changed."""
    consent = consent_of(session, conversation_id)
    if consent is None or consent.status != CONSENT_OPTED_OUT:
        return False
    consent.status = CONSENT_OPTED_IN
    consent.source = source
    consent.changed_at = now or utcnow()
    session.flush()
    return True


def is_opted_out(session: Session, conversation_id: str) -> bool:
    """Tell whether the client asked for no more messages (and did not come back)."""
    consent = consent_of(session, conversation_id)
    return consent is not None and consent.status == CONSENT_OPTED_OUT
