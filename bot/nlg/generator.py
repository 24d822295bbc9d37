"""Rasa NLG that renders every response in the conversation's language.

Configured in endpoints.yml as ``nlg: {type: bot.nlg.generator.CatalogNLG}``: Rasa
creates it in-process from the domain. It picks a response variation as Rasa's own
templated NLG does, translates its text and button titles through the gettext
catalogs (``bot.i18n``) into the conversation's language (``bot.i18n.conversation``), then fills
the ``{variables}`` from slots and the values the action passed.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Dict, Optional, Text

from rasa.core.nlg import interpolator
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.i18n import resolve_language, translate
from bot.i18n.conversation import conversation_language

logger = logging.getLogger(__name__)

ESCAPED_BRACE = "{{"


def translate_response(response: Dict[str, Any], name: str, language: str) -> Dict[str, Any]:
    """Returns a copy of a response variation with text and button titles translated."""
    translated = copy.deepcopy(response)
    if translated.get("text"):
        translated["text"] = translate(language, name, translated["text"])
    for button in translated.get("buttons") or []:
        if button.get("title"):
            button["title"] = translate(language, name, button["title"])
    return translated


class CatalogNLG(TemplatedNaturalLanguageGenerator):
    """Renders domain responses translated into the conversation's language."""

    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        """Creates the generator from the domain's (English) responses."""
        super().__init__((domain or Domain.empty()).responses)
        self.endpoint_config = endpoint_config

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        """Generates ``utter_action`` in the language of ``tracker``'s conversation."""
        filled_slots = tracker.current_slot_values()
        language = resolve_language(conversation_language(tracker.events))
        return self.generate_in_language(
            utter_action, language, filled_slots, output_channel, **kwargs
        )

    def generate_in_language(
        self,
        utter_action: Text,
        language: str,
        filled_slots: Dict[Text, Any],
        output_channel: Text = "",
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        """Generates a response in a given language (also used by channels)."""
        response = self._random_response_for(utter_action, output_channel, filled_slots)
        if response is None:
            logger.error("No response named %s in the domain.", utter_action)
            return None
        translated = translate_response(response, utter_action, language)
        return self._fill_response(translated, filled_slots, **kwargs)

    def _fill_response(
        self,
        response: Dict[Text, Any],
        filled_slots: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> Dict[Text, Any]:
        """Fills ``{variables}`` in the text and button titles, and in payloads that ask for it.

        The braces of an intent payload (``/inform{"frequency":"weekly"}``) are not
        variables: Rasa's own NLG tries them anyway and logs an error for each. A payload
        is filled only when it escapes its own braces (``/start_quiz{{"topic":"{topic}"}}``).
        """
        values = self._response_variables(filled_slots, kwargs)
        if response.get("text"):
            response["text"] = interpolator.interpolate_text(response["text"], values)
        for button in response.get("buttons") or []:
            if button.get("title"):
                button["title"] = interpolator.interpolate_text(button["title"], values)
            payload = button.get("payload")
            if isinstance(payload, str) and ESCAPED_BRACE in payload:
                button["payload"] = interpolator.interpolate_text(payload, values)
        return response
