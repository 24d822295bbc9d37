"""Number parsing in every language (bot/nlu/numbers.py and locales/<code>/numbers.yml)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.numbers import (
    NUMBERS_FILE,
    language_codes,
    load_lexicon,
    normalize_key,
    parse_numbers,
    tokenize,
)
from bot.settings import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"
CODES = language_codes(LOCALES)
EVERY_WORD_1_TO_99 = ("hi", "hi_Latn", "bn")
SW, ES, FR, HI, HIL, BN, EN = (
    ["sw", "en"],
    ["es", "en"],
    ["fr", "en"],
    ["hi", "en"],
    ["hi_Latn", "en"],
    ["bn", "en"],
    ["en"],
)


def found(text: str, languages: list[str] | None = None) -> list[tuple[str, Decimal]]:
    return [(text[n.start : n.end], n.value) for n in parse_numbers(text, languages)]


@pytest.mark.parametrize(
    ("text", "languages", "expected"),
    [
        # digits and separators
        ("10,000", EN, [("10,000", 10000)]),
        ("10 000", FR, [("10 000", 10000)]),
        ("10\u202f000", FR, [("10\u202f000", 10000)]),
        ("10.000", ES, [("10.000", 10000)]),
        ("1.500.000", ES, [("1.500.000", 1500000)]),
        ("10.000,50", ES, [("10.000,50", Decimal("10000.50"))]),
        ("10,000.50", EN, [("10,000.50", Decimal("10000.50"))]),
        ("2.5", EN, [("2.5", Decimal("2.5"))]),
        ("2,5", ES, [("2,5", Decimal("2.5"))]),
        ("2,5", FR, [("2,5", Decimal("2.5"))]),
        ("2,5", EN, [("2", 2), ("5", 5)]),
        ("20000.50", EN, [("20000.50", Decimal("20000.5"))]),
        ("1,50,000", HIL, [("1,50,000", 150000)]),
        ("12,50,000", HI, [("12,50,000", 1250000)]),
        ("१०,०००", HI, [("१०,०००", 10000)]),
        ("१,५०,०००", HI, [("१,५०,०००", 150000)]),
        ("১০০০০", BN, [("১০০০০", 10000)]),
        ("১০,০০০ টাকা", BN, [("১০,০০০", 10000)]),
        # suffixes and digit + multiplier words
        ("10k", EN, [("10k", 10000)]),
        ("50K", SW, [("50K", 50000)]),
        ("2m", EN, [("2m", 2000000)]),
        ("1.5m", EN, [("1.5m", 1500000)]),
        ("1.5 lakh", EN, [("1.5 lakh", 150000)]),
        ("2 lakhs", EN, [("2 lakhs", 200000)]),
        ("1 crore", HIL, [("1 crore", 10000000)]),
        ("2cr", HIL, [("2cr", 20000000)]),
        ("10 elfu", SW, [("10 elfu", 10000)]),
        ("elfu 10", SW, [("elfu 10", 10000)]),
        ("5 hazaar", HIL, [("5 hazaar", 5000)]),
        ("5hazar", HIL, [("5hazar", 5000)]),
        ("5 mil", ES, [("5 mil", 5000)]),
        ("5 mille", FR, [("5 mille", 5000)]),
        ("5 हज़ार", HI, [("5 हज़ार", 5000)]),
        ("5 हजार", HI, [("5 हजार", 5000)]),
        ("৫ হাজার", BN, [("৫ হাজার", 5000)]),
        ("2 lakh 50 hazaar", HIL, [("2 lakh 50 hazaar", 250000)]),
        # Kiswahili: multiplier first
        ("elfu kumi", SW, [("elfu kumi", 10000)]),
        ("laki mbili", SW, [("laki mbili", 200000)]),
        ("mia tano", SW, [("mia tano", 500)]),
        ("elfu kumi na mia tano", SW, [("elfu kumi na mia tano", 10500)]),
        ("elfu mia mbili", SW, [("elfu mia mbili", 200000)]),
        ("elfu kumi na tano", SW, [("elfu kumi na tano", 15000)]),
        ("laki mbili na elfu hamsini", SW, [("laki mbili na elfu hamsini", 250000)]),
        ("mia mbili hamsini", SW, [("mia mbili hamsini", 250)]),
        ("milioni moja na nusu", SW, [("milioni moja na nusu", 1500000)]),
        ("shilingi elfu moja mia tano", SW, [("elfu moja mia tano", 1500)]),
        # Spanish
        ("diez mil", ES, [("diez mil", 10000)]),
        ("doscientos cincuenta", ES, [("doscientos cincuenta", 250)]),
        ("un millón", ES, [("un millón", 1000000)]),
        ("un millon y medio", ES, [("un millon y medio", 1500000)]),
        ("dos millones quinientos mil", ES, [("dos millones quinientos mil", 2500000)]),
        ("mil quinientos", ES, [("mil quinientos", 1500)]),
        ("treinta y cinco", ES, [("treinta y cinco", 35)]),
        ("ciento cincuenta mil", ES, [("ciento cincuenta mil", 150000)]),
        # French
        ("dix mille", FR, [("dix mille", 10000)]),
        ("quatre-vingt-dix", FR, [("quatre-vingt-dix", 90)]),
        ("quatre vingt dix neuf", FR, [("quatre vingt dix neuf", 99)]),
        ("soixante-dix-sept", FR, [("soixante-dix-sept", 77)]),
        ("soixante et onze", FR, [("soixante et onze", 71)]),
        ("vingt et un", FR, [("vingt et un", 21)]),
        ("deux cent cinquante", FR, [("deux cent cinquante", 250)]),
        ("deux mille cinq cents", FR, [("deux mille cinq cents", 2500)]),
        ("cent mille", FR, [("cent mille", 100000)]),
        ("un million et demi", FR, [("un million et demi", 1500000)]),
        # English
        ("ten thousand", EN, [("ten thousand", 10000)]),
        ("one and a half lakh", EN, [("one and a half lakh", 150000)]),
        ("two hundred and fifty thousand", EN, [("two hundred and fifty thousand", 250000)]),
        ("twenty-five thousand", EN, [("twenty-five thousand", 25000)]),
        ("a thousand five hundred", EN, [("a thousand five hundred", 1500)]),
        ("fifteen hundred", EN, [("fifteen hundred", 1500)]),
        ("half a million", EN, [("half a million", 500000)]),
        ("Ten Thousand", EN, [("Ten Thousand", 10000)]),
        # Hindi, romanised Hindi, Bengali
        ("दस हज़ार", HI, [("दस हज़ार", 10000)]),
        ("पाँच सौ", HI, [("पाँच सौ", 500)]),
        ("डेढ़ लाख", HI, [("डेढ़ लाख", 150000)]),
        ("ढाई हजार", HI, [("ढाई हजार", 2500)]),
        ("साढ़े तीन हज़ार", HI, [("साढ़े तीन हज़ार", 3500)]),
        ("एक करोड़", HI, [("एक करोड़", 10000000)]),
        ("das hazaar", HIL, [("das hazaar", 10000)]),
        ("dus hajar", HIL, [("dus hajar", 10000)]),
        ("dedh lakh", HIL, [("dedh lakh", 150000)]),
        ("dhai hazaar", HIL, [("dhai hazaar", 2500)]),
        ("sava lakh", HIL, [("sava lakh", 125000)]),
        ("saadhe teen hazaar", HIL, [("saadhe teen hazaar", 3500)]),
        ("paune do lakh", HIL, [("paune do lakh", 175000)]),
        ("do sau pachas", HIL, [("do sau pachas", 250)]),
        ("pachees hazar", HIL, [("pachees hazar", 25000)]),
        ("দশ হাজার", BN, [("দশ হাজার", 10000)]),
        ("পাঁচশো", BN, [("পাঁচশো", 500)]),
        ("পাচশো", BN, [("পাচশো", 500)]),
        ("দেড় লাখ", BN, [("দেড় লাখ", 150000)]),
        ("এক হাজার পাঁচশো", BN, [("এক হাজার পাঁচশো", 1500)]),
        # several numbers, and numbers that must not merge
        ("20000 and 6 months", EN, [("20000", 20000), ("6", 6)]),
        ("2 lakh 50", HIL, [("2 lakh", 200000), ("50", 50)]),
        ("mil dos mil", ES, [("mil", 1000), ("dos mil", 2000)]),
        ("five six", EN, [("five", 5), ("six", 6)]),
        ("10000 na 5000", SW, [("10000", 10000), ("5000", 5000)]),
        # ordinals are not numbers
        ("1st", EN, []),
        ("2e", FR, []),
        ("4to", ES, []),
    ],
)
def test_parse_numbers(text: str, languages: list[str], expected: list[tuple]) -> None:
    assert found(text, languages) == [(surface, Decimal(value)) for surface, value in expected]


@pytest.mark.parametrize(
    ("text", "languages"),
    [
        ("do you have loans", EN),
        ("do you have loans", None),
        ("so how much is it", EN),
        ("do so", EN),
        ("I sat there", EN),
        ("un préstamo", EN),
        ("une question", EN),
        ("once a week", EN),
        ("la mía", ES),
        ("sawa", EN),
        ("tera naam", SW),
        ("what is APR", EN),
        ("", EN),
    ],
)
def test_ambiguous_words_of_other_languages_are_not_numbers(
    text: str, languages: list[str] | None
) -> None:
    assert parse_numbers(text, languages) == []


@pytest.mark.parametrize(
    ("text", "languages", "value"),
    [
        ("do", HIL, 2),
        ("char", HIL, 4),
        ("un", ES, 1),
        ("une", FR, 1),
        ("mia", SW, 100),
        ("do lakh", EN, 200000),
        ("ek hazaar", None, 1000),
        ("un millón", EN, 1000000),
    ],
)
def test_ambiguous_words_count_in_their_language_or_next_to_a_number_word(
    text: str, languages: list[str] | None, value: int
) -> None:
    assert [(n.value, n.ambiguous) for n in parse_numbers(text, languages)] == [
        (Decimal(value), False)
    ]


def test_ambiguous_numbers_are_returned_flagged_when_asked() -> None:
    numbers = parse_numbers("do saal", EN, include_ambiguous=True)
    assert [(n.value, n.ambiguous, n.start, n.end) for n in numbers] == [(2, True, 0, 2)]
    assert parse_numbers("do saal", EN) == []


def test_digits_drop_ambiguous_words_around_them() -> None:
    assert found("50 cents", EN) == [("50", 50)]
    assert found("sawa 5000", EN) == [("5000", 5000)]


def test_number_attributes() -> None:
    (number,) = parse_numbers("nataka elfu kumi", SW)
    assert number.has_multiplier and number.has_words and not number.plain
    (plain,) = parse_numbers("0712345678", EN)
    assert plain.plain and not plain.has_multiplier
    (suffix,) = parse_numbers("10k", EN)
    assert suffix.has_multiplier and not suffix.has_words


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Millón", "millon"),
        ("INTÉRÊT", "interet"),
        ("हज़ार", "हजार"),
        ("पाँच", "पांच"),
        ("পাঁচ", "পাচ"),
        ("％", "%"),
    ],
)
def test_normalize_key(raw: str, key: str) -> None:
    assert normalize_key(raw) == key


def test_tokens_keep_offsets_of_the_original_text() -> None:
    text = "मुझे ₹१०,००० चाहिए, quatre-vingt l'an"
    tokens = tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == [
        "मुझे",
        "₹",
        "१०,०००",
        "चाहिए",
        ",",
        "quatre",
        "vingt",
        "l",
        "an",
    ]
    assert tokens[2].value == 10000


# --- data files -----------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that fails on duplicate keys."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    keys = [loader.construct_object(key) for key, _ in node.value]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"duplicate keys {duplicates} at {node.start_mark}"
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def read_numbers(code: str) -> dict:
    return yaml.load((LOCALES / code / NUMBERS_FILE).read_text(encoding="utf-8"), _UniqueKeyLoader)


def test_every_language_has_number_and_term_files() -> None:
    assert set(CODES) == {"en", "sw", "es", "fr", "hi", "hi_Latn", "bn"}
    for code in CODES:
        assert (LOCALES / code / NUMBERS_FILE).exists(), code
        assert (LOCALES / code / "terms.yml").exists(), code


@pytest.mark.parametrize("code", EVERY_WORD_1_TO_99)
def test_every_number_word_from_1_to_99_is_listed(code: str) -> None:
    values = {Decimal(str(v)) for v in read_numbers(code)["values"].values()}
    missing = [n for n in range(1, 100) if Decimal(n) not in values]
    assert not missing, f"{code} lacks words for {missing}"


@pytest.mark.parametrize("code", CODES)
def test_every_number_word_reads_back_as_its_value(code: str) -> None:
    data = read_numbers(code)
    wrong = []
    for section in ("values", "multipliers"):
        for word, value in data[section].items():
            numbers = parse_numbers(str(word), [code])
            got = [(n.start, n.end, n.value) for n in numbers]
            if got != [(0, len(str(word)), Decimal(str(value)))]:
                wrong.append((word, value, got))
    assert not wrong


@pytest.mark.parametrize("code", CODES)
def test_ambiguous_words_are_number_words_of_their_language(code: str) -> None:
    data = read_numbers(code)
    words = {normalize_key(str(w)) for s in ("values", "multipliers", "modifiers") for w in data[s]}
    stray = [w for w in data["ambiguous"] if normalize_key(str(w)) not in words]
    assert not stray


def test_a_new_language_is_only_a_numbers_file(tmp_path: Path) -> None:
    (tmp_path / "languages.yml").write_text("languages:\n  - code: id\n", encoding="utf-8")
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / NUMBERS_FILE).write_text(
        "values: {satu: 1, dua: 2, sepuluh: 10, seratus: 100}\n"
        "multipliers: {ribu: 1000, juta: 1000000}\n"
        "suffixes: {rb: 1000}\n",
        encoding="utf-8",
    )
    lexicon = load_lexicon(tmp_path)
    text = "pinjam sepuluh ribu atau 2 juta atau 50rb"
    assert [(text[n.start : n.end], n.value) for n in parse_numbers(text, lexicon=lexicon)] == [
        ("sepuluh ribu", 10000),
        ("2 juta", 2000000),
        ("50rb", 50000),
    ]


# --- properties -----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from([None, EN, SW, ES, FR, HI, HIL, BN]))
def test_any_text_gives_spans_inside_the_text(text: str, languages: list[str] | None) -> None:
    numbers = parse_numbers(text, languages, include_ambiguous=True)
    previous_end = 0
    for number in numbers:
        assert previous_end <= number.start < number.end <= len(text)
        previous_end = number.end


_NUMBER_WORDS = st.sampled_from(
    "one two ten thousand lakh and a half elfu kumi na mia tano nusu diez mil y medio un "
    "dix mille cent et demi quatre vingt do ek so sau hazaar dedh sava saadhe paune "
    "दस हज़ार साढ़े দশ হাজার দেড় 5 10k 2,5 1.500 , . % x".split()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NUMBER_WORDS, max_size=12), st.sampled_from([None, EN, SW, ES, HIL]))
def test_any_mix_of_number_words_parses(words: list[str], languages: list[str] | None) -> None:
    text = " ".join(words)
    for number in parse_numbers(text, languages, include_ambiguous=True):
        assert 0 <= number.start < number.end <= len(text)
        assert number.value >= 0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_digits_read_back(number: int) -> None:
    commas = f"{number:,}"
    assert [n.value for n in parse_numbers(commas, EN)] == [number]
    assert [n.value for n in parse_numbers(commas.replace(",", "."), ES)] == [number]
    assert [n.value for n in parse_numbers(commas.replace(",", " "), FR)] == [number]
    devanagari = str(number).translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    bengali = str(number).translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert [n.value for n in parse_numbers(devanagari, HI)] == [number]
    assert [n.value for n in parse_numbers(bengali, BN)] == [number]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=100_000, max_value=10**11))
def test_indian_grouping_reads_back(number: int) -> None:
    digits = str(number)
    head, last3 = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    indian = ",".join([head, *pairs, last3])
    assert [n.value for n in parse_numbers(indian, HIL)] == [number]
