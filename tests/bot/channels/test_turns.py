"""A turn never ends in silence, and a turn that cannot be locked or stored is refused."""

from __future__ import annotations

import pytest
import redis.exceptions
import sqlalchemy.exc
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SlotSet, UserUttered

from bot.channels.conversation import ConversationContext
from bot.channels.turns import (
    NOT_UNDERSTOOD,
    TEMPORARY_PROBLEM,
    CountingOutput,
    TurnOutcome,
    run_turn,
)
from bot.i18n.conversation import LANGUAGE

from .conftest import FakeAgent


def message(text: str = "hello", sender: str = "client-1") -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest")


async def in_language(agent: FakeAgent, sender: str, code: str) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker(sender)
    tracker.update(SlotSet(LANGUAGE, code))
    await agent.tracker_store.save(tracker)


async def apology(agent: FakeAgent, code: str) -> str:
    return await ConversationContext(agent, "rest").render(TEMPORARY_PROBLEM, language=code)


async def test_an_answered_turn_is_passed_through(agent: FakeAgent) -> None:
    incoming = message()
    collector = incoming.output_channel

    async def answer(user_message: UserMessage) -> None:
        await user_message.output_channel.send_response("client-1", {"text": "Hello!"})

    outcome = await run_turn(answer, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.ANSWERED
    assert [m["text"] for m in collector.messages] == ["Hello!"]


@pytest.mark.parametrize("code", ["sw", "bn", "en"])
async def test_a_silent_turn_gets_an_apology_in_the_clients_language(
    agent: FakeAgent, code: str
) -> None:
    await in_language(agent, "client-1", code)
    incoming = message()
    collector = incoming.output_channel

    async def silent(_: UserMessage) -> None:
        return None

    outcome = await run_turn(silent, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.APOLOGIZED
    expected = await apology(agent, code)
    assert expected and [m["text"] for m in collector.messages] == [expected]
    if code != "en":
        assert expected != await apology(agent, "en")


async def test_a_failing_turn_gets_an_apology_not_a_trace(agent: FakeAgent) -> None:
    incoming = message()

    async def broken(_: UserMessage) -> None:
        raise RuntimeError("Traceback: boom")

    collector = incoming.output_channel
    outcome = await run_turn(broken, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.APOLOGIZED
    texts = [m["text"] for m in collector.messages]
    assert texts == [await apology(agent, "en")]


async def test_a_paused_conversation_stays_quiet(agent: FakeAgent) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker("client-1")
    tracker.update(ConversationPaused())
    await agent.tracker_store.save(tracker)
    incoming = message()

    async def paused(user_message: UserMessage) -> None:
        stored = await agent.tracker_store.retrieve(user_message.sender_id)
        stored.update(UserUttered(user_message.text))
        await agent.tracker_store.save(stored)

    collector = incoming.output_channel
    outcome = await run_turn(paused, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.PAUSED
    assert collector.messages == []


@pytest.mark.parametrize(
    "error",
    [
        LockError("Error while acquiring lock"),
        redis.exceptions.ConnectionError("Connection refused"),
        sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("server closed")),
    ],
)
async def test_storage_failures_are_refused_silently(
    agent: FakeAgent, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    incoming = message()

    async def unavailable(_: UserMessage) -> None:
        raise error

    collector = incoming.output_channel
    outcome = await run_turn(unavailable, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.UNAVAILABLE
    assert collector.messages == []
    assert "could not be locked or stored" in caplog.text


async def test_the_counting_output_keeps_the_channel_name() -> None:
    inner = CollectingOutputChannel()
    counting = CountingOutput(inner)
    assert counting.name() == inner.name()
    await counting.send_response("x", {"text": "one"})
    await counting.send_response("x", {"text": "two", "buttons": [{"title": "a", "payload": "/a"}]})
    assert counting.sent == 2 and len(inner.messages) == 2


async def test_a_turn_that_only_listened_asks_the_client_to_rephrase(agent: FakeAgent) -> None:
    await in_language(agent, "client-1", "fr")
    incoming = message("a+")
    collector = incoming.output_channel

    async def listened(user_message: UserMessage) -> None:
        tracker = await agent.tracker_store.retrieve(user_message.sender_id)
        tracker.update(UserUttered(user_message.text, {"name": "inform", "confidence": 0.6}))
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await agent.tracker_store.save(tracker)

    outcome = await run_turn(listened, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.NOT_UNDERSTOOD
    expected = await ConversationContext(agent, "rest").render(NOT_UNDERSTOOD, language="fr")
    assert [m["text"] for m in collector.messages] == [expected]


async def test_an_action_that_failed_silently_gets_the_apology(agent: FakeAgent) -> None:
    incoming = message("what is APR?")
    collector = incoming.output_channel

    async def failed(user_message: UserMessage) -> None:
        tracker = await agent.tracker_store.get_or_create_tracker(user_message.sender_id)
        tracker.update(UserUttered(user_message.text, {"name": "ask_definition"}))
        tracker.update(ActionExecuted("action_define_term"))  # its events were lost
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await agent.tracker_store.save(tracker)

    outcome = await run_turn(failed, incoming, ConversationContext(agent, "rest"))
    assert outcome is TurnOutcome.APOLOGIZED
    assert [m["text"] for m in collector.messages] == [await apology(agent, "en")]
