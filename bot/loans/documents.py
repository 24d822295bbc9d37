"""A repayment schedule as PDF and CSV files, served at a public URL (docs/loans.md).

Configured by ``MFI_DOCUMENTS_URL`` (unset: no document), ``MFI_DOCUMENTS_DIR`` and
``MFI_DOCUMENTS_KEEP_DAYS``. Files are named ``schedule-<128 random bits>.pdf|csv`` (no
client data in the name); older ones are deleted when new ones are written. Writing is
blocking: the actions run it off the event loop. No Rasa here.
"""

from __future__ import annotations

import csv
import os
import time
import uuid
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, FrozenSet, Iterable, List, Mapping, Sequence, Tuple

from bot.finance import LoanQuote
from bot.loans.presenting import Formatter, ScheduleTable, schedule_table
from bot.settings import PROJECT_ROOT

ENV_DOCUMENTS_DIR = "MFI_DOCUMENTS_DIR"
ENV_DOCUMENTS_URL = "MFI_DOCUMENTS_URL"
ENV_DOCUMENTS_KEEP_DAYS = "MFI_DOCUMENTS_KEEP_DAYS"
DEFAULT_DOCUMENTS_DIR = "var/documents"
DEFAULT_DOCUMENTS_KEEP_DAYS = 7
SECONDS_PER_DAY = 86400
FILE_PREFIX = "schedule-"
CSV_ENCODING = "utf-8-sig"  # with a BOM, so spreadsheets read UTF-8

PDF_ROWS_PER_PAGE = 52
PDF_PAGE_INCHES = (8.27, 11.69)
# Scripts up to this code point render in the PDF (matplotlib shapes no Indic script).
PDF_FALLBACK_LANGUAGE = "en"


def documents_location() -> Tuple[Path, str] | None:
    """(folder, public URL) of schedule documents, or None when no URL is configured."""
    url = os.environ.get(ENV_DOCUMENTS_URL, "").strip()
    if not url:
        return None
    folder = Path(os.environ.get(ENV_DOCUMENTS_DIR, "").strip() or DEFAULT_DOCUMENTS_DIR)
    if not folder.is_absolute():
        folder = PROJECT_ROOT / folder
    return folder, url.rstrip("/")


def keep_days() -> int:
    """Days schedule documents are kept (``MFI_DOCUMENTS_KEEP_DAYS``, at least 1)."""
    raw = os.environ.get(ENV_DOCUMENTS_KEEP_DAYS, "").strip()
    try:
        days = int(raw) if raw else DEFAULT_DOCUMENTS_KEEP_DAYS
    except ValueError:
        days = DEFAULT_DOCUMENTS_KEEP_DAYS
    return max(days, 1)


def csv_rows(quoted: LoanQuote, columns: Sequence[str]) -> List[List[str]]:
    """The schedule as spreadsheet rows: localised header, ISO dates, plain numbers."""
    rows: List[List[str]] = [list(columns)]
    for row in quoted.schedule:
        rows.append(
            [
                str(row.number),
                row.due_date.isoformat(),
                str(row.principal),
                str(row.interest),
                str(row.fees + row.savings),
                str(row.payment),
                str(row.balance),
            ]
        )
    return rows


@lru_cache(maxsize=1)
def pdf_font_characters() -> FrozenSet[int]:
    """The code points the PDF's font (matplotlib's default, DejaVu Sans) can draw."""
    from matplotlib import font_manager, ft2font

    font = ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties()))
    return frozenset(font.get_charmap())


def renders_in_pdf(texts: Iterable[str]) -> bool:
    """Whether the PDF font has every character of these texts (not Indic scripts)."""
    drawable = pdf_font_characters()
    return all(char.isspace() or ord(char) in drawable for text in texts for char in text)


def document_tables(
    quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter
) -> Tuple[ScheduleTable, ScheduleTable]:
    """(the schedule in the client's language, the one for the PDF).

    The PDF's is the same unless the language's script does not render: then English.
    """
    table = schedule_table(quoted, values, fmt)
    if renders_in_pdf(chain((table.title,), table.columns, *table.rows)):
        return table, table
    return table, schedule_table(quoted, values, fmt.with_language(PDF_FALLBACK_LANGUAGE))


def write_pdf(path: Path, table: ScheduleTable) -> None:
    """Write the schedule as a PDF: one A4 page per 52 installments (a year of weeks)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    pages = [
        table.rows[start : start + PDF_ROWS_PER_PAGE]
        for start in range(0, max(len(table.rows), 1), PDF_ROWS_PER_PAGE)
    ]
    with PdfPages(path) as pdf:
        for number, rows in enumerate(pages, start=1):
            figure = Figure(figsize=PDF_PAGE_INCHES)
            figure.text(0.06, 0.96, table.title, fontsize=11, weight="bold", wrap=True)
            axes = figure.add_axes([0.05, 0.04, 0.9, 0.89])
            axes.axis("off")
            cells = [list(row) for row in rows]
            if number == len(pages):
                cells.append(list(table.total))
            drawn = axes.table(
                cellText=cells, colLabels=list(table.columns), loc="upper center", cellLoc="right"
            )
            drawn.auto_set_font_size(False)
            drawn.set_fontsize(7.5)
            drawn.scale(1, 1.0)
            pdf.savefig(figure)


def prune(folder: Path, days: int) -> None:
    """Delete schedule documents older than ``days``."""
    limit = time.time() - days * SECONDS_PER_DAY
    for path in folder.glob(f"{FILE_PREFIX}*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


def write_documents(
    quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter
) -> Tuple[str, str] | None:
    """Write the schedule as PDF and CSV; return their URLs (None when not configured).

    Args:
        quoted: the engine's quote.
        values: the loan's fields as given (for the title's rate and term).
        fmt: the client's formatter (column names of both files; the PDF falls back to
            English when the language's script does not render).
    """
    location = documents_location()
    if location is None:
        return None
    table, printed = document_tables(quoted, values, fmt)
    folder, base_url = location
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder, keep_days())
    name = f"{FILE_PREFIX}{uuid.uuid4().hex}"
    pdf_path, csv_path = folder / f"{name}.pdf", folder / f"{name}.csv"
    with open(csv_path, "w", encoding=CSV_ENCODING, newline="") as handle:
        csv.writer(handle).writerows(csv_rows(quoted, table.columns))
    write_pdf(pdf_path, printed)
    return f"{base_url}/{pdf_path.name}", f"{base_url}/{csv_path.name}"
