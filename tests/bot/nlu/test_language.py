from pathlib import Path

import pytest

from bot.nlu.language import (
    LanguageIdentifier,
    dominant_script,
    learn_markers,
    read_examples_by_language,
    words,
)
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    markers = learn_markers(read_examples_by_language(PROJECT_ROOT / "data" / "nlu"))
    return LanguageIdentifier(markers)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("habari", "sw"),
        ("hola", "es"),
        ("bonjour", "fr"),
        ("নমস্কার", "bn"),
        ("नमस्ते", "hi"),
        ("hello", "en"),
        ("nataka mkopo wa elfu kumi", "sw"),
        ("loan ka interest kitna hai", "hi_Latn"),
        ("quiero un préstamo de diez mil", "es"),
        ("je veux un prêt de dix mille", "fr"),
        ("how much will i pay every month", "en"),
        ("আমার ঋণের কিস্তি কত", "bn"),
        ("मुझे लोन चाहिए", "hi"),
        ("mujhe 50k ka loan chahiye", "hi_Latn"),
        ("asante sana", "sw"),
        ("gracias", "es"),
        ("merci beaucoup", "fr"),
    ],
)
def test_detects_the_language_of_client_messages(
    identifier: LanguageIdentifier, text: str, language: str
) -> None:
    assert identifier.detect(text) == language


@pytest.mark.parametrize("text", ["ok", "2", "20000", "😀👍", "", "   ", "/greet", "hi"])
def test_too_little_evidence_gives_none(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.detect(text) is None


@pytest.mark.parametrize(
    ("text", "detected", "named"),
    [
        ("speak swahili", "en", "sw"),
        ("kiswahili tafadhali", "sw", "sw"),
        ("en español por favor", "es", "es"),
        ("বাংলায় বলো", "bn", "bn"),
        ("hindi mein baat karo", "hi_Latn", "hi_Latn"),
        ("speak hindi", "en", "hi"),
        ("english please", "en", "en"),
    ],
)
def test_names_a_language(
    identifier: LanguageIdentifier, text: str, detected: str, named: str
) -> None:
    assert identifier.named_language(text, detected) == named


def test_two_named_languages_name_none(identifier: LanguageIdentifier) -> None:
    assert identifier.named_language("english or swahili?", "en") is None


def test_learned_markers_are_words_of_one_language_only() -> None:
    markers = learn_markers({"a": ["mkopo wa pesa", "mkopo"], "b": ["the loan", "the pesa"]})
    assert markers == {"a": ["mkopo"], "b": ["the"]}


def test_words_keep_indic_vowel_signs() -> None:
    assert words("আমার ঋণ") == ["আমার", "ঋণ"]
    assert words("मुझे लोन") == ["मुझे", "लोन"]


def test_dominant_script() -> None:
    assert dominant_script("মুঝে 50k loan") in {"Bengali", "Latin"}
    assert dominant_script("১২৩") is None
    assert dominant_script("আমার লোন") == "Bengali"


def test_long_text_is_bounded(identifier: LanguageIdentifier) -> None:
    assert identifier.detect("habari " * 5000) == "sw"


def test_reads_examples_per_language_folder(tmp_path: Path) -> None:
    folder = tmp_path / "sw"
    folder.mkdir()
    (folder / "basics.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - habari\n', encoding="utf-8"
    )
    assert read_examples_by_language(tmp_path) == {"sw": ["habari"]}
