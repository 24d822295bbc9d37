"""Budget, affordability and savings conversations (actions/budget.py).

A small driver plays Rasa's part: it feeds client messages (entities from bot/nlu, as the
pipeline extracts them) to the form validation actions, asks the requested slot with its
response or ask action, and runs the submit actions against a fresh SQLite database.
Every response uttered is rendered with the project's NLG in the conversation's language.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import string
from decimal import ROUND_CEILING, Decimal
from typing import Any, Dict, List, Sequence, Tuple

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.budget as budget_actions
from actions.budget import (
    AFFORD_QUESTION_SLOTS,
    BUDGET_QUESTION_SLOTS,
    ERROR_CODES,
    FORM_AFFORDABILITY,
    FORM_BUDGET,
    FORM_SAVINGS,
    RESPONSES,
    SAVINGS_QUESTION_SLOTS,
    ActionAffordabilitySubmit,
    ActionAskAffordRequest,
    ActionAskBudgetExpensesDone,
    ActionBudgetConsent,
    ActionBudgetRoute,
    ActionBudgetSubmit,
    ActionSavingsSubmit,
    ValidateAffordabilityForm,
    ValidateBudgetForm,
    ValidateSavingsForm,
    budget_draft_of,
    response_of,
)
from bot.budget import affordability_form, budget_form, presenting, savings_form
from bot.budget.words import budget_words
from bot.finance.affordability import Level, ReasonCode
from bot.finance.budget import BudgetStatus, Category, Expense, IncomeSource, TipCode
from bot.finance.budget import build_budget as finance_build_budget
from bot.finance.savings import Realism
from bot.i18n import format_money
from bot.nlg.generator import CatalogNLG
from bot.nlu.values import extract_values
from bot.settings import PROJECT_ROOT
from bot.store.budget import (
    budget_consent,
    latest_budget,
    record_budget_consent,
    save_budget,
)
from bot.store.db import create_tables, session_scope

CLIENT = "whatsapp:+254700000001"
TODAY = dt.date(2026, 3, 1)
DOMAIN_PATH = PROJECT_ROOT / "domain.yml"
DOMAIN_DATA = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))
LISTEN = {"event": "action", "name": "action_listen"}
REJECTED = "rejected"
STANDARD_KEYS = {
    "text",
    "buttons",
    "elements",
    "custom",
    "template",
    "response",
    "image",
    "attachment",
}
ASK_ACTIONS: Dict[str, Action] = {
    "budget_expenses_done": ActionAskBudgetExpensesDone(),
    "afford_request": ActionAskAffordRequest(),
}

# One message per language that holds income and spending (the quick path).
QUICK = {
    "en": "I earn 12000 a week and spend about 9000",
    "sw": "napata 12000 kwa wiki na natumia 9000",
    "es": "gano 12000 a la semana y gasto 9000",
    "fr": "je gagne 12000 par semaine et je depense 9000",
    "hi": "मैं हफ्ते में 12000 कमाता हूं और 9000 खर्च करता हूं",
    "hi_Latn": "mai hafte me 12000 kamata hu aur 9000 kharch karta hu",
    "bn": "আমি সপ্তাহে ১২০০০ টাকা আয় করি আর ৯০০০ খরচ করি",
}
# The examples: income only, in words.
INCOME_ONLY = {
    "sw": ("napata elfu tano kwa siku", Decimal(5000), "daily"),
    "es": ("gano diez mil al mes", Decimal(10000), "monthly"),
    "hi_Latn": ("das hazaar mahina kamata hoon", Decimal(10000), "monthly"),
    "fr": ("je gagne dix mille par mois", Decimal(10000), "monthly"),
    "hi": ("मैं हर महीने दस हज़ार कमाता हूँ", Decimal(10000), "monthly"),
    "bn": ("আমি মাসে ১০০০০ টাকা আয় করি", Decimal(10000), "monthly"),
    "en": ("I get 800 daily from my shop", Decimal(800), "daily"),
}
# Per language: an income, a food expense, "no", an interest question.
GUIDED = {
    "en": ("3000 per week", "1500 weekly", "no", "what is interest"),
    "sw": ("3000 kila wiki", "1500 kwa wiki", "hapana", "riba ni nini"),
    "es": ("diez mil", "mil quinientos", "no", "que es el interes"),
    "fr": ("cent mille", "dix mille", "non", "c'est quoi l'interet"),
    "hi": ("दस हजार", "500 रुपये हफ्ता", "नहीं", "ब्याज क्या होता है"),
    "hi_Latn": ("das hazaar", "500 rupay hafta", "nahi", "byaj kya hota hai"),
    "bn": ("দশ হাজার টাকা", "১২০০ প্রতি সপ্তাহে", "না", "সুদ কি"),
}
SAVINGS_QUICK = {
    "en": ("hw can i save 10k in 3 months", Decimal(10000), 3, "month"),
    "sw": ("nataka kusave 20k kwa miezi 2", Decimal(20000), 2, "month"),
    "es": ("ahorrar 2000 bs en 6 meses", Decimal(2000), 6, "month"),
    "fr": ("epargner 200 000 fcfa en 6 mois", Decimal(200000), 6, "month"),
    "hi": ("6 महीने में 15000 जोड़ने के लिए कितना बचाना होगा", Decimal(15000), 6, "month"),
    "hi_Latn": ("6 mahine me 15000 jodne ke liye kitna bachana hoga", Decimal(15000), 6, "month"),
    "bn": ("২ বছরে ১ লাখ টাকা জমাতে চাই", Decimal(100000), 24, "month"),
}


@pytest.fixture(autouse=True)
def fresh_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MFI_AFFORD_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("MFI_CURRENCY", raising=False)
    monkeypatch.setattr(budget_actions, "today", lambda: TODAY)
    create_tables()


@pytest.fixture(scope="module")
def nlg() -> CatalogNLG:
    return CatalogNLG(domain=Domain.load(str(DOMAIN_PATH)))


def entities_of(text: str, language: str) -> List[Dict[str, Any]]:
    """The entities the pipeline gives: a payload's own, or bot/nlu's extraction."""
    if text.startswith("/"):
        _, _, data = text.partition("{")
        values = json.loads("{" + data) if data else {}
        return [{"entity": key, "value": value} for key, value in values.items()]
    return extract_values(text, [language, "en"])


def user_event(text: str, intent: str, language: str) -> Dict[str, Any]:
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities_of(text, language),
        "detected_language": language,
    }
    return {"event": "user", "text": text, "parse_data": parse_data, "input_channel": "whatsapp"}


class Conversation:
    """Plays Rasa's part for the budget forms (slots, events, forms, asks)."""

    def __init__(self, language: str = "en", slots: Dict[str, Any] | None = None) -> None:
        self.language = language
        self.slots: Dict[str, Any] = dict(slots or {})
        self.events: List[Dict[str, Any]] = [LISTEN]
        self.latest: Dict[str, Any] = {}
        self.active_loop: str | None = None
        self.said: List[Tuple[str, Dict[str, Any]]] = []

    def tracker(self, extra: Sequence[Dict[str, Any]] = (), active: str | None = None) -> Tracker:
        active = active or self.active_loop
        loop = {"name": active} if active else {}
        return Tracker(
            CLIENT,
            dict(self.slots),
            self.latest,
            self.events + list(extra),
            False,
            None,
            loop,
            "action_listen",
        )

    def apply(self, events: List[Dict[str, Any]]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]

    async def user(self, text: str, intent: str = "inform") -> None:
        self.said = []
        if self.events[-1] != LISTEN:
            self.events.append(LISTEN)
        event = user_event(text, intent, self.language)
        self.events.append(event)
        self.latest = event["parse_data"]

    async def run(
        self, action: Action, extra: Sequence[Dict[str, Any]] = (), active: str | None = None
    ) -> List[Dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, self.tracker(extra, active), {})
        for message in dispatcher.messages:
            values = {k: v for k, v in message.items() if k not in STANDARD_KEYS}
            self.said.append((message["response"], values))
        return events

    async def action(self, action: Action) -> List[Dict[str, Any]]:
        self.said = []
        events = await self.run(action)
        self.apply(events)
        self.events += events + [{"event": "action", "name": action.name()}]
        return events

    async def form(self, form: str, validator: Action, returning: bool = False) -> str | None:
        """Run the form on the latest message; return the slot it asks (REJECTED, None)."""
        starting = self.active_loop != form
        extra = [
            {"event": "slot", "name": "requested_slot", "value": self.slots.get("requested_slot")},
            {"event": "action", "name": form},
        ]
        if starting:
            # Rasa 3.6 validates at activation with the form already marked active
            extra = [{"event": "active_loop", "name": form}] + extra
        events = await self.run(validator, extra, active=form)
        filled = [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"]
        if not starting and not returning and not filled:
            return REJECTED
        self.apply(events)
        self.events += events + [{"event": "action", "name": form}]
        requested = self.slots.get("requested_slot")
        if requested is None:
            self.active_loop = None
            return None
        self.active_loop = form
        if requested in ASK_ACTIONS:
            await self.run(ASK_ACTIONS[requested])
        else:
            self.said.append((f"utter_ask_{requested}", {}))
        return requested

    async def answer(
        self, form: str, validator: Action, text: str, intent: str = "inform"
    ) -> str | None:
        await self.user(text, intent)
        return await self.form(form, validator)

    def responses(self) -> List[str]:
        return [name for name, _ in self.said]


def render_all(nlg: CatalogNLG, said: List[Tuple[str, Dict[str, Any]]], language: str) -> List[str]:
    """Render what was said; every response exists and every placeholder is filled."""
    texts = []
    for name, values in said:
        rendered = nlg.generate_in_language(name, language, {}, **values)
        assert rendered is not None, name
        text = rendered.get("text") or ""
        assert text and "{" not in text and "}" not in text, (name, text)
        texts.append(text)
    return texts


def money(value: str | int, language: str = "en") -> str:
    return format_money(Decimal(value), language)


def keep_budget(incomes: List[IncomeSource], expenses: List[Expense], period: str) -> None:
    result = finance_build_budget(incomes, expenses, period)
    with session_scope() as session:
        save_budget(session, CLIENT, result, incomes, expenses)
        record_budget_consent(session, CLIENT, True)


# --- the budget --------------------------------------------------------------------


async def start_budget(conversation: Conversation, text: str) -> str | None:
    await conversation.user(text, "start_budget")
    await conversation.action(ActionBudgetRoute())
    assert conversation.slots["budget_route"] == "form"
    return await conversation.form(FORM_BUDGET, ValidateBudgetForm())


@pytest.mark.parametrize("language", sorted(QUICK))
async def test_the_quick_path_goes_straight_to_the_result_then_asks_to_keep_it(
    language: str, nlg: CatalogNLG
) -> None:
    conversation = Conversation(language)
    assert await start_budget(conversation, QUICK[language]) is None
    assert conversation.slots["budget_period"] == "week"
    await conversation.action(ActionBudgetSubmit())
    said = conversation.responses()
    assert said[0] == "utter_budget_result_surplus"
    values = conversation.said[0][1]
    assert values["income"] == money(12000, language)
    assert values["expenses"] == money(9000, language)
    assert values["surplus"] == money(3000, language)
    assert "utter_budget_top_categories" not in said  # a single total tells nothing
    assert said[1:3] == [
        "utter_budget_tip_surplus_save_share",
        "utter_budget_tip_emergency_buffer_weeks",
    ]
    assert said[-1] == "utter_budget_ask_consent"
    assert conversation.slots["budget_consent_pending"] is True
    assert conversation.slots["budget_incomes"] is None  # the form is cleared
    render_all(nlg, conversation.said, language)
    await conversation.user("yes", "affirm")
    await conversation.action(ActionBudgetConsent())
    assert conversation.responses() == ["utter_budget_saved"]
    with session_scope() as session:
        saved = latest_budget(session, CLIENT)
        assert budget_consent(session, CLIENT) is True
    assert saved is not None and saved.period == "week"
    assert (saved.income, saved.expenses, saved.surplus) == (
        Decimal("12000.00"),
        Decimal("9000.00"),
        Decimal("3000.00"),
    )


@pytest.mark.parametrize("language", sorted(INCOME_ONLY))
async def test_an_income_alone_starts_the_guided_budget_with_it(
    language: str, nlg: CatalogNLG
) -> None:
    text, amount, frequency = INCOME_ONLY[language]
    conversation = Conversation(language)
    assert await start_budget(conversation, text) == "budget_period"
    assert conversation.slots["budget_incomes"] == [{"amount": str(amount), "frequency": frequency}]
    render_all(nlg, conversation.said, language)


@pytest.mark.parametrize("language", sorted(GUIDED))
async def test_the_guided_budget_in_every_language(language: str, nlg: CatalogNLG) -> None:
    income, expense, no, _ = GUIDED[language]
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    conversation = Conversation(language)
    assert await start_budget(conversation, "help me make a budget") == "budget_period"
    assert (
        await conversation.answer(form, validate, '/inform{"frequency":"weekly"}')
        == "budget_incomes"
    )
    assert await conversation.answer(form, validate, income) == "budget_income_done"
    assert conversation.responses()[0] in (
        "utter_budget_income_noted",
        "utter_budget_income_noted_plain",
    )
    assert await conversation.answer(form, validate, no, "deny") == "budget_expenses_done"
    assert conversation.responses() == ["utter_budget_ask_expense_food"]
    assert await conversation.answer(form, validate, expense) == "budget_expenses_done"
    assert conversation.responses() == [
        "utter_budget_expense_noted",
        "utter_budget_ask_expense_rent",
    ]
    assert conversation.said[0][1]["category"] == budget_words((language, "en")).categories["food"]
    rendered = render_all(nlg, conversation.said, language)
    assert await conversation.answer(form, validate, "/affirm", "affirm") is None
    await conversation.action(ActionBudgetSubmit())
    assert conversation.responses()[0] == "utter_budget_result_surplus"
    assert "utter_budget_top_categories" in conversation.responses()
    rendered = render_all(nlg, conversation.said, language)
    assert rendered[0] != conversation.said[0][0]


async def test_the_walk_through_skips_given_categories_and_ends_after_the_last() -> None:
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    conversation = Conversation("en")
    await start_budget(conversation, "help me make a budget")
    await conversation.answer(form, validate, '/inform{"frequency":"monthly"}')
    await conversation.answer(form, validate, "20000 a month")
    await conversation.answer(form, validate, "/deny", "deny")
    # at the food question, rent comes first: food is still asked
    assert await conversation.answer(form, validate, "rent 4000 a month") == "budget_expenses_done"
    assert conversation.responses() == [
        "utter_budget_expense_noted",
        "utter_budget_ask_expense_food",
    ]
    await conversation.answer(form, validate, "150 a day")
    assert conversation.responses()[-1] == "utter_budget_ask_expense_school_fees"  # rent given
    for category in (
        "school_fees",
        "transport",
        "business_stock",
        "airtime",
        "health",
        "loan_repayments",
        "savings",
    ):
        assert budget_draft_of(conversation.tracker()).category == category
        await conversation.answer(form, validate, "skip")
    assert conversation.responses() == ["utter_budget_ask_expense_other"]
    assert await conversation.answer(form, validate, "/deny", "deny") is None
    await conversation.action(ActionBudgetSubmit())
    values = conversation.said[0][1]
    assert values["expenses"] == money("8565.63")  # 4000 + 150 x 30.4375


async def test_several_incomes_and_spending_given_at_once() -> None:
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    conversation = Conversation("en")
    await start_budget(conversation, "help me make a budget")
    await conversation.answer(form, validate, '/inform{"frequency":"monthly"}')
    assert (
        await conversation.answer(form, validate, "I earn 3000 a week and 40000 after harvest")
        == "budget_income_done"
    )
    assert conversation.responses()[:2] == [
        "utter_budget_income_noted",
        "utter_budget_income_noted",
    ]
    await conversation.answer(form, validate, "no more", "deny")
    await conversation.answer(form, validate, "food 150 a day, rent 4000 a month and that's all")
    assert conversation.active_loop is None
    await conversation.action(ActionBudgetSubmit())
    assert conversation.said[0][1]["income"] == money("19666.67")  # docs/budget.md


async def test_a_question_about_interest_leaves_the_form_and_comes_back(nlg: CatalogNLG) -> None:
    for language, (income, _, _, question) in GUIDED.items():
        form, validate = FORM_BUDGET, ValidateBudgetForm()
        conversation = Conversation(language)
        await start_budget(conversation, "help me make a budget")
        await conversation.answer(form, validate, '/inform{"frequency":"monthly"}')
        assert await conversation.answer(form, validate, question, "explain_interest") == REJECTED
        conversation.events.append({"event": "action", "name": "action_explain_interest"})
        assert await conversation.form(form, validate, returning=True) == "budget_incomes"
        assert conversation.responses() == ["utter_ask_budget_incomes"]
        assert conversation.slots["budget_incomes"] is None
        assert await conversation.answer(form, validate, income) == "budget_income_done"


async def test_other_topics_interrupt_but_answers_do_not() -> None:
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    conversation = Conversation("en")
    await start_budget(conversation, "help me make a budget")
    await conversation.answer(form, validate, '/inform{"frequency":"weekly"}')
    assert await conversation.answer(form, validate, "thanks", "thank") == REJECTED
    assert (
        await conversation.answer(form, validate, "skip", "ask_help") == "budget_incomes"
    )  # a keyword
    assert conversation.responses() == ["utter_budget_error_no_income", "utter_ask_budget_incomes"]
    assert await conversation.answer(form, validate, "blah", "nlu_fallback") == "budget_incomes"
    assert conversation.responses() == [
        "utter_budget_error_not_understood",
        "utter_ask_budget_incomes",
    ]
    # the client starts again
    assert await conversation.answer(form, validate, "budget", "start_budget") == "budget_period"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("-5000 a week", "utter_budget_error_negative_amount"),
        ("I earn −5000 a week", "utter_budget_error_negative_amount"),
        ("1000000000000000", "utter_budget_error_amount_too_large"),
        ("10,000,000,000,000 a week", "utter_budget_error_amount_too_large"),
        ("0", "utter_budget_error_no_income"),
        ("nothing", "utter_budget_error_no_income"),
        ("hello there", "utter_budget_error_not_understood"),
    ],
)
async def test_bad_incomes_get_a_clear_re_ask(text: str, error: str, nlg: CatalogNLG) -> None:
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    conversation = Conversation("en")
    await start_budget(conversation, "help me make a budget")
    await conversation.answer(form, validate, '/inform{"frequency":"weekly"}')
    assert await conversation.answer(form, validate, text) == "budget_incomes"
    assert conversation.responses() == [error, "utter_ask_budget_incomes"]
    assert conversation.slots["budget_incomes"] is None
    render_all(nlg, conversation.said, "en")


