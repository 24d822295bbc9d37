"""The loan conversations: forms, quotes, schedules, comparisons, interest and loan words.

Trackers are built per test as the action server receives them from Rasa; ``Client``
replays messages through the forms the way Rasa's FormAction and rules run them, so the
test stories (tests/stories/loans.yml) are checked against the actions here, without the
trained model.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.loans as loans
from actions.loans import (
    ActionCompareLoans,
    ActionDefineTerm,
    ActionExplainInterest,
    ActionLoanQuote,
    ActionLoanSchedule,
    ValidateLoanCompareForm,
    ValidateLoanForm,
    ValidateLoanScheduleForm,
)
from bot.glossary import lookup
from bot.i18n.catalog import translate
from bot.loans.presenting import Formatter
from bot.settings import PROJECT_ROOT, get_settings

DOMAIN_PATH = PROJECT_ROOT / "domain.yml"
DOMAIN: Dict[str, Any] = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))
STORIES = PROJECT_ROOT / "tests" / "stories" / "loans.yml"
SENDER = "whatsapp:+254700000009"
TODAY = dt.date(2025, 1, 31)
FORMS = {
    "loan_form": (ValidateLoanForm, "action_loan_quote"),
    "loan_schedule_form": (ValidateLoanScheduleForm, "action_loan_schedule"),
    "loan_compare_form": (ValidateLoanCompareForm, "action_compare_loans"),
}
STARTS = {
    "calculate_loan": "loan_form",
    "request_schedule": "loan_schedule_form",
    "compare_loans": "loan_compare_form",
}
ANSWERS = {
    "action_loan_quote": ActionLoanQuote,
    "action_loan_schedule": ActionLoanSchedule,
    "action_compare_loans": ActionCompareLoans,
}
INTERRUPTIONS = {"ask_definition": ActionDefineTerm, "explain_interest": ActionExplainInterest}


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    """KES deployment, no documents served, quotes disbursed on 31 Jan 2025."""
    for name in ("MFI_CURRENCY", "MFI_LOCALES", "MFI_DEFAULT_LANGUAGE", "MFI_DOCUMENTS_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(loans, "today", lambda: TODAY)
    yield
    get_settings.cache_clear()


def user_event(
    text: str, intent: str, entities: List[dict] | None = None, language: str | None = None
) -> Dict[str, Any]:
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "input_channel": "whatsapp",
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.97},
            "entities": entities or [],
            "detected_language": language,
        },
    }


def tracker_of(
    events: List[Dict[str, Any]], slots: Dict[str, Any], active_loop: str | None = None
) -> Tracker:
    latest = next(event for event in reversed(events) if event["event"] == "user")
    return Tracker(
        SENDER,
        dict(slots),
        latest["parse_data"],
        list(events),
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def said(text: str, intent: str, language: str | None = "en", **slots: Any) -> Tracker:
    """A tracker whose latest message is ``text`` (entities from bot/nlu), with slots."""
    from bot.nlu.values import extract_values

    entities = extract_values(text, [language, "en"] if language else None)
    events = [
        {"event": "action", "name": "action_listen"},
        user_event(text, intent, entities, language),
    ]
    return tracker_of(events, slots)


async def run(action: Any, tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


def responses(messages: List[Dict[str, Any]]) -> List[str]:
    return [message["response"] for message in messages]


def rendered(message: Dict[str, Any], language: str) -> str:
    """The text the client reads (the response translated, then filled)."""
    name = message["response"]
    text = translate(language, name, DOMAIN["responses"][name][0]["text"])
    return text.format(**{k: v for k, v in message.items() if isinstance(v, str)})


class Client:
    """One client talking to the loan forms, replayed as Rasa runs them."""

    def __init__(self, language: str | None = "en") -> None:
        self.language = language
        self.slots: Dict[str, Any] = {}
        self.events: List[Dict[str, Any]] = []
        self.loop: str | None = None
        self.last_answer: str | None = None
        self.asked: str | None = None

    def required(self, form: str) -> List[str]:
        return DOMAIN["forms"][form]["required_slots"]

    def apply(self, events: List[Dict[str, Any]]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
                self.events.append(event)

    async def validate(self, form: str, activation: bool) -> Tuple[list, list]:
        events = list(self.events)
        if activation:
            events += [{"event": "active_loop", "name": form}]
            requested = None
        else:
            requested = self.slots.get("requested_slot")
        events += [
            {"event": "slot", "name": "requested_slot", "value": requested},
            {"event": "action", "name": form},
        ]
        slots = {**self.slots, "requested_slot": requested}
        tracker = tracker_of(events, slots, form if activation or self.loop == form else None)
        return await run(FORMS[form][0](), tracker)

    async def say(
        self, text: str, intent: str, entities: List[dict] | None = None
    ) -> Dict[str, Any]:
        """Send a message; return what happened: messages, form run, answer."""
        self.events += [
            {"event": "action", "name": "action_listen"},
            user_event(text, intent, entities, self.language),
        ]
        messages: List[Dict[str, Any]] = []
        form = self.loop
        activation = False
        if form is None:
            form = STARTS.get(intent)
            if form is None and intent == "inform" and self.last_answer:
                form = {answer: name for name, (_, answer) in FORMS.items()}[self.last_answer]
            activation = form is not None
        if form is None:
            return {"messages": messages, "form": None, "answer": None}
        said_messages, events = await self.validate(form, activation)
        messages += said_messages
        if activation and not events:
            said_messages, events = await self.validate(form, activation=False)
            messages += said_messages
        filled = [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"]
        if not activation and not filled:
            interruption = INTERRUPTIONS.get(intent)
            if interruption is not None:
                said_messages, _ = await run(interruption(), self.tracker())
                messages += said_messages
            return {"messages": messages, "form": form, "rejected": True, "answer": None}
        self.apply(events)
        self.events.append({"event": "action", "name": form})
        missing = [slot for slot in self.required(form) if self.slots.get(slot) is None]
        if missing:
            self.loop = form
            self.slots["requested_slot"] = missing[0]
            self.asked = missing[0]
            return {"messages": messages, "form": form, "asked": missing[0], "answer": None}
        self.loop = None
        self.slots["requested_slot"] = None
        answer = FORMS[form][1]
        said_messages, events = await run(ANSWERS[answer](), self.tracker())
        self.apply(events)
        self.events.append({"event": "action", "name": answer})
        self.last_answer = answer
        return {"messages": messages + said_messages, "form": form, "answer": answer}

    def tracker(self) -> Tracker:
        return tracker_of(self.events, self.slots, self.loop)

    async def type(self, text: str, intent: str) -> Dict[str, Any]:
        """Send a message with the entities bot/nlu extracts from it."""
        from bot.nlu.values import extract_values

        langs = [self.language, "en"] if self.language else None
        return await self.say(text, intent, extract_values(text, langs))


def figures(messages: List[Dict[str, Any]], response: str) -> Dict[str, Any]:
    return next(message for message in messages if message["response"] == response)


# --- the five worked cases of docs/finance.md, through the actions -----------------------

WORKED_CASES = [
    # slots, installment, interest, total paid, APR, EIR (en, KES)
    (
        dict(
            loan_amount=10000,
            loan_rate=2,
            loan_rate_period="month",
            loan_term=12,
            loan_term_unit="month",
            loan_frequency="monthly",
            loan_method="flat",
        ),
        "Ksh\xa01,033.33",
        "Ksh\xa02,400.00",
        "Ksh\xa012,400.00",
        "41.7%",
        "50.7%",
    ),
    (
        dict(
            loan_amount=10000,
            loan_rate=2,
            loan_rate_period="month",
            loan_term=12,
            loan_term_unit="month",
            loan_frequency="monthly",
            loan_method="flat",
            loan_upfront_fee_pct=2,
        ),
        "Ksh\xa01,033.33",
        "Ksh\xa02,400.00",
        "Ksh\xa012,600.00",
        "45.8%",
        "56.8%",
    ),
    (
        dict(
            loan_amount=10000,
            loan_rate=15,
            loan_rate_period="term",
            loan_term=6,
            loan_term_unit="month",
            loan_frequency="weekly",
            loan_method="flat",
        ),
        "Ksh\xa0442.31",
        "Ksh\xa01,500.00",
        "Ksh\xa011,500.00",
        "55.3%",
        "73.4%",
    ),
    (
        dict(
            loan_amount=10000,
            loan_rate=15,
            loan_rate_period="term",
            loan_term=6,
            loan_term_unit="month",
            loan_frequency="weekly",
            loan_method="flat",
            loan_deposit_pct=10,
        ),
        "Ksh\xa0442.31",
        "Ksh\xa01,500.00",
        "Ksh\xa011,500.00",
        "67.1%",
        "94.8%",
    ),
    (
        dict(
            loan_amount=10000,
            loan_rate=24,
            loan_rate_period="year",
            loan_term=12,
            loan_term_unit="month",
            loan_frequency="monthly",
            loan_method="declining",
        ),
        "Ksh\xa0945.60",
        "Ksh\xa01,347.15",
        "Ksh\xa011,347.15",
        "24.0%",
        "26.8%",
    ),
]


def localised(text: str, language: str) -> str:
    """An English figure ("Ksh 1,033.33", "41.7%") as the language writes it."""
    from bot.i18n import format_money, format_percent

    number = Decimal(re.sub(r"[^\d.]", "", text))
    if text.endswith("%"):
        return format_percent(number / 100, language)
    return format_money(number, language, "KES")


@pytest.mark.parametrize("language", ["en", "sw", "hi"])
@pytest.mark.parametrize("case", range(len(WORKED_CASES)))
async def test_the_worked_cases_are_quoted_in_the_clients_language(
    case: int, language: str
) -> None:
    slots, installment, interest, total_paid, apr, eir = WORKED_CASES[case]
    tracker = said("how much will i pay", "calculate_loan", language, **slots)

    messages, events = await run(ActionLoanQuote(), tracker)

    quote_message = figures(messages, "utter_loan_quote")
    expected = {
        "installment": installment,
        "interest": interest,
        "total_paid": total_paid,
        "apr": apr,
        "eir": eir,
    }
    assert {key: quote_message[key] for key in expected} == {
        key: localised(value, language) for key, value in expected.items()
    }
    assert events == []
    text = rendered(quote_message, language)
    assert quote_message["apr_rounded"] in text and quote_message["installment"] in text


async def test_a_quote_says_count_terms_and_the_plain_sentence_in_english() -> None:
    slots, *_ = WORKED_CASES[0]
    messages, _ = await run(ActionLoanQuote(), said("quote", "calculate_loan", "en", **slots))

    text = rendered(messages[0], "en")
    assert text.startswith("KES\xa010,000.00 at 2% per month, flat rate, for 12 months:")
    assert "12 installments of KES\xa01,033.33, every month" in text
    assert text.endswith("This loan costs you about 42% a year.")
    assert responses(messages) == ["utter_loan_quote"]


async def test_fees_and_a_deposit_are_explained_after_the_quote() -> None:
    messages, _ = await run(
        ActionLoanQuote(), said("quote", "calculate_loan", "en", **WORKED_CASES[1][0])
    )
    assert responses(messages) == ["utter_loan_quote", "utter_loan_fees"]
    assert messages[1]["fees"] == "KES\xa0200.00"

    messages, _ = await run(
        ActionLoanQuote(), said("quote", "calculate_loan", "en", **WORKED_CASES[3][0])
    )
    assert responses(messages) == ["utter_loan_quote", "utter_loan_deposit"]
    assert (messages[1]["deposit"], messages[1]["disbursed"]) == (
        "KES\xa01,000.00",
        "KES\xa09,000.00",
    )


async def test_bengali_figures_use_bengali_digits() -> None:
    messages, _ = await run(
        ActionLoanQuote(), said("quote", "calculate_loan", "bn", **WORKED_CASES[0][0])
    )
    assert messages[0]["installment"] == "১,০৩৩.৩৩\xa0KES"
    assert messages[0]["apr"] == "৪১.৭%"
    assert "১২" in rendered(messages[0], "bn")


async def test_the_currency_a_client_names_is_used_with_its_decimals() -> None:
    slots = {**WORKED_CASES[0][0], "loan_currency": "UGX"}
    messages, _ = await run(ActionLoanQuote(), said("quote", "calculate_loan", "en", **slots))
    assert messages[0]["installment"] == "UGX\xa01,033"


# --- one message, step by step, bad values ----------------------------------------------


async def test_one_message_with_every_term_is_answered_at_once_and_assumes_flat() -> None:
    client = Client("en")
    result = await client.type(
        "how much every week if I borrow 20000 for 6 months at 2% per month", "calculate_loan"
    )

    assert result["answer"] == "action_loan_quote"
    assert responses(result["messages"]) == ["utter_loan_quote", "utter_loan_assumed_flat"]
    quote_message = result["messages"][0]
    assert quote_message["count"] == "26"
    assert quote_message["installment"] == "KES\xa0861.54"  # 20000/26 + 2400/26
    assert quote_message["total_paid"] == "KES\xa022,400.00"
    assert client.slots.get("loan_method") is None


async def test_step_by_step_asks_only_what_is_missing_and_reasks_bad_values() -> None:
    client = Client("en")
    steps = [
        ("calculate my loan", "calculate_loan", [], "loan_amount"),
        ("-500", "inform", ["utter_loan_amount_invalid"], "loan_amount"),
        ("abc", "nlu_fallback", ["utter_loan_amount_invalid"], "loan_amount"),
        ("20000", "inform", [], "loan_rate"),
        ("2", "inform", [], "loan_rate_period"),
        ("blue", "nlu_fallback", ["utter_loan_choose_option"], "loan_rate_period"),
        ("monthly", "inform", [], "loan_term"),
        ("0 months", "inform", ["utter_loan_term_invalid"], "loan_term"),
        ("40 years", "inform", ["utter_loan_term_too_long"], "loan_term"),
        ("6", "inform", [], "loan_term_unit"),
        ("months", "inform", [], "loan_frequency"),
        ("daily", "inform", ["utter_loan_frequency_invalid"], "loan_frequency"),
    ]
    for text, intent, said_back, asked in steps:
        result = await client.type(text, intent)
        assert (responses(result["messages"]), result.get("asked")) == (said_back, asked), text

    result = await client.type("every week", "inform")

    assert result["answer"] == "action_loan_quote"
    assert client.slots["loan_term"] == 6 and client.slots["loan_rate_period"] == "month"
    assert result["messages"][0]["installment"] == "KES\xa0861.54"


async def test_too_high_a_rate_names_the_limit() -> None:
    client = Client("sw")
    await client.type("hesabu mkopo wangu", "calculate_loan")
    await client.type("20000", "inform")

    result = await client.type("150% kwa mwezi", "inform")

    assert responses(result["messages"]) == ["utter_loan_rate_too_high"]
    assert result["messages"][0]["max"] == "100"
    assert result["asked"] == "loan_rate"


async def test_a_rate_for_the_whole_loan_is_spread_over_its_term() -> None:
    client = Client("en")
    result = await client.type(
        "how much every week if I borrow 10000 for 6 months at 15% flat", "calculate_loan"
    )
    assert result["asked"] == "loan_rate_period"

    result = await client.say("/inform", "inform", [{"entity": "rate_period", "value": "term"}])

    quoted = figures(result["messages"], "utter_loan_quote")
    assert (quoted["installment"], quoted["apr"]) == ("KES\xa0442.31", "55.3%")
    assert quoted["rate"] == "15% for the whole loan"


async def test_follow_ups_reuse_the_other_terms() -> None:
    client = Client("en")
    await client.type(
        "calculate 10000 at 2% a month flat for 6 months every month", "calculate_loan"
    )

    fee = await client.type("there is also a 2% fee", "inform")
    longer = await client.type("and what if it were 12 months?", "inform")
    declining = await client.type("declining", "inform")

    assert client.slots["loan_upfront_fee_pct"] == 2
    assert figures(fee["messages"], "utter_loan_fees")["fees"] == "KES\xa0200.00"
    assert figures(longer["messages"], "utter_loan_quote")["apr"] == "45.8%"
    assert figures(declining["messages"], "utter_loan_quote")["method"] == "declining balance"
    assert "utter_loan_assumed_flat" not in responses(declining["messages"])


async def test_a_new_calculation_without_terms_starts_afresh() -> None:
    client = Client("en")
    await client.type(
        "calculate 10000 at 2% a month flat for 6 months every month", "calculate_loan"
    )

    result = await client.type("calculate my loan", "calculate_loan")

    assert result["asked"] == "loan_amount"
    assert client.slots["loan_rate"] is None


async def test_a_new_amount_reuses_the_other_terms() -> None:
    client = Client("en")
    await client.type(
        "calculate 10000 at 2% a month flat for 6 months every month", "calculate_loan"
    )

    result = await client.type("how much is the installment for 50k", "calculate_loan")

    assert result["answer"] == "action_loan_quote"
    assert figures(result["messages"], "utter_loan_quote")["amount"] == "KES\xa050,000.00"


async def test_a_question_in_the_middle_interrupts_the_form_and_is_answered() -> None:
    client = Client("en")
    await client.type("calculate my loan", "calculate_loan")

    result = await client.type("what is APR", "ask_definition")

    assert result.get("rejected") is True
    assert responses(result["messages"]) == ["utter_definition"]
    assert client.slots.get("loan_amount") is None


async def test_a_form_rerun_after_an_interruption_does_not_read_the_question_again() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        user_event(
            "what does 2% per month mean",
            "explain_interest",
            [{"entity": "rate", "value": 2, "start": 10, "end": 12}],
            "en",
        ),
        {"event": "action", "name": "action_explain_interest"},
        {"event": "bot", "text": "..."},
        {"event": "slot", "name": "requested_slot", "value": "loan_rate"},
        {"event": "action", "name": "loan_form"},
    ]
    tracker = tracker_of(events, {"requested_slot": "loan_rate"}, "loan_form")

    messages, events = await run(ValidateLoanForm(), tracker)

    assert (messages, events) == ([], [])


# --- fees and other costs ------------------------------------------------------------------


async def test_a_grace_period_too_long_is_asked_again() -> None:
    client = Client("en")
    result = await client.type(
        "calculate 10000 at 2% a month for 2 months every month with a grace period of 3 months",
        "calculate_loan",
    )
    assert "utter_loan_grace_too_long" in responses(result["messages"])
    assert figures(result["messages"], "utter_loan_grace_too_long")["max"] == "1"
    assert client.slots["loan_grace"] is None
    assert result["answer"] == "action_loan_quote"


# --- schedule -----------------------------------------------------------------------------


async def test_the_schedule_shows_the_first_rows_the_last_and_the_totals() -> None:
    slots = WORKED_CASES[2][0]
    messages, _ = await run(
        ActionLoanSchedule(), said("schedule", "request_schedule", "en", **slots)
    )

    assert responses(messages) == ["utter_loan_schedule"]
    rows = messages[0]["rows"].splitlines()
    assert rows[0] == "1 | Feb 7, 2025 | 442.31 | 9,615.38"
    assert rows[5] == "…" and len(rows) == 7
    assert rows[-1] == "26 | Aug 1, 2025 | 442.25 | 0.00"
    assert messages[0]["total_paid"] == "KES\xa011,500.00"


async def test_the_schedule_documents_are_written_and_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFI_DOCUMENTS_URL", "https://example.org/docs/")
    monkeypatch.setenv("MFI_DOCUMENTS_DIR", str(tmp_path))
    old = tmp_path / "schedule-old.csv"
    old.write_text("x")
    import os

    os.utime(old, (0, 0))
    slots = WORKED_CASES[0][0]

    messages, _ = await run(ActionLoanSchedule(), said("ratiba", "request_schedule", "sw", **slots))

    assert responses(messages) == [
        "utter_loan_schedule",
        "utter_schedule_document",
        "utter_schedule_spreadsheet",
    ]
    pdf_url, csv_url = messages[1]["attachment"], messages[2]["attachment"]
    assert re.fullmatch(r"https://example\.org/docs/schedule-[0-9a-f]{32}\.pdf", pdf_url)
    pdf = tmp_path / pdf_url.rsplit("/", 1)[1]
    assert pdf.read_bytes().startswith(b"%PDF")
    with open(tmp_path / csv_url.rsplit("/", 1)[1], encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 13
    assert rows[1] == ["1", "2025-02-28", "833.33", "200.00", "0.00", "1033.33", "9166.67"]
    columns = Formatter("sw", "KES").phrase("utter_loan_document_columns").split("|")
    assert rows[0] == [column.strip() for column in columns]
    assert not old.exists()


async def test_documents_are_skipped_without_a_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MFI_DOCUMENTS_DIR", str(tmp_path))
    messages, _ = await run(
        ActionLoanSchedule(), said("schedule", "request_schedule", "en", **WORKED_CASES[0][0])
    )
    assert responses(messages) == ["utter_loan_schedule"]
    assert list(tmp_path.iterdir()) == []


# --- comparison ---------------------------------------------------------------------------


async def test_two_offers_from_one_message_are_compared_with_a_reason() -> None:
    client = Client("en")
    first = await client.type(
        "compare 20000 for 12 months every month at 2% per month flat with 30% per year declining",
        "compare_loans",
    )

    assert first["answer"] == "action_compare_loans"
    said_back = responses(first["messages"])
    assert said_back[:2] == ["utter_loan_comparison", "utter_loan_second_cheaper"]
    assert said_back[2] == "utter_loan_reason_flat"
    comparison = first["messages"][0]
    assert (comparison["rate_a"], comparison["rate_b"]) == ("2% per month", "30% per year")
    assert comparison["method_b"] == "declining balance"


async def test_a_comparison_step_by_step_asks_each_offers_rate() -> None:
    client = Client("en")
    result = await client.type("which loan is cheaper", "compare_loans")
    assert responses(result["messages"]) == ["utter_loan_compare_intro"]
    assert result["asked"] == "loan_amount"

    asked = []
    for text in ("20000", "2% per month flat", "3", "per month", "6 months", "every week"):
        result = await client.type(text, "inform")
        asked.append(result.get("asked"))

    assert asked == [
        "loan_rate",
        "loan_b_rate",
        "loan_b_rate_period",
        "loan_term",
        "loan_frequency",
        None,
    ]
    assert result["answer"] == "action_compare_loans"
    assert responses(result["messages"])[1] == "utter_loan_first_cheaper"
    assert "utter_loan_assumed_flat" in responses(result["messages"])


async def test_a_quoted_loan_is_compared_with_a_new_offer() -> None:
    client = Client("en")
    await client.type(
        "calculate 20000 at 2% a month flat for 6 months every week", "calculate_loan"
    )

    result = await client.say("/compare_loans", "compare_loans")
    assert responses(result["messages"]) == ["utter_loan_compare_with_last"]
    assert result["messages"][0]["rate"] == "2% per month"
    assert result["asked"] == "loan_b_rate"

    result = await client.type("25% per year declining", "inform")

    assert result["answer"] == "action_compare_loans"
    assert responses(result["messages"])[1:3] == [
        "utter_loan_second_cheaper",
        "utter_loan_reason_flat",
    ]


async def test_a_new_term_after_a_comparison_changes_both_offers() -> None:
    client = Client("en")
    await client.type(
        "compare 20000 for 12 months every month at 2% per month flat with 30% per year declining",
        "compare_loans",
    )

    result = await client.type("6 months", "inform")

    assert result["answer"] == "action_compare_loans"
    comparison = result["messages"][0]
    assert (comparison["term_a"], comparison["term_b"]) == ("6 months", "6 months")
    assert client.slots.get("loan_b_term") is None


async def test_a_question_with_numbers_in_the_middle_of_a_form_is_not_read_as_an_answer() -> None:
    client = Client("en")
    await client.type("calculate my loan", "calculate_loan")

    result = await client.type("what does 2% per month mean", "explain_interest")

    assert result.get("rejected") is True
    assert responses(result["messages"]) == ["utter_explain_interest"]
    assert client.slots.get("loan_rate") is None


async def test_offers_of_different_amounts_are_compared_by_apr() -> None:
    slots = {
        **WORKED_CASES[0][0],
        "loan_b_amount": 20000,
        "loan_b_rate": 2,
        "loan_b_rate_period": "month",
        "loan_b_method": "flat",
        "loan_b_upfront_fee_pct": 2,
    }
    messages, _ = await run(ActionCompareLoans(), said("compare", "compare_loans", "en", **slots))

    assert responses(messages) == [
        "utter_loan_comparison",
        "utter_loan_first_cheaper_apr",
        "utter_loan_reason_fees",
    ]
    assert messages[1]["apr_difference"] == "4.1%"
    assert messages[0]["amount_b"] == "KES\xa020,000.00"


# --- interest and loan words -----------------------------------------------------------------


async def test_interest_is_explained_with_numbers_computed_in_the_clients_currency() -> None:
    messages, _ = await run(
        ActionExplainInterest(), said("riba inafanyaje kazi", "explain_interest", "sw")
    )

    [message] = messages
    assert message["response"] == "utter_explain_interest"
    assert (message["amount"], message["flat_interest"], message["declining_interest"]) == (
        "Ksh\xa010,000.00",
        "Ksh\xa02,400.00",
        "Ksh\xa01,347.15",
    )
    assert message["difference"] == "Ksh\xa01,052.85"
    assert "10,000.00" in rendered(message, "sw")


async def test_interest_is_explained_with_the_clients_amount_and_rate() -> None:
    tracker = said("what does 3% per month mean", "explain_interest", "en", loan_amount=50000)
    messages, _ = await run(ActionExplainInterest(), tracker)
    assert messages[0]["amount"] == "KES\xa050,000.00"
    assert messages[0]["rate"] == "3% per month"
    assert messages[0]["flat_interest"] == "KES\xa018,000.00"


@pytest.mark.parametrize(
    ("text", "language", "key"),
    [
        ("what is APR", "en", "apr"),
        ("dhamana ni nini", "sw", "collateral"),
        ("que es la tea", "es", "eir"),
        ("c'est quoi le teg", "fr", "teg"),
        ("गारंटर कौन होता है", "hi", "guarantor"),
        ("grace period kya hai", "hi_Latn", "grace_period"),
        ("জামানত কি", "bn", "collateral"),
    ],
)
async def test_a_loan_word_is_explained_in_the_clients_language(
    text: str, language: str, key: str
) -> None:
    messages, _ = await run(ActionDefineTerm(), said(text, "ask_definition", language))

    [message] = messages
    term = lookup(key, language)
    assert (message["response"], message["term"], message["definition"]) == (
        "utter_definition",
        term.term,
        term.definition,
    )


async def test_the_concept_entity_of_a_button_wins() -> None:
    events = [
        user_event(
            "/ask_definition", "ask_definition", [{"entity": "concept", "value": "penalty"}], None
        )
    ]
    messages, _ = await run(ActionDefineTerm(), tracker_of(events, {"language": "fr"}))
    assert messages[0]["term"] == lookup("penalty", "en").term


async def test_an_unknown_word_gets_terms_as_buttons_in_the_clients_language() -> None:
    messages, _ = await run(ActionDefineTerm(), said("que es un pagare", "ask_definition", "es"))

    [message] = messages
    assert message["response"] == "utter_definition_unknown"
    titles = [button["title"] for button in message["buttons"]]
    assert titles[0] == lookup("apr", "es").term and len(titles) == 6
    assert message["buttons"][1]["payload"] == '/ask_definition{"concept":"flat_rate"}'


# --- the test stories, replayed through the forms --------------------------------------------


def story_language(name: str) -> str:
    return re.search(r"\((\w+)\)\s*$", name).group(1)


def load_stories() -> List[Any]:
    return YAMLStoryReader(Domain.load(str(DOMAIN_PATH))).read_from_file(str(STORIES))


@pytest.mark.parametrize("story", load_stories(), ids=lambda story: story.block_name)
async def test_the_test_stories_match_the_forms(story: Any) -> None:
    """Each story's form questions, ends and answers are what the actions do."""
    client = Client(story_language(story.block_name))
    events = list(story.events)
    for index, event in enumerate(events):
        if not isinstance(event, UserUttered):
            continue
        result = await client.say(event.text, event.intent_name, event.entities)
        following = []
        for later in events[index + 1 :]:
            if isinstance(later, UserUttered):
                break
            following.append(later)
        actions = [e.action_name for e in following if isinstance(e, ActionExecuted)]
        ended = any(isinstance(e, ActiveLoop) and e.name is None for e in following)
        if actions and actions[0] in FORMS:
            assert result["form"] == actions[0], event.text
            assert (result["answer"] is not None) == ended, (event.text, result)
            if ended:
                assert result["answer"] == actions[-1], event.text
        said_back = responses(result["messages"])
        assert "utter_loan_value_invalid" not in said_back, event.text
