"""Budget, affordability and savings conversations (issue 4; docs/budget.md).

Three forms collect what the math of ``bot/finance`` needs; the actions here only read
slots and the latest message, call ``bot.budget`` and utter one domain response per note
it returns (one per tip, reason or error code), then return slot events:

- ``budget_form`` (start_budget): the period (week or month), income sources, then the
  expense categories one by one (Skip / Done buttons). A first message holding income
  and spending ("I earn 12000 a week and spend about 9000") fills it at once: the quick
  path. ``action_budget_route`` runs first and handles "forget my budget".
- ``affordability_form`` (check_affordability): an installment ("1500 a week") or loan
  terms ("20000 at 2% a month for 6 months"), then income, spending and current loan
  repayments unless the client has a saved budget.
- ``savings_form`` (plan_savings): a goal, then a date, a number of weeks or months, or
  an amount saved each week or month.

Messages are read by ``bot.budget.reading`` with the words of ``data/budget/<code>.yml``;
what a message changes in a form is ``bot.budget.<form>_form``; the answers' figures are
formatted by ``bot.budget.presenting``. Budgets are kept by ``bot.budget.keeping`` once
the client agreed (asked once per client).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from dataclasses import replace
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import is_activation, language_of
from bot.budget.affordability_form import (
    ASK_AFFORD_EXPENSES,
    ASK_AFFORD_INCOME,
    ASK_AFFORD_LOANS,
    ASK_AFFORD_REQUEST,
    AffordDraft,
    affordability_rules,
    assess,
    loan_request_of,
    update_affordability,
)
from bot.budget.budget_form import (
    ASK_BUDGET_EXPENSES,
    ASK_BUDGET_INCOME_DONE,
    ASK_BUDGET_INCOMES,
    ASK_BUDGET_PERIOD,
    BudgetDraft,
    update_budget,
)
from bot.budget.items import number
from bot.budget.keeping import (
    forget,
    load_consent,
    load_saved_budget,
    store_budget,
    store_consent,
)
from bot.budget.presenting import (
    ERROR_HOW_OFTEN,
    ERROR_LOAN_AMOUNT_MISSING,
    ERROR_NOT_UNDERSTOOD,
    NOTE_AFFORD_BUDGET_MISSING,
    NOTE_AFFORD_FIT_AMOUNT,
    NOTE_AFFORD_FIT_INSTALLMENT,
    NOTE_AFFORD_FIT_TERM,
    NOTE_AFFORD_LEVEL,
    NOTE_AFFORD_LOAN_INVALID,
    NOTE_AFFORD_LOAN_TERMS,
    NOTE_AFFORD_NOTHING_FITS,
    NOTE_AFFORD_REASON,
    NOTE_AFFORD_REMINDER,
    NOTE_AFFORD_USING_BUDGET,
    NOTE_BUDGET_RESULT,
    NOTE_ERROR,
    NOTE_EXPENSE_NOTED,
    NOTE_EXPENSE_NOTED_PLAIN,
    NOTE_INCOME_NOTED,
    NOTE_INCOME_NOTED_PLAIN,
    NOTE_SAVINGS_INTEREST,
    NOTE_SAVINGS_NO_BUDGET,
    NOTE_SAVINGS_NO_SURPLUS,
    NOTE_SAVINGS_PLAN,
    NOTE_SAVINGS_REACH,
    NOTE_SAVINGS_REALISM,
    NOTE_TIP,
    NOTE_TIP_BUFFER_SAVING,
    NOTE_TOP_CATEGORIES,
    Formatter,
    Note,
    budget_notes,
    error,
    savings_notes,
)
from bot.budget.reading import (
    INTENT_AFFIRM,
    INTENT_CHECK_AFFORDABILITY,
    INTENT_PLAN_SAVINGS,
    INTENT_START_BUDGET,
    Reading,
    is_interruption,
    read_message,
)
from bot.budget.savings_form import (
    ASK_SAVINGS_GOAL,
    ASK_SAVINGS_TARGET,
    SavingsDraft,
    currency_quantum,
    update_savings,
)
from bot.budget.words import KIND_FORGET, budget_words, reading_languages
from bot.finance.budget import BudgetErrorCode, BudgetInputError, Category
from bot.loans.engine import currency_digits
from bot.settings import get_settings

# --- names -------------------------------------------------------------------------

FORM_BUDGET = "budget_form"
FORM_AFFORDABILITY = "affordability_form"
FORM_SAVINGS = "savings_form"
VALIDATE_PREFIX = "validate_"

ACTION_BUDGET_ROUTE = "action_budget_route"
ACTION_ASK_BUDGET_EXPENSES_DONE = "action_ask_budget_expenses_done"
ACTION_BUDGET_SUBMIT = "action_budget_submit"
ACTION_BUDGET_CONSENT = "action_budget_consent"
ACTION_ASK_AFFORD_REQUEST = "action_ask_afford_request"
ACTION_AFFORDABILITY_SUBMIT = "action_affordability_submit"
ACTION_SAVINGS_SUBMIT = "action_savings_submit"
ACTION_LISTEN = "action_listen"
ACTION_EXTRACT_SLOTS = "action_extract_slots"
REQUESTED_SLOT = "requested_slot"

SLOT_BUDGET_ROUTE = "budget_route"
SLOT_BUDGET_PERIOD = "budget_period"
SLOT_BUDGET_INCOMES = "budget_incomes"
SLOT_BUDGET_INCOME_DONE = "budget_income_done"
SLOT_BUDGET_EXPENSES = "budget_expenses"
SLOT_BUDGET_EXPENSES_DONE = "budget_expenses_done"
SLOT_BUDGET_CANCELLED = "budget_cancelled"
SLOT_BUDGET_CONSENT_PENDING = "budget_consent_pending"
SLOT_BUDGET_PENDING = "budget_pending"
ROUTE_FORM = "form"
ROUTE_FORGET = "forget"

SLOT_AFFORD_REQUEST = "afford_request"
SLOT_AFFORD_PENDING_AMOUNT = "afford_pending_amount"
SLOT_AFFORD_HAS_BUDGET = "afford_has_budget"
SLOT_AFFORD_INCOME = "afford_income"
SLOT_AFFORD_EXPENSES = "afford_expenses"
SLOT_AFFORD_LOANS = "afford_loans"
SLOT_AFFORD_CANCELLED = "afford_cancelled"

SLOT_SAVINGS_GOAL = "savings_goal"
SLOT_SAVINGS_TARGET = "savings_target"
SLOT_SAVINGS_RATE = "savings_rate"
SLOT_SAVINGS_CANCELLED = "savings_cancelled"

# The slot each form asks for each question of bot.budget.
BUDGET_QUESTION_SLOTS = {
    ASK_BUDGET_PERIOD: SLOT_BUDGET_PERIOD,
    ASK_BUDGET_INCOMES: SLOT_BUDGET_INCOMES,
    ASK_BUDGET_INCOME_DONE: SLOT_BUDGET_INCOME_DONE,
    ASK_BUDGET_EXPENSES: SLOT_BUDGET_EXPENSES_DONE,
}
AFFORD_QUESTION_SLOTS = {
    ASK_AFFORD_REQUEST: SLOT_AFFORD_REQUEST,
    ASK_AFFORD_INCOME: SLOT_AFFORD_INCOME,
    ASK_AFFORD_EXPENSES: SLOT_AFFORD_EXPENSES,
    ASK_AFFORD_LOANS: SLOT_AFFORD_LOANS,
}
SAVINGS_QUESTION_SLOTS = {
    ASK_SAVINGS_GOAL: SLOT_SAVINGS_GOAL,
    ASK_SAVINGS_TARGET: SLOT_SAVINGS_TARGET,
}

# The latest message and the tracker's events.
MESSAGE_TEXT = "text"
MESSAGE_INTENT = "intent"
MESSAGE_ENTITIES = "entities"
MESSAGE_DETECTED_LANGUAGE = "detected_language"
INTENT_NAME = "name"
EVENT_KIND = "event"
EVENT_NAME = "name"
EVENT_USER = "user"
EVENT_ACTION = "action"

# Responses; ``{variant}`` is the note's variant (a status, code, level, period...).
UTTER_INCOME_NOTED = "utter_budget_income_noted"
UTTER_INCOME_NOTED_PLAIN = "utter_budget_income_noted_plain"
UTTER_EXPENSE_NOTED = "utter_budget_expense_noted"
UTTER_EXPENSE_NOTED_PLAIN = "utter_budget_expense_noted_plain"
UTTER_ASK_EXPENSE = "utter_budget_ask_expense_{category}"
UTTER_RESULT = "utter_budget_result_{variant}"
UTTER_TOP_CATEGORIES = "utter_budget_top_categories"
UTTER_TIP = "utter_budget_tip_{variant}"
UTTER_TIP_BUFFER_SAVING = "utter_budget_tip_emergency_buffer_{variant}s"
UTTER_ASK_CONSENT = "utter_budget_ask_consent"
UTTER_SAVED = "utter_budget_saved"
UTTER_SAVED_AGAIN = "utter_budget_saved_again"
UTTER_NOT_SAVED = "utter_budget_not_saved"
UTTER_FORGOTTEN = "utter_budget_forgotten"
UTTER_NOTHING_TO_FORGET = "utter_budget_nothing_to_forget"
UTTER_BUDGET_CANCELLED = "utter_budget_cancelled"
UTTER_ERROR = "utter_budget_error_{variant}"
UTTER_AFFORD_ASK_FREQUENCY = "utter_afford_ask_frequency"
UTTER_ASK_AFFORD_REQUEST = "utter_ask_afford_request"
UTTER_AFFORD_USING_BUDGET = "utter_afford_using_budget"
UTTER_AFFORD_BUDGET_MISSING = "utter_afford_budget_missing"
UTTER_AFFORD_LOAN_TERMS = "utter_afford_loan_terms_{variant}"
UTTER_AFFORD_LEVEL = "utter_afford_{variant}"
UTTER_AFFORD_REASON = "utter_afford_reason_{variant}"
UTTER_AFFORD_FIT_INSTALLMENT = "utter_afford_fit_installment"
UTTER_AFFORD_FIT_AMOUNT = "utter_afford_fit_amount"
UTTER_AFFORD_FIT_TERM = "utter_afford_fit_term_{variant}s"
UTTER_AFFORD_NOTHING_FITS = "utter_afford_nothing_fits"
UTTER_AFFORD_REMINDER = "utter_afford_reminder_{variant}"
UTTER_AFFORD_LOAN_INVALID = "utter_afford_loan_invalid"
UTTER_AFFORD_CANCELLED = "utter_afford_cancelled"
UTTER_SAVINGS_PLAN = "utter_savings_plan_{variant}s"
UTTER_SAVINGS_REACH = "utter_savings_reach_{variant}s"
UTTER_SAVINGS_INTEREST = "utter_savings_interest"
UTTER_SAVINGS_REALISM = "utter_savings_{variant}"
UTTER_SAVINGS_NO_SURPLUS = "utter_savings_no_surplus"
UTTER_SAVINGS_NO_BUDGET = "utter_savings_no_budget"
UTTER_SAVINGS_CANCELLED = "utter_savings_cancelled"

ERROR_CODES = frozenset(
    {
        ERROR_NOT_UNDERSTOOD,
        ERROR_HOW_OFTEN,
        ERROR_LOAN_AMOUNT_MISSING,
        BudgetErrorCode.NEGATIVE_AMOUNT.value,
        BudgetErrorCode.AMOUNT_TOO_LARGE.value,
        BudgetErrorCode.AMOUNT_NOT_POSITIVE.value,
        BudgetErrorCode.NO_INCOME.value,
        BudgetErrorCode.DATE_NOT_IN_FUTURE.value,
        BudgetErrorCode.ZERO_PERIODS.value,
        BudgetErrorCode.TOO_MANY_PERIODS.value,
        BudgetErrorCode.GOAL_NOT_REACHED.value,
        BudgetErrorCode.INVALID_RATE.value,
    }
)
"""Error codes that have a response (utter_budget_error_<code>)."""

RESPONSES: Mapping[str, str] = {
    NOTE_ERROR: UTTER_ERROR,
    NOTE_INCOME_NOTED: UTTER_INCOME_NOTED,
    NOTE_INCOME_NOTED_PLAIN: UTTER_INCOME_NOTED_PLAIN,
    NOTE_EXPENSE_NOTED: UTTER_EXPENSE_NOTED,
    NOTE_EXPENSE_NOTED_PLAIN: UTTER_EXPENSE_NOTED_PLAIN,
    NOTE_BUDGET_RESULT: UTTER_RESULT,
    NOTE_TOP_CATEGORIES: UTTER_TOP_CATEGORIES,
    NOTE_TIP: UTTER_TIP,
    NOTE_TIP_BUFFER_SAVING: UTTER_TIP_BUFFER_SAVING,
    NOTE_AFFORD_USING_BUDGET: UTTER_AFFORD_USING_BUDGET,
    NOTE_AFFORD_BUDGET_MISSING: UTTER_AFFORD_BUDGET_MISSING,
    NOTE_AFFORD_LOAN_TERMS: UTTER_AFFORD_LOAN_TERMS,
    NOTE_AFFORD_LOAN_INVALID: UTTER_AFFORD_LOAN_INVALID,
    NOTE_AFFORD_LEVEL: UTTER_AFFORD_LEVEL,
    NOTE_AFFORD_REASON: UTTER_AFFORD_REASON,
    NOTE_AFFORD_REMINDER: UTTER_AFFORD_REMINDER,
    NOTE_AFFORD_FIT_INSTALLMENT: UTTER_AFFORD_FIT_INSTALLMENT,
    NOTE_AFFORD_FIT_AMOUNT: UTTER_AFFORD_FIT_AMOUNT,
    NOTE_AFFORD_FIT_TERM: UTTER_AFFORD_FIT_TERM,
    NOTE_AFFORD_NOTHING_FITS: UTTER_AFFORD_NOTHING_FITS,
    NOTE_SAVINGS_PLAN: UTTER_SAVINGS_PLAN,
    NOTE_SAVINGS_REACH: UTTER_SAVINGS_REACH,
    NOTE_SAVINGS_INTEREST: UTTER_SAVINGS_INTEREST,
    NOTE_SAVINGS_REALISM: UTTER_SAVINGS_REALISM,
    NOTE_SAVINGS_NO_SURPLUS: UTTER_SAVINGS_NO_SURPLUS,
    NOTE_SAVINGS_NO_BUDGET: UTTER_SAVINGS_NO_BUDGET,
}
"""The response of each kind of note of bot.budget.presenting."""


# --- shared ------------------------------------------------------------------------


def today() -> dt.date:
    """Return the current date (a function, so that tests can fix it)."""
    return dt.date.today()


def read_tracker(tracker: Tracker, on: dt.date) -> Reading:
    """Read the latest client message of ``tracker`` in the languages it may be in."""
    message = tracker.latest_message or {}
    intent = (message.get(MESSAGE_INTENT) or {}).get(INTENT_NAME)
    languages = reading_languages(language_of(tracker), message.get(MESSAGE_DETECTED_LANGUAGE))
    return read_message(
        str(message.get(MESSAGE_TEXT) or ""),
        message.get(MESSAGE_ENTITIES) or [],
        intent,
        budget_words(languages),
        on,
    )


def formatter_for(tracker: Tracker) -> Formatter:
    """Return the formatter of ``tracker``'s conversation."""
    return Formatter.for_language(language_of(tracker))


