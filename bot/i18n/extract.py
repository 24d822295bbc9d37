"""Keeps the catalogs in step with domain.yml: extract templates, check translations.

domain.yml is split into topics by comment lines ``# --- <topic> ---``; each topic's
response texts and button titles become ``locales/templates/<topic>.pot``, the template
that ``pybabel update -D <topic>`` merges into ``locales/<code>/LC_MESSAGES/<topic>.po``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n.catalog import SOURCE_LANGUAGE, read_catalog_folder
from bot.i18n.languages import languages

TOPIC_MARKER = re.compile(r"^\s*#\s*---\s*(\w+)\s*---\s*$")
RESPONSE_KEY = re.compile(r"^  (utter_\w+):\s*$")
DEFAULT_TOPIC = "basics"


@dataclass(frozen=True)
class SourceString:
    """One translatable string of a response."""

    topic: str
    context: str
    msgid: str
    line: int


def response_topics(domain_text: str) -> Dict[str, Tuple[str, int]]:
    """Maps each response name to its topic and line, from the domain's topic markers."""
    topics: Dict[str, Tuple[str, int]] = {}
    topic = DEFAULT_TOPIC
    in_responses = False
    for number, line in enumerate(domain_text.splitlines(), start=1):
        if re.match(r"^\w", line):
            in_responses = line.startswith("responses:")
            topic = DEFAULT_TOPIC
            continue
        marker = TOPIC_MARKER.match(line)
        if marker:
            topic = marker.group(1)
            continue
        key = RESPONSE_KEY.match(line)
        if in_responses and key:
            topics[key.group(1)] = (topic, number)
    return topics


def source_strings(domain_path: Path) -> List[SourceString]:
    """Returns every translatable string of the domain's responses, in order."""
    text = domain_path.read_text(encoding="utf-8")
    responses = yaml.safe_load(text).get("responses") or {}
    topics = response_topics(text)
    found: List[SourceString] = []
    seen: Set[Tuple[str, str]] = set()
    for name, variations in responses.items():
        topic, line = topics.get(name, (DEFAULT_TOPIC, 0))
        for variation in variations or []:
            texts = [variation.get("text")]
            texts += [button.get("title") for button in variation.get("buttons") or []]
            for msgid in texts:
                if msgid and (name, msgid) not in seen:
                    seen.add((name, msgid))
                    found.append(SourceString(topic, name, msgid, line))
    return found


def write_templates(domain_path: Path, templates_dir: Path) -> List[Path]:
    """Writes one ``.pot`` template per topic; returns the paths written."""
    by_topic: Dict[str, Catalog] = {}
    for item in source_strings(domain_path):
        catalog = by_topic.setdefault(
            item.topic, Catalog(project="MFI Assistant", domain=item.topic)
        )
        catalog.add(item.msgid, context=item.context, locations=[(domain_path.name, item.line)])
    templates_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for topic, catalog in sorted(by_topic.items()):
        path = templates_dir / f"{topic}.pot"
        with open(path, "wb") as handle:
            write_po(handle, catalog, width=100, sort_output=False)
        written.append(path)
    return written


def placeholders(text: str) -> Set[str]:
    """Returns the ``{variable}`` names used in a response text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_catalogs(domain_path: Path, locales_dir: Path) -> List[str]:
    """Returns one problem per missing or broken translation (empty when all is well)."""
    problems: List[str] = []
    strings = source_strings(domain_path)
    for language in languages():
        if language.code == SOURCE_LANGUAGE:
            continue
        catalog = read_catalog_folder(locales_dir / language.code)
        for item in strings:
            translated = catalog.get((item.context, item.msgid))
            if translated is None:
                problems.append(f"{language.code}: {item.context} missing: {item.msgid!r}")
            elif placeholders(translated) != placeholders(item.msgid):
                problems.append(
                    f"{language.code}: {item.context} placeholders differ: {translated!r}"
                )
    return problems


def iter_missing(domain_path: Path, locales_dir: Path, code: str) -> Iterator[SourceString]:
    """Yields the strings that language ``code`` has not translated yet."""
    catalog = read_catalog_folder(locales_dir / code)
    for item in source_strings(domain_path):
        if (item.context, item.msgid) not in catalog:
            yield item
