"""Staff answering clients who asked for a person: take, reply, hand back to the bot.

The bot is paused for a conversation while its handoff is open or active (the support
action sent Rasa's ``pause``). A staff reply goes out through the client's own channel
(WhatsApp or Telegram, via ``bot.channels.outbound.send_text``) and is then recorded in
the conversation as a bot message with ``metadata.staff``, through Rasa's HTTP API, so
the transcript shows it; on other channels (rest) it is only recorded. Handing back
resumes the bot and sends ``utter_handoff_back`` (in the client's language) through the
channel. Every step leaves an audit entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, List

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.auth import StaffUser
from bot.console.events import latest_input_channel, load_events
from bot.console.listing import summary_by_conversation
from bot.console.rasa_client import PAUSE, RESUME, RasaError, staff_message
from bot.store import audit
from bot.store.support import HANDOFF_ACTIVE, HANDOFF_CLOSED, HANDOFF_OPEN, Handoff

if TYPE_CHECKING:
    from bot.console.web import Console

logger = logging.getLogger(__name__)

UTTER_HANDOFF_BACK = "utter_handoff_back"
MAX_REPLY_CHARS = 4000
RECENT_EVENTS = 200


class HandoffError(RuntimeError):
    """A handoff step could not be done (message for staff)."""


async def deliver_through_channel(channel: str, recipient_id: str, text: str) -> None:
    """Sends ``text`` to a client through their channel (``bot.channels.outbound``)."""
    from bot.channels.outbound import send_text

    await send_text(channel, recipient_id, text)


def get_handoff(session: Session, handoff_id: int) -> Handoff | None:
    """The handoff with this id, if any."""
    return session.get(Handoff, handoff_id)


def inbox(session: Session, include_closed: bool = False, limit: int = 200) -> List[Handoff]:
    """Handoffs waiting or being handled (oldest request first), or recent closed ones."""
    query = select(Handoff)
    if include_closed:
        query = query.where(Handoff.status == HANDOFF_CLOSED).order_by(Handoff.closed_at.desc())
    else:
        query = query.where(Handoff.status != HANDOFF_CLOSED).order_by(Handoff.requested_at)
    return list(session.execute(query.limit(limit)).scalars())


def take(session: Session, handoff_id: int, user: StaffUser) -> Handoff:
    """Marks the handoff as handled by ``user``."""
    handoff = get_handoff(session, handoff_id)
    if handoff is None or handoff.status == HANDOFF_CLOSED:
        raise HandoffError("This handoff is closed; the bot answers this client again.")
    handoff.status = HANDOFF_ACTIVE
    handoff.taken_by = user.username
    handoff.taken_at = dt.datetime.utcnow()
    audit.record(session, user.username, audit.HANDOFF_TAKE, handoff.conversation_id)
    return handoff


@dataclass(frozen=True)
class ReplyTarget:
    """Where a reply goes: the conversation, its channel, and whether the bot is paused."""

    handoff_id: int
    conversation_id: str
    channel: str | None
    paused: bool


def reply_target(session: Session, handoff_id: int) -> ReplyTarget:
    """The conversation a reply to this handoff goes to; HandoffError when closed."""
    handoff = get_handoff(session, handoff_id)
    if handoff is None or handoff.status == HANDOFF_CLOSED:
        raise HandoffError("This handoff is closed; the bot answers this client again.")
    channel = latest_input_channel(
        load_events(session.connection(), handoff.conversation_id, limit=RECENT_EVENTS)
    )
    summary = summary_by_conversation(session, handoff.conversation_id)
    return ReplyTarget(
        handoff_id=handoff.id,
        conversation_id=handoff.conversation_id,
        channel=channel or handoff.channel,
        paused=bool(summary.paused) if summary is not None else True,
    )


def _record_reply(
    session: Session, target: ReplyTarget, user: StaffUser, text: str, delivered: bool
) -> None:
    handoff = get_handoff(session, target.handoff_id)
    if handoff is not None and handoff.status == HANDOFF_OPEN:
        handoff.status = HANDOFF_ACTIVE
        handoff.taken_by = user.username
        handoff.taken_at = dt.datetime.utcnow()
    audit.record(
        session,
        user.username,
        audit.HANDOFF_REPLY,
        target.conversation_id,
        {"text": text, "channel": target.channel, "delivered": delivered},
    )


@dataclass(frozen=True)
class ReplyOutcome:
    """What happened to a staff reply."""

    delivered: bool  # sent through the client's channel
    recorded: bool  # added to the transcript
    warning: str | None = None


async def reply(console: Console, handoff_id: int, user: StaffUser, text: str) -> ReplyOutcome:
    """Sends a staff reply to the client and records it in the transcript.

    Args:
        console: the ``bot.console.web.Console`` (database, Rasa client, delivery).
        handoff_id: the handoff being answered.
        user: the staff member replying.
        text: the reply.

    Raises:
        HandoffError: the text is empty or too long, the handoff is closed, or the
            channel did not take the message (nothing is recorded then).
    """
    text = text.strip()
    if not text:
        raise HandoffError("The reply is empty.")
    if len(text) > MAX_REPLY_CHARS:
        raise HandoffError(f"The reply is longer than {MAX_REPLY_CHARS} characters.")
    target: ReplyTarget = await console.run(reply_target, handoff_id)
    delivered = False
    if target.channel in console.settings.push_channels:
        try:
            await console.deliver(target.channel, target.conversation_id, text)
        except Exception as error:  # noqa: BLE001 - any channel failure is shown to staff
            logger.warning("Staff reply not delivered on %s: %s", target.channel, error)
            raise HandoffError(
                f"The message was not sent ({type(error).__name__}: {error})."
            ) from error
        delivered = True
    events = [staff_message(text, user.username)]
    if not target.paused:
        events.insert(0, dict(PAUSE))
    warning = None
    recorded = True
    try:
        await console.rasa.append_events(target.conversation_id, events)
    except RasaError as error:
        recorded = False
        warning = f"Sent, but not added to the transcript: {error}"
    await console.run(_record_reply, target, user, text, delivered)
    return ReplyOutcome(delivered=delivered, recorded=recorded, warning=warning)


def _close(session: Session, handoff_id: int, user: StaffUser, greeted: bool) -> None:
    handoff = get_handoff(session, handoff_id)
    if handoff is None:
        return
    handoff.status = HANDOFF_CLOSED
    handoff.closed_at = dt.datetime.utcnow()
    if not handoff.taken_by:
        handoff.taken_by = user.username
    audit.record(
        session, user.username, audit.HANDOFF_CLOSE, handoff.conversation_id, {"told": greeted}
    )


async def hand_back(console: Console, handoff_id: int, user: StaffUser) -> str | None:
    """Resumes the bot, tells the client, closes the handoff; returns a warning, if any.

    Raises:
        HandoffError: the handoff is closed, or Rasa did not resume the conversation
            (the handoff stays open then).
    """
    target: ReplyTarget = await console.run(reply_target, handoff_id)
    try:
        await console.rasa.append_events(target.conversation_id, [dict(RESUME)])
    except RasaError as error:
        raise HandoffError(f"The bot could not be resumed: {error}") from error
    warning = None
    try:
        await console.rasa.execute(target.conversation_id, UTTER_HANDOFF_BACK)
    except RasaError as error:
        warning = f"The bot is back, but the client was not told: {error}"
    await console.run(_close, handoff_id, user, warning is None)
    return warning
