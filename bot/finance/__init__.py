"""Loan cost engine: pure Python, Decimal money, no I/O.

``quote(LoanTerms(...))`` gives a ``LoanQuote`` (schedule, totals, APR, EIR,
Transparency Index by the MFTransparency method); ``bot.finance.compare.compare(a, b)``
says which of two quotes is cheaper. Bad input raises ``LoanInputError`` (``code``,
``field``). See docs/finance.md.

Functions named like their module (``compare``, ``irr``) are not re-exported here, so
that ``bot.finance.compare`` and ``bot.finance.irr`` stay the modules.
"""

from bot.finance.compare import QuoteComparison
from bot.finance.irr import IrrError
from bot.finance.loan import LoanQuote, quote
from bot.finance.schedule import ScheduleRow, add_months, due_date
from bot.finance.terms import (
    INSTALLMENTS_PER_YEAR,
    PERIODS_PER_YEAR,
    ErrorCode,
    Frequency,
    LoanInputError,
    LoanTerms,
    Method,
    Period,
    installment_count,
)

__all__ = [
    "INSTALLMENTS_PER_YEAR",
    "PERIODS_PER_YEAR",
    "ErrorCode",
    "Frequency",
    "IrrError",
    "LoanInputError",
    "LoanQuote",
    "LoanTerms",
    "Method",
    "Period",
    "QuoteComparison",
    "ScheduleRow",
    "add_months",
    "due_date",
    "installment_count",
    "quote",
]
