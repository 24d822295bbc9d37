"""The language of a conversation, derived from its events.

The newest of these wins: the ``language`` slot being set (the client named a language,
or a channel knew it), a ``language`` entity in a client message, or the language a
client message was detected to be written in (``detected_language`` in its parse data).
Messages that tell nothing (``ok``, ``2``) leave the language as it was. Works on Rasa's
event objects and on the event dicts that rasa-sdk and the tracker store hold.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

LANGUAGE = "language"
DETECTED_LANGUAGE = "detected_language"


def _as_dict(event: Any) -> Mapping[str, Any]:
    if isinstance(event, Mapping):
        return event
    return event.as_dict()


def language_of_event(event: Any) -> Optional[str]:
    """The language one event sets, or None when it tells nothing about language."""
    data = _as_dict(event)
    kind = data.get("event")
    if kind == "slot" and data.get("name") == LANGUAGE and data.get("value"):
        return str(data["value"])
    if kind == "user":
        parse_data = data.get("parse_data") or {}
        for entity in parse_data.get("entities") or []:
            if entity.get("entity") == LANGUAGE and entity.get("value"):
                return str(entity["value"])
        if parse_data.get(DETECTED_LANGUAGE):
            return str(parse_data[DETECTED_LANGUAGE])
    return None


def conversation_language(events: Iterable[Any]) -> Optional[str]:
    """The conversation's current language code, or None when nothing tells it yet."""
    for event in reversed(list(events)):
        language = language_of_event(event)
        if language:
            return language
    return None
