"""What a channel needs from the Rasa agent: the conversation's language and texts.

Connector-level replies (a voice note cannot be read, opted out, "Reply 1, 2 or 3") are
domain responses (``# --- channels ---`` in domain.yml) rendered by the project's NLG in
the conversation's language, like every other response.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.i18n.conversation import LANGUAGE, conversation_language
from bot.i18n.languages import language_codes, resolve_language
from bot.nlg.generator import CatalogNLG
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"


@lru_cache(maxsize=2)
def _domain_nlg(path: Path) -> CatalogNLG:
    """Return an NLG built from the domain file, for use without a loaded agent."""
    return CatalogNLG(domain=Domain.load(str(path)))


def supported_language(code: str | None) -> str | None:
    """Return the project's language for a client-side code (``pt-BR`` -> ``pt``), or None.

    Args:
        code: an IETF tag such as Telegram's ``language_code``.

    Returns:
        The code if the project speaks it, else None.
    """
    if not code:
        return None
    codes = language_codes()
    candidate = code.strip().replace("-", "_")
    for option in (candidate, candidate.split("_", 1)[0].lower()):
        if option in codes:
            return option
    return None


class ConversationContext:
    """Access to one agent's conversations for a channel.

    Args:
        agent: the Rasa agent (``request.app.ctx.agent``); None when there is none (a
            staff process), then texts come from domain.yml in the default language.
        channel: the channel name, passed to the NLG.
    """

    def __init__(self, agent: Any | None, channel: str) -> None:
        self.agent = agent
        self.channel = channel

    @property
    def _tracker_store(self) -> Any | None:
        return getattr(self.agent, "tracker_store", None) if self.agent is not None else None

    async def tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Return the stored tracker of a conversation, or None."""
        store = self._tracker_store
        if store is None:
            return None
        try:
            return await store.retrieve(sender_id)
        except Exception:  # noqa: BLE001 - a language is not worth failing a reply
            logger.exception("Could not read the tracker of %s", sender_id)
            return None

    async def language(self, sender_id: str, hint: str | None = None) -> str:
        """Return the conversation's language: from its events, else the hint, else default."""
        tracker = await self.tracker(sender_id)
        known = conversation_language(tracker.events) if tracker is not None else None
        return resolve_language(known or supported_language(hint))

    def _nlg(self) -> Any:
        nlg = getattr(self.agent, "nlg", None) if self.agent is not None else None
        if nlg is not None and hasattr(nlg, "generate_in_language"):
            return nlg
        return _domain_nlg(DOMAIN_FILE)

    async def render(
        self,
        response: str,
        sender_id: str | None = None,
        language: str | None = None,
        **values: Any,
    ) -> str:
        """Return a response's text in the conversation's language.

        Args:
            response: the response name (``utter_channel_...``).
            sender_id: the conversation, for its language and slots.
            language: the language to use instead of the conversation's.
            values: values for the response's ``{placeholders}``.

        Returns:
            The text; empty when the response does not exist (logged by the NLG).
        """
        tracker = await self.tracker(sender_id) if sender_id else None
        if language is None:
            known = conversation_language(tracker.events) if tracker is not None else None
            language = resolve_language(known)
        slots: Dict[str, Any] = tracker.current_slot_values() if tracker is not None else {}
        message = self._nlg().generate_in_language(
            response, resolve_language(language), slots, self.channel, **values
        )
        return str((message or {}).get("text") or "")

    async def apply_language_hint(
        self,
        sender_id: str,
        hint: str | None,
        metadata: Dict[str, Any] | None = None,
        output_channel: OutputChannel | None = None,
    ) -> str | None:
        """Set the conversation's language from a channel's hint, if it has none yet.

        The ``language`` slot is set before the client's first message is handled, so
        replies to messages that tell no language (``/start``) use the client's app
        language. A language the client names or writes in later wins, as always.

        Args:
            sender_id: the conversation id.
            hint: e.g. Telegram's ``language_code``.
            metadata: the message's metadata (passed to the session start).
            output_channel: where the session start's messages, if any, go.

        Returns:
            The language set, or None when nothing was changed.
        """
        code = supported_language(hint)
        store = self._tracker_store
        if code is None or store is None:
            return None
        tracker = await self.tracker(sender_id)
        if tracker is not None and conversation_language(tracker.events):
            return None
        lock_store = getattr(self.agent, "lock_store", None)
        if lock_store is None:
            return await self._set_language(sender_id, code, metadata, output_channel)
        async with lock_store.lock(sender_id):
            return await self._set_language(sender_id, code, metadata, output_channel)

    async def _set_language(
        self,
        sender_id: str,
        code: str,
        metadata: Dict[str, Any] | None,
        output_channel: OutputChannel | None,
    ) -> str | None:
        processor = getattr(self.agent, "processor", None)
        if processor is not None:
            # runs action_session_start first, as handling the message would
            tracker = await processor.fetch_tracker_and_update_session(
                sender_id, output_channel or CollectingOutputChannel(), metadata
            )
        else:
            tracker = await self._tracker_store.get_or_create_tracker(sender_id)
        if conversation_language(tracker.events):
            return None
        tracker.update(SlotSet(LANGUAGE, code))
        await self._tracker_store.save(tracker)
        logger.debug("Conversation %s starts in %s (channel hint)", sender_id, code)
        return code