def currency_quantum_now() -> Decimal:
    """Return the smallest unit of the deployment's currency."""
    return currency_quantum(get_settings().currency)


def response_of(note: Note) -> str:
    """Return the response of a note (errors without a response: not understood)."""
    variant = note.variant
    if note.kind == NOTE_ERROR and variant not in ERROR_CODES:
        variant = ERROR_NOT_UNDERSTOOD
    return RESPONSES[note.kind].format(variant=variant)


def utter(dispatcher: CollectingDispatcher, notes: List[Note]) -> None:
    """Utter the response of each note with its values."""
    for note in notes:
        dispatcher.utter_message(response=response_of(note), **note.values)


def answered_now(tracker: Tracker, form: str) -> bool:
    """Tell whether the latest client message answers the form (no other action since)."""
    allowed = {ACTION_LISTEN, ACTION_EXTRACT_SLOTS, form, VALIDATE_PREFIX + form}
    for event in reversed(tracker.events):
        kind = event.get(EVENT_KIND)
        if kind == EVENT_USER:
            return True
        if kind == EVENT_ACTION and event.get(EVENT_NAME) not in allowed:
            return False
    return False


def asked_question(tracker: Tracker, question_slots: Mapping[str, str]) -> str | None:
    """Return the question of the slot the form requested, if any."""
    requested = tracker.get_slot(REQUESTED_SLOT)
    return next((q for q, slot in question_slots.items() if slot == requested), None)


