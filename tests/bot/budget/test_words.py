"""The per-language budget words and labels (bot/budget/words.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.budget.words import (
    KIND_AND,
    KIND_CATEGORY,
    KIND_DONE,
    KIND_INCOME_WORD,
    KIND_MONTH_NAME,
    SOURCE_LANGUAGE,
    budget_words,
    label_languages,
    normalise,
    reading_languages,
    tokenize,
)
from bot.finance.budget import Category, Frequency
from bot.i18n.languages import language_codes
from bot.settings import PROJECT_ROOT

TEST_FILE = """
labels:
  categories: {food: Chakula}
words:
  income: [earn*, gives me]
  done: [that's all]
  and: [and]
  categories:
    food: [food, school food]
  months: [[jan*], [feb]]
"""


def write_language(folder: Path, code: str, text: str) -> None:
    (folder / f"{code}.yml").write_text(text, encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_language(tmp_path, "xx", TEST_FILE)
    write_language(tmp_path, SOURCE_LANGUAGE, "labels:\n  categories: {food: Food, rent: Rent}\n")
    return tmp_path


def test_matching_ignores_case_latin_accents_nuktas_and_joiners() -> None:
    assert normalise("DÉPENSE") == "depense"
    assert normalise("ज़्यादा") == normalise("ज्यादा")
    assert normalise("খরচ\u200c") == normalise("খরচ")
    # marks of other scripts are kept: they change the word
    assert normalise("खर्च") != normalise("खरच")


def test_words_keep_their_place_in_the_text() -> None:
    tokens = tokenize("I earn 12,000!")
    assert [(t.key, t.start, t.end) for t in tokens] == [
        ("i", 0, 1),
        ("earn", 2, 6),
        ("12", 7, 9),
        ("000", 10, 13),
    ]


def test_phrases_wildcards_and_the_longest_phrase_win(data_dir: Path) -> None:
    words = budget_words(("xx",), data_dir)
    text = "She gives me 100 and earns more for school food"
    hits = words.find(text)
    assert [(hit.kind, hit.value) for hit in hits] == [
        (KIND_INCOME_WORD, KIND_INCOME_WORD),
        (KIND_AND, KIND_AND),
        (KIND_INCOME_WORD, KIND_INCOME_WORD),
        (KIND_CATEGORY, "food"),
    ]
    assert text[hits[-1].start : hits[-1].end] == "school food"
    months = words.find("by January or feb")
    assert [(hit.kind, hit.value) for hit in months] == [
        (KIND_MONTH_NAME, "1"),
        (KIND_MONTH_NAME, "2"),
    ]


def test_a_message_of_words_only_is_covered(data_dir: Path) -> None:
    words = budget_words(("xx",), data_dir)
    text = "That's all"
    hits = words.find(text)
    assert [hit.kind for hit in hits] == [KIND_DONE]
    assert words.covers(text, hits)
    assert not words.covers("that's all thanks", words.find("that's all thanks"))


def test_labels_come_from_the_first_language_then_english(data_dir: Path) -> None:
    words = budget_words(("xx",), data_dir)
    assert words.categories["food"] == "Chakula"
    assert words.categories["rent"] == "Rent"
    assert budget_words(("missing",), data_dir).phrases == ()


def test_a_category_typo_in_the_data_fails_loudly(tmp_path: Path) -> None:
    write_language(tmp_path, "xx", "words:\n  categories:\n    fod: [food]\n")
    write_language(tmp_path, SOURCE_LANGUAGE, "labels: {}\n")
    with pytest.raises(ValueError):
        budget_words(("xx",), tmp_path)


def test_messages_are_read_in_the_conversation_detected_and_source_languages() -> None:
    assert reading_languages("sw", "hi_Latn") == ("sw", "hi_Latn", SOURCE_LANGUAGE)
    assert reading_languages("en", "en") == ("en",)
    assert reading_languages("fr", "klingon") == ("fr", SOURCE_LANGUAGE)
    assert reading_languages("fr", None) == ("fr", SOURCE_LANGUAGE)
    assert label_languages("bn") == ("bn", SOURCE_LANGUAGE)
    assert label_languages(SOURCE_LANGUAGE) == (SOURCE_LANGUAGE,)


@pytest.mark.parametrize("code", language_codes())
def test_every_language_has_budget_words_and_labels(code: str) -> None:
    path = PROJECT_ROOT / "data" / "budget" / f"{code}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    labels = data["labels"]
    assert set(labels["categories"]) == {c.value for c in Category}
    assert set(labels["frequencies"]) == {f.value for f in Frequency}
    assert set(labels["each_period"]) == {"week", "month"}
    words = data["words"]
    for kind in ("income", "expense", "done", "skip", "cancel", "forget", "week", "month", "and"):
        assert words[kind], f"{code}: no {kind} words"
    assert set(words["categories"]) == {c.value for c in Category}
    assert len(words["months"]) == 12
    assert budget_words((code,)).phrases