async def test_spending_without_income_asks_for_the_income() -> None:
    conversation = Conversation("en")
    assert await start_budget(conversation, "i spend 500 a day on food") == "budget_period"
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    assert (
        await conversation.answer(form, validate, '/inform{"frequency":"weekly"}')
        == "budget_incomes"
    )
    assert await conversation.answer(form, validate, "no", "deny") == "budget_incomes"
    assert conversation.responses()[0] == "utter_budget_error_no_income"
    await conversation.answer(form, validate, "2000 a week")
    await conversation.answer(form, validate, "no", "deny")
    assert conversation.responses() == [
        "utter_ask_budget_expenses_done".replace(
            "utter_ask_budget_expenses_done", "utter_budget_ask_expense_rent"
        )
    ]


async def test_a_deficit_gets_deficit_tips() -> None:
    conversation = Conversation("en")
    assert (
        await start_budget(conversation, "income 10000 a month, rent 6000 a month, food 200 a day")
        is None
    )
    await conversation.action(ActionBudgetSubmit())
    said = conversation.responses()
    assert said[0] == "utter_budget_result_deficit"
    assert said[1] == "utter_budget_top_categories"
    assert said[2] == "utter_budget_tip_deficit_cut_top_category"
    assert all(name.startswith("utter_budget_tip_deficit") for name in said[2:-1])


