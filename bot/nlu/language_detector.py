"""Rasa NLU component: tags each message with its language and a named language.

- ``detected_language`` (a message attribute, kept in the parse data and so in the
  tracker store) when it is sure which language the message is written in; the value
  extractor after it reads the number words of that language;
- the ``language`` entity when the client names a language ("speak Swahili").

``bot.i18n.conversation.conversation_language`` turns these into the conversation's
language: the newest named or detected language wins, and a message that says too
little ("ok", "2") keeps the language the conversation had.

Training learns marker words from ``data/nlu/<code>/`` (words seen in one language's
examples only) and stores them with the model.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language import (
    LanguageIdentifier,
    default_nlu_dir,
    learn_markers,
    read_examples_by_language,
)

logger = logging.getLogger(__name__)

DETECTED_LANGUAGE = "detected_language"
LANGUAGE = "language"
CHOOSE_LANGUAGE_INTENT = "choose_language"
MARKERS_FILE = "markers.json"
SHORT_MESSAGE_WORDS = 4


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Detects the language of messages and languages named in them."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (``nlu_data_dir``: per-language data)."""
        return {"nlu_data_dir": None}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        markers: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        """Creates the component."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._markers = markers or {}
        self._identifier: Optional[LanguageIdentifier] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        """Creates a new, untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageDetector":
        """Loads the component with the markers learned in training."""
        markers: Dict[str, List[str]] = {}
        try:
            with model_storage.read_from(resource) as directory:
                markers = json.loads((Path(directory) / MARKERS_FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("No learned language markers found; using the lexicons only.")
        return cls(config, model_storage, resource, markers)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns marker words from the per-language training data folders."""
        nlu_dir = Path(self._config.get("nlu_data_dir") or default_nlu_dir())
        self._markers = learn_markers(read_examples_by_language(nlu_dir))
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / MARKERS_FILE).write_text(
                json.dumps(self._markers, ensure_ascii=False), "utf-8"
            )
        return self._resource

    @property
    def identifier(self) -> LanguageIdentifier:
        """The language identifier (built on first use)."""
        if self._identifier is None:
            self._identifier = LanguageIdentifier(self._markers)
        return self._identifier

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data unchanged (entities here are not trained)."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``detected_language`` and adds the ``language`` entity when named."""
        for message in messages:
            text = message.get(TEXT) or ""
            detected = self.identifier.detect(text)
            message.set(DETECTED_LANGUAGE, detected, add_to_output=True)
            entities = list(message.get(ENTITIES, []))
            named = self._named_language(message, text, detected)
            if named:
                entities.append(self._entity(LANGUAGE, named, text))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def _named_language(
        self, message: Message, text: str, detected: Optional[str]
    ) -> Optional[str]:
        intent = (message.get(INTENT) or {}).get("name")
        short = len(text.split()) <= SHORT_MESSAGE_WORDS
        if intent != CHOOSE_LANGUAGE_INTENT and not short:
            return None
        return self.identifier.named_language(text, detected)

    @staticmethod
    def _entity(name: str, value: str, text: str) -> Dict[str, Any]:
        return {
            "entity": name,
            "value": value,
            "start": 0,
            "end": len(text),
            "confidence": 1.0,
            "extractor": LanguageDetector.__name__,
        }
