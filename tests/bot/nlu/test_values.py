"""Entities with normalised values in client messages of every language (bot/nlu/values.py)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.numbers import language_codes
from bot.nlu.values import (
    CURRENCIES_FILE,
    FREQUENCY_PERIODS,
    METHOD_VALUES,
    PERIOD_FREQUENCIES,
    TOPIC_VALUES,
    Terms,
    add_terms,
    extract_values,
    load_terms,
)
from bot.settings import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"
SW, ES, FR, HI, HIL, BN, EN = (
    ["sw", "en"],
    ["es", "en"],
    ["fr", "en"],
    ["hi", "en"],
    ["hi_Latn", "en"],
    ["bn", "en"],
    ["en"],
)
# Checked in every case (absent from `expected` means: must not be found).
STRICT = (
    "amount",
    "currency",
    "rate",
    "rate_period",
    "duration",
    "duration_unit",
    "frequency",
    "interest_method",
)

CASES: list[tuple[str, list[str] | None, dict[str, list[Any]]]] = [
    # --- English ------------------------------------------------------------------------
    (
        "how much every week if I borrow 20000 for 6 months at 2% per month flat",
        EN,
        {
            "amount": [20000],
            "duration": [6],
            "duration_unit": ["month"],
            "rate": [2],
            "rate_period": ["month"],
            "interest_method": ["flat"],
            "frequency": ["weekly"],
        },
    ),
    (
        "I earn 12000 a week and spend about 9000",
        EN,
        {"amount": [12000, 9000], "frequency": ["weekly"]},
    ),
    ("10,000", EN, {"amount": [10000]}),
    ("10k", EN, {"amount": [10000]}),
    ("50K", EN, {"amount": [50000]}),
    ("1.5 lakh", EN, {"amount": [150000]}),
    ("one and a half lakh", EN, {"amount": [150000]}),
    ("ten thousand shillings", EN, {"amount": [10000], "currency": ["KES"]}),
    ("can i afford 1500 a week", EN, {"amount": [1500], "frequency": ["weekly"]}),
    ("i want to save 50000 for school fees", EN, {"amount": [50000], "topic": ["saving"]}),
    ("how long to save 20k", EN, {"amount": [20000], "topic": ["saving"]}),
    (
        "compare 2% flat with 30% declining",
        EN,
        {"rate": [2, 30], "interest_method": ["flat", "declining"]},
    ),
    (
        "18% p.a. on reducing balance",
        EN,
        {"rate": [18], "rate_period": ["year"], "interest_method": ["declining"]},
    ),
    ("2%/mo", EN, {"rate": [2], "rate_period": ["month"]}),
    ("3 percent a month", EN, {"rate": [3], "rate_period": ["month"]}),
    ("30% APR", EN, {"rate": [30], "rate_period": ["year"]}),
    (
        "2.5% interest per month",
        EN,
        {"rate": [2.5], "rate_period": ["month"], "topic": ["interest"]},
    ),
    ("for one year", EN, {"duration": [1], "duration_unit": ["year"]}),
    ("1 yr", EN, {"duration": [1], "duration_unit": ["year"]}),
    ("18mo", EN, {"duration": [18], "duration_unit": ["month"]}),
    ("26 weeks", EN, {"duration": [26], "duration_unit": ["week"]}),
    ("90 days", EN, {"duration": [90], "duration_unit": ["day"]}),
    ("i pay every two weeks", EN, {"frequency": ["fortnightly"]}),
    ("fortnightly", EN, {"frequency": ["fortnightly"]}),
    ("how much per month", EN, {"frequency": ["monthly"]}),
    ("weekly", EN, {"frequency": ["weekly"]}),
    ("i repay after every harvest", EN, {"frequency": ["seasonal"], "topic": ["repayment"]}),
    ("ksh 10,000", EN, {"amount": [10000], "currency": ["KES"]}),
    ("$500 loan", EN, {"amount": [500], "currency": ["USD"]}),
    ("10k bob a week", EN, {"amount": [10000], "currency": ["KES"], "frequency": ["weekly"]}),
    ("Rs.5000/- per month", EN, {"amount": [5000], "currency": ["INR"], "frequency": ["monthly"]}),
    ("i was scammed, someone asked for my PIN", EN, {"topic": ["digital_safety"]}),
    ("help me make a budget", EN, {"topic": ["budgeting"]}),
    ("i am in debt", EN, {"topic": ["borrowing"]}),
    # false positives
    ("do you have loans", EN, {}),
    ("2", EN, {}),
    ("what is APR", EN, {}),
    ("i have 3 children", EN, {}),
    ("call me on 0712345678", EN, {}),
    ("+254712345678", EN, {}),
    ("come on 12/05/2024 at 10:30", EN, {}),
    ("so how much is it", EN, {}),
    ("hi bob", EN, {}),
    ("option 1st", EN, {}),
    # --- Kiswahili ----------------------------------------------------------------------
    ("nataka mkopo wa elfu kumi", SW, {"amount": [10000]}),
    ("elfu kumi", SW, {"amount": [10000]}),
    ("mkopo wa 10k", SW, {"amount": [10000]}),
    ("napata elfu tano kwa siku", SW, {"amount": [5000], "frequency": ["daily"]}),
    (
        "laki mbili kwa miezi sita",
        SW,
        {"amount": [200000], "duration": [6], "duration_unit": ["month"]},
    ),
    ("kwa miezi 6", SW, {"duration": [6], "duration_unit": ["month"]}),
    ("wiki 26", SW, {"duration": [26], "duration_unit": ["week"]}),
    ("mwaka mmoja", SW, {"duration": [1], "duration_unit": ["year"]}),
    ("asilimia 2 kwa mwezi", SW, {"rate": [2], "rate_period": ["month"]}),
    (
        "riba ya asilimia 10 kila mwezi",
        SW,
        {"rate": [10], "rate_period": ["month"], "topic": ["interest"]},
    ),
    (
        "shilingi elfu kumi na mia tano kila wiki",
        SW,
        {"amount": [10500], "currency": ["KES"], "frequency": ["weekly"]},
    ),
    ("nalipa kwa wiki", SW, {"frequency": ["weekly"]}),
    ("kila wiki mbili nalipa 2000", SW, {"amount": [2000], "frequency": ["fortnightly"]}),
    ("nalipa kila mavuno", SW, {"frequency": ["seasonal"]}),
    (
        "riba inayopungua au riba ya kudumu",
        SW,
        {"interest_method": ["declining", "flat"], "topic": ["interest"]},
    ),
    ("nataka kuweka akiba", SW, {"topic": ["saving"]}),
    ("nimetapeliwa na tapeli", SW, {"topic": ["digital_safety"]}),
    ("sawa", SW, {}),
    # --- Spanish ------------------------------------------------------------------------
    ("diez mil", ES, {"amount": [10000]}),
    ("diez mil al mes", ES, {"amount": [10000], "frequency": ["monthly"]}),
    ("un préstamo", ES, {}),
    (
        "quiero un préstamo de 5 mil bolivianos a 12 meses",
        ES,
        {"amount": [5000], "currency": ["BOB"], "duration": [12], "duration_unit": ["month"]},
    ),
    ("2,5% mensual", ES, {"rate": [2.5], "rate_period": ["month"]}),
    (
        "3% al mes sobre saldos",
        ES,
        {"rate": [3], "rate_period": ["month"], "interest_method": ["declining"]},
    ),
    ("seis meses", ES, {"duration": [6], "duration_unit": ["month"]}),
    ("gano 800 bs por semana", ES, {"amount": [800], "currency": ["BOB"], "frequency": ["weekly"]}),
    ("pago cada quince días", ES, {"frequency": ["fortnightly"]}),
    ("pago por cosecha", ES, {"frequency": ["seasonal"]}),
    ("tasa fija o tasa sobre saldo deudor", ES, {"interest_method": ["flat", "declining"]}),
    ("quiero hacer un presupuesto", ES, {"topic": ["budgeting"]}),
    ("me quieren estafar", ES, {"topic": ["digital_safety"]}),
    ("once veces", EN, {}),
    # --- French -------------------------------------------------------------------------
    ("dix mille", FR, {"amount": [10000]}),
    (
        "je veux emprunter 200 000 FCFA sur 12 mois",
        FR,
        {"amount": [200000], "currency": ["XOF"], "duration": [12], "duration_unit": ["month"]},
    ),
    ("2,5 % par mois", FR, {"rate": [2.5], "rate_period": ["month"]}),
    ("taux dégressif ou taux fixe", FR, {"interest_method": ["declining", "flat"]}),
    ("6 mois", FR, {"duration": [6], "duration_unit": ["month"]}),
    (
        "50 000 francs chaque semaine",
        FR,
        {"amount": [50000], "currency": ["XOF"], "frequency": ["weekly"]},
    ),
    ("deux cent cinquante mille par mois", FR, {"amount": [250000], "frequency": ["monthly"]}),
    ("c'est une arnaque", FR, {"topic": ["digital_safety"]}),
    ("une question", FR, {}),
    # --- Hindi (Devanagari) -------------------------------------------------------------
    ("दस हज़ार", HI, {"amount": [10000]}),
    (
        "मुझे 6 महीने के लिए 20,000 रुपये का लोन चाहिए",
        HI,
        {"amount": [20000], "currency": ["INR"], "duration": [6], "duration_unit": ["month"]},
    ),
    ("छह महीने", HI, {"duration": [6], "duration_unit": ["month"]}),
    ("2 प्रतिशत प्रति माह", HI, {"rate": [2], "rate_period": ["month"]}),
    ("हर हफ्ते 1500 रुपये", HI, {"amount": [1500], "currency": ["INR"], "frequency": ["weekly"]}),
    ("डेढ़ लाख का कर्ज़", HI, {"amount": [150000], "topic": ["borrowing"]}),
    ("₹१०,००० हर महीने", HI, {"amount": [10000], "currency": ["INR"], "frequency": ["monthly"]}),
    ("ब्याज कैसे काम करता है", HI, {"topic": ["interest"]}),
    # --- romanised Hindi ----------------------------------------------------------------
    ("das hazaar", HIL, {"amount": [10000]}),
    ("das hazaar mahina", HIL, {"amount": [10000], "frequency": ["monthly"]}),
    ("das hazaar mahina", None, {"amount": [10000], "frequency": ["monthly"]}),
    (
        "1.5 lakh ka loan 2 saal ke liye 18% salana",
        HIL,
        {
            "amount": [150000],
            "duration": [2],
            "duration_unit": ["year"],
            "rate": [18],
            "rate_period": ["year"],
        },
    ),
    ("dedh lakh", HIL, {"amount": [150000]}),
    ("dhai hazaar har hafte", HIL, {"amount": [2500], "frequency": ["weekly"]}),
    ("6 mahine", HIL, {"duration": [6], "duration_unit": ["month"]}),
    ("do saal", EN, {"duration": [2], "duration_unit": ["year"]}),
    ("2% mahine ka", HIL, {"rate": [2], "rate_period": ["month"]}),
    ("roz 500 kamata hoon", HIL, {"amount": [500], "frequency": ["daily"]}),
    ("loan ka interest kitna", HIL, {"topic": ["interest"]}),
    ("kisht late ho gayi", HIL, {"topic": ["repayment"]}),
    ("ghatta hua byaj", HIL, {"interest_method": ["declining"], "topic": ["interest"]}),
    ("ek so rupees", HIL, {"amount": [100], "currency": ["INR"]}),
    ("do you know", EN, {}),
    # --- Bengali ------------------------------------------------------------------------
    ("১০০০০", BN, {"amount": [10000]}),
    ("দশ হাজার টাকা", BN, {"amount": [10000], "currency": ["BDT"]}),
    ("৬ মাস", BN, {"duration": [6], "duration_unit": ["month"]}),
    ("২% মাসিক", BN, {"rate": [2], "rate_period": ["month"]}),
    (
        "মাসে ২% সুদে ৫০০০০ টাকা ঋণ",
        BN,
        {
            "rate": [2],
            "rate_period": ["month"],
            "amount": [50000],
            "currency": ["BDT"],
            "topic": ["interest", "borrowing"],
        },
    ),
    (
        "প্রতি সপ্তাহে ৫০০ টাকা কিস্তি",
        BN,
        {"amount": [500], "currency": ["BDT"], "frequency": ["weekly"], "topic": ["repayment"]},
    ),
    ("৳৫০০০", BN, {"amount": [5000], "currency": ["BDT"]}),
    ("দেড় লাখ টাকা", BN, {"amount": [150000], "currency": ["BDT"]}),
    ("আমি সঞ্চয় করতে চাই", BN, {"topic": ["saving"]}),
]


def grouped(entities: list[dict[str, Any]]) -> dict[str, list[Any]]:
    by_type: dict[str, list[Any]] = defaultdict(list)
    for entity in entities:
        by_type[entity["entity"]].append(entity["value"])
    return by_type


def test_the_table_covers_every_language() -> None:
    assert len(CASES) >= 80
    covered = {code for _, languages, _ in CASES for code in languages or []}
    assert set(language_codes(LOCALES)) <= covered


@pytest.mark.parametrize(("text", "languages", "expected"), CASES)
def test_values(text: str, languages: list[str] | None, expected: dict[str, list[Any]]) -> None:
    entities = extract_values(text, languages)
    got = grouped(entities)
    for entity in STRICT:
        assert got.get(entity, []) == expected.get(entity, []), (entity, entities)
    if "topic" in expected:
        assert got["topic"] == expected["topic"], entities
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert text[entity["start"] : entity["end"]].strip()


@pytest.mark.parametrize(
    ("text", "languages", "spans"),
    [
        ("nataka mkopo wa elfu kumi", SW, [("amount", "elfu kumi")]),
        (
            "ksh 10,000 kwa wiki",
            SW,
            [("currency", "ksh"), ("amount", "10,000"), ("frequency", "kwa wiki")],
        ),
        ("asilimia 2 kwa mwezi", SW, [("rate", "asilimia 2"), ("rate_period", "kwa mwezi")]),
        ("6 months at 2%", EN, [("duration", "6"), ("duration_unit", "months"), ("rate", "2%")]),
        ("दस हज़ार", HI, [("amount", "दस हज़ार")]),
    ],
)
def test_spans_cover_the_words(text: str, languages: list[str], spans: list[tuple]) -> None:
    entities = extract_values(text, languages)
    assert [(e["entity"], text[e["start"] : e["end"]]) for e in entities] == spans


def test_values_are_ints_when_whole_else_floats() -> None:
    entities = extract_values("1.5 lakh at 2.5% for 1.5 years", EN)
    assert [(e["entity"], e["value"], type(e["value"])) for e in entities] == [
        ("amount", 150000, int),
        ("rate", 2.5, float),
        ("duration", 1.5, float),
        ("duration_unit", "year", str),
    ]


def test_topics_and_methods_are_given_once() -> None:
    entities = extract_values("budget budget flat flat", EN)
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("topic", "budgeting"),
        ("interest_method", "flat"),
    ]


def test_every_terms_file_uses_known_values() -> None:
    terms = load_terms(LOCALES, CURRENCIES_FILE)
    assert isinstance(terms, Terms)
    assert set(PERIOD_FREQUENCIES.values()) == set(FREQUENCY_PERIODS)
    assert len(METHOD_VALUES) == 2 and len(TOPIC_VALUES) == 6


def test_an_unknown_value_in_a_terms_file_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown value"):
        add_terms(Terms(), {"topics": {"gardening": ["seeds"]}}, "test")


def test_a_new_language_is_only_data(tmp_path: Path) -> None:
    (tmp_path / "languages.yml").write_text("languages:\n  - code: id\n", encoding="utf-8")
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "numbers.yml").write_text(
        "values: {sepuluh: 10, enam: 6}\nmultipliers: {ribu: 1000}\n", encoding="utf-8"
    )
    (tmp_path / "id" / "terms.yml").write_text(
        "units: {month: [bulan]}\nperiods: {week: [per minggu]}\ntopics: {saving: [tabungan]}\n",
        encoding="utf-8",
    )
    currencies = tmp_path / "currencies.yml"
    currencies.write_text("currencies:\n  IDR: {names: [rp, rupiah]}\n", encoding="utf-8")
    from bot.nlu.numbers import load_lexicon

    entities = extract_values(
        "tabungan rp sepuluh ribu per minggu enam bulan",
        ["id"],
        lexicon=load_lexicon(tmp_path),
        terms=load_terms(tmp_path, currencies),
    )
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("topic", "saving"),
        ("currency", "IDR"),
        ("amount", 10000),
        ("frequency", "weekly"),
        ("duration", 6),
        ("duration_unit", "month"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from([None, EN, SW, ES, FR, HI, HIL, BN]))
def test_any_text_never_raises_and_spans_lie_in_it(text: str, languages: list[str] | None) -> None:
    for entity in extract_values(text, languages):
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert isinstance(entity["value"], (int, float, str))


_WORDS = st.sampled_from(
    "20000 10k 2% 6 months a week per month every week kila wiki elfu kumi na kwa siku "
    "asilimia miezi sita diez mil al mes das hazaar mahina do saal ksh $ ₹ ৳ টাকা মাসে "
    "flat declining budget % / : + - , . 1.5 lakh 0712345678 12/05 p.a. un so".split()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=15), st.sampled_from([None, EN, SW, HIL, BN]))
def test_any_mix_of_value_words_gives_consistent_entities(
    words: list[str], languages: list[str] | None
) -> None:
    text = " ".join(words)
    entities = extract_values(text, languages)
    for entity in entities:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
    numeric = [e for e in entities if e["entity"] in ("amount", "rate", "duration")]
    spans = sorted((e["start"], e["end"]) for e in numeric)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), "number reused"
    units = [e for e in entities if e["entity"] == "duration_unit"]
    assert len(units) == len([e for e in entities if e["entity"] == "duration"])
