"""One client turn through Rasa, for every channel: never silence, never a double turn.

Rasa keeps going when a custom action fails (the action server is down, a bug): it logs
the error, drops the action's events and listens again, so the client hears nothing.
``run_turn`` counts what the turn said; when it said nothing and the conversation is not
paused for a person (a handoff, where silence is right), it answers in the client's
language: a short apology asking them to write again when an action ran and failed, or
"I did not understand" when the assistant chose to listen without answering (a message
understood as something that means nothing at that point of the conversation).

When the conversation cannot be locked or stored (Redis or the database is down), Rasa
raises before or after handling the message. Such a turn is reported as ``UNAVAILABLE``:
nothing of it is kept, so the channel tells its caller to send the message again (the
REST channel answers 503) instead of risking that two servers handle the conversation at
once.
"""

from __future__ import annotations

import enum
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Text, Tuple, Type

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS, ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.conversation import ConversationContext

logger = logging.getLogger(__name__)

TEMPORARY_PROBLEM = "utter_channel_temporary_problem"
NOT_UNDERSTOOD = "utter_default"
QUIET_ACTIONS = frozenset({ACTION_LISTEN_NAME, ACTION_EXTRACT_SLOTS})
UNAVAILABLE_TEXT = "Service Unavailable: the message could not be recorded; send it again"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class TurnOutcome(enum.Enum):
    """How a turn ended."""

    ANSWERED = "answered"
    PAUSED = "paused"  # a person has the conversation: the bot stays quiet
    APOLOGIZED = "apologized"  # the turn said nothing (an action failed): apology sent
    NOT_UNDERSTOOD = "not_understood"  # the assistant only listened: "please rephrase"
    UNAVAILABLE = "unavailable"  # lock store or tracker store down: nothing was kept


def storage_errors() -> Tuple[Type[BaseException], ...]:
    """The exceptions that mean the conversation could not be locked or stored."""
    import redis.exceptions
    import sqlalchemy.exc

    return (
        LockError,
        redis.exceptions.RedisError,
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlalchemy.exc.DisconnectionError,
    )


class CountingOutput(OutputChannel):
    """Passes a turn's messages on to the channel's output, counting them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> Text:  # type: ignore[override] - the wrapped channel's name
        """The wrapped channel's name (responses can be channel-specific)."""
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """Counts the message, then sends it through the wrapped channel."""
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


async def run_turn(
    on_new_message: OnNewMessage, message: UserMessage, context: ConversationContext
) -> TurnOutcome:
    """Hands ``message`` to Rasa; apologizes in the client's language if it said nothing.

    Args:
        on_new_message: Rasa's message handler (locks, processes and stores the turn).
        message: the client's message, with the channel's output.
        context: the agent's conversations, for the apology's language.

    Returns:
        How the turn ended; ``UNAVAILABLE`` means nothing was said or kept, and the
        caller should tell its sender to try again.
    """
    output = CountingOutput(message.output_channel)
    message.output_channel = output
    sender = message.sender_id
    try:
        await on_new_message(message)
    except storage_errors() as error:
        logger.error(
            "The conversation %s could not be locked or stored (%s: %s); the turn was "
            "refused so that it is not handled twice",
            sender,
            type(error).__name__,
            error,
        )
        return TurnOutcome.UNAVAILABLE
    except CancelledError:
        logger.error("The turn of %s was cancelled (timeout)", sender)
    except Exception:  # noqa: BLE001 - the client gets an apology, never a trace
        logger.exception("The turn of %s failed", sender)
    if output.sent:
        return TurnOutcome.ANSWERED
    tracker = await context.tracker(sender)
    if tracker is not None and tracker.is_paused():
        return TurnOutcome.PAUSED
    if tracker is not None and only_listened(tracker):
        logger.info("The turn of %s predicted no answer; asking to rephrase", sender)
        await apologize(output.inner, sender, context, NOT_UNDERSTOOD)
        return TurnOutcome.NOT_UNDERSTOOD
    logger.warning("The turn of %s said nothing; sending an apology", sender)
    await apologize(output.inner, sender, context)
    return TurnOutcome.APOLOGIZED


def only_listened(tracker: DialogueStateTracker) -> bool:
    """True when the last client message was followed by no action but listening."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted) and event.action_name not in QUIET_ACTIONS:
            return False
    return False


async def apologize(
    output: OutputChannel,
    sender: str,
    context: ConversationContext,
    response: str = TEMPORARY_PROBLEM,
) -> None:
    """Tells the client, in their language, that something failed and to write again."""
    text = await context.render(response, sender)
    if not text:
        return
    try:
        await output.send_text_message(sender, text)
    except Exception:  # noqa: BLE001 - nothing more can be done for this turn
        logger.exception("Could not send the apology to %s", sender)
