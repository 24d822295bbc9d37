"""The conversations simulated clients hold, and the turn type of each message.

Flows are the end-to-end test stories (tests/stories: basics, loans, budget, lessons),
so every message follows a real conversation in its language; each conversation opens
with a greeting and, when no form is left open, closes with a goodbye or thanks, both
taken from the language's NLU examples (data/nlu/<lang>/basics.yml).

A message's turn type says what the assistant does to answer it, read from the
actions that follow it in the story:

- ``calculator``: a loan form or loan action (quote, schedule, comparison);
- ``budget``: the budget, affordability or savings forms and actions;
- ``lesson``: lessons, quizzes and progress;
- ``other``: any other custom action (language menu, interest, definitions, fallback);
- ``plain``: no custom action, only responses (greet, help, goodbye...).

support.yml is left out: opting out, deleting data, complaints and hand-offs would
fill the staff console's queues of the deployment under test.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Any,
    Callable,
    Collection,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
)

import yaml

from bot.i18n.catalog import translate

PLAIN = "plain"
CALCULATOR = "calculator"
BUDGET = "budget"
LESSON = "lesson"
OTHER = "other"
WHATSAPP = "whatsapp"
WHATSAPP_REPLY = "whatsapp_reply"
TURN_TYPES = (PLAIN, CALCULATOR, BUDGET, LESSON, OTHER, WHATSAPP, WHATSAPP_REPLY)

# which custom actions make which turn type (a name contains one of the words)
ACTION_WORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    (CALCULATOR, ("loan",)),
    (BUDGET, ("budget", "afford", "saving")),
    (LESSON, ("lesson", "quiz", "progress")),
)
STORY_FILES = ("basics.yml", "loans.yml", "budget.yml", "lessons.yml")
# what the channels say when a turn said nothing (a custom action failed)
APOLOGY = "utter_channel_temporary_problem"
OPENING_INTENTS = ("greet",)
CLOSING_INTENTS = ("goodbye", "thank")
DEFAULT_LANGUAGE = "en"

ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
# "... (hi_Latn)" or "basics in hi_Latn"
STORY_LANGUAGE = re.compile(r"(?:\(|\bin )([A-Za-z_]+)\)?\s*$")


@dataclass(frozen=True)
class Turn:
    """One client message and what answering it takes.

    Attributes:
        text: what the client sends (a button payload such as ``/affirm`` as it is).
        kind: the turn type (``plain``, ``calculator``...).
    """

    text: str
    kind: str


@dataclass(frozen=True)
class Script:
    """A conversation one simulated client holds from a fresh sender id.

    Attributes:
        name: the story it follows.
        flow: the story file's name without ``.yml`` (``loans``, ``budget``...).
        language: the language code of its messages.
        turns: the messages, in order.
    """

    name: str
    flow: str
    language: str
    turns: Tuple[Turn, ...]


def plain_text(annotated: str) -> str:
    """Return a training text as a client types it: ``[20000]{"entity": ..}`` -> ``20000``."""
    return ENTITY_MARKUP.sub(lambda match: match.group(1), annotated).strip()


def custom_actions(domain: Mapping[str, Any]) -> Set[str]:
    """Return the actions the action server runs: domain actions and forms it validates."""
    actions = {str(name) for name in domain.get("actions") or [] if not name.startswith("utter_")}
    forms = {str(name) for name in domain.get("forms") or {}}
    return actions | {form for form in forms if f"validate_{form}" in actions}


def classify(actions: Sequence[str], custom: Set[str]) -> str:
    """Return the turn type of a message answered by ``actions``.

    A loan, budget or lesson action decides (the first one found); any other custom
    action makes ``other``; responses alone make ``plain``.
    """
    running = [action for action in actions if action in custom]
    for action in running:
        for kind, words in ACTION_WORDS:
            if any(word in action for word in words):
                return kind
    return OTHER if running else PLAIN


def story_language(name: str, languages: Collection[str]) -> str:
    """Return the language a story's name ends with (``... (sw)``, ``basics in sw``).

    Args:
        name: the story's name.
        languages: the known language codes; a name ending otherwise is English.
    """
    match = STORY_LANGUAGE.search(name)
    return match.group(1) if match and match.group(1) in languages else DEFAULT_LANGUAGE


def story_turns(steps: Iterable[Mapping[str, Any]], custom: Set[str]) -> Tuple[List[Turn], bool]:
    """Return a story's messages with their turn types, and whether a form is left open."""
    texts: List[str] = []
    answers: List[List[str]] = []
    active_loop: Optional[str] = None
    for step in steps:
        if "user" in step:
            texts.append(plain_text(str(step["user"])))
            answers.append([])
        elif "action" in step and answers:
            answers[-1].append(str(step["action"]))
        if "active_loop" in step:
            active_loop = step["active_loop"] or None
    pairs = zip(texts, answers, strict=True)
    turns = [Turn(text, classify(actions, custom)) for text, actions in pairs]
    return turns, active_loop is not None


