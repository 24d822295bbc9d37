"""What one message changes in a loan form (the actions set the changes as slots)."""

from __future__ import annotations

from typing import Any, Dict

from bot.finance import ErrorCode
from bot.loans.fields import SECOND, loan_slots
from bot.loans.forms import CompareFormRules, FormRules, ScheduleFormRules
from bot.loans.reading import Reading, read_message
from bot.nlu.values import extract_values

QUOTED = {
    "loan_amount": 10000,
    "loan_rate": 2,
    "loan_rate_period": "month",
    "loan_term": 6,
    "loan_term_unit": "month",
    "loan_frequency": "monthly",
    "loan_method": "flat",
}


def reading(text: str) -> Reading:
    return read_message(text, extract_values(text, ["en"]), "en")


def update(
    rules: FormRules,
    text: str,
    slots: Dict[str, Any] | None = None,
    requested: str | None = None,
    fresh: bool = False,
) -> Any:
    return rules.update(
        reading(text),
        slots or {},
        requested=requested,
        activation=requested is None,
        fresh=fresh,
        default_currency="KES",
    )


def test_an_answer_sets_the_value_asked_for() -> None:
    result = update(FormRules(), "20000", {"requested_slot": "loan_amount"}, "loan_amount")

    assert result.changes == {"loan_amount": 20000}
    assert (result.problems, result.not_understood) == ([], None)
    assert result.values["loan_amount"] == 20000 and result.currency == "KES"


def test_a_message_without_a_value_is_not_understood() -> None:
    result = update(FormRules(), "blue", {"loan_amount": 20000}, "loan_rate_period")

    assert result.not_understood == "loan_rate_period"
    assert result.changes == {"loan_rate_period": None}


def test_a_bad_number_is_forgotten_with_the_unit_given_with_it() -> None:
    result = update(FormRules(), "40 years", {"loan_amount": 20000}, "loan_term")

    [(key, error)] = result.problems
    assert (key, error.code) == ("loan_term", ErrorCode.TERM_TOO_LONG)
    assert result.changes == {"loan_term": None, "loan_term_unit": None}
    assert result.values["loan_term"] is None and result.not_understood is None


def test_a_bad_value_already_kept_is_asked_again_alone() -> None:
    slots = {"loan_term_unit": "year", "loan_term": 2}

    result = update(FormRules(), "150% per month", slots, "loan_rate")

    assert [key for key, _ in result.problems] == ["loan_rate"]
    assert result.changes == {"loan_rate": None, "loan_rate_period": None}


def test_a_new_calculation_without_terms_forgets_the_old_loan() -> None:
    fresh = update(FormRules(), "calculate my loan", QUOTED, fresh=True)
    with_amount = update(FormRules(), "and for 50000?", QUOTED, fresh=True)
    follow_up = update(FormRules(), "calculate my loan", QUOTED, fresh=False)

    assert fresh.changes["loan_rate"] is None and fresh.values["loan_amount"] is None
    assert with_amount.changes == {"loan_amount": 50000}
    assert follow_up.changes == {}


def test_the_schedule_is_of_the_loan_discussed() -> None:
    result = update(ScheduleFormRules(), "show me the schedule", QUOTED, fresh=True)
    assert result.changes == {} and result.values["loan_rate"] == 2


def test_a_currency_named_is_the_loans_currency() -> None:
    result = update(FormRules(), "20000 ugx", {}, "loan_amount")
    assert result.changes == {"loan_amount": 20000, "loan_currency": "UGX"}
    assert result.currency == "UGX"


def test_a_comparison_after_a_quote_asks_the_second_offer() -> None:
    result = update(CompareFormRules(), "compare it", QUOTED, fresh=True)
    assert result.changes == {key: None for key in loan_slots(SECOND)}
    assert result.values["loan_rate"] == 2

    answer = update(CompareFormRules(), "30% per year declining", result.values, "loan_b_rate")
    assert answer.changes == {
        "loan_b_rate": 30,
        "loan_b_rate_period": "year",
        "loan_b_method": "declining",
    }


def test_a_new_comparison_with_two_rates_replaces_the_first_offers_rate() -> None:
    result = update(CompareFormRules(), "2% per month or 3% per month", QUOTED, fresh=True)

    assert (result.values["loan_rate"], result.values["loan_b_rate"]) == (2, 3)
    assert result.values["loan_method"] is None  # forgotten with the old offer


def test_a_new_term_after_a_comparison_is_both_offers() -> None:
    slots = {**QUOTED, "loan_b_rate": 30, "loan_b_rate_period": "year"}

    result = update(CompareFormRules(), "6 weeks", slots, fresh=False)

    assert result.changes == {"loan_term": 6, "loan_term_unit": "week"}


def test_a_bad_value_of_the_second_offer_is_asked_for_the_second_offer() -> None:
    slots = {**QUOTED, "requested_slot": "loan_b_rate"}

    result = update(CompareFormRules(), "250% per month", slots, "loan_b_rate")

    assert [key for key, _ in result.problems] == ["loan_b_rate"]
    assert result.values["loan_rate"] == 2 and result.values["loan_b_rate"] is None
