from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from bot.i18n.conversation import conversation_language


def user(text: str, detected: str | None = None, named: str | None = None) -> UserUttered:
    entities = [{"entity": "language", "value": named}] if named else []
    parse = {"intent": {"name": "greet"}, "entities": entities, "detected_language": detected}
    return UserUttered(text, parse["intent"], entities, parse)


def test_nothing_known_gives_none() -> None:
    assert conversation_language([]) is None
    assert conversation_language([user("ok")]) is None


def test_follows_the_language_the_client_writes_in() -> None:
    events = [user("habari", "sw"), ActionExecuted("utter_greet"), user("hola", "es")]
    assert conversation_language(events) == "es"


def test_a_message_that_says_too_little_keeps_the_language() -> None:
    events = [user("habari", "sw"), ActionExecuted("utter_greet"), user("2")]
    assert conversation_language(events) == "sw"


def test_a_named_language_wins_over_the_writing() -> None:
    assert conversation_language([user("speak swahili", "en", named="sw")]) == "sw"


def test_slot_events_and_event_dicts_count() -> None:
    events = [user("hello", "en").as_dict(), SlotSet("language", "bn").as_dict()]
    assert conversation_language(events) == "bn"
