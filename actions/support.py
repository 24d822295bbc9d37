"""Support: a person (handoff), complaints, opting out and deleting the client's data.

A handoff pauses the bot for the conversation (Rasa's ``pause`` event): the client's
messages then go to the staff console until staff hand the conversation back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from dataclasses import dataclass
from typing import Any, Dict, List, Set

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.common import language_of
from bot.i18n import format_number
from bot.store import privacy
from bot.store.consent import Consent, record_opt_out
from bot.store.db import Base, get_engine, session_scope
from bot.store.privacy import delete_tracker_events, has_tracker_events, tracker_event_count
from bot.store.support import Complaint, Handoff, new_reference, open_handoff

logger = logging.getLogger(__name__)

ACTION_REQUEST_HUMAN = "action_request_human"
ACTION_SUBMIT_COMPLAINT = "action_submit_complaint"
ACTION_OPT_OUT = "action_opt_out"
ACTION_DELETE_MY_DATA = "action_delete_my_data"
FORM_COMPLAINT = "complaint_form"
SLOT_COMPLAINT_TEXT = "complaint_text"

UTTER_HANDOFF_REQUESTED = "utter_handoff_requested"
UTTER_HANDOFF_REQUESTED_WITHIN_HOUR = "utter_handoff_requested_within_hour"
UTTER_COMPLAINT_RECEIVED = "utter_complaint_received"
UTTER_OPTED_OUT = "utter_opted_out"
UTTER_DATA_DELETED = "utter_data_deleted"

REASON_REQUEST_HUMAN = "request_human"
REASON_COMPLAIN = "complain"
ACTOR_CLIENT = "client"

ENV_HANDOFF_WAIT_HOURS = "MFI_HANDOFF_WAIT_HOURS"
DEFAULT_HANDOFF_WAIT_HOURS = 24
REFERENCE_ATTEMPTS = 20

ERASE_TIMEOUT_SECONDS = 60.0
ERASE_POLL_SECONDS = 0.2

_SUPPORT_TABLES = [Handoff.__table__, Complaint.__table__, Consent.__table__]
_ready_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_erasures: Set[asyncio.Task[int]] = set()


@dataclass(frozen=True)
class Client:
    """Who is asking: the conversation, its channel and language."""

    conversation_id: str
    channel: str | None
    language: str

    @classmethod
    def of(cls, tracker: Tracker) -> Client:
        """Return the client of ``tracker``'s conversation."""
        return cls(tracker.sender_id, tracker.get_latest_input_channel(), language_of(tracker))


def support_engine() -> Engine:
    """Return the deployment's database, with the support tables created on first use."""
    engine = get_engine()
    if engine not in _ready_engines:
        Base.metadata.create_all(engine, tables=_SUPPORT_TABLES)
        _ready_engines.add(engine)
    return engine


def handoff_wait_hours() -> int:
    """Return how many hours a client usually waits for a person (``MFI_HANDOFF_WAIT_HOURS``)."""
    raw = os.environ.get(ENV_HANDOFF_WAIT_HOURS, "").strip()
    if not raw:
        return DEFAULT_HANDOFF_WAIT_HOURS
    try:
        hours = int(raw)
    except ValueError:
        hours = 0
    if hours < 1:
        logger.warning("%s=%r is not a whole number of hours", ENV_HANDOFF_WAIT_HOURS, raw)
        return DEFAULT_HANDOFF_WAIT_HOURS
    return hours


def ensure_handoff(session: Session, client: Client, reason: str) -> bool:
    """Open a handoff unless one is open; return True when it opened one."""
    if open_handoff(session, client.conversation_id) is not None:
        return False
    session.add(
        Handoff(
            conversation_id=client.conversation_id,
            channel=client.channel,
            language=client.language,
            reason=reason,
        )
    )
    return True


def unused_reference(session: Session) -> str:
    """Return a complaint reference that no complaint has yet."""
    for _ in range(REFERENCE_ATTEMPTS):
        reference = new_reference()
        if session.query(Complaint.id).filter(Complaint.reference == reference).first() is None:
            return reference
    raise RuntimeError("no unused complaint reference found")


def request_human(client: Client) -> bool:
    """Ask for a person; return True when a new handoff was opened."""
    with session_scope(support_engine()) as session:
        return ensure_handoff(session, client, REASON_REQUEST_HUMAN)


def file_complaint(client: Client, text: str | None) -> str:
    """Record a complaint and hand the conversation to a person; return its reference."""
    with session_scope(support_engine()) as session:
        reference = unused_reference(session)
        session.add(
            Complaint(
                reference=reference,
                conversation_id=client.conversation_id,
                channel=client.channel,
                text=text,
            )
        )
        ensure_handoff(session, client, REASON_COMPLAIN)
    return reference


