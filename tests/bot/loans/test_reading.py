"""Client messages into loan values (entities from bot/nlu, as the pipeline gives them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List

import pytest

from bot.loans.reading import (
    Reading,
    Span,
    assign_loan,
    assign_offers,
    concept_in_text,
    read_message,
    read_offer,
)
from bot.nlu.values import extract_values


def reading(text: str, language: str | None = "en") -> Reading:
    languages = [language, "en"] if language else None
    return read_message(text, extract_values(text, languages), language)


def values(spans: List[Span]) -> List[Any]:
    return [span.value for span in spans]


def test_spans_measure_the_characters_between_them() -> None:
    assert Span(1, 0, 4).gap(Span(2, 6, 8)) == 2
    assert Span(1, 0, 4).gap(Span(2, 3, 8)) == 0
    assert Span(1, 0, 4).gap(Span(2)) > 1000  # a button payload has no place


def test_a_rate_takes_the_period_and_method_next_to_it() -> None:
    read = reading("borrow 20000 at 2% per month flat")

    assert values(read.amounts) == [Decimal(20000)]
    [rate] = read.rates
    assert (rate.value, rate.extra) == (Decimal(2), {"rate_period": "month", "method": "flat"})
    assert read.has_values and read.currency is None


def test_a_message_with_only_a_bare_number_gives_no_loan_value() -> None:
    read = reading("6")
    assert not read.has_values
    assert values(read.numbers) == [Decimal(6)]


@pytest.mark.parametrize(("text", "language"), [("0 months", "en"), ("miezi 0", "sw")])
def test_a_number_no_entity_took_keeps_the_unit_next_to_it(text: str, language: str) -> None:
    read = reading(text, language)
    [number] = read.numbers
    assert (number.value, number.extra) == (0, {"term_unit": "month"})
    assert not read.durations


def test_a_lone_unit_is_read_as_a_unit() -> None:
    read = reading("months")
    assert values(read.units) == ["month"]


def test_the_currency_named_is_read_in_capitals() -> None:
    read = read_message("50000 ugx", [{"entity": "currency", "value": "ugx", "start": 6, "end": 9}])
    assert read.currency == "UGX"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("there is also a 2% fee", {"upfront_fee_pct": 2}),
        ("processing fee of 300", {"upfront_fee": 300}),
        ("10% deposit", {"deposit_pct": 10}),
        ("insurance 150", {"insurance": 150}),
        ("ada ya 2%", {"upfront_fee_pct": 2}),
        ("with a grace period of 2 months", {"grace": 2, "grace_unit": "month"}),
        ("2% per month flat with a 1% fee", {"upfront_fee_pct": 1}),
    ],
)
def test_costs_are_read_next_to_their_word(text: str, expected: Dict[str, Any]) -> None:
    read = read_message(text, extract_values(text, None))

    assert {name: value for name, value, _ in read.add_ons} == {
        name: Decimal(value) if not isinstance(value, str) else value
        for name, value in expected.items()
    }
    assert [span.value for span in read.rates] == ([2] if "per month" in text else [])


def test_a_number_far_from_a_cost_word_is_not_a_cost() -> None:
    read = reading("I need 20000 for my shop and the fee")
    assert read.add_ons == [] and values(read.amounts) == [Decimal(20000)]


def test_a_minus_sign_makes_an_amount_negative() -> None:
    read = read_message("-500", [{"entity": "amount", "value": 500, "start": 1, "end": 4}])
    assert [span.value for span in read.amounts] == [Decimal(-500)]
    read = read_message("10-500", [{"entity": "amount", "value": 500, "start": 3, "end": 6}])
    assert [span.value for span in read.amounts] == [Decimal(500)]


def test_a_bare_number_answers_the_question_asked() -> None:
    assert read_offer(reading("2"), answer="rate") == {"rate": Decimal(2)}
    assert read_offer(reading("6"), answer="term") == {"term": Decimal(6)}
    assert read_offer(reading("6"), answer=None) == {}


def test_a_word_answers_the_period_question_and_nothing_else() -> None:
    assert read_offer(reading("monthly"), answer="rate_period") == {"rate_period": "month"}
    assert read_offer(reading("monthly"), answer="frequency") == {"frequency": "monthly"}
    assert read_offer(reading("months"), answer="term_unit") == {"term_unit": "month"}


def test_one_message_with_every_term_gives_the_whole_loan_as_slots() -> None:
    text = "how much every week if I borrow 20000 for 6 months at 2% per month"

    slots = assign_loan(reading(text), None)

    assert slots == {
        "loan_amount": 20000,
        "loan_rate": 2,
        "loan_rate_period": "month",
        "loan_term": 6,
        "loan_term_unit": "month",
        "loan_frequency": "weekly",
    }


def test_a_message_with_two_offers_gives_one_value_of_each_kind_to_each() -> None:
    text = (
        "compare 20000 for 12 months every month at 2% per month flat with 30% per year declining"
    )

    slots = assign_offers(reading(text), "loan_", None, {})

    assert (slots["loan_rate"], slots["loan_rate_period"], slots["loan_method"]) == (
        2,
        "month",
        "flat",
    )
    assert (slots["loan_b_rate"], slots["loan_b_rate_period"], slots["loan_b_method"]) == (
        30,
        "year",
        "declining",
    )
    assert (slots["loan_amount"], slots["loan_term"]) == (20000, 12)
    assert "loan_b_amount" not in slots and "loan_b_term" not in slots


def test_a_second_rate_without_a_period_takes_the_only_period_given() -> None:
    slots = assign_offers(reading("2% per month flat or 3% declining"), "loan_", None, {})
    assert (slots["loan_b_rate"], slots["loan_b_rate_period"]) == (3, "month")


def test_a_single_value_for_the_second_offer_is_shared_unless_the_first_differs() -> None:
    first = {"loan_term": 12, "loan_term_unit": "month"}

    same = assign_offers(reading("12 months"), "loan_b_", None, first)
    own = assign_offers(reading("6 months"), "loan_b_", None, first)
    shared = assign_offers(reading("6 months"), "loan_b_", None, first, share=True)

    assert same == {"loan_term": 12, "loan_term_unit": "month"}
    assert own == {"loan_b_term": 6, "loan_term_unit": "month"}
    assert shared == {"loan_term": 6, "loan_term_unit": "month"}


def test_costs_belong_to_the_offer_whose_rate_comes_before_them() -> None:
    text = "2% per month with a 1% fee or 30% per year with a fee of 500"
    slots = assign_offers(reading(text), "loan_", None, {})
    assert slots["loan_upfront_fee_pct"] == 1
    assert slots["loan_b_upfront_fee"] == 500


def test_the_glossary_word_in_a_text_is_found() -> None:
    assert concept_in_text("what is APR", "en") == "apr"
    assert concept_in_text("dhamana ni nini", "sw") == "collateral"
    assert concept_in_text("hello there", "en") is None
