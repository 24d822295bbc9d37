"""Loans: what a loan costs, its schedule, two offers compared, interest and loan words.

The actions collect slots and the latest message, call ``bot.loans`` (reading messages,
checks with the engine, formatted values, documents; docs/loans.md) and utter domain
responses. Three forms ask for what a message did not give, one question at a time:
``loan_form`` (then ``action_loan_quote``), ``loan_schedule_form`` (then
``action_loan_schedule``) and ``loan_compare_form`` (then ``action_compare_loans``). Their
slots are ``loan_<field>`` for the loan (the first offer of a comparison) and
``loan_b_<field>`` for the second offer; they are kept between questions, so a follow-up
("and for 12 months?") re-opens the form, which changes one value and answers again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Dict, List, Mapping

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from actions.common import is_activation, language_of, latest_entity, payload
from bot.finance import ErrorCode, LoanInputError
from bot.glossary import lookup
from bot.loans import comparison, presenting
from bot.loans.comparison import judge
from bot.loans.documents import documents_location, write_documents
from bot.loans.engine import (
    field_at_fault,
    interest_example,
    method_assumed,
    quote_offer,
)
from bot.loans.fields import (
    AMOUNT,
    CURRENCY_KEY,
    FIRST,
    FREQUENCY,
    METHOD,
    OFFERS,
    RATE,
    RATE_PERIOD,
    SECOND,
    TERM,
    TERM_UNIT,
    field_of,
    offer_values,
)
from bot.loans.forms import CompareFormRules, FormRules, ScheduleFormRules
from bot.loans.presenting import (
    Formatter,
    comparison_values,
    error_values,
    interest_values,
    quote_notes,
    quote_values,
    schedule_lines,
    suggested_terms,
    verdict_values,
)
from bot.loans.reading import Reading, concept_in_text, read_message
from bot.nlu.concepts import CONCEPT
from bot.settings import get_settings

logger = logging.getLogger(__name__)

# --- names ---------------------------------------------------------------------------

ACTION_LOAN_QUOTE = "action_loan_quote"
ACTION_LOAN_SCHEDULE = "action_loan_schedule"
ACTION_COMPARE_LOANS = "action_compare_loans"
ACTION_EXPLAIN_INTEREST = "action_explain_interest"
ACTION_DEFINE_TERM = "action_define_term"
FORM_LOAN = "loan_form"
FORM_LOAN_SCHEDULE = "loan_schedule_form"
FORM_LOAN_COMPARE = "loan_compare_form"

INTENT_INFORM = "inform"
INTENT_FALLBACK = "nlu_fallback"
INTENT_CALCULATE_LOAN = "calculate_loan"
INTENT_REQUEST_SCHEDULE = "request_schedule"
INTENT_COMPARE_LOANS = "compare_loans"
INTENT_ASK_DEFINITION = "ask_definition"
# Intents whose messages are read for loan values while a loan form asks a question;
# other intents (a question, "no", "person") interrupt the form instead.
VALUE_INTENTS = frozenset(
    {
        INTENT_INFORM,
        INTENT_FALLBACK,
        INTENT_CALCULATE_LOAN,
        INTENT_REQUEST_SCHEDULE,
        INTENT_COMPARE_LOANS,
    }
)

ENTITY_CONCEPT = CONCEPT

# slots: the loan's are ``loan_<field>`` and ``loan_b_<field>`` (bot.loans.fields)
SLOT_CURRENCY = CURRENCY_KEY
SLOT_AMOUNT = FIRST + AMOUNT

# events and message keys read from the tracker
EVENT_KEY = "event"
EVENT_USER = "user"
EVENT_ACTION = "action"
EVENT_ACTIVE_LOOP = "active_loop"
NAME_KEY = "name"
MESSAGE_TEXT = "text"
MESSAGE_ENTITIES = "entities"
MESSAGE_INTENT = "intent"
MESSAGE_LANGUAGE = "detected_language"
BUTTON_TITLE = "title"
BUTTON_PAYLOAD = "payload"

# responses
UTTER_LOAN_QUOTE = "utter_loan_quote"
UTTER_LOAN_FEES = "utter_loan_fees"
UTTER_LOAN_DEPOSIT = "utter_loan_deposit"
UTTER_LOAN_GRACE = "utter_loan_grace"
UTTER_LOAN_ASSUMED_FLAT = "utter_loan_assumed_flat"
UTTER_LOAN_SCHEDULE = "utter_loan_schedule"
UTTER_SCHEDULE_DOCUMENT = "utter_schedule_document"
UTTER_SCHEDULE_SPREADSHEET = "utter_schedule_spreadsheet"
UTTER_LOAN_COMPARISON = "utter_loan_comparison"
UTTER_LOAN_COMPARE_INTRO = "utter_loan_compare_intro"
UTTER_LOAN_COMPARE_WITH_LAST = "utter_loan_compare_with_last"
UTTER_LOAN_FIRST_CHEAPER = "utter_loan_first_cheaper"
UTTER_LOAN_SECOND_CHEAPER = "utter_loan_second_cheaper"
UTTER_LOAN_FIRST_CHEAPER_APR = "utter_loan_first_cheaper_apr"
UTTER_LOAN_SECOND_CHEAPER_APR = "utter_loan_second_cheaper_apr"
UTTER_LOAN_SAME_COST = "utter_loan_same_cost"
UTTER_LOAN_REASON_FLAT = "utter_loan_reason_flat"
UTTER_LOAN_REASON_FEES = "utter_loan_reason_fees"
UTTER_LOAN_REASON_RATE = "utter_loan_reason_rate"
UTTER_LOAN_REASON_TERM = "utter_loan_reason_term"
UTTER_EXPLAIN_INTEREST = "utter_explain_interest"
UTTER_DEFINITION = "utter_definition"
UTTER_DEFINITION_UNKNOWN = "utter_definition_unknown"
UTTER_AMOUNT_INVALID = "utter_loan_amount_invalid"
UTTER_AMOUNT_TOO_LARGE = "utter_loan_amount_too_large"
UTTER_RATE_INVALID = "utter_loan_rate_invalid"
UTTER_RATE_TOO_HIGH = "utter_loan_rate_too_high"
UTTER_TERM_INVALID = "utter_loan_term_invalid"
UTTER_TERM_TOO_LONG = "utter_loan_term_too_long"
UTTER_TERM_TOO_SHORT = "utter_loan_term_too_short"
UTTER_FREQUENCY_INVALID = "utter_loan_frequency_invalid"
UTTER_CHOOSE_OPTION = "utter_loan_choose_option"
UTTER_GRACE_INVALID = "utter_loan_grace_invalid"
UTTER_GRACE_TOO_LONG = "utter_loan_grace_too_long"
UTTER_ADD_ON_INVALID = "utter_loan_add_on_invalid"
UTTER_DEDUCTIONS_TOO_HIGH = "utter_loan_deductions_too_high"
UTTER_VALUE_INVALID = "utter_loan_value_invalid"

# What a re-ask says when the question's answer was not understood.
NOT_UNDERSTOOD = {
    AMOUNT: UTTER_AMOUNT_INVALID,
    RATE: UTTER_RATE_INVALID,
    TERM: UTTER_TERM_INVALID,
    RATE_PERIOD: UTTER_CHOOSE_OPTION,
    TERM_UNIT: UTTER_CHOOSE_OPTION,
    FREQUENCY: UTTER_CHOOSE_OPTION,
}
# Engine error codes -> re-ask; not_a_number and the *_unknown codes depend on the field.
ERROR_RESPONSES = {
    ErrorCode.AMOUNT_NOT_POSITIVE: UTTER_AMOUNT_INVALID,
    ErrorCode.AMOUNT_TOO_LARGE: UTTER_AMOUNT_TOO_LARGE,
    ErrorCode.RATE_NEGATIVE: UTTER_RATE_INVALID,
    ErrorCode.RATE_TOO_HIGH: UTTER_RATE_TOO_HIGH,
    ErrorCode.TERM_NOT_POSITIVE: UTTER_TERM_INVALID,
    ErrorCode.TERM_TOO_LONG: UTTER_TERM_TOO_LONG,
    ErrorCode.TERM_TOO_SHORT: UTTER_TERM_TOO_SHORT,
    ErrorCode.FREQUENCY_UNKNOWN: UTTER_FREQUENCY_INVALID,
    ErrorCode.PERIOD_UNKNOWN: UTTER_CHOOSE_OPTION,
    ErrorCode.GRACE_NOT_INTEGER: UTTER_GRACE_INVALID,
    ErrorCode.GRACE_NEGATIVE: UTTER_GRACE_INVALID,
    ErrorCode.GRACE_TOO_LONG: UTTER_GRACE_TOO_LONG,
    ErrorCode.VALUE_NEGATIVE: UTTER_ADD_ON_INVALID,
    ErrorCode.VALUE_TOO_LARGE: UTTER_ADD_ON_INVALID,
    ErrorCode.PERCENT_TOO_HIGH: UTTER_ADD_ON_INVALID,
    ErrorCode.DEDUCTIONS_TOO_HIGH: UTTER_DEDUCTIONS_TOO_HIGH,
}
FIELD_NOT_A_NUMBER = {
    AMOUNT: UTTER_AMOUNT_INVALID,
    RATE: UTTER_RATE_INVALID,
    TERM: UTTER_TERM_INVALID,
}
# The lines after a quote (bot.loans.presenting.quote_notes).
NOTE_RESPONSES = {
    presenting.NOTE_FEES: UTTER_LOAN_FEES,
    presenting.NOTE_DEPOSIT: UTTER_LOAN_DEPOSIT,
    presenting.NOTE_GRACE: UTTER_LOAN_GRACE,
    presenting.NOTE_ASSUMED_FLAT: UTTER_LOAN_ASSUMED_FLAT,
}
# (cheaper offer, by total cost) -> verdict; else by APR (offers of different amounts).
VERDICT_RESPONSES = {
    (comparison.OFFER_A, True): UTTER_LOAN_FIRST_CHEAPER,
    (comparison.OFFER_B, True): UTTER_LOAN_SECOND_CHEAPER,
    (comparison.OFFER_A, False): UTTER_LOAN_FIRST_CHEAPER_APR,
    (comparison.OFFER_B, False): UTTER_LOAN_SECOND_CHEAPER_APR,
}
REASON_RESPONSES = {
    comparison.REASON_FLAT: UTTER_LOAN_REASON_FLAT,
    comparison.REASON_FEES: UTTER_LOAN_REASON_FEES,
    comparison.REASON_RATE: UTTER_LOAN_REASON_RATE,
    comparison.REASON_TERM: UTTER_LOAN_REASON_TERM,
}


def today() -> dt.date:
    """The disbursement date of quotes (a function, so tests can fix it)."""
    return dt.date.today()


def error_response(error: LoanInputError, name: str) -> str:
    """The re-ask response for an engine error on a field."""
    if error.code == ErrorCode.NOT_A_NUMBER:
        return FIELD_NOT_A_NUMBER.get(name, UTTER_VALUE_INVALID)
    if error.code == ErrorCode.PERIOD_UNKNOWN or name in (RATE_PERIOD, TERM_UNIT):
        return UTTER_CHOOSE_OPTION
    return ERROR_RESPONSES.get(error.code, UTTER_VALUE_INVALID)


# --- the conversation's state ------------------------------------------------------------


def message_is_new(tracker: Tracker, form: str) -> bool:
    """Whether the client's latest message has not been handled since it came.

    A form re-run after an interruption (a definition asked in the middle) must not read
    the interrupting message again.
    """
    marker_seen = False
    for event in reversed(tracker.events):
        kind = event.get(EVENT_KEY)
        if kind == EVENT_USER:
            return True
        if kind == EVENT_ACTION:
            if event.get(NAME_KEY) == form and not marker_seen:
                marker_seen = True
                continue
            return False
    return False


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the latest message."""
    return ((tracker.latest_message or {}).get(MESSAGE_INTENT) or {}).get(NAME_KEY)


