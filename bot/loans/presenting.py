"""The formatted values of a quote, schedule, comparison or example in a client's language.

``Formatter`` writes numbers, money, percentages and dates with ``bot.i18n`` (Babel) and
fills phrases: domain responses that are parts of longer answers ("2% per month",
"6 months"), translated with the catalogs. The functions here return the values the loan
responses are filled with. No Rasa here; domain.yml is read on first use only.
"""

from __future__ import annotations

import datetime as dt
import logging
import string
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Tuple

import yaml

from bot.finance import LoanInputError, LoanQuote, LoanTerms, Period
from bot.glossary import lookup, term_keys
from bot.i18n import format_date, format_money, format_number, format_percent, translate
from bot.loans.comparison import Verdict
from bot.loans.engine import InterestExample, method_assumed, term_in
from bot.loans.fields import (
    METHOD_DECLINING,
    METHOD_FLAT,
    PERIOD_TERM,
    RATE,
    RATE_PERIOD,
    to_decimal,
)
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

DOMAIN_FILE = "domain.yml"
DOMAIN_RESPONSES = "responses"
# Phrases that responses and documents are built from (domain responses never uttered alone).
PHRASE_RATE = {
    "week": "utter_loan_rate_per_week",
    "month": "utter_loan_rate_per_month",
    "year": "utter_loan_rate_per_year",
    PERIOD_TERM: "utter_loan_rate_per_term",
}
PHRASE_TERM = {
    ("week", True): "utter_loan_term_week",
    ("week", False): "utter_loan_term_weeks",
    ("month", True): "utter_loan_term_month",
    ("month", False): "utter_loan_term_months",
    ("year", True): "utter_loan_term_year",
    ("year", False): "utter_loan_term_years",
}
PHRASE_FREQUENCY = {
    "weekly": "utter_loan_every_week",
    "fortnightly": "utter_loan_every_two_weeks",
    "monthly": "utter_loan_every_month",
}
PHRASE_METHOD = {
    METHOD_FLAT: "utter_loan_method_flat",
    METHOD_DECLINING: "utter_loan_method_declining",
}
PHRASE_DOCUMENT_TITLE = "utter_loan_document_title"
PHRASE_DOCUMENT_COLUMNS = "utter_loan_document_columns"
PHRASE_DOCUMENT_TOTAL = "utter_loan_document_total"
COLUMN_SEPARATOR = "|"

# Chat schedule: first rows, then the last.
SCHEDULE_HEAD_ROWS = 5
SCHEDULE_GAP = "…"
SCHEDULE_CELL_SEPARATOR = " | "

# Lines that follow a quote (the actions pick a response for each).
NOTE_FEES = "fees"
NOTE_DEPOSIT = "deposit"
NOTE_GRACE = "grace"
NOTE_ASSUMED_FLAT = "assumed_flat"

# Offered when the term asked about is not in the glossary.
SUGGESTED_TERMS = ("apr", "flat_rate", "declining_balance", "collateral", "guarantor", "penalty")
MAX_SUGGESTED_TERMS = 6

Note = Tuple[str, Dict[str, str]]


@lru_cache(maxsize=1)
def _domain_responses() -> Dict[str, Any]:
    """The responses of the project's domain.yml (read once)."""
    with open(PROJECT_ROOT / DOMAIN_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle).get(DOMAIN_RESPONSES) or {}