def requested(question: str | None, question_slots: Mapping[str, str]) -> EventType:
    """Return the event that requests the slot of ``question`` (None: the form is done)."""
    return SlotSet(REQUESTED_SLOT, None if question is None else question_slots[question])


def slot_events(values: Mapping[str, Any]) -> List[EventType]:
    """Return the events that set the slots ``values``."""
    return [SlotSet(name, value) for name, value in values.items()]


# --- budget ------------------------------------------------------------------------


def budget_draft_of(tracker: Tracker) -> BudgetDraft:
    """Return the budget form's draft kept in ``tracker``'s slots."""
    return BudgetDraft(
        period=tracker.get_slot(SLOT_BUDGET_PERIOD),
        incomes=tuple(tracker.get_slot(SLOT_BUDGET_INCOMES) or ()),
        income_done=tracker.get_slot(SLOT_BUDGET_INCOME_DONE),
        expenses=tuple(tracker.get_slot(SLOT_BUDGET_EXPENSES) or ()),
        expenses_done=tracker.get_slot(SLOT_BUDGET_EXPENSES_DONE),
        cancelled=bool(tracker.get_slot(SLOT_BUDGET_CANCELLED)),
    )


def budget_slots(draft: BudgetDraft) -> Dict[str, Any]:
    """Return the slot values of a budget form's draft."""
    return {
        SLOT_BUDGET_PERIOD: draft.period,
        SLOT_BUDGET_INCOMES: list(draft.incomes) or None,
        SLOT_BUDGET_INCOME_DONE: draft.income_done,
        SLOT_BUDGET_EXPENSES: list(draft.expenses) or None,
        SLOT_BUDGET_EXPENSES_DONE: draft.expenses_done,
        SLOT_BUDGET_CANCELLED: draft.cancelled or None,
    }