async def test_cancel_stops_without_a_result() -> None:
    form, validate = FORM_BUDGET, ValidateBudgetForm()
    conversation = Conversation("sw")
    await start_budget(conversation, "nisaidie kupanga bajeti")
    assert await conversation.answer(form, validate, "sitisha") is None
    await conversation.action(ActionBudgetSubmit())
    assert conversation.responses() == ["utter_budget_cancelled"]
    assert conversation.slots["budget_consent_pending"] is False


async def test_a_client_who_agreed_before_is_not_asked_again() -> None:
    with session_scope() as session:
        record_budget_consent(session, CLIENT, True)
    conversation = Conversation("en")
    await start_budget(conversation, QUICK["en"])
    await conversation.action(ActionBudgetSubmit())
    assert conversation.responses()[-1] == "utter_budget_saved_again"
    assert conversation.slots["budget_consent_pending"] is False
    with session_scope() as session:
        assert latest_budget(session, CLIENT) is not None


async def test_a_client_who_said_no_is_neither_asked_nor_saved() -> None:
    conversation = Conversation("en")
    await start_budget(conversation, QUICK["en"])
    await conversation.action(ActionBudgetSubmit())
    await conversation.user("no", "deny")
    await conversation.action(ActionBudgetConsent())
    assert conversation.responses() == ["utter_budget_not_saved"]
    await start_budget(conversation, QUICK["en"])
    await conversation.action(ActionBudgetSubmit())
    assert "utter_budget_ask_consent" not in conversation.responses()
    with session_scope() as session:
        assert latest_budget(session, CLIENT) is None
        assert budget_consent(session, CLIENT) is False


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "forget my budget"),
        ("sw", "futa bajeti yangu"),
        ("es", "borra mi presupuesto"),
        ("fr", "efface mon budget"),
        ("hi", "मेरा बजट मिटा दो"),
        ("hi_Latn", "mera budget mita do"),
        ("bn", "আমার বাজেট মুছে দিন"),
    ],
)
async def test_forget_my_budget_deletes_it_in_every_language(language: str, text: str) -> None:
    keep_budget([IncomeSource(Decimal(100), "weekly")], [], "week")
    conversation = Conversation(language)
    await conversation.user(text, "start_budget")
    await conversation.action(ActionBudgetRoute())
    assert conversation.slots["budget_route"] == "forget"
    assert conversation.responses() == ["utter_budget_forgotten"]
    with session_scope() as session:
        assert latest_budget(session, CLIENT) is None
        assert budget_consent(session, CLIENT) is None
    await conversation.user(text, "start_budget")
    await conversation.action(ActionBudgetRoute())
    assert conversation.responses() == ["utter_budget_nothing_to_forget"]


