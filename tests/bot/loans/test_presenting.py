"""The formatted values of quotes, schedules, comparisons and examples."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict

import pytest

from bot.finance import LoanQuote, quote
from bot.glossary import lookup
from bot.loans.comparison import judge
from bot.loans.engine import check, interest_example, terms_of
from bot.loans.presenting import (
    NOTE_ASSUMED_FLAT,
    NOTE_DEPOSIT,
    NOTE_FEES,
    NOTE_GRACE,
    Formatter,
    comparison_values,
    error_values,
    interest_values,
    quote_notes,
    quote_values,
    schedule_lines,
    schedule_table,
    suggested_terms,
    verdict_values,
)
from bot.settings import get_settings

LOAN = {
    "amount": 10000,
    "rate": 2,
    "rate_period": "month",
    "term": 12,
    "term_unit": "month",
    "frequency": "monthly",
    "method": "flat",
}


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MFI_CURRENCY", "MFI_LOCALES", "MFI_DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def quoted(values: Dict[str, Any], digits: int = 2) -> LoanQuote:
    return quote(terms_of(values, digits), today=lambda: dt.date(2025, 1, 31))


def test_phrases_are_translated_and_filled() -> None:
    values = {"rate": 2, "rate_period": "month", "term": 1, "term_unit": "year"}
    english, swahili = Formatter("en", "KES"), Formatter("sw", "KES")
    assert (english.rate(values), english.term(values)) == ("2% per month", "1 year")
    assert swahili.rate(values) != "2% per month" and "2%" in swahili.rate(values)
    assert Formatter("fr", "KES").rate({"rate": 2.5, "rate_period": "year"}) == "2,5\xa0% par an"


def test_phrases_say_terms_in_days_and_rates_for_the_whole_loan() -> None:
    english = Formatter("en", "KES")
    assert english.term({"term": 90, "term_unit": "day"}) == "3 months"
    assert english.term({"term": 10, "term_unit": "day"}) == "1.4 weeks"
    assert english.rate({"rate": 15, "rate_period": "term"}) == "15% for the whole loan"
    assert english.method_name(None) == english.method_name("flat") == "flat rate"


def test_a_formatter_in_another_language_keeps_the_currency_and_texts() -> None:
    domain = {"responses": {"utter_loan_document_total": [{"text": "Sum"}]}}
    hindi = Formatter("hi", "INR", domain)

    english = hindi.with_language("en")

    assert (english.language, english.currency) == ("en", "INR")
    assert english.phrase("utter_loan_document_total") == "Sum"


def test_a_phrase_with_a_missing_value_is_left_unfilled() -> None:
    domain = {"responses": {"utter_x": [{"text": "pay {amount}"}]}}
    assert Formatter("en", "KES", domain).phrase("utter_x") == "pay {amount}"


def test_a_quote_is_formatted_in_the_clients_language() -> None:
    figures = quote_values(quoted(LOAN), LOAN, Formatter("en", "KES"))

    assert figures == {
        "amount": "KES\xa010,000.00",
        "rate": "2% per month",
        "method": "flat rate",
        "term": "12 months",
        "frequency": "every month",
        "count": "12",
        "installment": "KES\xa01,033.33",
        "interest": "KES\xa02,400.00",
        "total_paid": "KES\xa012,400.00",
        "total_cost": "KES\xa02,400.00",
        "apr": "41.7%",
        "eir": "50.7%",
        "apr_rounded": "42%",
    }
    bengali = quote_values(quoted(LOAN), LOAN, Formatter("bn", "KES"))
    assert bengali["installment"] == "১,০৩৩.৩৩\xa0KES"


def test_the_notes_after_a_quote_follow_its_costs() -> None:
    fmt = Formatter("en", "KES")
    values = {**LOAN, "method": None, "upfront_fee_pct": 2, "deposit_pct": 10, "grace": 1}

    notes = quote_notes(quoted(values), values, fmt)

    # disbursed: 10,000 less the 1,000 deposit and the 200 fee
    assert notes == [
        (NOTE_FEES, {"fees": "KES\xa0200.00"}),
        (NOTE_DEPOSIT, {"deposit": "KES\xa01,000.00", "disbursed": "KES\xa08,800.00"}),
        (NOTE_GRACE, {"grace": "1", "grace_payment": "KES\xa0200.00"}),
        (NOTE_ASSUMED_FLAT, {}),
    ]
    assert quote_notes(quoted(LOAN), LOAN, fmt) == []


def test_the_chat_schedule_shows_five_rows_a_gap_and_the_last() -> None:
    lines = schedule_lines(quoted(LOAN), Formatter("en", "KES")).splitlines()

    assert lines[0] == "1 | Feb 28, 2025 | 1,033.33 | 9,166.67"
    assert lines[5] == "…" and len(lines) == 7
    assert lines[-1].startswith("12 | Jan 31, 2026 |") and lines[-1].endswith(" | 0.00")

    short = {**LOAN, "term": 6}
    assert len(schedule_lines(quoted(short), Formatter("en", "KES")).splitlines()) == 6


def test_the_schedule_table_has_every_row_and_the_totals() -> None:
    table = schedule_table(quoted(LOAN), LOAN, Formatter("en", "KES"))

    assert len(table.columns) == 7 and len(table.rows) == 12
    assert table.rows[0] == (
        "1",
        "Feb 28, 2025",
        "833.33",
        "200.00",
        "0.00",
        "1,033.33",
        "9,166.67",
    )
    assert table.total[2:6] == ("10,000.00", "2,400.00", "0.00", "12,400.00")
    assert "10,000" in table.title


def test_two_offers_are_formatted_side_by_side_with_the_difference() -> None:
    fmt = Formatter("en", "KES")
    second = {**LOAN, "rate": 24, "rate_period": "year", "method": "declining"}
    first_quote, second_quote = quoted(LOAN), quoted(second)

    figures = comparison_values((LOAN, first_quote), (second, second_quote), fmt)
    difference = verdict_values(judge(first_quote, second_quote), fmt)

    assert (figures["rate_a"], figures["rate_b"]) == ("2% per month", "24% per year")
    assert (figures["total_cost_a"], figures["total_cost_b"]) == (
        "KES\xa02,400.00",
        "KES\xa01,347.15",
    )
    assert len(figures) == 2 * len(quote_values(first_quote, LOAN, fmt))
    assert difference == {"cost_difference": "KES\xa01,052.85", "apr_difference": "17.7%"}


def test_the_interest_example_is_formatted() -> None:
    figures = interest_values(interest_example(None, [], "KES"), Formatter("sw", "KES"))
    assert (figures["amount"], figures["difference"]) == ("Ksh\xa010,000.00", "Ksh\xa01,052.85")
    assert "2%" in figures["rate"] and "12" in figures["term"]


def test_a_reask_shows_the_limit() -> None:
    fmt = Formatter("en", "KES")
    assert error_values(check({"rate": 150, "rate_period": "month"}), fmt) == {"max": "100"}
    assert error_values(check({"amount": 0}), fmt) == {}


def test_six_loan_words_are_suggested_in_the_clients_language() -> None:
    suggested = suggested_terms("es")

    assert [key for key, _ in suggested] == [
        "apr",
        "flat_rate",
        "declining_balance",
        "collateral",
        "guarantor",
        "penalty",
    ]
    assert suggested[0][1] == lookup("apr", "es").term
