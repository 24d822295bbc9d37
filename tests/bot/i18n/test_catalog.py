from pathlib import Path

import pytest

from bot.i18n import catalog
from bot.i18n.extract import check_catalogs, placeholders, response_topics, source_strings

DOMAIN = """version: "3.1"
intents:
  - greet
responses:
  # --- basics ---
  utter_greet:
    - text: "Hello {name}!"
      buttons:
        - title: "Menu"
          payload: "/ask_help"
  # --- loans ---
  utter_cost:
    - text: "It costs {amount}."
"""

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgctxt "utter_greet"
msgid "Hello {name}!"
msgstr "Habari {name}!"

msgctxt "utter_greet"
msgid "Menu"
msgstr "Menyu"

#, fuzzy
msgctxt "utter_cost"
msgid "It costs {amount}."
msgstr "Inagharimu {amount}."
"""


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from bot.i18n import languages
    from bot.settings import get_settings

    (tmp_path / "languages.yml").write_text(
        "languages:\n"
        "  - {code: en, name: English, native_name: English, locale: en}\n"
        "  - {code: sw, name: Kiswahili, native_name: Kiswahili, locale: sw}\n",
        encoding="utf-8",
    )
    (tmp_path / "sw" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "sw" / "LC_MESSAGES" / "basics.po").write_text(PO, encoding="utf-8")
    (tmp_path / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    monkeypatch.setenv("MFI_LOCALES_DIR", str(tmp_path))
    get_settings.cache_clear()
    catalog.clear_cache()
    languages._load.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    catalog.clear_cache()


def test_translates_by_response_and_english_text(locales: Path) -> None:
    assert catalog.translate("sw", "utter_greet", "Hello {name}!") == "Habari {name}!"
    assert catalog.translate("sw", "utter_greet", "Menu") == "Menyu"


def test_english_is_the_source_and_needs_no_catalog(locales: Path) -> None:
    assert catalog.translate("en", "utter_greet", "Hello {name}!") == "Hello {name}!"


def test_fuzzy_or_missing_entries_fall_back_to_english(locales: Path) -> None:
    assert catalog.translate("sw", "utter_cost", "It costs {amount}.") == "It costs {amount}."
    assert catalog.translate("sw", "utter_unknown", "Hi") == "Hi"


def test_topics_come_from_the_domain_markers() -> None:
    topics = response_topics(DOMAIN)
    assert topics["utter_greet"][0] == "basics"
    assert topics["utter_cost"][0] == "loans"


def test_source_strings_include_button_titles(locales: Path) -> None:
    strings = [(s.topic, s.context, s.msgid) for s in source_strings(locales / "domain.yml")]
    assert ("basics", "utter_greet", "Menu") in strings
    assert ("loans", "utter_cost", "It costs {amount}.") in strings


def test_check_reports_missing_and_fuzzy_translations(locales: Path) -> None:
    problems = check_catalogs(locales / "domain.yml", locales)
    assert problems == ["sw: utter_cost missing: 'It costs {amount}.'"]


def test_check_reports_changed_placeholders(locales: Path) -> None:
    po = locales / "sw" / "LC_MESSAGES" / "basics.po"
    po.write_text(PO.replace('"Habari {name}!"', '"Habari {jina}!"'), encoding="utf-8")
    problems = check_catalogs(locales / "domain.yml", locales)
    assert any("placeholders differ" in p for p in problems)


def test_placeholders() -> None:
    assert placeholders("{a} and {b}, not {{c}}") == {"a", "b"}