# --- affordability -----------------------------------------------------------------


async def start_check(conversation: Conversation, text: str) -> str | None:
    await conversation.user(text, "check_affordability")
    return await conversation.form(FORM_AFFORDABILITY, ValidateAffordabilityForm())


@pytest.mark.parametrize(
    ("installment", "level"),
    [("1000 a week", Level.GREEN), ("2000 a week", Level.AMBER), ("5000 a week", Level.RED)],
)
async def test_an_installment_against_the_saved_budget(
    installment: str, level: Level, nlg: CatalogNLG
) -> None:
    # income 12000 a week, spending 9000 (of which 1000 loans): surplus 3000
    keep_budget(
        [IncomeSource(Decimal(12000), "weekly")],
        [
            Expense("food", Decimal(8000), "weekly"),
            Expense("loan_repayments", Decimal(1000), "weekly"),
        ],
        "week",
    )
    conversation = Conversation("en")
    assert await start_check(conversation, f"can i afford {installment}") is None
    await conversation.action(ActionAffordabilitySubmit())
    said = conversation.responses()
    assert said[0] == "utter_afford_using_budget"
    assert said[1] == f"utter_afford_{level}"
    if level is Level.GREEN:
        assert said[2:] == ["utter_afford_reminder_emergency_buffer"]
    else:
        assert "utter_afford_fit_installment" in said
        assert conversation.said[-1][1]["amount"] == money(1500)  # half the surplus
    render_all(nlg, conversation.said, "en")