def apologies(
    domain: Mapping[str, Any],
    languages: Iterable[str],
    translate: Callable[[str, str, str], str],
) -> FrozenSet[str]:
    """Return the apology a channel sends for a turn that said nothing, in every language.

    Args:
        domain: the parsed domain.yml.
        languages: the language codes.
        translate: ``(language, response name, English text) -> text``.
    """
    variants = (domain.get("responses") or {}).get(APOLOGY) or []
    english = [str(variant["text"]) for variant in variants if variant.get("text")]
    return frozenset(
        translate(code, APOLOGY, text).strip() for code in languages for text in english
    )


def intent_examples(nlu: Mapping[str, Any], intents: Sequence[str]) -> List[str]:
    """Return the examples of some intents from one NLU file, as clients type them."""
    examples: List[str] = []
    for item in nlu.get("nlu") or []:
        if item.get("intent") in intents:
            for line in str(item.get("examples") or "").splitlines():
                text = plain_text(line.strip().removeprefix("- "))
                if text:
                    examples.append(text)
    return examples


@dataclass(frozen=True)
class Library:
    """Every flow and the greetings and goodbyes of every language.

    Attributes:
        flows: the stories of each flow (``basics``, ``loans``...), each with its
            messages and whether it ends with a form open.
        openings: greetings by language.
        closings: goodbyes and thanks by language.
        apologies: what the assistant says when a turn said nothing, in every language
            (an answer that is one of these is an error).
    """

    flows: Dict[str, List[Tuple[str, str, Tuple[Turn, ...], bool]]]
    openings: Dict[str, List[str]]
    closings: Dict[str, List[str]]
    apologies: FrozenSet[str] = frozenset()

    def languages(self) -> List[str]:
        """Return the language codes the flows use, sorted."""
        return sorted({story[1] for stories in self.flows.values() for story in stories})

    def draw(self, rng: random.Random) -> Script:
        """Draw a conversation: a flow at random, one of its stories, a greeting, a goodbye."""
        flow = rng.choice(sorted(self.flows))
        name, language, turns, form_open = rng.choice(self.flows[flow])
        script: List[Turn] = list(turns)
        if flow != "basics" and self.openings.get(language):
            script.insert(0, Turn(rng.choice(self.openings[language]), PLAIN))
        if not form_open and flow != "basics" and self.closings.get(language):
            script.append(Turn(rng.choice(self.closings[language]), PLAIN))
        return Script(name, flow, language, tuple(script))


def build_library(
    stories: Mapping[str, Mapping[str, Any]],
    nlu_basics: Mapping[str, Mapping[str, Any]],
    domain: Mapping[str, Any],
    translate: Optional[Callable[[str, str, str], str]] = None,
) -> Library:
    """Build the library from parsed YAML.

    Args:
        stories: story file name (``loans.yml``) -> its parsed content.
        nlu_basics: language code -> its parsed ``data/nlu/<lang>/basics.yml``.
        domain: the parsed domain.yml.
        translate: the catalogs' look-up, for the apologies (none without it).
    """
    custom = custom_actions(domain)
    flows: Dict[str, List[Tuple[str, str, Tuple[Turn, ...], bool]]] = {}
    for file_name, content in stories.items():
        flow = Path(file_name).stem
        for story in content.get("stories") or []:
            turns, form_open = story_turns(story.get("steps") or [], custom)
            if turns:
                name = str(story.get("story", ""))
                flows.setdefault(flow, []).append(
                    (name, story_language(name, nlu_basics), tuple(turns), form_open)
                )
    return Library(
        flows=flows,
        openings={code: intent_examples(nlu, OPENING_INTENTS) for code, nlu in nlu_basics.items()},
        closings={code: intent_examples(nlu, CLOSING_INTENTS) for code, nlu in nlu_basics.items()},
        apologies=apologies(domain, nlu_basics, translate) if translate else frozenset(),
    )


def _read_yaml(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_library(root: Path) -> Library:
    """Read the stories, NLU greetings, domain and apologies of the project at ``root``."""
    stories = {name: _read_yaml(root / "tests" / "stories" / name) for name in STORY_FILES}
    nlu_basics = {
        folder.name: _read_yaml(folder / "basics.yml")
        for folder in sorted((root / "data" / "nlu").iterdir())
        if (folder / "basics.yml").is_file()
    }
    return build_library(stories, nlu_basics, _read_yaml(root / "domain.yml"), translate)
