"""With the trained model: messages held through the REST channel, stored by Rasa's SQL
tracker store, show in the console with their intents and confidences."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

import pytest
from starlette.testclient import TestClient

from bot.console.auth import Role

pytestmark = pytest.mark.model

SENDER = "rest-client-0001"


def test_rest_conversation_shows_in_the_console(
    trained_agent: Any, db_url: str, client_as: Callable[[Role], TestClient]
) -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(trained_agent.domain, dialect="sqlite", db=db_url[len("sqlite:///") :])
    previous = trained_agent.tracker_store
    trained_agent.tracker_store = store
    trained_agent.processor.tracker_store = store
    try:
        for text in ("hello", "bye"):
            message = UserMessage(text, CollectingOutputChannel(), SENDER, input_channel="rest")
            asyncio.run(trained_agent.handle_message(message))
    finally:
        trained_agent.tracker_store = previous
        trained_agent.processor.tracker_store = previous
        store.engine.dispose()
    supervisor = client_as(Role.SUPERVISOR)
    listing = supervisor.get("/conversations").text
    assert SENDER in listing and "greet" in listing and "rest" in listing
    summary = listing.split(SENDER)[0].rsplit('href="/conversations/', 1)[1].split('"')[0]
    transcript = supervisor.get(f"/conversations/{summary}").text
    assert "hello" in transcript and 'class="intent">greet<' in transcript
    assert 'class="confidence' in transcript
    assert Path(db_url[len("sqlite:///") :]).exists()