class Formatter:
    """Numbers, money and phrases in the client's language and currency."""

    def __init__(self, language: str, currency: str, domain: Mapping[str, Any] | None = None):
        """Create a formatter; ``domain`` gives the phrase texts (else domain.yml)."""
        self.language = language
        self.currency = currency
        self.responses: Mapping[str, Any] = (domain or {}).get(
            DOMAIN_RESPONSES
        ) or _domain_responses()

    def with_language(self, language: str) -> Formatter:
        """The same formatter (currency, phrase texts) in another language."""
        return Formatter(language, self.currency, {DOMAIN_RESPONSES: self.responses})

    def money(self, value: Any) -> str:
        """An amount of money, e.g. ``KES 1,033.33``."""
        return format_money(Decimal(str(value)), self.language, self.currency)

    def number(self, value: Any, decimals: int = 0) -> str:
        """A plain number."""
        return format_number(Decimal(str(value)), self.language, decimals)

    def percent(self, fraction: Any, decimals: int = 1) -> str:
        """A fraction as a percentage: 0.417 gives ``41.7%``."""
        return format_percent(Decimal(str(fraction)), self.language, decimals)

    def rate_percent(self, rate: Any) -> str:
        """A rate given in percent, with the decimals it was given with (at most 2)."""
        number = Decimal(str(rate)).normalize()
        decimals = min(2, max(0, -number.as_tuple().exponent))
        return self.percent(number / 100, decimals)

    def phrase(self, name: str, **values: Any) -> str:
        """A response text (a phrase of a longer answer), translated and filled."""
        variations = self.responses.get(name) or [{}]
        text = translate(self.language, name, variations[0].get("text") or "")
        try:
            return string.Formatter().vformat(text, (), values)
        except (KeyError, IndexError, ValueError):
            logger.warning("Cannot fill %s in %s.", name, self.language)
            return text

    def rate(self, values: Mapping[str, Any]) -> str:
        """``2% per month``."""
        period = values.get(RATE_PERIOD) or Period.MONTH.value
        return self.phrase(PHRASE_RATE[period], rate=self.rate_percent(values.get(RATE) or 0))

    def term(self, values: Mapping[str, Any]) -> str:
        """``6 months``."""
        term, unit = term_in(values)
        term = term if term is not None else Decimal(0)
        decimals = 0 if term == term.to_integral_value() else 1
        name = PHRASE_TERM[(unit or Period.MONTH.value, term == 1)]
        return self.phrase(name, term=self.number(term, decimals))

    def frequency(self, terms: LoanTerms) -> str:
        """``every week``."""
        return self.phrase(PHRASE_FREQUENCY[terms.frequency.value])

    def method(self, terms: LoanTerms) -> str:
        """``flat rate`` or ``declining balance`` of a loan."""
        return self.method_name(terms.method.value)

    def method_name(self, method: str | None) -> str:
        """``flat rate`` (also when unknown: it is assumed) or ``declining balance``."""
        name = PHRASE_METHOD.get(method or METHOD_FLAT, PHRASE_METHOD[METHOD_DECLINING])
        return self.phrase(name)

    def date(self, value: dt.date) -> str:
        """A date in the language's medium style."""
        return format_date(value, self.language)


def quote_values(quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter) -> Dict[str, str]:
    """The formatted figures of a quote, for responses.

    Args:
        quoted: the engine's quote.
        values: the loan's fields as given (the rate and term are said as the client gave them).
        fmt: the client's formatter.
    """
    terms = quoted.terms
    return {
        "amount": fmt.money(terms.amount),
        "rate": fmt.rate(values),
        "method": fmt.method(terms),
        "term": fmt.term(values),
        "frequency": fmt.frequency(terms),
        "count": fmt.number(quoted.installments),
        "installment": fmt.money(quoted.regular_payment),
        "interest": fmt.money(quoted.total_interest),
        "total_paid": fmt.money(quoted.total_paid),
        "total_cost": fmt.money(quoted.total_cost),
        "apr": fmt.percent(quoted.apr),
        "eir": fmt.percent(quoted.eir),
        "apr_rounded": fmt.percent(quoted.apr, 0),
    }


def quote_notes(quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter) -> List[Note]:
    """The lines that follow a quote: fees, deposit, grace and "flat assumed", with values."""
    notes: List[Note] = []
    fees = quoted.total_fees + quoted.insurance
    if fees:
        notes.append((NOTE_FEES, {"fees": fmt.money(fees)}))
    if quoted.deposit:
        notes.append(
            (
                NOTE_DEPOSIT,
                {"deposit": fmt.money(quoted.deposit), "disbursed": fmt.money(quoted.disbursed)},
            )
        )
    grace = quoted.terms.grace_installments
    if grace:
        notes.append(
            (
                NOTE_GRACE,
                {
                    "grace": fmt.number(grace),
                    "grace_payment": fmt.money(quoted.schedule[0].payment),
                },
            )
        )
    if method_assumed(values):
        notes.append((NOTE_ASSUMED_FLAT, {}))
    return notes


