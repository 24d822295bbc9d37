from __future__ import annotations

from bot.console.events import StoredEvent
from bot.console.transcript import item_of, transcript


def event(kind: str, data: dict, event_id: int = 1) -> StoredEvent:
    return StoredEvent(event_id, "c", kind, 100.0, {"event": kind, **data})


def test_client_message_with_intent_confidence_entities_and_ranking() -> None:
    item = item_of(
        event(
            "user",
            {
                "text": "20000 for 6 months",
                "input_channel": "telegram",
                "parse_data": {
                    "intent": {"name": "calculate_loan", "confidence": 0.91},
                    "entities": [{"entity": "amount", "value": 20000, "extractor": "X"}],
                    "intent_ranking": [
                        {"name": "calculate_loan", "confidence": 0.91},
                        {"name": "inform", "confidence": 0.05},
                    ],
                    "detected_language": "en",
                    "input_problem": None,
                },
            },
        )
    )
    assert item is not None
    assert (item.kind, item.text, item.intent, item.confidence) == (
        "user",
        "20000 for 6 months",
        "calculate_loan",
        0.91,
    )
    assert [(e.name, e.value) for e in item.entities] == [("amount", "20000")]
    assert item.ranking == (("inform", 0.05),)
    assert (item.channel, item.detected_language) == ("telegram", "en")


def test_bot_message_and_staff_reply() -> None:
    bot = item_of(
        event(
            "bot",
            {
                "text": "Choose",
                "metadata": {"utter_action": "utter_menu"},
                "data": {"buttons": [{"title": "Loans", "payload": "/x"}]},
            },
        )
    )
    staff = item_of(event("bot", {"text": "Hello, Mary here", "metadata": {"staff": "mary"}}))
    assert bot is not None and staff is not None
    assert (bot.buttons, bot.action, bot.staff) == (("Loans",), "utter_menu", None)
    assert staff.staff == "mary"


def test_actions_slots_and_system_events() -> None:
    items = transcript(
        [
            event("action", {"name": "action_listen"}, 1),
            event("action", {"name": "utter_greet", "policy": "RulePolicy", "confidence": 1}, 2),
            event("slot", {"name": "budget", "value": {"income": 100}}, 3),
            event("pause", {}, 4),
            event("user_featurization", {}, 5),
            event("active_loop", {"name": "complaint_form"}, 6),
        ]
    )
    assert [item.kind for item in items] == ["action", "slot", "system", "system"]
    assert items[0].action == "utter_greet" and items[0].policy == "RulePolicy"
    assert items[1].value == '{"income": 100}'
    assert items[2].text.startswith("Bot paused")
    assert items[3].text == "Form: complaint_form"