@pytest.mark.parametrize("language", sorted(GUIDED))
async def test_an_installment_checked_with_income_and_spending_asked(
    language: str, nlg: CatalogNLG
) -> None:
    afford = {
        "en": "can i afford 1500 a week",
        "sw": "naweza kumudu 1500 kwa wiki",
        "es": "puedo pagar 1500 a la semana?",
        "fr": "je peux payer 1500 par semaine?",
        "hi": "क्या मैं हर हफ्ते 1500 की किस्त दे सकती हूं",
        "hi_Latn": "kya mai har hafte 1500 ki kisht de sakti hu",
        "bn": "আমি কি সপ্তাহে ১৫০০ টাকা কিস্তি দিতে পারবো",
    }[language]
    form, validate = FORM_AFFORDABILITY, ValidateAffordabilityForm()
    conversation = Conversation(language)
    assert await start_check(conversation, afford) == "afford_income"
    assert conversation.slots["afford_request"] == {
        "kind": "installment",
        "amount": "1500",
        "frequency": "weekly",
    }
    assert await conversation.answer(form, validate, "12000 a week") == "afford_expenses"
    assert await conversation.answer(form, validate, "8000 a week") == "afford_loans"
    assert await conversation.answer(form, validate, "/deny", "deny") is None
    await conversation.action(ActionAffordabilitySubmit())
    # 1500 is 37.5 % of the 4000 left over, and 12.5 % of the income
    assert conversation.responses()[0] == "utter_afford_green"
    render_all(nlg, conversation.said, language)