def schedule_lines(quoted: LoanQuote, fmt: Formatter) -> str:
    """The first installments and the last, one line each, for a chat."""
    digits = quoted.terms.currency_digits
    rows = list(quoted.schedule)
    shown = (
        rows
        if len(rows) <= SCHEDULE_HEAD_ROWS + 1
        else rows[:SCHEDULE_HEAD_ROWS] + [None] + rows[-1:]
    )
    lines = []
    for row in shown:
        if row is None:
            lines.append(SCHEDULE_GAP)
            continue
        lines.append(
            SCHEDULE_CELL_SEPARATOR.join(
                (
                    fmt.number(row.number),
                    fmt.date(row.due_date),
                    fmt.number(row.payment, digits),
                    fmt.number(row.balance, digits),
                )
            )
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class ScheduleTable:
    """A schedule laid out for a document: every cell already formatted."""

    title: str
    columns: Tuple[str, ...]
    rows: Tuple[Tuple[str, ...], ...]
    total: Tuple[str, ...]


def schedule_table(quoted: LoanQuote, values: Mapping[str, Any], fmt: Formatter) -> ScheduleTable:
    """The whole schedule with localised labels, dates and numbers."""
    digits = quoted.terms.currency_digits
    figures = quote_values(quoted, values, fmt)
    columns = tuple(
        part.strip() for part in fmt.phrase(PHRASE_DOCUMENT_COLUMNS).split(COLUMN_SEPARATOR)
    )
    rows = tuple(
        (
            fmt.number(row.number),
            fmt.date(row.due_date),
            fmt.number(row.principal, digits),
            fmt.number(row.interest, digits),
            fmt.number(row.fees + row.savings, digits),
            fmt.number(row.payment, digits),
            fmt.number(row.balance, digits),
        )
        for row in quoted.schedule
    )
    schedule = quoted.schedule
    total = (
        fmt.phrase(PHRASE_DOCUMENT_TOTAL),
        "",
        fmt.number(sum(row.principal for row in schedule), digits),
        fmt.number(sum(row.interest for row in schedule), digits),
        fmt.number(sum(row.fees + row.savings for row in schedule), digits),
        fmt.number(sum(row.payment for row in schedule), digits),
        "",
    )
    title = fmt.phrase(PHRASE_DOCUMENT_TITLE, **figures)
    return ScheduleTable(title, columns, rows, total)


def comparison_values(
    first: Tuple[Mapping[str, Any], LoanQuote],
    second: Tuple[Mapping[str, Any], LoanQuote],
    fmt: Formatter,
) -> Dict[str, str]:
    """Both offers' figures side by side: ``installment_a``, ``installment_b``...

    Args:
        first: (values, quote) of the first offer.
        second: (values, quote) of the second offer.
        fmt: the client's formatter.
    """
    figures: Dict[str, str] = {}
    for suffix, (values, quoted) in (("a", first), ("b", second)):
        figures.update(
            {f"{key}_{suffix}": value for key, value in quote_values(quoted, values, fmt).items()}
        )
    return figures


def verdict_values(verdict: Verdict, fmt: Formatter) -> Dict[str, str]:
    """How much cheaper the cheaper offer is: ``cost_difference``, ``apr_difference``."""
    return {
        "cost_difference": fmt.money(verdict.cost_difference),
        "apr_difference": fmt.percent(verdict.apr_difference),
    }


def interest_values(example: InterestExample, fmt: Formatter) -> Dict[str, str]:
    """The figures of the flat vs declining example."""
    flat, declining = example.flat.total_interest, example.declining.total_interest
    return {
        "amount": fmt.money(example.amount),
        "rate": fmt.rate(example.values),
        "term": fmt.term(example.values),
        "flat_interest": fmt.money(flat),
        "declining_interest": fmt.money(declining),
        "difference": fmt.money(flat - declining),
    }


def error_values(error: LoanInputError, fmt: Formatter) -> Dict[str, str]:
    """The values a re-ask shows (``max``), formatted."""
    maximum = to_decimal(error.params.get("max"))
    return {"max": fmt.number(maximum)} if maximum is not None else {}


def suggested_terms(language: str) -> List[Tuple[str, str]]:
    """(glossary key, term in the language) of the loan words offered instead of an unknown one."""
    keys = [key for key in SUGGESTED_TERMS if key in term_keys()][:MAX_SUGGESTED_TERMS]
    found = []
    for key in keys:
        entry = lookup(key, language)
        if entry is not None:
            found.append((key, entry.term))
    return found