def budget_reset() -> Dict[str, Any]:
    """Return the slot values that clear the budget form."""
    return {**budget_slots(BudgetDraft()), REQUESTED_SLOT: None}


class ActionBudgetRoute(Action):
    """Starts a budget, or forgets the saved one ("forget my budget")."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_BUDGET_ROUTE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Delete the saved budget when asked to, else let the budget form start."""
        reading = read_tracker(tracker, today())
        if reading.has(KIND_FORGET) and not reading.mentions:
            deleted = await asyncio.to_thread(forget, tracker.sender_id)
            dispatcher.utter_message(
                response=UTTER_FORGOTTEN if deleted else UTTER_NOTHING_TO_FORGET
            )
            return [
                SlotSet(SLOT_BUDGET_ROUTE, ROUTE_FORGET),
                SlotSet(SLOT_BUDGET_CONSENT_PENDING, False),
            ]
        return [SlotSet(SLOT_BUDGET_ROUTE, ROUTE_FORM)]


class ValidateBudgetForm(Action):
    """Reads the client's answers to the budget form (and the quick path)."""

    def name(self) -> str:
        """Return the action's name."""
        return VALIDATE_PREFIX + FORM_BUDGET

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Update the form's slots from the latest message and pick the next question."""
        starting = is_activation(tracker, FORM_BUDGET)
        draft = BudgetDraft() if starting else budget_draft_of(tracker)
        if not starting and not answered_now(tracker, FORM_BUDGET):
            return [requested(draft.next_question(), BUDGET_QUESTION_SLOTS)]
        reading = read_tracker(tracker, today())
        asked = None if starting else asked_question(tracker, BUDGET_QUESTION_SLOTS)
        if not starting and reading.intent == INTENT_START_BUDGET and not reading.has_content:
            draft, asked = BudgetDraft(), None  # the client starts again
        elif not starting and is_interruption(reading):
            return []
        draft, notes = update_budget(draft, reading, asked, formatter_for(tracker))
        utter(dispatcher, notes)
        return slot_events(budget_slots(draft)) + [
            requested(draft.next_question(), BUDGET_QUESTION_SLOTS)
        ]


