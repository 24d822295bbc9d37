"""Masking of client identifiers and phone numbers for staff who may not see them.

Viewers see ``whatsapp:+2547•••••12`` instead of a WhatsApp number, and phone numbers and
e-mail addresses inside client text are masked the same way.
"""

from __future__ import annotations

import re
from typing import Any

BULLET = "•"
TAIL = 2
MAX_HEAD = 5
# nine or more digits, possibly split by spaces, dots or dashes, optionally after a +
PHONE = re.compile(r"\+?\d(?:[\s.\-]?\d){8,}")
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def mask_value(value: str) -> str:
    """Keeps the beginning and the last two characters of ``value``, bullets in between."""
    if len(value) <= TAIL + 2:
        return BULLET * len(value)
    head = min(MAX_HEAD, max(1, (len(value) - TAIL) // 2))
    return value[:head] + BULLET * (len(value) - head - TAIL) + value[-TAIL:]


def mask_id(conversation_id: str | None) -> str:
    """A client identifier with its channel prefix kept (``whatsapp:+2547•••••12``)."""
    if not conversation_id:
        return ""
    prefix, sep, rest = conversation_id.rpartition(":")
    if sep and rest:
        return f"{prefix}:{mask_value(rest)}"
    return mask_value(conversation_id)


def mask_text(text: str | None) -> str:
    """``text`` with phone numbers and e-mail addresses masked."""
    if not text:
        return ""
    text = EMAIL.sub(lambda match: mask_value(match.group(0)), text)
    return PHONE.sub(lambda match: mask_value(match.group(0)), text)


class Masker:
    """Masks for one staff member: a no-op for those allowed to see personal data."""

    def __init__(self, unmasked: bool) -> None:
        self.unmasked = unmasked

    def id(self, conversation_id: str | None) -> str:
        """The conversation id as this staff member may see it."""
        return (conversation_id or "") if self.unmasked else mask_id(conversation_id)

    def text(self, value: Any) -> str:
        """Client text (or any value shown as text) as this staff member may see it."""
        text = "" if value is None else str(value)
        return text if self.unmasked else mask_text(text)
