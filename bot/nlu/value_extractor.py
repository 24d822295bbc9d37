"""Rasa NLU component: entities with normalised values, in every language.

Adds the entities of docs/nlu.md that bot.nlu.values finds (amount, currency, rate,
rate_period, duration, duration_unit, frequency, interest_method, topic) to each message,
reading number words in the message's ``detected_language`` (set by the language detector
before it) and in English. ``topic`` is only kept for the intents that take a topic
(``topic_intents``: lessons and quizzes), so that "2% interest" in a loan question is not
tagged as a lesson topic; likewise ``concept`` (a glossary term, ``bot.nlu.concepts``) is
only looked for in ``concept_intents`` (definitions). It needs no tokens and no training:

    - name: bot.nlu.value_extractor.ValueExtractor
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import concepts, numbers, values

logger = logging.getLogger(__name__)

DETECTED_LANGUAGE = "detected_language"
MIXED_LANGUAGE = "en"
CONFIDENCE = 1.0

# Config keys.
MAX_CHARS = "max_chars"
LOCALES_DIR = "locales_dir"
CURRENCIES_FILE = "currencies_file"
TOPIC_INTENTS = "topic_intents"
CONCEPT_INTENTS = "concept_intents"
TOPIC = "topic"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ValueExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts amounts, rates, durations, frequencies, methods and topics by rules."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Return the default config.

        ``max_chars``: characters of a message read (the rest is ignored);
        ``locales_dir`` / ``currencies_file``: data files (default: the project's);
        ``topic_intents``: the intents for which a ``topic`` entity is kept;
        ``concept_intents``: the intents for which glossary terms are looked for.
        """
        return {
            TOPIC_INTENTS: ["start_lesson", "start_quiz", "show_progress"],
            CONCEPT_INTENTS: ["ask_definition"],
            MAX_CHARS: values.MAX_CHARS,
            LOCALES_DIR: None,
            CURRENCIES_FILE: None,
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        """Create the extractor; data files are read on first use."""
        self.component_config = {**self.get_default_config(), **config}
        locales_dir = self.component_config[LOCALES_DIR]
        self._locales_dir = Path(locales_dir) if locales_dir else None
        self._currencies_file = Path(
            self.component_config[CURRENCIES_FILE] or values.CURRENCIES_FILE
        )
        self._max_chars = max(0, int(self.component_config[MAX_CHARS]))
        self._topic_intents = set(self.component_config[TOPIC_INTENTS] or [])
        self._concept_intents = set(self.component_config[CONCEPT_INTENTS] or [])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ValueExtractor:
        """Create the component (see parent class for full docstring)."""
        return cls(config)

    @property
    def lexicon(self) -> numbers.Lexicon:
        """Return the number words (loaded once per process)."""
        return numbers.load_lexicon(self._locales_dir)

    @property
    def terms(self) -> values.Terms:
        """Return the phrases and currencies (loaded once per process)."""
        return values.load_terms(self._locales_dir, self._currencies_file)

    def process(self, messages: List[Message]) -> List[Message]:
        """Append the extracted entities to each message's entities."""
        for message in messages:
            extracted = self.add_extractor_name(self.extract(message))
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + extracted,
                add_to_output=True,
            )
        return messages

    def extract(self, message: Message) -> List[Dict[str, Any]]:
        """Return the entities of one message; never raises.

        Args:
            message: The message (its text and ``detected_language``).

        Returns:
            Entity dicts with entity, value, start, end and confidence.
        """
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return []
        detected = message.get(DETECTED_LANGUAGE)
        languages = [detected, MIXED_LANGUAGE] if isinstance(detected, str) else None
        try:
            entities = values.extract_values(
                text[: self._max_chars],
                languages,
                lexicon=self.lexicon,
                terms=self.terms,
            )
        except Exception:  # a bad message must not break the pipeline
            logger.exception("Value extraction failed for a message of %d chars.", len(text))
            return []
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if intent not in self._topic_intents:
            entities = [e for e in entities if e[ENTITY_ATTRIBUTE_TYPE] != TOPIC]
        if intent in self._concept_intents:
            found = concepts.find_concepts(text[: self._max_chars], languages)
            entities = sorted(entities + found, key=lambda e: (e["start"], e["end"]))
        for entity in entities:
            entity[ENTITY_ATTRIBUTE_CONFIDENCE] = CONFIDENCE
        return entities