class ActionAskBudgetExpensesDone(Action):
    """Asks for the next expense category (with Skip and Done buttons)."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_ASK_BUDGET_EXPENSES_DONE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utter the question of the current category."""
        category = budget_draft_of(tracker).category or Category.OTHER.value
        dispatcher.utter_message(response=UTTER_ASK_EXPENSE.format(category=category))
        return []


class ActionBudgetSubmit(Action):
    """Shows the budget, keeps it when the client agreed, asks once otherwise."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_BUDGET_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Compute and utter the budget, then save it or ask to keep it."""
        draft = budget_draft_of(tracker)
        reset = budget_reset()
        if draft.cancelled:
            dispatcher.utter_message(response=UTTER_BUDGET_CANCELLED)
            return slot_events({**reset, SLOT_BUDGET_CONSENT_PENDING: False})
        try:
            budget = draft.result()
        except BudgetInputError as problem:
            utter(dispatcher, [error(problem.code)])
            return slot_events({**reset, SLOT_BUDGET_CONSENT_PENDING: False})
        utter(dispatcher, budget_notes(budget, formatter_for(tracker)))
        consent = await asyncio.to_thread(load_consent, tracker.sender_id)
        if consent is None:
            dispatcher.utter_message(response=UTTER_ASK_CONSENT)
            return slot_events(
                {**reset, SLOT_BUDGET_PENDING: draft.pending(), SLOT_BUDGET_CONSENT_PENDING: True}
            )
        if consent:
            await asyncio.to_thread(store_budget, tracker.sender_id, draft)
            dispatcher.utter_message(response=UTTER_SAVED_AGAIN)
        return slot_events({**reset, SLOT_BUDGET_PENDING: None, SLOT_BUDGET_CONSENT_PENDING: False})