async def test_spending_that_names_a_loan_counts_as_a_loan_repayment() -> None:
    form, validate = FORM_AFFORDABILITY, ValidateAffordabilityForm()
    conversation = Conversation("en")
    await start_check(conversation, "can i afford 1000 a week")
    await conversation.answer(form, validate, "20000 a week")
    assert (
        await conversation.answer(
            form, validate, "I spend 9000 a week and repay 6000 a week on my loan"
        )
        is None
    )
    assert conversation.slots["afford_loans"] == [{"amount": "6000", "frequency": "weekly"}]
    await conversation.action(ActionAffordabilitySubmit())
    said = conversation.responses()
    assert said[:2] == [
        "utter_afford_amber",
        "utter_afford_reason_debt_share_high",
    ]  # 7000 of 20000


async def test_an_amount_without_frequency_asks_how_often_then_checks() -> None:
    keep_budget(
        [IncomeSource(Decimal(30000), "monthly")],
        [Expense("rent", Decimal(10000), "monthly")],
        "month",
    )
    form, validate = FORM_AFFORDABILITY, ValidateAffordabilityForm()
    conversation = Conversation("en")
    assert await start_check(conversation, "will i be able to repay 20k") == "afford_request"
    assert conversation.said[-1] == ("utter_afford_ask_frequency", {"amount": money(20000)})
    assert await conversation.answer(form, validate, '/inform{"frequency":"monthly"}') is None
    await conversation.action(ActionAffordabilitySubmit())
    assert conversation.responses()[1] == "utter_afford_red"


async def test_loan_terms_are_quoted_and_green_alternatives_offered(nlg: CatalogNLG) -> None:
    keep_budget(
        [IncomeSource(Decimal(30000), "monthly")],
        [Expense("rent", Decimal(14000), "monthly")],
        "month",
    )
    conversation = Conversation("en")
    assert (
        await start_check(
            conversation, "can i afford a loan of 100000 at 2% per month for 6 months"
        )
        is None
    )
    request = conversation.slots["afford_request"]
    assert (
        request["kind"] == "loan"
        and request["method"] == "flat"
        and request["frequency"] == "monthly"
    )
    await conversation.action(ActionAffordabilitySubmit())
    said = conversation.responses()
    assert said[:3] == [
        "utter_afford_using_budget",
        "utter_afford_loan_terms_flat",
        "utter_afford_red",
    ]
    assert "utter_afford_fit_amount" in said and "utter_afford_fit_term_months" in said
    # at most half the 16000 left over: 100000 / 6 + 2 % a month is too much; the largest
    # green amount (a multiple of 1000, the step for 100000) costs A / 6 + 0.02 A <= 8000,
    # so A = 42000; over
    # 17 months the whole amount costs 5882.35 + 2000
    said_values = dict(conversation.said)
    assert said_values["utter_afford_fit_amount"]["amount"] == money(42000)
    assert said_values["utter_afford_fit_term_months"]["term"] == "17"
    render_all(nlg, conversation.said, "en")


