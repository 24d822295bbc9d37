"""Project-wide conventions: names line up across domain, actions, data and catalogs."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa_sdk import Action

import actions
from bot.i18n.extract import check_catalogs
from bot.i18n.languages import language_codes
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
MIN_EXAMPLES_PER_INTENT = 20
CONTRACT_INTENTS = set(
    re.findall(
        r"^\| (?:basics|loans|budget|lessons|support) \| (\w+) \|",
        (PROJECT_ROOT / "docs" / "nlu.md").read_text(),
        re.M,
    )
)


def action_classes() -> dict:
    found = {}
    for module in pkgutil.iter_modules(actions.__path__):
        loaded = importlib.import_module(f"actions.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == loaded.__name__:
                try:
                    found[cls().name()] = cls
                except TypeError:  # abstract helpers
                    continue
    return found


def test_every_custom_action_in_the_domain_has_a_class() -> None:
    classes = action_classes()
    custom = [a for a in DOMAIN.get("actions") or [] if not a.startswith("utter_")]
    missing = [name for name in custom if name not in classes]
    assert not missing, f"actions without a class: {missing}"


def test_every_action_class_is_in_the_domain() -> None:
    declared = set(DOMAIN.get("actions") or [])
    forms = set(DOMAIN.get("forms") or {})
    undeclared = [
        name
        for name in action_classes()
        if name not in declared and not (name.startswith("validate_") and name[9:] in forms)
    ]
    assert not undeclared, f"action classes missing from domain.yml: {undeclared}"


def test_every_response_exists_in_every_language() -> None:
    problems = check_catalogs(PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "locales")
    assert not problems, "\n".join(problems[:50])


def test_the_contract_intents_are_in_the_domain() -> None:
    assert CONTRACT_INTENTS and CONTRACT_INTENTS <= set(DOMAIN["intents"])


@pytest.mark.parametrize("code", language_codes())
def test_every_language_has_training_data_for_every_intent(code: str) -> None:
    data = load_data(str(PROJECT_ROOT / "data" / "nlu" / code))
    counts = {intent: 0 for intent in CONTRACT_INTENTS}
    for example in data.intent_examples:
        counts[example.get("intent")] = counts.get(example.get("intent"), 0) + 1
    thin = {intent: n for intent, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT}
    assert not thin, f"{code}: intents with too few examples: {thin}"


@pytest.mark.parametrize("code", language_codes())
def test_every_language_has_its_data_files(code: str) -> None:
    folder = PROJECT_ROOT / "locales" / code
    assert (folder / "language.yml").exists()


def test_topics_use_the_same_names_everywhere() -> None:
    topics = {p.stem for p in (PROJECT_ROOT / "data" / "rules").glob("*.yml")}
    topics |= {p.stem for p in (PROJECT_ROOT / "data" / "stories").glob("*.yml")}
    action_modules = {m.name for m in pkgutil.iter_modules(actions.__path__)} - {"common"}
    nlu_topics = {p.stem for p in (PROJECT_ROOT / "data" / "nlu" / "en").glob("*.yml")}
    assert topics <= nlu_topics | {"channels"}, topics - nlu_topics
    assert action_modules <= nlu_topics, action_modules - nlu_topics


def test_no_text_is_hard_coded_in_actions() -> None:
    offenders = []
    for path in Path(actions.__path__[0]).glob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"utter_message\([^)]*\btext=", line):
                offenders.append(f"{path.name}:{number}")
    assert not offenders, f"actions must utter domain responses, not text: {offenders}"