class ActionBudgetConsent(Action):
    """Records the client's yes or no to keeping budgets (and keeps this one on yes)."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_BUDGET_CONSENT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Record the answer, save the pending budget on yes, confirm."""
        intent = (tracker.latest_message.get(MESSAGE_INTENT) or {}).get(INTENT_NAME)
        given = intent == INTENT_AFFIRM
        await asyncio.to_thread(store_consent, tracker.sender_id, given)
        pending = tracker.get_slot(SLOT_BUDGET_PENDING)
        if given and pending:
            draft = BudgetDraft.from_pending(pending)
            await asyncio.to_thread(store_budget, tracker.sender_id, draft)
        dispatcher.utter_message(response=UTTER_SAVED if given else UTTER_NOT_SAVED)
        return [SlotSet(SLOT_BUDGET_PENDING, None), SlotSet(SLOT_BUDGET_CONSENT_PENDING, False)]


# --- affordability -----------------------------------------------------------------


def afford_draft_of(tracker: Tracker) -> AffordDraft:
    """Return the affordability form's draft kept in ``tracker``'s slots."""

    def items(name: str) -> Tuple[Mapping[str, Any], ...] | None:
        value = tracker.get_slot(name)
        return None if value is None else tuple(value)

    return AffordDraft(
        request=tracker.get_slot(SLOT_AFFORD_REQUEST),
        pending_amount=tracker.get_slot(SLOT_AFFORD_PENDING_AMOUNT),
        has_budget=bool(tracker.get_slot(SLOT_AFFORD_HAS_BUDGET)),
        income=items(SLOT_AFFORD_INCOME),
        expenses=items(SLOT_AFFORD_EXPENSES),
        loans=items(SLOT_AFFORD_LOANS),
        cancelled=bool(tracker.get_slot(SLOT_AFFORD_CANCELLED)),
    )