async def test_the_loan_of_the_loans_conversation_is_used_when_set() -> None:
    keep_budget(
        [IncomeSource(Decimal(30000), "monthly")],
        [Expense("rent", Decimal(10000), "monthly")],
        "month",
    )
    slots = {
        "loan_amount": 20000,
        "loan_rate": 2,
        "loan_rate_period": "month",
        "loan_term": 12,
        "loan_term_unit": "month",
        "loan_frequency": "monthly",
        "loan_method": "flat",
    }
    conversation = Conversation("en", slots)
    assert await start_check(conversation, "is this loan too much for me") is None
    await conversation.action(ActionAffordabilitySubmit())
    assert conversation.responses()[1:3] == ["utter_afford_loan_terms_flat", "utter_afford_green"]


async def test_bad_loan_terms_get_a_clear_answer() -> None:
    keep_budget([IncomeSource(Decimal(30000), "monthly")], [], "month")
    conversation = Conversation("en")
    await start_check(conversation, "can i afford 20000 at 500% per month for 6 months")
    await conversation.action(ActionAffordabilitySubmit())
    assert conversation.responses()[-1] == "utter_afford_loan_invalid"


async def test_stricter_rules_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    keep_budget(
        [IncomeSource(Decimal(12000), "weekly")], [Expense("food", Decimal(9000), "weekly")], "week"
    )
    monkeypatch.setenv("MFI_AFFORD_GREEN_SURPLUS_SHARE", "0.2")
    conversation = Conversation("en")
    await start_check(conversation, "can i afford 1000 a week")
    await conversation.action(ActionAffordabilitySubmit())
    assert conversation.responses()[1] == "utter_afford_amber"


# --- savings -----------------------------------------------------------------------


async def start_plan(conversation: Conversation, text: str) -> str | None:
    await conversation.user(text, "plan_savings")
    return await conversation.form(FORM_SAVINGS, ValidateSavingsForm())


@pytest.mark.parametrize("language", sorted(SAVINGS_QUICK))
async def test_a_goal_and_a_time_in_one_message_in_every_language(
    language: str, nlg: CatalogNLG
) -> None:
    text, goal, periods, period = SAVINGS_QUICK[language]
    conversation = Conversation(language)
    assert await start_plan(conversation, text) is None
    assert conversation.slots["savings_goal"] == str(goal)
    assert conversation.slots["savings_target"] == {
        "kind": "periods",
        "count": periods,
        "period": period,
    }
    await conversation.action(ActionSavingsSubmit())
    assert conversation.responses() == ["utter_savings_plan_months", "utter_savings_no_budget"]
    deposit = (goal / periods).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    assert conversation.said[0][1]["amount"] == format_money(deposit, language)
    render_all(nlg, conversation.said, language)


@pytest.mark.parametrize(
    ("language", "text", "goal", "target"),
    [
        (
            "en",
            "save 500 a day how long to reach 30000",
            "30000",
            {"kind": "amount", "amount": "3500", "period": "week"},
        ),
        (
            "sw",
            "nikiweka 2000 kwa wiki nitapata 50k lini",
            "50000",
            {"kind": "amount", "amount": "2000", "period": "week"},
        ),
        (
            "bn",
            "মাসে ১০০০ টাকা করে সঞ্চয় করলে কত দিনে ১২০০০ হবে",
            "12000",
            {"kind": "amount", "amount": "1000", "period": "month"},
        ),
        (
            "es",
            "quiero juntar 3000 para diciembre",
            "3000",
            {"kind": "date", "date": "2026-12-31", "period": "month"},
        ),
        (
            "fr",
            "epargner 5000 avant le 15/04/2026",
            "5000",
            {"kind": "date", "date": "2026-04-15", "period": "week"},
        ),
    ],
)
async def test_a_goal_and_a_deposit_or_date_in_one_message(
    language: str, text: str, goal: str, target: dict, nlg: CatalogNLG
) -> None:
    conversation = Conversation(language)
    assert await start_plan(conversation, text) is None
    assert (conversation.slots["savings_goal"], conversation.slots["savings_target"]) == (
        goal,
        target,
    )
    await conversation.action(ActionSavingsSubmit())
    kind = "reach" if target["kind"] == "amount" else "plan"
    assert conversation.responses()[0] == f"utter_savings_{kind}_{target['period']}s"
    render_all(nlg, conversation.said, language)


async def test_a_goal_then_a_weekly_amount_gives_the_date_and_realism(nlg: CatalogNLG) -> None:
    keep_budget(
        [IncomeSource(Decimal(20000), "monthly")],
        [Expense("rent", Decimal(14000), "monthly")],
        "month",
    )
    form, validate = FORM_SAVINGS, ValidateSavingsForm()
    conversation = Conversation("en")
    assert (
        await start_plan(conversation, "i want to save 50000 for school fees") == "savings_target"
    )
    assert await conversation.answer(form, validate, "1000 a week") is None
    await conversation.action(ActionSavingsSubmit())
    said = conversation.responses()
    assert said == ["utter_savings_reach_weeks", f"utter_savings_{Realism.STRETCH}"]
    assert conversation.said[0][1]["periods"] == "50"
    render_all(nlg, conversation.said, "en")


