"""The affordability form's draft, its updates and the answer (bot/budget/affordability_form.py)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import List

import pytest

from bot.budget.affordability_form import (
    ASK_AFFORD_EXPENSES,
    ASK_AFFORD_INCOME,
    ASK_AFFORD_LOANS,
    ASK_AFFORD_REQUEST,
    AffordDraft,
    affordability_rules,
    assess,
    installment_frequency,
    loan_request,
    loan_request_of,
    loan_terms,
    update_affordability,
)
from bot.budget.presenting import (
    NOTE_AFFORD_BUDGET_MISSING,
    NOTE_AFFORD_LEVEL,
    NOTE_AFFORD_LOAN_INVALID,
    NOTE_AFFORD_LOAN_TERMS,
    NOTE_AFFORD_USING_BUDGET,
    NOTE_ERROR,
    Formatter,
    Note,
)
from bot.budget.reading import Reading, read_message
from bot.budget.words import budget_words
from bot.finance.affordability import DEFAULT_AFFORDABILITY_RULES
from bot.finance.budget import Expense, IncomeSource, build_budget
from bot.finance.terms import LoanInputError
from bot.nlu.values import extract_values

TODAY = dt.date(2026, 3, 1)
FMT = Formatter.for_language("en")
INSTALLMENT = {"kind": "installment", "amount": "1500", "frequency": "weekly"}
LOAN = {
    "kind": "loan",
    "amount": "20000",
    "rate": "2",
    "rate_period": "month",
    "term": "12",
    "term_unit": "month",
    "frequency": "monthly",
    "method": "flat",
}
LOAN_SLOTS = {
    "loan_amount": 20000,
    "loan_rate": 2,
    "loan_rate_period": "month",
    "loan_term": 12,
    "loan_term_unit": "month",
}


def read(text: str, intent: str = "inform") -> Reading:
    return read_message(text, extract_values(text, ["en"]), intent, budget_words(("en",)), TODAY)


def button(frequency: str) -> Reading:
    entities = [{"entity": "frequency", "value": frequency}]
    text = '/inform{"frequency":"' + frequency + '"}'
    return read_message(text, entities, "inform", budget_words(("en",)), TODAY)


def kinds(notes: List[Note]) -> List[tuple]:
    return [(note.kind, note.variant) for note in notes]


def weekly_budget():  # noqa: ANN201 - BudgetResult
    return build_budget(
        [IncomeSource(Decimal(12000), "weekly")],
        [Expense("food", Decimal(8000), "weekly")],
        "week",
    )


def test_affordability_rules_come_from_the_environment(caplog: pytest.LogCaptureFixture) -> None:
    rules = affordability_rules(
        {"MFI_AFFORD_GREEN_INCOME_SHARE": "0.2", "MFI_AFFORD_MAX_TERM_MONTHS": "12"}
    )
    assert rules.green_income_share == Decimal("0.2") and rules.max_term_months == 12
    assert affordability_rules({}) == DEFAULT_AFFORDABILITY_RULES
    assert affordability_rules({"MFI_AFFORD_AMOUNT_STEP": "  "}) == DEFAULT_AFFORDABILITY_RULES
    with caplog.at_level(logging.ERROR):
        assert (
            affordability_rules({"MFI_AFFORD_GREEN_SURPLUS_SHARE": "2"})
            == DEFAULT_AFFORDABILITY_RULES
        )
    assert "invalid" in caplog.text


def test_questions_skip_income_and_spending_with_a_saved_budget() -> None:
    assert AffordDraft().next_question() == ASK_AFFORD_REQUEST
    assert AffordDraft(request=INSTALLMENT, has_budget=True).next_question() is None
    draft = AffordDraft(request=INSTALLMENT)
    assert draft.next_question() == ASK_AFFORD_INCOME
    draft = AffordDraft(request=INSTALLMENT, income=({"amount": "1", "frequency": None},))
    assert draft.next_question() == ASK_AFFORD_EXPENSES
    draft = AffordDraft(
        request=INSTALLMENT, income=({"amount": "1", "frequency": None},), expenses=()
    )
    assert draft.next_question() == ASK_AFFORD_LOANS
    assert AffordDraft(cancelled=True).next_question() is None


@pytest.mark.parametrize(
    ("frequency", "period"),
    [("weekly", "week"), ("fortnightly", "week"), ("monthly", "month"), (None, "month")],
)
def test_the_budget_is_made_in_the_installments_period(frequency: str | None, period: str) -> None:
    request = {"kind": "installment", "amount": "100", "frequency": frequency}
    assert AffordDraft(request=request).period == period


def test_the_budget_of_the_figures_given() -> None:
    draft = AffordDraft(
        request=INSTALLMENT,
        income=({"amount": "12000", "frequency": None},),
        expenses=({"amount": "5000", "frequency": "weekly"},),
        loans=({"amount": "1000", "frequency": "weekly"},),
    )
    budget = draft.budget()
    assert str(budget.period) == "week"
    assert (budget.income, budget.expenses) == (Decimal("12000.00"), Decimal("6000.00"))
    assert budget.category_total("loan_repayments") == Decimal("1000.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "20000 at 2% for 6 months",
            {"rate_period": "month", "term": "6", "term_unit": "month", "frequency": "monthly"},
        ),
        ("20000 at 18% for 1 year", {"rate_period": "year", "term_unit": "year"}),
        ("20000 at 2% for 30 days", {"term": "4", "term_unit": "week", "frequency": "weekly"}),
        ("20000 at 2% per week for 10 weeks declining", {"method": "declining"}),
    ],
)
def test_loan_terms_read_from_a_message(text: str, expected: dict) -> None:
    loan = loan_request(Decimal(20000), read(text))
    assert loan is not None and loan["kind"] == "loan" and loan["amount"] == "20000"
    assert {key: loan[key] for key in expected} == expected


def test_no_loan_without_a_rate_and_a_duration() -> None:
    assert loan_request(Decimal(20000), read("20000 for 6 months")) is None
    assert installment_frequency("week") == "weekly"
    assert installment_frequency("year") == "monthly"


def test_the_loan_of_the_loans_conversation() -> None:
    assert loan_request_of(LOAN_SLOTS) == {**LOAN, "rate": 2, "amount": 20000, "term": 12}
    with_fee = loan_request_of({**LOAN_SLOTS, "loan_upfront_fee_pct": 2, "loan_frequency": "x"})
    assert with_fee is not None
    assert with_fee["upfront_fee_pct"] == 2 and with_fee["frequency"] == "monthly"
    assert loan_request_of({**LOAN_SLOTS, "loan_rate": None}) is None
    assert loan_request_of({}) is None


def test_an_installment_or_an_amount_that_needs_its_frequency() -> None:
    draft, notes = update_affordability(AffordDraft(), read("can i afford 1500 a week"), None)
    assert draft.request == INSTALLMENT and notes == []
    draft, notes = update_affordability(AffordDraft(), read("will i be able to repay 20k"), None)
    assert draft.request is None and draft.pending_amount == "20000"
    draft, notes = update_affordability(draft, button("monthly"), ASK_AFFORD_REQUEST)
    assert draft.request == {"kind": "installment", "amount": "20000", "frequency": "monthly"}
    assert draft.pending_amount is None


@pytest.mark.parametrize(
    ("text", "asked", "notes"),
    [
        ("is this loan too much for me", None, []),
        ("at 2% for 6 months", None, [(NOTE_ERROR, "loan_amount_missing")]),
        ("hello", ASK_AFFORD_REQUEST, [(NOTE_ERROR, "not_understood")]),
        ("I earn 9000 a week", ASK_AFFORD_REQUEST, []),
        ("-100 a week", ASK_AFFORD_REQUEST, [(NOTE_ERROR, "negative_amount")]),
    ],
)
def test_a_request_not_yet_complete(text: str, asked: str | None, notes: list) -> None:
    draft, said = update_affordability(AffordDraft(), read(text), asked)
    assert draft.request is None and kinds(said) == notes


def test_a_loan_in_the_first_message() -> None:
    text = "can i afford a loan of 100000 at 2% per month for 6 months"
    draft, _ = update_affordability(AffordDraft(), read(text), None)
    assert draft.request is not None and draft.request["kind"] == "loan"
    assert draft.next_question() == ASK_AFFORD_INCOME


def test_income_spending_and_loans_asked() -> None:
    draft = AffordDraft(request=INSTALLMENT)
    draft, notes = update_affordability(draft, read("no", "deny"), ASK_AFFORD_INCOME)
    assert kinds(notes) == [(NOTE_ERROR, "no_income")]
    draft, notes = update_affordability(draft, read("20000 a week"), ASK_AFFORD_INCOME)
    assert draft.income == ({"amount": "20000", "frequency": "weekly"},) and notes == []
    text = "I spend 9000 a week and repay 6000 a week on my loan"
    spent, _ = update_affordability(draft, read(text), ASK_AFFORD_EXPENSES)
    assert spent.expenses == ({"amount": "9000", "frequency": "weekly"},)
    assert spent.loans == ({"amount": "6000", "frequency": "weekly"},)
    assert spent.next_question() is None
    none_spent, _ = update_affordability(draft, read("/deny", "deny"), ASK_AFFORD_EXPENSES)
    assert none_spent.expenses == () and none_spent.next_question() == ASK_AFFORD_LOANS
    no_loans, _ = update_affordability(none_spent, read("/deny", "deny"), ASK_AFFORD_LOANS)
    assert no_loans.loans == () and no_loans.next_question() is None
    loans, _ = update_affordability(none_spent, read("2000 a month"), ASK_AFFORD_LOANS)
    assert loans.loans == ({"amount": "2000", "frequency": "monthly"},)
    _, notes = update_affordability(none_spent, read("hmm"), ASK_AFFORD_LOANS)
    assert kinds(notes) == [(NOTE_ERROR, "not_understood")]


def test_cancel_stops_the_check() -> None:
    draft, notes = update_affordability(AffordDraft(request=INSTALLMENT), read("cancel"), "income")
    assert draft.cancelled and notes == []


def test_loan_terms_are_read_as_the_loans_conversation_reads_them() -> None:
    terms = loan_terms({**LOAN, "upfront_fee_pct": "2"}, 2)
    assert terms.amount == Decimal(20000) and terms.upfront_fee_pct == Decimal(2)
    with pytest.raises(LoanInputError):
        loan_terms({**LOAN, "rate": "500"}, 2)


def test_the_answer_with_a_saved_budget() -> None:
    draft = AffordDraft(request=INSTALLMENT, has_budget=True)
    notes = assess(draft, weekly_budget(), DEFAULT_AFFORDABILITY_RULES, FMT, 2)
    assert kinds(notes)[:2] == [(NOTE_AFFORD_USING_BUDGET, None), (NOTE_AFFORD_LEVEL, "green")]
    missing = assess(draft, None, DEFAULT_AFFORDABILITY_RULES, FMT, 2)
    assert missing == [Note(NOTE_AFFORD_BUDGET_MISSING)]


def test_the_answer_for_a_loan() -> None:
    draft = AffordDraft(
        request=LOAN, income=({"amount": "30000", "frequency": "monthly"},), expenses=(), loans=()
    )
    notes = assess(draft, None, DEFAULT_AFFORDABILITY_RULES, FMT, 2)
    assert kinds(notes)[:2] == [(NOTE_AFFORD_LOAN_TERMS, "flat"), (NOTE_AFFORD_LEVEL, "green")]
    bad = AffordDraft(request={**LOAN, "rate": "500"}, has_budget=True)
    invalid = assess(bad, weekly_budget(), DEFAULT_AFFORDABILITY_RULES, FMT, 2)
    assert invalid == [Note(NOTE_AFFORD_LOAN_INVALID)]