def afford_slots(draft: AffordDraft) -> Dict[str, Any]:
    """Return the slot values of an affordability form's draft."""

    def items(value: Tuple[Mapping[str, Any], ...] | None) -> List[Any] | None:
        return None if value is None else list(value)

    return {
        SLOT_AFFORD_REQUEST: None if draft.request is None else dict(draft.request),
        SLOT_AFFORD_PENDING_AMOUNT: draft.pending_amount,
        SLOT_AFFORD_HAS_BUDGET: draft.has_budget,
        SLOT_AFFORD_INCOME: items(draft.income),
        SLOT_AFFORD_EXPENSES: items(draft.expenses),
        SLOT_AFFORD_LOANS: items(draft.loans),
        SLOT_AFFORD_CANCELLED: draft.cancelled or None,
    }


class ValidateAffordabilityForm(Action):
    """Reads the client's answers to the affordability form."""

    def name(self) -> str:
        """Return the action's name."""
        return VALIDATE_PREFIX + FORM_AFFORDABILITY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Update the form's slots from the latest message and pick the next question."""
        starting = is_activation(tracker, FORM_AFFORDABILITY)
        draft = afford_draft_of(tracker)
        if not starting and not answered_now(tracker, FORM_AFFORDABILITY):
            return [requested(draft.next_question(), AFFORD_QUESTION_SLOTS)]
        reading = read_tracker(tracker, today())
        asked = None if starting else asked_question(tracker, AFFORD_QUESTION_SLOTS)
        restart = reading.intent == INTENT_CHECK_AFFORDABILITY and not reading.has_content
        if starting or restart:
            saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
            draft, asked = AffordDraft(has_budget=saved is not None), None
        elif is_interruption(reading):
            return []
        draft, notes = update_affordability(draft, reading, asked)
        if starting and draft.request is None and not draft.pending_amount:
            loan = loan_request_of(tracker.current_slot_values())
            if loan is not None:
                draft = replace(draft, request=loan)
        utter(dispatcher, notes)
        return slot_events(afford_slots(draft)) + [
            requested(draft.next_question(), AFFORD_QUESTION_SLOTS)
        ]


class ActionAskAffordRequest(Action):
    """Asks for the installment or loan, or how often a given amount would be paid."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_ASK_AFFORD_REQUEST

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Utter the question."""
        pending = number(tracker.get_slot(SLOT_AFFORD_PENDING_AMOUNT))
        if pending is None:
            dispatcher.utter_message(response=UTTER_ASK_AFFORD_REQUEST)
        else:
            amount = formatter_for(tracker).money(pending)
            dispatcher.utter_message(response=UTTER_AFFORD_ASK_FREQUENCY, amount=amount)
        return []