def detected_language(tracker: Tracker) -> str | None:
    """The language the latest message is written in, when known."""
    return (tracker.latest_message or {}).get(MESSAGE_LANGUAGE)


def reading_of(tracker: Tracker) -> Reading:
    """The loan values of the latest message."""
    message = tracker.latest_message or {}
    return read_message(
        message.get(MESSAGE_TEXT) or "",
        message.get(MESSAGE_ENTITIES) or [],
        detected_language(tracker),
    )


def deployment_currency(tracker: Tracker) -> str:
    """The currency loans are quoted in: the one the client named, else the deployment's."""
    return str(tracker.get_slot(SLOT_CURRENCY) or get_settings().currency)


def formatter(tracker: Tracker, domain: Mapping[str, Any]) -> Formatter:
    """Values in the client's language and the loan's currency."""
    return Formatter(language_of(tracker), deployment_currency(tracker), domain)


# --- forms -------------------------------------------------------------------------------


class ValidateLoanForm(FormValidationAction):
    """Reads loan values from each message of ``loan_form`` and re-asks for bad ones."""

    FORM = FORM_LOAN
    # The intent that asks for this form's answer anew (not a follow-up value).
    START_INTENT = INTENT_CALCULATE_LOAN
    RULES: FormRules = FormRules()

    def name(self) -> str:
        """Returns the action's name."""
        return f"validate_{self.FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Sets the slots the message gives; utters a re-ask for each bad value."""
        form = self.form_name()
        if not message_is_new(tracker, form):
            return []
        intent = latest_intent(tracker)
        if intent not in VALUE_INTENTS:  # a question, "no", "a person": the form steps aside
            return []
        activation = is_activation(tracker, form)
        update = self.RULES.update(
            reading_of(tracker),
            tracker.slots,
            requested=None if activation else tracker.get_slot(REQUESTED_SLOT),
            activation=activation,
            fresh=intent == self.START_INTENT,
            default_currency=get_settings().currency,
        )
        fmt = Formatter(language_of(tracker), update.currency, domain)
        for key, error in update.problems:
            response = error_response(error, field_of(key)[1])
            dispatcher.utter_message(response=response, **error_values(error, fmt))
        if update.not_understood:  # "abc": say what is expected, then ask again
            response = NOT_UNDERSTOOD.get(field_of(update.not_understood)[1], UTTER_VALUE_INVALID)
            dispatcher.utter_message(response=response)
        if activation:
            self.introduce(dispatcher, update.values, fmt)
        return [SlotSet(slot, value) for slot, value in update.changes.items()]

    def introduce(
        self, dispatcher: CollectingDispatcher, slots: Mapping[str, Any], fmt: Formatter
    ) -> None:
        """What the form says when it starts (nothing: its first question says enough)."""


