"""Rasa NLU component: turns unreadable input into a clean fallback.

A message that is too long, or that has no letters and no digits (only emoji or
punctuation, or nothing), gets the ``nlu_fallback`` intent with full confidence and an
``input_problem`` attribute (``too_long`` or ``no_text``), so the fallback action can say
exactly what went wrong instead of guessing an intent from noise.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

INPUT_PROBLEM = "input_problem"
TOO_LONG = "too_long"
NO_TEXT = "no_text"


def input_problem(text: Optional[str], max_chars: int) -> Optional[str]:
    """Returns what makes ``text`` unreadable, or None when it can be read."""
    text = (text or "").strip()
    if text.startswith("/"):
        return None
    if len(text) > max_chars:
        return TOO_LONG
    if not any(char.isalnum() for char in text):
        return NO_TEXT
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class InputGuard(GraphComponent):
    """Marks unreadable messages as a fallback with the reason."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """``max_chars``: longer messages are not interpreted."""
        return {"max_chars": 1000}

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Creates the component."""
        self.max_chars = int(config["max_chars"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "InputGuard":
        """Creates the component."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Overrides the intent of unreadable messages with ``nlu_fallback``."""
        for message in messages:
            problem = input_problem(message.get(TEXT), self.max_chars)
            if problem is None:
                continue
            intent = {
                INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: 1.0,
            }
            message.set(INTENT, intent, add_to_output=True)
            ranking = [intent] + list(message.get(INTENT_RANKING_KEY) or [])
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(INPUT_PROBLEM, problem, add_to_output=True)
        return messages
