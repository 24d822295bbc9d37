from __future__ import annotations

import pytest

from bot.console.masking import BULLET, Masker, mask_id, mask_text, mask_value


def test_whatsapp_id_keeps_channel_country_and_last_digits() -> None:
    assert mask_id("whatsapp:+254712345612") == "whatsapp:+2547" + BULLET * 6 + "12"


@pytest.mark.parametrize(
    "conversation_id",
    ["telegram:987654321", "sms:+254700000001", "3f2a9c0d8e7b4a6c9d1e2f3a4b5c6d7e"],
)
def test_masked_ids_hide_the_middle(conversation_id: str) -> None:
    masked = mask_id(conversation_id)
    assert len(masked) == len(conversation_id)
    assert BULLET in masked
    assert masked[-2:] == conversation_id[-2:]
    digits = sum(ch.isdigit() for ch in masked.rpartition(":")[2])
    assert digits <= len(conversation_id.rpartition(":")[2]) // 2 + 1


def test_short_values_are_fully_masked() -> None:
    assert mask_value("1234") == BULLET * 4
    assert mask_id("") == ""


@pytest.mark.parametrize(
    "text",
    [
        "call me on 0712 345 678 please",
        "my number is +254-712-345-678",
        "write to amina.k@example.org",
    ],
)
def test_phone_numbers_and_emails_in_text_are_masked(text: str) -> None:
    masked = mask_text(text)
    assert BULLET in masked
    assert "345" not in masked and "amina.k@example" not in masked


@pytest.mark.parametrize("text", ["I want 20000 for 6 months", "1,500,000 at 2%", "১০০০০ টাকা"])
def test_amounts_are_not_mistaken_for_phone_numbers(text: str) -> None:
    assert mask_text(text) == text


def test_masker_does_nothing_for_staff_who_may_see_data() -> None:
    assert Masker(unmasked=True).id("whatsapp:+254712345612") == "whatsapp:+254712345612"
    assert Masker(unmasked=True).text("0712 345 678") == "0712 345 678"
    assert BULLET in Masker(unmasked=False).text("0712 345 678")
    assert Masker(unmasked=False).text(None) == ""