class ValidateLoanScheduleForm(ValidateLoanForm):
    """``loan_schedule_form``: like ``loan_form``; the schedule is of the loan discussed."""

    FORM = FORM_LOAN_SCHEDULE
    START_INTENT = INTENT_REQUEST_SCHEDULE
    RULES = ScheduleFormRules()


class ValidateLoanCompareForm(ValidateLoanForm):
    """``loan_compare_form``: two offers; a message may give both ("2% flat or 30%")."""

    FORM = FORM_LOAN_COMPARE
    START_INTENT = INTENT_COMPARE_LOANS
    RULES = CompareFormRules()

    def introduce(
        self, dispatcher: CollectingDispatcher, slots: Mapping[str, Any], fmt: Formatter
    ) -> None:
        """Says what is compared when the second offer is still to be asked for."""
        if slots.get(SECOND + RATE) is not None:
            return
        first = offer_values(slots, FIRST)
        if first.get(RATE) is None or first.get(RATE_PERIOD) is None:
            dispatcher.utter_message(response=UTTER_LOAN_COMPARE_INTRO)
            return
        dispatcher.utter_message(
            response=UTTER_LOAN_COMPARE_WITH_LAST,
            rate=fmt.rate(first),
            method=fmt.method_name(first.get(METHOD)),
        )