async def test_a_month_name_and_an_interest_rate() -> None:
    conversation = Conversation("en")
    assert await start_plan(conversation, "help me reach 80k by december at 6% a year") is None
    assert conversation.slots["savings_target"]["date"] == "2026-12-31"
    assert conversation.slots["savings_rate"] == "6"
    await conversation.action(ActionSavingsSubmit())
    assert conversation.responses()[:2] == ["utter_savings_plan_months", "utter_savings_interest"]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("by 1/1/2026", "utter_budget_error_date_not_in_future"),
        ("500", "utter_budget_error_how_often"),
        ("10 a month", "utter_budget_error_goal_not_reached"),
        ("by 1/1/2090", "utter_budget_error_too_many_periods"),
        ("soon", "utter_budget_error_not_understood"),
    ],
)
async def test_bad_savings_targets_are_asked_again(answer: str, error: str) -> None:
    form, validate = FORM_SAVINGS, ValidateSavingsForm()
    conversation = Conversation("en")
    await start_plan(conversation, "i want to save 50000")
    assert await conversation.answer(form, validate, answer) == "savings_target"
    assert conversation.responses() == [error, "utter_ask_savings_target"]


async def test_a_savings_goal_too_large_is_asked_again() -> None:
    conversation = Conversation("en")
    assert await start_plan(conversation, "i want to save 10,000,000,000,000") == "savings_goal"
    assert conversation.responses() == [
        "utter_budget_error_amount_too_large",
        "utter_ask_savings_goal",
    ]


async def test_savings_with_a_budget_in_deficit_says_to_look_at_spending() -> None:
    keep_budget(
        [IncomeSource(Decimal(1000), "weekly")], [Expense("food", Decimal(1500), "weekly")], "week"
    )
    conversation = Conversation("en")
    await start_plan(conversation, "i want to save 5000 in 10 weeks")
    await conversation.action(ActionSavingsSubmit())
    assert conversation.responses() == ["utter_savings_plan_weeks", "utter_savings_no_surplus"]


# --- responses ---------------------------------------------------------------------


def test_every_response_the_actions_can_utter_is_in_the_domain() -> None:
    responses = set(DOMAIN_DATA["responses"])
    names = {f"utter_budget_ask_expense_{c.value}" for c in Category}
    names |= {f"utter_budget_result_{s.value}" for s in BudgetStatus}
    names |= {f"utter_budget_tip_{t.value}" for t in TipCode}
    names |= {"utter_budget_tip_emergency_buffer_weeks", "utter_budget_tip_emergency_buffer_months"}
    names |= {f"utter_budget_error_{code}" for code in ERROR_CODES}
    names |= {f"utter_afford_{level.value}" for level in Level}
    names |= {f"utter_afford_reason_{reason.value}" for reason in ReasonCode}
    names |= {
        f"utter_afford_loan_terms_{m}" for m in ("flat", "declining", "declining_equal_principal")
    }
    names |= {f"utter_savings_{r.value}" for r in Realism}
    names |= {f"utter_savings_{kind}_{p}s" for kind in ("plan", "reach") for p in ("week", "month")}
    names |= {f"utter_afford_fit_term_{p}s" for p in ("week", "month")}
    assert names - responses == set()


def test_every_note_of_bot_budget_has_a_response() -> None:
    kinds = {value for name, value in vars(presenting).items() if name.startswith("NOTE_")}
    assert kinds == set(RESPONSES)


def test_notes_name_their_responses() -> None:
    assert response_of(presenting.error("no_income")) == "utter_budget_error_no_income"
    # a code without its own response (a bad deployment setting) is "not understood"
    assert response_of(presenting.error("invalid_rules")) == "utter_budget_error_not_understood"
    tip = presenting.Note(presenting.NOTE_TIP_BUFFER_SAVING, "month")
    assert response_of(tip) == "utter_budget_tip_emergency_buffer_months"
    assert response_of(presenting.Note(presenting.NOTE_SAVINGS_NO_BUDGET)) == (
        "utter_savings_no_budget"
    )


def test_the_forms_ask_their_required_slots_in_order() -> None:
    forms = DOMAIN_DATA["forms"]
    for form, slots, questions in (
        (FORM_BUDGET, BUDGET_QUESTION_SLOTS, budget_form.QUESTIONS),
        (FORM_AFFORDABILITY, AFFORD_QUESTION_SLOTS, affordability_form.QUESTIONS),
        (FORM_SAVINGS, SAVINGS_QUESTION_SLOTS, savings_form.QUESTIONS),
    ):
        assert [slots[question] for question in questions] == forms[form]["required_slots"]


def test_response_placeholders_are_fields_the_actions_fill() -> None:
    budget_names = [
        n
        for n in DOMAIN_DATA["responses"]
        if n.startswith(("utter_budget", "utter_afford", "utter_savings"))
    ]
    for name in budget_names:
        text = DOMAIN_DATA["responses"][name][0]["text"]
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        assert all(field.isidentifier() for field in names), name
