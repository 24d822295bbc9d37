"""A schedule as CSV and PDF files under the documents folder."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from pathlib import Path

import pytest

from bot.finance import LoanQuote, quote
from bot.loans.documents import (
    csv_rows,
    document_tables,
    documents_location,
    keep_days,
    prune,
    renders_in_pdf,
    write_documents,
)
from bot.loans.engine import terms_of
from bot.loans.presenting import Formatter
from bot.settings import PROJECT_ROOT, get_settings

LOAN = {
    "amount": 10000,
    "rate": 2,
    "rate_period": "month",
    "term": 12,
    "term_unit": "month",
    "frequency": "monthly",
    "method": "flat",
}
URL = "https://example.org/docs"


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MFI_CURRENCY",
        "MFI_LOCALES",
        "MFI_DOCUMENTS_URL",
        "MFI_DOCUMENTS_DIR",
        "MFI_DOCUMENTS_KEEP_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def quoted() -> LoanQuote:
    return quote(terms_of(LOAN), today=lambda: dt.date(2025, 1, 31))


def test_documents_are_served_only_with_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert documents_location() is None

    monkeypatch.setenv("MFI_DOCUMENTS_URL", URL + "/")
    assert documents_location() == (PROJECT_ROOT / "var" / "documents", URL)

    monkeypatch.setenv("MFI_DOCUMENTS_DIR", "/srv/docs")
    assert documents_location() == (Path("/srv/docs"), URL)


@pytest.mark.parametrize(("raw", "days"), [(None, 7), ("3", 3), ("0", 1), ("soon", 7)])
def test_documents_are_kept_for_some_days(
    raw: str | None, days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if raw is not None:
        monkeypatch.setenv("MFI_DOCUMENTS_KEEP_DAYS", raw)
    assert keep_days() == days


def test_old_documents_are_deleted(tmp_path: Path) -> None:
    old, new, other = (tmp_path / name for name in ("schedule-a.pdf", "schedule-b.csv", "x.csv"))
    for path in (old, new, other):
        path.write_text("x")
    os.utime(old, (0, 0))
    os.utime(other, (0, 0))

    prune(tmp_path, 7)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["schedule-b.csv", "x.csv"]


def test_the_csv_has_plain_numbers_and_iso_dates() -> None:
    rows = csv_rows(quoted(), ["No", "Date", "P", "I", "F", "Pay", "Left"])

    assert rows[0] == ["No", "Date", "P", "I", "F", "Pay", "Left"]
    assert rows[1] == ["1", "2025-02-28", "833.33", "200.00", "0.00", "1033.33", "9166.67"]
    assert len(rows) == 13 and rows[-1][-1] == "0.00"


def test_indic_labels_fall_back_to_english_in_the_pdf() -> None:
    assert renders_in_pdf(
        ["Échéancier", "Ratiba ya marejesho", "1 033,33", "10\u202f000,00\xa0€", "₹500"]
    )
    assert not renders_in_pdf(["किस्त"])
    assert not renders_in_pdf(["১,০৩৩"])

    table, printed = document_tables(quoted(), LOAN, Formatter("hi", "INR"))
    assert table.columns != printed.columns
    assert printed.columns == document_tables(quoted(), LOAN, Formatter("en", "INR"))[0].columns

    table, printed = document_tables(quoted(), LOAN, Formatter("es", "KES"))
    assert printed is table


def test_nothing_is_written_without_a_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MFI_DOCUMENTS_DIR", str(tmp_path))
    assert write_documents(quoted(), LOAN, Formatter("en", "KES")) is None
    assert list(tmp_path.iterdir()) == []


def test_the_pdf_and_csv_are_written_with_unguessable_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFI_DOCUMENTS_URL", URL)
    monkeypatch.setenv("MFI_DOCUMENTS_DIR", str(tmp_path / "docs"))
    fmt = Formatter("hi", "INR")

    pdf_url, csv_url = write_documents(quoted(), LOAN, fmt)

    assert re.fullmatch(re.escape(URL) + r"/schedule-[0-9a-f]{32}\.pdf", pdf_url)
    assert csv_url == pdf_url[: -len("pdf")] + "csv"
    folder = tmp_path / "docs"
    assert (folder / pdf_url.rsplit("/", 1)[1]).read_bytes().startswith(b"%PDF")
    with open(folder / csv_url.rsplit("/", 1)[1], encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == document_tables(quoted(), LOAN, fmt)[0].columns  # in Hindi
    assert len(rows) == 13