# --- answers ------------------------------------------------------------------------------


def reask(
    dispatcher: CollectingDispatcher, error: LoanInputError, offer: str, fmt: Formatter
) -> List[EventType]:
    """Say what is wrong with a value and forget it (the next question asks again)."""
    name = field_at_fault(error)
    dispatcher.utter_message(response=error_response(error, name), **error_values(error, fmt))
    return [SlotSet(offer + name, None)]


class ActionLoanQuote(Action):
    """What the loan costs: installment, count, interest, total, APR, EIR, one sentence."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_LOAN_QUOTE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Quotes the loan of the slots with the engine."""
        fmt = formatter(tracker, domain)
        try:
            values, quoted = quote_offer(tracker.slots, fmt.currency, FIRST, today)
        except LoanInputError as error:
            return reask(dispatcher, error, FIRST, fmt)
        dispatcher.utter_message(response=UTTER_LOAN_QUOTE, **quote_values(quoted, values, fmt))
        for note, note_values in quote_notes(quoted, values, fmt):
            dispatcher.utter_message(response=NOTE_RESPONSES[note], **note_values)
        return []


class ActionLoanSchedule(Action):
    """The repayment schedule: first rows and totals in the chat, the rest as documents."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_LOAN_SCHEDULE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utters the schedule table and sends the PDF and CSV when documents are served."""
        fmt = formatter(tracker, domain)
        try:
            values, quoted = quote_offer(tracker.slots, fmt.currency, FIRST, today)
        except LoanInputError as error:
            return reask(dispatcher, error, FIRST, fmt)
        dispatcher.utter_message(
            response=UTTER_LOAN_SCHEDULE,
            rows=schedule_lines(quoted, fmt),
            **quote_values(quoted, values, fmt),
        )
        urls = None
        if documents_location() is not None:
            try:  # off the event loop; a document must never break the answer
                urls = await asyncio.to_thread(write_documents, quoted, values, fmt)
            except Exception:  # noqa: BLE001
                logger.exception("Could not write the schedule documents.")
        if urls is not None:
            pdf_url, csv_url = urls
            dispatcher.utter_message(response=UTTER_SCHEDULE_DOCUMENT, attachment=pdf_url)
            dispatcher.utter_message(response=UTTER_SCHEDULE_SPREADSHEET, attachment=csv_url)
        if method_assumed(values):
            dispatcher.utter_message(response=UTTER_LOAN_ASSUMED_FLAT)
        return []


