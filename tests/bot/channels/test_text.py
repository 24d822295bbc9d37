"""Splitting long replies and reading clients' choices."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.text import (
    choose_button,
    normalize_reply,
    parse_number,
    split_text,
    utf16_len,
)

BUTTONS = [
    {"title": "Understand interest", "payload": "/explain_interest"},
    {"title": "Cost of a loan", "payload": "/calculate_loan"},
    {"title": "Hablar con una persona", "payload": "/request_human"},
]


class TestSplit:
    def test_short_text_is_one_part(self) -> None:
        assert split_text("  Hello there.  ", 1600) == ["Hello there."]

    def test_blank_text_is_nothing(self) -> None:
        assert split_text(" \n ", 10) == []

    def test_prefers_paragraphs_then_lines_then_sentences(self) -> None:
        text = "First paragraph here.\n\nSecond one. It goes on and on."
        assert split_text(text, 40) == ["First paragraph here.", "Second one. It goes on and on."]
        assert split_text("line one is long\nline two", 20) == ["line one is long", "line two"]
        assert split_text("One sentence. Two sentence here", 20) == [
            "One sentence.",
            "Two sentence here",
        ]

    def test_danda_ends_a_sentence(self) -> None:
        text = "यह पहला वाक्य है। यह दूसरा वाक्य है।"
        assert split_text(text, 20) == ["यह पहला वाक्य है।", "यह दूसरा वाक्य है।"]

    def test_word_without_spaces_is_cut_but_not_between_letter_and_accent(self) -> None:
        text = "क" + "कि" * 10  # consonant + vowel sign pairs
        parts = split_text(text, 4)
        assert "".join(parts) == text
        assert all(part[0] not in "\u093f" for part in parts)
        assert all(utf16_len(part) <= 4 for part in parts)

    def test_emoji_count_twice(self) -> None:
        text = "😀" * 5
        parts = split_text(text, 4)
        assert parts == ["😀😀", "😀😀", "😀"]

    def test_limit_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            split_text("x", 0)

    @settings(max_examples=200, deadline=None)
    @given(
        text=st.text(
            alphabet=st.sampled_from(list("abc xyz.!?\n") + ["।", "😀", "\u093f", "é"]),
            max_size=400,
        ),
        limit=st.integers(min_value=2, max_value=60),
    )
    def test_parts_fit_and_keep_everything_in_order(self, text: str, limit: int) -> None:
        parts = split_text(text, limit)
        assert all(utf16_len(part) <= limit for part in parts)
        assert all(part.strip() == part and part for part in parts)
        assert "".join("".join(parts).split()) == "".join(text.split())


class TestReplies:
    @pytest.mark.parametrize(
        ("typed", "normal"),
        [
            (" STOP! ", "stop"),
            ("2.", "2"),
            ("(2)", "2"),
            ("#3", "3"),
            ("Arrêt", "arrêt"),
            ("रोकें।", "रोकें"),
        ],
    )
    def test_normalize(self, typed: str, normal: str) -> None:
        assert normalize_reply(typed) == normal

    @pytest.mark.parametrize(
        ("typed", "number"),
        [
            ("2", 2),
            (" 12 ", 12),
            ("২", 2),
            ("३", 3),
            ("２", 2),
            ("two", None),
            ("1 2", None),
            ("", None),
        ],
    )
    def test_parse_number(self, typed: str, number: int | None) -> None:
        assert parse_number(typed) == number

    def test_choose_button_by_number_or_title(self) -> None:
        assert choose_button("2", BUTTONS)["payload"] == "/calculate_loan"
        assert choose_button("১", BUTTONS)["payload"] == "/explain_interest"
        assert choose_button("cost of a LOAN!", BUTTONS)["payload"] == "/calculate_loan"
        assert choose_button("hablar con una persona", BUTTONS)["payload"] == "/request_human"

    def test_not_a_choice(self) -> None:
        assert choose_button("4", BUTTONS) is None
        assert choose_button("0", BUTTONS) is None
        assert choose_button("5000", BUTTONS) is None
        assert choose_button("how much is a loan", BUTTONS) is None
        assert choose_button("1", []) is None
