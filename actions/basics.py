"""Basics: language choice."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import ENTITY_LANGUAGE, latest_entity, payload
from bot.i18n.languages import languages

ACTION_CHOOSE_LANGUAGE = "action_choose_language"
INTENT_CHOOSE_LANGUAGE = "choose_language"
UTTER_CHOOSE_LANGUAGE = "utter_choose_language"
UTTER_LANGUAGE_CHANGED = "utter_language_changed"


def language_buttons() -> List[Dict[str, str]]:
    """One button per supported language, titled with the language's own name."""
    return [
        {
            "title": language.native_name,
            "payload": payload(INTENT_CHOOSE_LANGUAGE, {ENTITY_LANGUAGE: language.code}),
        }
        for language in languages()
    ]


class ActionChooseLanguage(Action):
    """Confirms a language the client named, or shows the language menu."""

    def name(self) -> Text:
        """Returns the action's name."""
        return ACTION_CHOOSE_LANGUAGE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Utters the confirmation (already in the new language) or the menu."""
        if latest_entity(tracker, ENTITY_LANGUAGE):
            dispatcher.utter_message(response=UTTER_LANGUAGE_CHANGED)
        else:
            dispatcher.utter_message(response=UTTER_CHOOSE_LANGUAGE, buttons=language_buttons())
        return []


ACTION_FALLBACK = "action_fallback"
UTTER_DEFAULT = "utter_default"
UTTER_MENU = "utter_menu"
UTTER_INPUT_TOO_LONG = "utter_input_too_long"
UTTER_CANNOT_READ_INPUT = "utter_cannot_read_input"
UTTER_OFFER_HUMAN = "utter_offer_human"
INPUT_PROBLEM = "input_problem"
INPUT_PROBLEM_RESPONSES = {"too_long": UTTER_INPUT_TOO_LONG, "no_text": UTTER_CANNOT_READ_INPUT}
FALLBACKS_BEFORE_OFFERING_HUMAN = 2


def recent_fallbacks(tracker: Tracker) -> int:
    """How many of the client's latest messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        count += 1
    return count


class ActionFallback(Action):
    """Says clearly what was not understood, shows the menu, offers a person."""

    def name(self) -> Text:
        """Returns the action's name."""
        return ACTION_FALLBACK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Utters the reason (too long, no text) or "not understood" and the menu."""
        problem = (tracker.latest_message or {}).get(INPUT_PROBLEM)
        if problem in INPUT_PROBLEM_RESPONSES:
            dispatcher.utter_message(response=INPUT_PROBLEM_RESPONSES[problem])
            return []
        if recent_fallbacks(tracker) >= FALLBACKS_BEFORE_OFFERING_HUMAN:
            dispatcher.utter_message(response=UTTER_OFFER_HUMAN)
            return []
        dispatcher.utter_message(response=UTTER_DEFAULT)
        dispatcher.utter_message(response=UTTER_MENU)
        return []
