"""Text handling shared by the channels: splitting long replies, reading client replies.

Lengths are counted in UTF-16 code units, as Twilio and Telegram count them (an emoji
can count twice), so a part never exceeds a channel's limit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Dict, List, Sequence

Length = Callable[[str], int]

PARAGRAPH = re.compile(r"\n\s*\n")
LINE = re.compile(r"\n")
# the end of a sentence: . ! ? … or the danda (Hindi, Bengali), closing quotes, then a space
SENTENCE = re.compile(r"[.!?\u2026\u0964\u0965]+[\"'\u2019\u201d)\]]*\s")
SPACE = re.compile(r"\s")
BOUNDARIES = (PARAGRAPH, LINE, SENTENCE, SPACE)
# joiners and variation selectors must stay with the character before them
_STICKY = {"\u200c", "\u200d", "\ufe0e", "\ufe0f"}


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int, length: Length) -> int:
    """Return the largest ``n`` such that ``length(text[:n]) <= limit``."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _is_sticky(char: str) -> bool:
    return char in _STICKY or unicodedata.category(char) in {"Mn", "Mc", "Me"}


def _cut_position(text: str, window: int) -> int:
    """Return where to cut ``text`` so that the first part ends within ``window``."""
    head = text[: window + 1]  # a boundary right after the window still fits
    latest = 0
    for pattern in BOUNDARIES:
        if pattern is SENTENCE:  # cut after the punctuation, before the space
            ends = [match.end() - 1 for match in pattern.finditer(head)]
        else:
            ends = [match.start() for match in pattern.finditer(head)]
        ends = [end for end in ends if 0 < end <= window]
        if ends and ends[-1] >= window // 2:
            return ends[-1]
        if ends:
            latest = max(latest, ends[-1])
    if latest:
        return latest
    cut = window
    while cut > 1 and cut < len(text) and _is_sticky(text[cut]):
        cut -= 1
    return cut


def split_text(text: str, limit: int, length: Length = utf16_len) -> List[str]:
    """Split ``text`` into parts of at most ``limit``, in order.

    Cuts at a paragraph break if one lies in the second half of the allowed length,
    else at a line break, else after a sentence, else at a space; only a text with
    none of these is cut inside a word (never between a letter and its accents).
    Whitespace at the cuts is dropped; nothing else is lost.

    Args:
        text: the reply.
        limit: the channel's maximum length of one message.
        length: how the channel counts length (UTF-16 code units by default).

    Returns:
        The parts; empty when ``text`` is blank.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    rest = text.strip()
    parts: List[str] = []
    while rest and length(rest) > limit:
        window = max(1, _fitting_prefix(rest, limit, length))
        cut = _cut_position(rest, window)
        part = rest[:cut].rstrip()
        if not part:  # only whitespace before the cut: cut inside the text instead
            part = rest[:window]
            cut = window
        parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def normalize_reply(text: str) -> str:
    """Return a client's reply reduced for matching: case, spacing, outer punctuation.

    ``" STOP! "`` and ``"stop"`` give the same result, as do ``"2."`` and ``"2"``;
    accents and letters inside the text are kept.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(text.split())
    start, end = 0, len(text)
    while start < end and _is_outer_mark(text[start]):
        start += 1
    while end > start and _is_outer_mark(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_outer_mark(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in {"P", "S"}


def parse_number(text: str) -> int | None:
    """Return the number a reply consists of, in any script's digits (``২`` is 2), or None."""
    reply = normalize_reply(text)
    if not reply or len(reply) > 6:
        return None
    digits = [unicodedata.decimal(char, None) for char in reply]
    if any(digit is None for digit in digits):
        return None
    return int("".join(str(digit) for digit in digits))


def choose_button(text: str, buttons: Sequence[Dict[str, str]]) -> Dict[str, str] | None:
    """Return the button a reply picks: its number in the list, or its title.

    Args:
        text: the client's reply, e.g. ``"2"``, ``"২"`` or ``"cost of a loan"``.
        buttons: the buttons offered, in the order they were numbered.

    Returns:
        The chosen button, or None when the reply is not a choice.
    """
    if not buttons:
        return None
    number = parse_number(text)
    if number is not None:
        return buttons[number - 1] if 1 <= number <= len(buttons) else None
    reply = normalize_reply(text)
    for button in buttons:
        if reply and normalize_reply(button.get("title", "")) == reply:
            return button
    return None