def opt_out(client: Client) -> None:
    """Record that the client wants no more messages."""
    with session_scope(support_engine()) as session:
        record_opt_out(session, client.conversation_id, client.channel)


def utter_handoff_requested(dispatcher: CollectingDispatcher, language: str) -> None:
    """Tell the client that a person will answer, and roughly when."""
    hours = handoff_wait_hours()
    if hours == 1:
        dispatcher.utter_message(response=UTTER_HANDOFF_REQUESTED_WITHIN_HOUR)
    else:
        dispatcher.utter_message(
            response=UTTER_HANDOFF_REQUESTED, hours=format_number(hours, language)
        )


class ActionRequestHuman(Action):
    """Hands the conversation to a person and pauses the bot."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_REQUEST_HUMAN

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Open the handoff (unless one is open), tell the client, pause."""
        client = Client.of(tracker)
        await asyncio.to_thread(request_human, client)
        utter_handoff_requested(dispatcher, client.language)
        return [ConversationPaused()]


class ActionSubmitComplaint(Action):
    """Records the complaint the form collected, gives its reference, hands over."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_SUBMIT_COMPLAINT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """File the complaint, utter the reference, clear the text and pause."""
        text = str(tracker.get_slot(SLOT_COMPLAINT_TEXT) or "").strip() or None
        reference = await asyncio.to_thread(file_complaint, Client.of(tracker), text)
        dispatcher.utter_message(response=UTTER_COMPLAINT_RECEIVED, reference=reference)
        return [SlotSet(SLOT_COMPLAINT_TEXT, None), ConversationPaused()]


class ActionOptOut(Action):
    """Records the opt-out and tells the client how to come back."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_OPT_OUT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Record the opt-out, then confirm it."""
        await asyncio.to_thread(opt_out, Client.of(tracker))
        dispatcher.utter_message(response=UTTER_OPTED_OUT)
        return []


async def delete_client_data(conversation_id: str) -> None:
    """Delete the client's data (``bot.store.privacy``, with its audit entry) in a thread."""
    await asyncio.to_thread(privacy.delete_client_data, conversation_id, actor=ACTOR_CLIENT)


async def erase_after_save(
    conversation_id: str,
    timeout: float = ERASE_TIMEOUT_SECONDS,
    poll: float = ERASE_POLL_SECONDS,
) -> int:
    """Delete the tracker events Rasa stores again after the deletion; return how many.

    Rasa saves a turn's tracker after its actions ran, and its SQL tracker store then
    writes every in-memory event of the current session that the table lacks, i.e. the
    whole session again once it was deleted. So wait until the turn is stored (its
    ``action_delete_my_data`` event appears) and delete the conversation's events again.
    """
    if not await asyncio.to_thread(has_tracker_events):
        return 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await asyncio.to_thread(tracker_event_count, conversation_id, ACTION_DELETE_MY_DATA):
            return await asyncio.to_thread(delete_tracker_events, conversation_id)
        if loop.time() >= deadline:
            logger.warning("Rasa did not store the deletion turn within %.0f s", timeout)
            return 0
        await asyncio.sleep(poll)


def _log_erasure(task: asyncio.Task[int]) -> None:
    _erasures.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("Deleting the stored conversation failed", exc_info=task.exception())


def pending_erasures() -> List[asyncio.Task[int]]:
    """Return the background deletions still running (for tests and shutdown)."""
    return list(_erasures)


class ActionDeleteMyData(Action):
    """Deletes the client's data after they confirmed, then restarts the conversation.

    Args:
        erase_timeout: how long to wait for Rasa to store the turn before deleting its
            events again (see ``erase_after_save``).
        erase_poll: how often to look.
    """

    def __init__(
        self, erase_timeout: float = ERASE_TIMEOUT_SECONDS, erase_poll: float = ERASE_POLL_SECONDS
    ) -> None:
        """Create the action."""
        self.erase_timeout = erase_timeout
        self.erase_poll = erase_poll

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_DELETE_MY_DATA

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Delete, confirm, schedule the deletion of the re-stored turn, restart."""
        await delete_client_data(tracker.sender_id)
        dispatcher.utter_message(response=UTTER_DATA_DELETED)
        task = asyncio.get_running_loop().create_task(
            erase_after_save(tracker.sender_id, self.erase_timeout, self.erase_poll)
        )
        _erasures.add(task)
        task.add_done_callback(_log_erasure)
        return [Restarted()]
