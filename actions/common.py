"""Names and helpers shared by the action modules."""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from bot.i18n import resolve_language
from bot.i18n.conversation import conversation_language

# slots
SLOT_LANGUAGE = "language"

# entities
ENTITY_LANGUAGE = "language"


def language_of(tracker: Tracker) -> str:
    """The conversation's language code (the deployment default when unknown)."""
    return resolve_language(conversation_language(tracker.events))


def latest_entity(tracker: Tracker, entity: str) -> Optional[Any]:
    """The value of ``entity`` in the latest user message, if any."""
    return next(tracker.get_latest_entity_values(entity), None)


def payload(intent: str, entities: Optional[Dict[str, Any]] = None) -> str:
    """A button payload that triggers ``intent`` with ``entities``."""
    if not entities:
        return f"/{intent}"
    import json

    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
