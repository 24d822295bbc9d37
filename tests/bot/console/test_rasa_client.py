from __future__ import annotations

import pytest

from bot.console.rasa_client import PAUSE, RasaClient, RasaError, staff_message

from .fakes import FakeRasa


async def test_append_and_execute_send_what_rasa_expects(fake_rasa: FakeRasa) -> None:
    client = RasaClient(fake_rasa.url + "/", token="secret")
    try:
        await client.append_events("whatsapp:+254700000001", [PAUSE, staff_message("Hi", "amina")])
        await client.execute("whatsapp:+254700000001", "utter_handoff_back")
    finally:
        await client.close()
    events, execute = fake_rasa.calls
    assert events.conversation_id == execute.conversation_id == "whatsapp:+254700000001"
    assert events.body == [
        {"event": "pause"},
        {"event": "bot", "text": "Hi", "metadata": {"staff": "amina"}},
    ]
    assert events.params == {"include_events": "NONE", "token": "secret"}
    assert execute.body == {"name": "utter_handoff_back"}
    assert execute.params["output_channel"] == "latest"


def test_conversation_ids_keep_their_characters_in_the_path() -> None:
    client = RasaClient("http://rasa:5005")
    assert client._url("whatsapp:+2547 00/1?#", "execute") == (
        "http://rasa:5005/conversations/whatsapp:+2547%2000/1%3F%23/execute"
    )


async def test_errors_become_rasa_errors(fake_rasa: FakeRasa) -> None:
    fake_rasa.fail_status = 500
    client = RasaClient(fake_rasa.url)
    with pytest.raises(RasaError, match="500"):
        await client.execute("a", "utter_x")
    await client.close()
    unreachable = RasaClient("http://127.0.0.1:9")
    with pytest.raises(RasaError, match="not reachable"):
        await unreachable.append_events("a", [PAUSE])
    await unreachable.close()
