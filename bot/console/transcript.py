"""A conversation's events as the transcript shows them.

Each client message with its intent, confidence, entities and the runner-up intents;
each bot step with its action (policy, confidence) and response (a staff reply shows who
sent it); slot changes; pauses, resumes and session starts. ``action_listen`` steps and
featurization events are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

from bot.console.events import (
    ACTION,
    ACTION_LISTEN,
    BOT,
    PAUSE,
    RESUME,
    SESSION_STARTED,
    SLOT,
    USER,
    StoredEvent,
)

HIDDEN_TYPES = frozenset({"user_featurization"})
RANKING_SHOWN = 3
SYSTEM_LABELS = {
    PAUSE: "Bot paused (a person answers)",
    RESUME: "Bot resumed",
    SESSION_STARTED: "New session",
    "restart": "Conversation restarted",
    "rewind": "Last message undone",
    "action_execution_rejected": "Action rejected",
    "active_loop": "Form",
    "followup": "Follow-up action",
    "reminder": "Reminder set",
    "cancel_reminder": "Reminder cancelled",
    "export": "Exported",
    "undo": "Bot step undone",
    "agent": "Agent event",
    "entities": "Entities added",
    "loop_interrupted": "Form interrupted",
    "stack": "Stack",
}


@dataclass(frozen=True)
class Entity:
    """An entity found in a client message."""

    name: str
    value: str
    extractor: str | None = None


@dataclass(frozen=True)
class Item:
    """One line of the transcript."""

    kind: str  # user, bot, action, slot or system
    event_id: int
    timestamp: float | None
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    entities: Tuple[Entity, ...] = ()
    ranking: Tuple[Tuple[str, float], ...] = ()
    channel: str | None = None
    detected_language: str | None = None
    input_problem: str | None = None
    buttons: Tuple[str, ...] = ()
    staff: str | None = None
    action: str | None = None
    policy: str | None = None
    slot: str | None = None
    value: str = ""
    details: Dict[str, Any] = field(default_factory=dict)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _user(event: StoredEvent) -> Item:
    data = event.data
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = tuple(
        (str(entry.get("name")), float(entry.get("confidence") or 0.0))
        for entry in (parse.get("intent_ranking") or [])[1 : RANKING_SHOWN + 1]
        if isinstance(entry, dict) and entry.get("name")
    )
    entities = tuple(
        Entity(
            name=str(entity.get("entity")),
            value=_show(entity.get("value")),
            extractor=entity.get("extractor"),
        )
        for entity in parse.get("entities") or []
        if isinstance(entity, dict)
    )
    confidence = intent.get("confidence")
    return Item(
        kind=USER,
        event_id=event.id,
        timestamp=event.timestamp,
        text=str(data.get("text") or ""),
        intent=intent.get("name"),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        entities=entities,
        ranking=ranking,
        channel=data.get("input_channel"),
        detected_language=parse.get("detected_language"),
        input_problem=parse.get("input_problem"),
    )


def _bot(event: StoredEvent) -> Item:
    data = event.data
    message = data.get("data") or {}
    metadata = data.get("metadata") or {}
    buttons = tuple(
        str(button.get("title"))
        for button in (message.get("buttons") or [])
        if isinstance(button, dict) and button.get("title")
    )
    staff = metadata.get("staff") if isinstance(metadata, dict) else None
    return Item(
        kind=BOT,
        event_id=event.id,
        timestamp=event.timestamp,
        text=str(data.get("text") or ""),
        buttons=buttons,
        staff=str(staff) if staff else None,
        action=metadata.get("utter_action") if isinstance(metadata, dict) else None,
    )


def item_of(event: StoredEvent) -> Item | None:
    """The transcript line of one event, or None for events the transcript leaves out."""
    data = event.data
    kind = event.type_name
    if kind in HIDDEN_TYPES:
        return None
    if kind == USER:
        return _user(event)
    if kind == BOT:
        return _bot(event)
    if kind == ACTION:
        if data.get("name") == ACTION_LISTEN:
            return None
        confidence = data.get("confidence")
        return Item(
            kind=ACTION,
            event_id=event.id,
            timestamp=event.timestamp,
            action=data.get("name"),
            policy=data.get("policy"),
            confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        )
    if kind == SLOT:
        return Item(
            kind=SLOT,
            event_id=event.id,
            timestamp=event.timestamp,
            slot=data.get("name"),
            value=_show(data.get("value")),
        )
    label = SYSTEM_LABELS.get(kind, kind)
    extra = data.get("name") if kind in ("active_loop", "followup") else None
    return Item(
        kind="system",
        event_id=event.id,
        timestamp=event.timestamp,
        text=f"{label}: {extra}" if extra else label,
    )


def transcript(events: Sequence[StoredEvent]) -> List[Item]:
    """The transcript lines of ``events`` (in order)."""
    return [item for item in (item_of(event) for event in events) if item is not None]
