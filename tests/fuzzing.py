"""Hostile input for the property-based fuzz of the public endpoints.

Strategies for strings (huge, empty, control characters, lone surrogates, SQL and path
look-alikes), JSON values of every type, raw bodies and content types; the settings
every fuzz test uses (reproducible: derandomized, no example database); the property
they check (a response below 500 that shows no traceback); and ``db_url``, which runs a
test on SQLite and on PostgreSQL (production's database: it refuses a NUL character or
a too long key where SQLite stores it).
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, List, Tuple

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from bot.settings import get_settings
from bot.store.db import dispose_engines
from tests.conftest import throwaway_database

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
# MFI_FUZZ_SCALE=10 runs ten times more examples (a deeper local hunt; CI keeps 1)
SCALE_VARIABLE = "MFI_FUZZ_SCALE"
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')
# around the limits: Telegram captions and texts, WhatsApp texts, notes, REST messages
SIZES = (256, 1_025, 1_601, 2_001, 4_097, 20_001, 70_000)

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\u202e\u200b\ufeff",
    "null",
    "None",
    "NaN",
    "-inf",
    "Infinity",
    "1e309",
    "-1",
    "-0",
    "0",
    "1",
    " 1 ",
    "1.5",
    "0x10",
    "²",
    "١٢٣",
    "99999999999999999",
    "9" * 19,
    "9" * 40,
    "-" + "9" * 40,
    "9" * 5_000,
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "' OR 1=1 --",
    '"; DROP TABLE events; --',
    "../../etc/passwd",
    "%00%ff%fe",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "whatsapp:",
    "sms:",
    "telegram:",
    "~",
    "/start@",
    "STOP",
    "start",
    "DELETE",
    "admin",
    "all",
    "yes",
]


def fuzz_settings(max_examples: int, **changes: Any) -> settings:
    """Settings of a fuzz test: reproducible, no deadline, no example database.

    The endpoints' fixtures (served app, database) are function-scoped on purpose: every
    example of a test hits the same server, as a client would.
    """
    scale = float(os.environ.get(SCALE_VARIABLE) or 1)
    values: dict = {
        "max_examples": max(1, int(max_examples * scale)),
        "deadline": None,
        "derandomize": True,
        "database": None,
        "print_blob": False,
        "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        "suppress_health_check": [HealthCheck.function_scoped_fixture],
    }
    values.update(changes)
    return settings(**values)


def huge_text() -> st.SearchStrategy[str]:
    """One character repeated past the limits the endpoints know (and far beyond)."""
    return st.builds(
        lambda char, size: char * size, st.characters(codec="utf-8"), st.sampled_from(SIZES)
    )


def hostile_text(max_size: int = 60, huge: bool = True) -> st.SearchStrategy[str]:
    """Strings as a hostile client sends them (no lone surrogates: they cannot be encoded)."""
    options = [
        st.sampled_from(NASTY_STRINGS),
        st.text(st.characters(codec="utf-8"), max_size=max_size),
        st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=max_size),
        st.text(
            st.characters(codec="utf-8", min_codepoint=0x900, max_codepoint=0x2FFFF),
            max_size=max_size,
        ),
    ]
    return st.one_of(*options, huge_text()) if huge else st.one_of(*options)


def json_text(max_size: int = 60, huge: bool = True) -> st.SearchStrategy[str]:
    """Strings a JSON body can carry: also lone surrogates (``"\\ud800"``)."""
    return st.one_of(
        hostile_text(max_size, huge),
        st.text(st.characters(categories=["Cs", "Co", "Cn"]), min_size=1, max_size=8),
    )


def json_scalars() -> st.SearchStrategy[Any]:
    """Every JSON scalar, NaN and infinities (Python's json reads them) and huge numbers."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.floats(),
        json_text(),
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON document (objects, lists, scalars), nested."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(json_text(12, huge=False), children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def dumps(value: Any) -> bytes:
    """A JSON body as a client sends it (NaN, Infinity and lone surrogates escaped)."""
    return json.dumps(value).encode("ascii")


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Bodies that are rarely what an endpoint expects: bytes, broken JSON, forms, JSON."""
    return st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b"",
                b"{",
                b"[",
                b'{"a":',
                b"null",
                b"NaN",
                b"-Infinity",
                b"1" * 5_000,
                b"[" * 5_000 + b"]" * 5_000,
                b'{"a":' * 3_000 + b"1" + b"}" * 3_000,
                b"\xef\xbb\xbf{}",
                b"\xff\xfe{\x00}\x00",
                b"a=1&a=2&&=&%zz=%ff",
            ]
        ),
        json_values().map(dumps),
        hostile_text().map(lambda text: text.encode("utf-8")),
    )


def content_types() -> st.SearchStrategy[str | None]:
    """Content types, right, wrong and malformed (None: no header)."""
    return st.one_of(
        st.none(),
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=latin-1",
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=utf-16",
                "multipart/form-data",
                "multipart/form-data; boundary=xyz",
                "text/plain",
                "text/xml",
                "application/octet-stream",
                "",
                ";;;",
                "application/json; boundary=",
            ]
        ),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    )


@st.composite
def _pairs(
    draw: st.DrawFn,
    names: st.SearchStrategy[str],
    values: st.SearchStrategy[str],
    max_size: int,
) -> List[Tuple[str, str]]:
    edge = draw(st.sampled_from(NASTY_STRINGS))
    chosen = draw(st.lists(names, max_size=max_size))
    return [(name, edge if draw(st.booleans()) else draw(values)) for name in chosen]


def form_pairs(
    names: Iterable[str], max_size: int = 8, value_size: int = 60, huge: bool = True
) -> st.SearchStrategy[List[Tuple[str, str]]]:
    """Form fields: known names and random ones, repeated, with hostile values.

    Many fields get the same nasty value (a 40-digit number, ``9999-12-31``, NUL...): a
    handler that reads several fields meets it in whichever it reads.
    """
    known = sorted(set(names))
    random_name = hostile_text(12, huge=False)
    name = st.one_of(st.sampled_from(known), random_name) if known else random_name
    return _pairs(name, hostile_text(value_size, huge), max_size)


def assert_no_server_error(status: int, body: bytes | str) -> None:
    """The property of every fuzzed request: a client error at worst, never a trace."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    assert status < 500, f"HTTP {status}: {text[:2000]}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"traceback text in the response: {text[:2000]}"


class CrashLog(logging.Handler):
    """Collects the log records that carry an exception: a crash caught and logged.

    The channels answer the webhook first and handle the message in the background,
    where a crash is logged (``Background turn failed``), not returned.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)

    def assert_none(self) -> None:
        """Fails with the first logged crash, traceback included."""
        if self.records:
            record = self.records[0]
            trace = "".join(traceback.format_exception(*record.exc_info))  # type: ignore[misc]
            raise AssertionError(f"{record.name}: {record.getMessage()}\n{trace}")


@contextmanager
def crashes_logged(logger_name: str = "bot") -> Iterator[CrashLog]:
    """Collects the crashes logged under ``logger_name`` while the block runs."""
    handler = CrashLog()
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture(params=DATABASES)
def db_url(
    request: pytest.FixtureRequest, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The test's database: the suite's SQLite file, or a fresh PostgreSQL database.

    Import it into a test module to run the module's tests on both.
    """
    if request.param == "sqlite":
        yield db_url
        return
    request.getfixturevalue("postgresql_running")
    with throwaway_database("mfi_fuzz") as url:
        monkeypatch.setenv("MFI_DB_URL", url)
        dispose_engines()
        get_settings.cache_clear()
        try:
            yield url
        finally:
            get_settings.cache_clear()
