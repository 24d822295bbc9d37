"""STOP/START words come from each language's data file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.channels.keywords import OPT_IN, OPT_OUT, keyword_action, keywords
from bot.i18n import translate
from bot.i18n.languages import language_codes
from bot.settings import get_settings


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("STOP", OPT_OUT),
        ("  Stop. ", OPT_OUT),
        ("sitisha", OPT_OUT),
        ("Baja", OPT_OUT),
        ("ARRÊT", OPT_OUT),
        ("बंद करो", OPT_OUT),
        ("Band Karo!", OPT_OUT),
        ("বন্ধ", OPT_OUT),
        ("start", OPT_IN),
        ("ANZA", OPT_IN),
        ("শুরু", OPT_IN),
        ("stop sending me reminders", None),
        ("acha", None),
        ("ok", None),
        ("", None),
        (None, None),
    ],
)
def test_keyword_action(text: str | None, action: str | None) -> None:
    assert keyword_action(text) == action


def test_every_language_has_words() -> None:
    folder = get_settings().locales_dir
    for code in language_codes():
        data = yaml.safe_load((folder / code / "channels.yml").read_text(encoding="utf-8"))
        assert data[OPT_OUT] and data[OPT_IN], code


def test_confirmations_name_a_word_that_works() -> None:
    """The opt-out text tells a START word, the opt-in text a STOP word, in each language."""
    words = keywords()
    for code in language_codes():
        opted_out = translate(
            code,
            "utter_channel_opted_out",
            "You will not get any more messages from us. To get messages again, send START.",
        )
        opted_in = translate(
            code,
            "utter_channel_opted_in",
            "Welcome back! You will get our messages again. Send STOP at any time to stop them.",
        )
        assert any(word in opted_out.casefold() for word in words.opt_in), code
        assert any(word in opted_in.casefold() for word in words.opt_out), code


def test_a_language_without_a_file_is_skipped(tmp_path: Path) -> None:
    from bot.channels.keywords import _load

    (tmp_path / "xx").mkdir()
    (tmp_path / "yy").mkdir()
    (tmp_path / "yy" / "channels.yml").write_text("opt_out: [halt]\nopt_in: [go on]\n")
    loaded = _load(tmp_path, ("xx", "yy"))
    assert loaded.opt_out == {"halt"} and loaded.opt_in == {"go on"}


def test_a_word_cannot_both_stop_and_start(tmp_path: Path) -> None:
    from bot.channels.keywords import _load

    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "channels.yml").write_text("opt_out: [halt]\nopt_in: [HALT]\n")
    with pytest.raises(ValueError):
        _load(tmp_path, ("zz",))
