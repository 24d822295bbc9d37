from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.console.events import decode, events_table_exists, latest_input_channel, load_events

from .fakes import EventWriter


def test_load_events_in_order_after_an_id_and_the_last_ones(
    engine: Engine, writer: EventWriter
) -> None:
    for text in ("one", "two", "three"):
        writer.user("a", text, channel="telegram")
    writer.user("b", "other", channel="whatsapp")
    with engine.connect() as connection:
        assert events_table_exists(connection)
        every = load_events(connection, "a")
        assert [e.data["text"] for e in every] == ["one", "two", "three"]
        assert [e.data["text"] for e in load_events(connection, "a", after_id=every[0].id)] == [
            "two",
            "three",
        ]
        assert [e.data["text"] for e in load_events(connection, "a", limit=2)] == ["two", "three"]
    assert latest_input_channel(every) == "telegram"
    assert latest_input_channel([]) is None


def test_decode_tolerates_bad_json() -> None:
    assert decode(None) == {} and decode("{oops") == {} and decode("[1]") == {}
    assert decode('{"event": "user"}') == {"event": "user"}
