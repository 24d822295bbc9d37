"""The conversation's language and texts for connector replies."""

from __future__ import annotations

from rasa.shared.core.events import SlotSet, UserUttered

from bot.channels.conversation import ConversationContext, supported_language
from bot.i18n.conversation import conversation_language

from .conftest import FakeAgent


def test_supported_language() -> None:
    assert supported_language("es") == "es"
    assert supported_language("fr-CA") == "fr"
    assert supported_language("hi_Latn") == "hi_Latn"
    assert supported_language("pt-br") is None
    assert supported_language(None) is None


async def test_render_in_the_conversation_language(agent: FakeAgent) -> None:
    context = ConversationContext(agent, "whatsapp")
    tracker = await agent.tracker_store.get_or_create_tracker("c1")
    tracker.update(SlotSet("language", "es"))
    await agent.tracker_store.save(tracker)
    assert await context.language("c1") == "es"
    text = await context.render("utter_channel_reply_with_number", "c1", choices="1 o 2")
    assert text == "Responde 1 o 2."
    forced = await context.render("utter_channel_reply_with_number", "c1", "fr", choices="1")
    assert forced == "Répondez 1."


async def test_unknown_conversation_uses_the_hint_then_the_default(agent: FakeAgent) -> None:
    context = ConversationContext(agent, "telegram")
    assert await context.language("nobody", hint="bn") == "bn"
    assert await context.language("nobody", hint="de") == "en"


async def test_without_an_agent_texts_come_from_the_domain_file() -> None:
    context = ConversationContext(None, "whatsapp")
    assert await context.language("x") == "en"
    text = await context.render("utter_channel_location_not_supported", "x", language="sw")
    assert text.startswith("Siwezi kutumia mahali")
    assert await context.render("utter_does_not_exist", "x") == ""


async def test_language_hint_is_set_once_before_the_first_message(agent: FakeAgent) -> None:
    context = ConversationContext(agent, "telegram")
    assert await context.apply_language_hint("c2", "sw") == "sw"
    assert await context.apply_language_hint("c2", "fr") is None
    tracker = await agent.tracker_store.retrieve("c2")
    assert conversation_language(tracker.events) == "sw"


async def test_language_hint_does_not_override_a_known_language(agent: FakeAgent) -> None:
    context = ConversationContext(agent, "telegram")
    tracker = await agent.tracker_store.get_or_create_tracker("c3")
    tracker.update(UserUttered("hola", parse_data={"detected_language": "es"}))
    await agent.tracker_store.save(tracker)
    assert await context.apply_language_hint("c3", "fr") is None
    assert await context.apply_language_hint("c4", "pt") is None
    assert await context.apply_language_hint("c4", None) is None
