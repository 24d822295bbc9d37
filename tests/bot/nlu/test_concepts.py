"""The concept entity: glossary terms named in messages of every language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.concepts import CONCEPT, find_concepts


def values(text: str, languages=None) -> list:
    return [
        (found["value"], text[found["start"] : found["end"]])
        for found in find_concepts(text, languages)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is APR", [("apr", "APR")]),
        ("meaning of collateral", [("collateral", "collateral")]),
        (
            "what is a late fee and a processing fee?",
            [("penalty", "late fee"), ("processing_fee", "processing fee")],
        ),
        ("dhamana ni nini", [("collateral", "dhamana")]),
        ("dhamana ya kikundi ni nini", [("group_liability", "dhamana ya kikundi")]),
        ("que es la tea", [("eir", "tea")]),
        ("qué es el período de gracia", [("grace_period", "período de gracia")]),
        ("c'est quoi le TEG", [("teg", "TEG")]),
        ("c'est quoi les frais de dossier", [("processing_fee", "frais de dossier")]),
        ("गारंटर कौन होता है", [("guarantor", "गारंटर")]),
        ("ज़मानत क्या है", [("collateral", "ज़मानत")]),
        ("girvi kya hota hai", [("collateral", "girvi")]),
        ("জামানত কি", [("collateral", "জামানত")]),
        ("there is also a 2% fee", [("processing_fee", "fee")]),
        ("how are you today", []),
    ],
)
def test_terms_are_found_longest_first(text: str, expected: list) -> None:
    assert values(text) == expected


def test_entities_follow_the_nlu_contract() -> None:
    [found] = find_concepts("what does APR mean")
    assert found == {"entity": CONCEPT, "value": "apr", "start": 10, "end": 13}


def test_the_languages_limit_the_synonyms_read_english_always() -> None:
    assert values("que es una cuota", ["sw"]) == []
    assert values("que es una cuota", ["es"]) == [("installment", "cuota")]
    assert values("what is a cuota guarantor", ["sw"]) == [("guarantor", "guarantor")]


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_no_text_no_concept(text) -> None:
    assert find_concepts(text) == []


def test_another_glossary_folder_can_be_used(tmp_path: Path) -> None:
    (tmp_path / "en.yml").write_text(
        "terms:\n  chama:\n    term: Chama\n    synonyms: [chama, merry go round]\n"
        "    definition: A savings group, e.g. 10 members saving 500 a week.\n",
        encoding="utf-8",
    )
    assert [c["value"] for c in find_concepts("is a merry go round a chama", folder=tmp_path)] == [
        "chama",
        "chama",
    ]