class ActionCompareLoans(Action):
    """Two offers side by side (APR, total cost), which is cheaper and why."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_COMPARE_LOANS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Quotes both offers of the slots and compares them."""
        fmt = formatter(tracker, domain)
        quotes = []
        for offer in OFFERS:
            try:
                quotes.append(quote_offer(tracker.slots, fmt.currency, offer, today))
            except LoanInputError as error:
                return reask(dispatcher, error, offer, fmt)
        (values_a, first), (values_b, second) = quotes
        dispatcher.utter_message(
            response=UTTER_LOAN_COMPARISON, **comparison_values(quotes[0], quotes[1], fmt)
        )
        verdict = judge(first, second)
        if verdict.cheaper == comparison.SAME:
            dispatcher.utter_message(response=UTTER_LOAN_SAME_COST)
        else:
            dispatcher.utter_message(
                response=VERDICT_RESPONSES[(verdict.cheaper, verdict.by_total_cost)],
                **verdict_values(verdict, fmt),
            )
            dispatcher.utter_message(response=REASON_RESPONSES[verdict.reason])
        if method_assumed(values_a) or method_assumed(values_b):
            dispatcher.utter_message(response=UTTER_LOAN_ASSUMED_FLAT)
        return []


# --- interest and loan words ----------------------------------------------------------------


class ActionExplainInterest(Action):
    """Flat vs declining, with an example computed in the client's currency."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_EXPLAIN_INTEREST

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utters the example: the client's amount (or 10,000) at the rate asked about."""
        fmt = formatter(tracker, domain)
        example = interest_example(
            tracker.get_slot(SLOT_AMOUNT), reading_of(tracker).rates, fmt.currency, today
        )
        dispatcher.utter_message(response=UTTER_EXPLAIN_INTEREST, **interest_values(example, fmt))
        return []


def concept_asked(tracker: Tracker) -> str | None:
    """The glossary key the latest message asks about (entity, else found in its text)."""
    value = latest_entity(tracker, ENTITY_CONCEPT)
    if value:
        return str(value)
    text = (tracker.latest_message or {}).get(MESSAGE_TEXT) or ""
    return concept_in_text(text, detected_language(tracker))


class ActionDefineTerm(Action):
    """Explains a loan word from the glossary; unknown words get a few terms as buttons."""

    def name(self) -> str:
        """Returns the action's name."""
        return ACTION_DEFINE_TERM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utters the definition in the client's language, or the suggestions."""
        language = language_of(tracker)
        key = concept_asked(tracker)
        term = lookup(key, language) if key else None
        if term is not None:
            dispatcher.utter_message(
                response=UTTER_DEFINITION, term=term.term, definition=term.definition
            )
            return []
        buttons = [
            {
                BUTTON_TITLE: title,
                BUTTON_PAYLOAD: payload(INTENT_ASK_DEFINITION, {ENTITY_CONCEPT: suggested}),
            }
            for suggested, title in suggested_terms(language)
        ]
        dispatcher.utter_message(response=UTTER_DEFINITION_UNKNOWN, buttons=buttons)
        return []