class ActionAffordabilitySubmit(Action):
    """Answers "can I afford it?" with the saved budget or the figures just given."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_AFFORDABILITY_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Assess the request and utter the answer; clear the form."""
        draft = afford_draft_of(tracker)
        reset = {**afford_slots(AffordDraft()), SLOT_AFFORD_HAS_BUDGET: None, REQUESTED_SLOT: None}
        if draft.cancelled or draft.request is None:
            dispatcher.utter_message(response=UTTER_AFFORD_CANCELLED)
            return slot_events(reset)
        saved = None
        if draft.has_budget:
            saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
        try:
            notes = await asyncio.to_thread(
                assess,
                draft,
                None if saved is None else saved.result(),
                affordability_rules(os.environ),
                formatter_for(tracker),
                currency_digits(get_settings().currency),
            )
        except BudgetInputError as problem:
            notes = [error(problem.code)]
        utter(dispatcher, notes)
        return slot_events(reset)


# --- savings -----------------------------------------------------------------------


def savings_draft_of(tracker: Tracker) -> SavingsDraft:
    """Return the savings form's draft kept in ``tracker``'s slots."""
    return SavingsDraft(
        goal=tracker.get_slot(SLOT_SAVINGS_GOAL),
        target=tracker.get_slot(SLOT_SAVINGS_TARGET),
        rate=tracker.get_slot(SLOT_SAVINGS_RATE),
        cancelled=bool(tracker.get_slot(SLOT_SAVINGS_CANCELLED)),
    )


def savings_slots(draft: SavingsDraft) -> Dict[str, Any]:
    """Return the slot values of a savings form's draft."""
    return {
        SLOT_SAVINGS_GOAL: draft.goal,
        SLOT_SAVINGS_TARGET: None if draft.target is None else dict(draft.target),
        SLOT_SAVINGS_RATE: draft.rate,
        SLOT_SAVINGS_CANCELLED: draft.cancelled or None,
    }


class ValidateSavingsForm(Action):
    """Reads the client's answers to the savings form."""

    def name(self) -> str:
        """Return the action's name."""
        return VALIDATE_PREFIX + FORM_SAVINGS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Update the form's slots from the latest message and pick the next question."""
        starting = is_activation(tracker, FORM_SAVINGS)
        draft = SavingsDraft() if starting else savings_draft_of(tracker)
        if not starting and not answered_now(tracker, FORM_SAVINGS):
            return [requested(draft.next_question(), SAVINGS_QUESTION_SLOTS)]
        on = today()
        reading = read_tracker(tracker, on)
        asked = None if starting else asked_question(tracker, SAVINGS_QUESTION_SLOTS)
        if not starting and reading.intent == INTENT_PLAN_SAVINGS and not reading.has_content:
            draft, asked = SavingsDraft(), None
        elif not starting and is_interruption(reading):
            return []
        saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
        budget = None if saved is None else saved.result()
        draft, notes = update_savings(draft, reading, asked, on, budget, currency_quantum_now())
        utter(dispatcher, notes)
        return slot_events(savings_slots(draft)) + [
            requested(draft.next_question(), SAVINGS_QUESTION_SLOTS)
        ]


class ActionSavingsSubmit(Action):
    """Answers the savings plan, compared with the saved budget when there is one."""

    def name(self) -> str:
        """Return the action's name."""
        return ACTION_SAVINGS_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """Compute the plan and utter it; clear the form."""
        draft = savings_draft_of(tracker)
        reset = {**savings_slots(SavingsDraft()), REQUESTED_SLOT: None}
        if draft.cancelled or draft.goal is None or draft.target is None:
            dispatcher.utter_message(response=UTTER_SAVINGS_CANCELLED)
            return slot_events(reset)
        saved = await asyncio.to_thread(load_saved_budget, tracker.sender_id)
        budget = None if saved is None else saved.result()
        try:
            plan = draft.plan(budget, today(), currency_quantum_now())
        except BudgetInputError as problem:
            utter(dispatcher, [error(problem.code)])
            return slot_events(reset)
        notes = savings_notes(plan, draft.by_amount, budget, formatter_for(tracker))
        utter(dispatcher, notes)
        return slot_events(reset)
