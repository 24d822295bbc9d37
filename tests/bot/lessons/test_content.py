"""The lesson content: every topic complete in every language, and the format check itself."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from bot.i18n.languages import language_codes
from bot.lessons import content
from bot.lessons.content import (
    MAX_LESSON_CHARS,
    MENU,
    NEXT,
    REPEAT,
    SOURCE_LANGUAGE,
    STOP,
    ContentError,
    check_all,
    check_commands_file,
    check_topic_file,
    check_topic_list,
    compare_with_source,
    get_commands,
    get_topic,
    load_topic,
    normalise,
    placeholders,
    render,
    topic_keys,
    validate_commands_data,
    validate_topic_data,
)

REQUIRED_TOPICS = {"budgeting", "saving", "interest", "borrowing", "repayment", "digital_safety"}
REQUIRED_LANGUAGES = {"en", "sw", "es", "fr", "hi", "bn"}
LANGUAGES = language_codes()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    content.clear_cache()


# --- the real content -------------------------------------------------------------------


def test_the_six_topics_and_languages_are_all_required() -> None:
    assert REQUIRED_TOPICS <= set(topic_keys())
    assert REQUIRED_LANGUAGES <= set(LANGUAGES)
    assert check_topic_list() == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("topic", sorted(REQUIRED_TOPICS))
def test_topic_is_complete_and_valid_in_every_language(topic: str, language: str) -> None:
    assert check_topic_file(topic, language) == []
    loaded = load_topic(topic, language)
    assert len(loaded.lessons) >= 3 and len(loaded.questions) >= 5
    for question in loaded.questions:
        assert sum(option.correct for option in question.options) == 1
        assert loaded.lesson_index(question.lesson) is not None
    for lesson in loaded.lessons:
        assert len(render(f"{lesson.title}\n\n{lesson.body}", language, "KES")) < 600


@pytest.mark.parametrize("language", LANGUAGES)
def test_navigation_words_exist_in_every_language(language: str) -> None:
    assert check_commands_file(language) == []
    commands = get_commands(language)
    assert {commands.command_for(w) for w in ("next", "repeat", "menu", "stop")} == {
        NEXT,
        REPEAT,
        MENU,
        STOP,
    }


# "stop" in English is what the issue asks for (Telegram, web); on WhatsApp and SMS the
# channel takes it as an opt-out first, so the help texts say "end" instead
CHANNEL_WORDS_ALLOWED = {"stop"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_navigation_words_are_not_channel_opt_out_or_opt_in_words(language: str) -> None:
    channel_words = set()
    for code in LANGUAGES:
        path = content.PROJECT_ROOT / "locales" / code / "channels.yml"
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for key in ("opt_out", "opt_in"):
                channel_words |= {normalise(str(word)) for word in data.get(key) or []}
    words = set().union(*get_commands(language).words.values())
    assert (words & channel_words) - CHANNEL_WORDS_ALLOWED == set()


def test_whole_content_check_agrees() -> None:
    assert check_all() == []


def test_topic_links_name_real_intents_and_glossary_concepts() -> None:
    from bot.lessons.content import topics

    domain = yaml.safe_load((content.PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    glossary_file = content.PROJECT_ROOT / "data" / "glossary" / "en.yml"
    glossary = yaml.safe_load(glossary_file.read_text(encoding="utf-8"))["terms"]
    for info in topics():
        assert info.intents <= set(domain["intents"]), info
        assert info.entities <= set(domain["entities"]), info
        assert info.concepts <= set(glossary), info


# --- the format check, on broken copies of the English source ---------------------------


def source(topic: str = "saving") -> Dict[str, Any]:
    with open(content.DEFAULT_LESSONS_DIR / topic / "en.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_english_source_passes() -> None:
    assert validate_topic_data(source(), "saving", "en") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["questions"][0]["options"][1].update(correct=True), "exactly one"),
        (lambda d: d["questions"][0]["options"][0].pop("correct"), "exactly one"),
        (lambda d: d["questions"][0]["options"][0].pop("explanation"), "missing `explanation`"),
        (lambda d: d["questions"][0].update(options=d["questions"][0]["options"][:1]), "2 to 4"),
        (lambda d: d.update(lessons=d["lessons"][:2]), "at least 3 lessons"),
        (lambda d: d.update(questions=d["questions"][:4]), "at least 5 questions"),
        (lambda d: d["lessons"][0].update(body="x " * 300), f"the limit is {MAX_LESSON_CHARS}"),
        (lambda d: d["lessons"][0].update(body="Pay {amount} now."), "unknown placeholder"),
        (lambda d: d["lessons"][1].update(id=d["lessons"][0]["id"]), "used twice"),
        (lambda d: d["lessons"][1].update(id="Save-First"), "lower_case"),
        (lambda d: d["questions"][0].update(lesson="nowhere"), "is not a lesson id"),
        (lambda d: d.update(topic="budgeting"), "`topic` must be"),
        (lambda d: d.update(extra=1), "unknown key `extra`"),
        (lambda d: d["questions"][0]["options"][1].update(explanation="One.\nTwo."), "one line"),
    ],
)
def test_format_check_finds_problems(change: Any, expected: str) -> None:
    data = source()
    change(data)
    problems = validate_topic_data(data, "saving", "en")
    assert any(expected in problem for problem in problems), problems


def test_length_is_counted_as_the_client_sees_it() -> None:
    data = source()
    # 36 placeholders of 15 characters: 575 as written, more than 600 as "KES 1,000,000.00"
    data["lessons"][0]["body"] = " ".join(["{money:1000000}"] * 36)
    assert len(data["lessons"][0]["body"]) < MAX_LESSON_CHARS
    assert any("limit" in p for p in validate_topic_data(data, "saving", "en"))


def test_translation_must_keep_the_structure() -> None:
    english = source()
    same = copy.deepcopy(english)
    same["language"] = "sw"
    assert compare_with_source(same, english, "saving", "sw") == []

    moved_answer = copy.deepcopy(same)
    options = moved_answer["questions"][0]["options"]
    options[0]["correct"], options[1]["correct"] = False, True
    assert any(
        "right answer" in p for p in compare_with_source(moved_answer, english, "saving", "sw")
    )

    other_amount = copy.deepcopy(same)
    other_amount["lessons"][0]["body"] = other_amount["lessons"][0]["body"].replace("3000", "3500")
    assert any(
        "placeholders" in p for p in compare_with_source(other_amount, english, "saving", "sw")
    )

    reordered = copy.deepcopy(same)
    reordered["questions"].reverse()
    assert any("question ids" in p for p in compare_with_source(reordered, english, "saving", "sw"))

    relinked = copy.deepcopy(same)
    relinked["questions"][0]["lesson"] = relinked["lessons"][-1]["id"]
    assert any(
        "`lesson` differs" in p for p in compare_with_source(relinked, english, "saving", "sw")
    )


def test_commands_check() -> None:
    good = {
        "language": "xx",
        "next": ["go"],
        "repeat": ["again"],
        "menu": ["menu"],
        "stop": ["stop"],
    }
    assert validate_commands_data(good, "xx") == []
    clash = dict(good, stop=["stop", "Go!"])
    assert any("both" in p for p in validate_commands_data(clash, "xx"))
    number = dict(good, next=["2"])
    assert any("answer numbers" in p for p in validate_commands_data(number, "xx"))
    no_menu = {key: value for key, value in good.items() if key != MENU}
    assert any("missing `menu`" in p for p in validate_commands_data(no_menu, "xx"))


# --- a content folder built in a test (adding a topic or a language needs no code) -----


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "_topics.yml", {"topics": [{"key": "saving"}, {"key": "extra"}]})
    write(tmp_path / "_money.yml", {"scale": {"USD": 0.01}})
    for topic in ("saving", "extra"):
        data = source()
        data["topic"] = topic
        write(tmp_path / topic / "en.yml", data)
        french = copy.deepcopy(data)
        french["language"] = "fr"
        french["title"] = "Épargne"
        write(tmp_path / topic / "fr.yml", french)
    for code in ("en", "fr"):
        words = {
            "language": code,
            "next": ["next"],
            "repeat": ["again"],
            "menu": ["menu"],
            "stop": ["stop"],
        }
        if code == "fr":
            words.update(next=["suivant"], stop=["arrêter", "stop"])
        write(tmp_path / "_commands" / f"{code}.yml", words)
    return tmp_path


def test_a_new_topic_is_data_only(folder: Path) -> None:
    assert topic_keys(folder) == ("saving", "extra")
    assert check_all(folder, ["en", "fr"]) == []
    assert load_topic("extra", "fr", folder).title == "Épargne"


def test_missing_language_file_is_reported_and_falls_back_to_english(folder: Path) -> None:
    (folder / "extra" / "fr.yml").unlink()
    assert any("extra/fr.yml" in p for p in check_all(folder, ["en", "fr"]))
    with pytest.raises(ContentError):
        load_topic("extra", "fr", folder)
    assert get_topic("extra", "fr", folder).language == SOURCE_LANGUAGE


def test_unlisted_topic_folder_is_reported(folder: Path) -> None:
    write(folder / "stray" / "en.yml", source())
    assert any("stray/" in p for p in check_topic_list(folder))


def test_commands_of_a_language_include_english(folder: Path) -> None:
    commands = get_commands("fr", folder)
    assert commands.command_for("Suivant !") == NEXT
    assert commands.command_for("next") == NEXT
    assert commands.command_for("ARRÊTER") == STOP
    assert commands.command_for("2") is None
    assert commands.command_for("suivant stp") is None


# --- rendering --------------------------------------------------------------------------


def test_render_formats_money_in_the_deployment_currency_and_language(folder: Path) -> None:
    assert render("Save {money:5000} now", "en", "KES", folder) == "Save KES\xa05,000.00 now"
    assert render("{money:5000}", "en", "USD", folder) == "$50.00"
    assert render("{percent:2} of {number:12000}", "fr", "KES", folder) == "2\u00a0% of 12\u202f000"
    assert render("{money:5000}", "bn", "BDT", folder).startswith("৫,০০০")
    assert render("{percent:2.5}", "en", "KES", folder) == "2.5%"


def test_scaled_amounts_keep_sums_exact(folder: Path) -> None:
    total = render("{money:10000}", "en", "USD", folder)
    parts = [
        render("{money:8500}", "en", "USD", folder),
        render("{money:1500}", "en", "USD", folder),
    ]
    assert (total, parts) == ("$100.00", ["$85.00", "$15.00"])


def test_placeholders_and_normalise() -> None:
    assert placeholders("a {money:5} b {percent:2} {money:1}") == [
        "{money:1}",
        "{money:5}",
        "{percent:2}",
    ]
    assert normalise("  Next!!  ") == "next"
    assert normalise("¡Siguiente, por favor!") == "siguiente por favor"
    assert normalise("পরের   পাঠ।") == "পরের পাঠ"
