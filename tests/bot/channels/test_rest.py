import pytest

from bot.channels.rest import MAX_MESSAGE_CHARS, RequestError, RestInput, parse_body


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        b"[]",
        b'"text"',
        b'{"sender": "a"}',
        b'{"message": 5}',
        b'{"message": null}',
        b'{"message": "hi", "sender": ""}',
        b'{"message": "hi", "sender": 12}',
        b'{"message": "hi", "metadata": [1]}',
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(raw: bytes) -> None:
    with pytest.raises(RequestError) as error:
        parse_body(raw)
    assert str(error.value)


def test_a_huge_message_is_refused() -> None:
    raw = ('{"message": "' + "a" * (MAX_MESSAGE_CHARS + 1) + '"}').encode()
    with pytest.raises(RequestError):
        parse_body(raw)


def test_a_well_formed_body_passes_even_with_empty_text() -> None:
    assert parse_body(b'{"message": "", "sender": "a"}') == {
        "message": "",
        "sender": "a",
        "metadata": None,
    }
    assert parse_body(b'{"message": "hi"}')["sender"] == "default"


def test_the_channel_keeps_the_rest_webhook_name() -> None:
    assert RestInput.name() == "rest"
