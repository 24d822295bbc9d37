"""Names and helpers shared by the action modules."""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from bot.i18n import resolve_language
from bot.i18n.conversation import conversation_language

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


def is_activation(tracker: Tracker, form: str) -> bool:
    """Whether ``form`` is being activated by the latest message (it has asked nothing yet).

    Rasa calls a form's validation action at activation with the form already marked
    active, so ``active_loop_name`` alone cannot tell: the form is starting when no client
    message came after the form's activation.
    """
    if tracker.active_loop_name != form:
        return True
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "active_loop" and event.get("name") == form:
            return True
    return False
