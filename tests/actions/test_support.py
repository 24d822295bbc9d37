import asyncio
import json
import logging
import re
from typing import Any, Dict, Iterator, List

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.support as support
from actions.support import (
    ACTION_DELETE_MY_DATA,
    ActionDeleteMyData,
    ActionOptOut,
    ActionRequestHuman,
    ActionSubmitComplaint,
    erase_after_save,
    pending_erasures,
)
from bot.nlg.generator import CatalogNLG
from bot.settings import PROJECT_ROOT, get_settings
from bot.store import audit, privacy
from bot.store.consent import (
    CONSENT_OPTED_IN,
    CONSENT_OPTED_OUT,
    Consent,
    is_opted_out,
    record_opt_in,
    record_opt_out,
)
from bot.store.console import AuditEntry
from bot.store.db import create_tables, dispose_engines, get_engine, session_scope
from bot.store.support import (
    HANDOFF_CLOSED,
    HANDOFF_OPEN,
    Complaint,
    Handoff,
)

CLIENT = "whatsapp:+254700000001"
OTHER_CLIENT = "whatsapp:+254700000002"
REFERENCE = re.compile(r"^C-[ABCDEFGHJKLMNPQRSTUVWXYZ2-9]{6}$")
DOMAIN_PATH = PROJECT_ROOT / "domain.yml"


@pytest.fixture
def db_url(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'mfi.db'}"
    monkeypatch.setenv("MFI_DB_URL", url)
    monkeypatch.delenv("MFI_HANDOFF_WAIT_HOURS", raising=False)
    get_settings.cache_clear()
    dispose_engines()
    yield url
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_PATH))


def user_event(
    text: str, intent: str, language: str | None = None, channel: str = "whatsapp"
) -> Dict[str, Any]:
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.98},
        "entities": [],
        "detected_language": language,
    }
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
    }


def tracker_for(
    text: str,
    intent: str,
    language: str | None = "en",
    channel: str = "whatsapp",
    sender: str = CLIENT,
    slots: Dict[str, Any] | None = None,
) -> Tracker:
    event = user_event(text, intent, language, channel)
    events = [{"event": "action", "name": "action_listen"}, event]
    return Tracker(
        sender, slots or {}, event["parse_data"], events, False, None, {}, "action_listen"
    )


async def run(action, tracker: Tracker) -> tuple[List[Dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def rows(model) -> list:
    with session_scope(get_engine()) as session:
        return session.query(model).order_by(model.id).all()


# --- request_human --------------------------------------------------------------------


async def test_request_human_opens_a_handoff_tells_the_client_and_pauses(db_url: str) -> None:
    tracker = tracker_for("nataka kuongea na mtu halisi", "request_human", "sw", "whatsapp")

    messages, events = await run(ActionRequestHuman(), tracker)

    assert events == [ConversationPaused()]
    assert [m["response"] for m in messages] == ["utter_handoff_requested"]
    assert messages[0]["hours"] == "24"
    [handoff] = rows(Handoff)
    assert (handoff.conversation_id, handoff.channel, handoff.language) == (
        CLIENT,
        "whatsapp",
        "sw",
    )
    assert (handoff.reason, handoff.status) == ("request_human", HANDOFF_OPEN)


async def test_a_second_request_keeps_the_open_handoff(db_url: str) -> None:
    tracker = tracker_for("agent please", "request_human")
    await run(ActionRequestHuman(), tracker)

    messages, events = await run(ActionRequestHuman(), tracker)

    assert events == [ConversationPaused()]
    assert [m["response"] for m in messages] == ["utter_handoff_requested"]
    assert len(rows(Handoff)) == 1


async def test_a_closed_handoff_does_not_stop_a_new_one(db_url: str) -> None:
    tracker = tracker_for("agent please", "request_human", channel="telegram")
    await run(ActionRequestHuman(), tracker)
    with session_scope(get_engine()) as session:
        session.query(Handoff).update({Handoff.status: HANDOFF_CLOSED})

    await run(ActionRequestHuman(), tracker)

    assert [h.status for h in rows(Handoff)] == [HANDOFF_CLOSED, HANDOFF_OPEN]
    assert rows(Handoff)[1].channel == "telegram"


@pytest.mark.parametrize(
    ("setting", "language", "response", "hours"),
    [
        ("48", "bn", "utter_handoff_requested", "৪৮"),
        ("8", "en", "utter_handoff_requested", "8"),
        ("1", "fr", "utter_handoff_requested_within_hour", None),
        ("soon", "en", "utter_handoff_requested", "24"),
        ("0", "en", "utter_handoff_requested", "24"),
    ],
)
async def test_the_waiting_time_is_a_deployment_setting(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    language: str,
    response: str,
    hours: str | None,
) -> None:
    monkeypatch.setenv("MFI_HANDOFF_WAIT_HOURS", setting)

    messages, _ = await run(ActionRequestHuman(), tracker_for("...", "request_human", language))

    assert [m["response"] for m in messages] == [response]
    assert messages[0].get("hours") == hours


# --- complaints -----------------------------------------------------------------------


async def test_a_complaint_is_recorded_with_a_reference_and_handed_over(db_url: str) -> None:
    text = "the officer shouted at me at the market"
    tracker = tracker_for(text, "complain", "en", "telegram", slots={"complaint_text": text})

    messages, events = await run(ActionSubmitComplaint(), tracker)

    [complaint] = rows(Complaint)
    assert REFERENCE.match(complaint.reference)
    assert (complaint.conversation_id, complaint.channel, complaint.text) == (
        CLIENT,
        "telegram",
        text,
    )
    assert [m["response"] for m in messages] == ["utter_complaint_received"]
    assert messages[0]["reference"] == complaint.reference
    assert events == [SlotSet("complaint_text", None), ConversationPaused()]
    [handoff] = rows(Handoff)
    assert (handoff.reason, handoff.status, handoff.language) == ("complain", HANDOFF_OPEN, "en")


async def test_each_complaint_gets_its_own_reference_and_one_handoff(db_url: str) -> None:
    for text in ("first problem", "second problem"):
        tracker = tracker_for(text, "complain", slots={"complaint_text": text})
        await run(ActionSubmitComplaint(), tracker)

    complaints = rows(Complaint)
    assert [c.text for c in complaints] == ["first problem", "second problem"]
    assert complaints[0].reference != complaints[1].reference
    assert len(rows(Handoff)) == 1


async def test_a_complaint_while_a_person_was_asked_for_keeps_that_handoff(db_url: str) -> None:
    await run(ActionRequestHuman(), tracker_for("agent please", "request_human"))
    tracker = tracker_for("rude", "complain", slots={"complaint_text": "  rude staff  "})

    await run(ActionSubmitComplaint(), tracker)

    assert [h.reason for h in rows(Handoff)] == ["request_human"]
    assert rows(Complaint)[0].text == "rude staff"


def test_a_reference_that_exists_is_not_given_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    references = iter(["C-AAAAAA", "C-AAAAAA", "C-BBBBBB"])
    monkeypatch.setattr(support, "new_reference", lambda: next(references))
    client = support.Client(CLIENT, "whatsapp", "en")

    assert support.file_complaint(client, "one") == "C-AAAAAA"
    assert support.file_complaint(client, "two") == "C-BBBBBB"


# --- opt-out --------------------------------------------------------------------------


async def test_opt_out_is_recorded_and_confirmed(db_url: str) -> None:
    tracker = tracker_for("please stop sending me messages", "opt_out", "en", "whatsapp")

    messages, events = await run(ActionOptOut(), tracker)

    assert events == []
    assert [m["response"] for m in messages] == ["utter_opted_out"]
    [consent] = rows(Consent)
    assert (consent.conversation_id, consent.channel, consent.status, consent.source) == (
        CLIENT,
        "whatsapp",
        CONSENT_OPTED_OUT,
        "intent",
    )
    with session_scope(get_engine()) as session:
        assert is_opted_out(session, CLIENT)
        assert not is_opted_out(session, OTHER_CLIENT)


async def test_opting_out_again_and_coming_back(db_url: str) -> None:
    tracker = tracker_for("stop", "opt_out")
    await run(ActionOptOut(), tracker)
    await run(ActionOptOut(), tracker)
    assert len(rows(Consent)) == 1

    with session_scope(get_engine()) as session:
        assert record_opt_in(session, CLIENT)
        assert not record_opt_in(session, CLIENT)
        assert not record_opt_in(session, OTHER_CLIENT)
        assert not is_opted_out(session, CLIENT)
    assert rows(Consent)[0].status == CONSENT_OPTED_IN

    with session_scope(get_engine()) as session:
        record_opt_out(session, CLIENT, None, source="keyword")
    consent = rows(Consent)[0]
    assert (consent.status, consent.channel, consent.source) == (
        CONSENT_OPTED_OUT,
        "whatsapp",
        "keyword",
    )


# --- delete_my_data -------------------------------------------------------------------


def stored_events(store: SQLTrackerStore, sender: str) -> List[Dict[str, Any]]:
    with store.session_scope() as session:
        query = store._event_query(session, sender, fetch_events_from_all_sessions=True)
        return [
            {"type": row.type_name, "action": row.action_name, "data": row.data}
            for row in query.all()
        ]


def conversation(sender: str, start: float) -> List[Event]:
    """Two sessions: an old one, and the current one that asks for the deletion."""

    def user(text: str, intent: str, at: float) -> UserUttered:
        parse = {"intent": {"name": intent}, "entities": [], "detected_language": "en"}
        return UserUttered(text, parse["intent"], [], parse, timestamp=at, input_channel="rest")

    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 1),
        ActionExecuted("action_listen", timestamp=start + 2),
        user("my phone is 0700 000 001", "inform", start + 3),
        BotUttered("noted", timestamp=start + 4),
        ActionExecuted("action_session_start", timestamp=start + 10),
        SessionStarted(timestamp=start + 11),
        ActionExecuted("action_listen", timestamp=start + 12),
        user("delete my data", "delete_my_data", start + 13),
        ActionExecuted("utter_confirm_delete_my_data", timestamp=start + 14),
        ActionExecuted("action_listen", timestamp=start + 15),
        user("yes", "affirm", start + 16),
    ]


@pytest.fixture
def all_tables(db_url: str) -> None:
    """Every project table, as the deployment has them (the console's included)."""
    create_tables(get_engine())


@pytest.fixture
def tracker_store(db_url: str, domain: Domain) -> Iterator[SQLTrackerStore]:
    store = SQLTrackerStore(domain, dialect="sqlite", db=db_url[len("sqlite:///") :])
    yield store
    store.engine.dispose()


async def test_deleting_removes_the_clients_rows_and_what_rasa_stores_again(
    all_tables: None, domain: Domain, tracker_store: SQLTrackerStore
) -> None:
    for sender in (CLIENT, OTHER_CLIENT):
        await tracker_store.save(DialogueStateTracker.from_events(sender, conversation(sender, 0)))
        await run(ActionRequestHuman(), tracker_for("agent", "request_human", sender=sender))
        tracker = tracker_for("bad", "complain", sender=sender, slots={"complaint_text": "bad"})
        await run(ActionSubmitComplaint(), tracker)
        await run(ActionOptOut(), tracker_for("stop", "opt_out", sender=sender))
    # what Rasa holds in memory during the turn: the current session only
    in_memory = await tracker_store.retrieve(CLIENT)
    assert [e.text for e in in_memory.events if isinstance(e, UserUttered)] == [
        "delete my data",
        "yes",
    ]
    sdk_tracker = Tracker.from_dict(in_memory.current_state())
    action = ActionDeleteMyData(erase_timeout=5, erase_poll=0.01)

    messages, events = await run(action, sdk_tracker)

    assert [m["response"] for m in messages] == ["utter_data_deleted"]
    assert events == [Restarted()]
    assert stored_events(tracker_store, CLIENT) == []
    with session_scope(get_engine()) as session:
        for model in (Handoff, Complaint, Consent):
            owners = {row.conversation_id for row in session.query(model)}
            assert owners == {OTHER_CLIENT}, model

    # Rasa then logs the action's events and saves the in-memory tracker: the SQL
    # tracker store writes the whole current session again...
    in_memory.update(ActionExecuted(ACTION_DELETE_MY_DATA))
    in_memory.update(BotUttered("Done", data={}))
    for event in events:
        in_memory.update(Event.from_parameters(event))
    assert in_memory.followup_action == "action_session_start"
    assert in_memory.current_slot_values().get("complaint_text") is None
    await tracker_store.save(in_memory)
    assert any("delete my data" in e["data"] for e in stored_events(tracker_store, CLIENT))

    # ...which the scheduled erasure deletes once it sees the stored turn
    erased = await asyncio.wait_for(asyncio.gather(*pending_erasures()), timeout=10)
    assert erased and erased[0] > 0
    assert stored_events(tracker_store, CLIENT) == []
    assert await tracker_store.retrieve(CLIENT) is None
    assert len(stored_events(tracker_store, OTHER_CLIENT)) == len(conversation(OTHER_CLIENT, 0))


async def test_the_erasure_gives_up_when_rasa_never_stores_the_turn(
    db_url: str, tracker_store: SQLTrackerStore, caplog: pytest.LogCaptureFixture
) -> None:
    await tracker_store.save(DialogueStateTracker.from_events(CLIENT, conversation(CLIENT, 0)))
    with caplog.at_level(logging.WARNING, logger="actions.support"):
        erased = await erase_after_save(CLIENT, timeout=0.05, poll=0.01)
    assert erased == 0
    assert "did not store" in caplog.text
    assert len(stored_events(tracker_store, CLIENT)) == len(conversation(CLIENT, 0))


async def test_the_erasure_needs_no_tracker_store_table(db_url: str) -> None:
    assert await erase_after_save(CLIENT, timeout=5, poll=0.01) == 0


async def test_deleting_without_any_stored_data_still_confirms(all_tables: None) -> None:
    messages, events = await run(ActionDeleteMyData(0.05, 0.01), tracker_for("yes", "affirm"))
    await asyncio.gather(*pending_erasures())

    assert [m["response"] for m in messages] == ["utter_data_deleted"]
    assert events == [Restarted()]


async def test_deleting_leaves_an_audit_entry_without_content_or_client_id(
    db_url: str,
) -> None:
    text = "the officer shouted at me"
    await run(
        ActionSubmitComplaint(), tracker_for(text, "complain", slots={"complaint_text": text})
    )
    AuditEntry.__table__.create(get_engine())
    with session_scope(get_engine()) as session:
        audit.record(session, "amina", audit.HANDOFF_REPLY, CLIENT, {"text": "Pole sana"})

    messages, _ = await run(ActionDeleteMyData(0.05, 0.01), tracker_for("yes", "affirm"))
    await asyncio.gather(*pending_erasures())

    assert [m["response"] for m in messages] == ["utter_data_deleted"]
    reply, deletion = rows(AuditEntry)
    assert (deletion.action, deletion.actor) == (audit.CLIENT_DATA_DELETE, "client")
    assert deletion.target.startswith(privacy.PSEUDONYM_PREFIX)
    assert json.loads(deletion.detail) == {"rows": {"mfi_complaint": 1, "mfi_handoff": 1}}
    assert (reply.target, reply.detail) == (deletion.target, None)
    for entry in (reply, deletion):
        stored = f"{entry.target} {entry.detail}"
        assert CLIENT not in stored and "shouted" not in stored and "Pole" not in stored
    assert rows(Complaint) == [] and rows(Handoff) == []


async def test_a_failing_deletion_is_not_confirmed(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conversation_id: str, actor: str) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(privacy, "delete_client_data", broken)
    dispatcher = CollectingDispatcher()

    with pytest.raises(RuntimeError):
        await ActionDeleteMyData(0.05, 0.01).run(dispatcher, tracker_for("yes", "affirm"), {})

    assert dispatcher.messages == []
    assert pending_erasures() == []


# --- what Rasa does with the events ---------------------------------------------------


def test_pause_and_restart_are_events_rasa_applies(domain: Domain) -> None:
    tracker = DialogueStateTracker.from_events(CLIENT, [], slots=domain.slots)
    tracker.update(Event.from_parameters(SlotSet("complaint_text", "x")))
    tracker.update(Event.from_parameters(ConversationPaused()))
    assert tracker.is_paused()

    tracker.update(Event.from_parameters(Restarted()))

    assert tracker.followup_action == "action_session_start"
    assert tracker.get_slot("complaint_text") is None


# --- domain and texts -----------------------------------------------------------------


def test_the_domain_declares_everything_the_actions_use(domain: Domain) -> None:
    responses = {
        name: value
        for name, value in vars(support).items()
        if name.startswith("UTTER_") and isinstance(value, str)
    }
    actions = [
        support.ACTION_REQUEST_HUMAN,
        support.ACTION_SUBMIT_COMPLAINT,
        support.ACTION_OPT_OUT,
        support.ACTION_DELETE_MY_DATA,
    ]
    assert set(responses.values()) <= set(domain.responses)
    assert set(actions) <= set(domain.user_actions)
    assert support.FORM_COMPLAINT in domain.form_names
    assert domain.required_slots_for_form(support.FORM_COMPLAINT) == [support.SLOT_COMPLAINT_TEXT]
    raw = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))
    assert "{hours}" in raw["responses"][support.UTTER_HANDOFF_REQUESTED][0]["text"]
    assert "{reference}" in raw["responses"][support.UTTER_COMPLAINT_RECEIVED][0]["text"]


def test_the_complaint_text_is_only_taken_while_the_form_asks(domain: Domain) -> None:
    [slot] = [s for s in domain.slots if s.name == support.SLOT_COMPLAINT_TEXT]
    [mapping] = slot.mappings
    assert mapping["type"] == "from_text"
    assert set(mapping["not_intent"]) == {"deny", "opt_out"}
    assert mapping["conditions"] == [
        {"active_loop": "complaint_form", "requested_slot": "complaint_text"}
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "within ৪৮"), ("bn", "৪৮ ঘণ্টার"), ("hi", "৪৮ घंटे"), ("sw", "saa ৪৮")],
)
def test_the_handoff_message_renders_in_the_clients_language(
    domain: Domain, language: str, expected: str
) -> None:
    nlg = CatalogNLG(domain=domain)

    rendered = nlg.generate_in_language(
        support.UTTER_HANDOFF_REQUESTED, language, {}, "rest", hours="৪৮"
    )

    assert expected in rendered["text"]
    assert "{hours}" not in rendered["text"]


@pytest.mark.parametrize("language", ["en", "sw", "es", "fr", "hi", "hi_Latn", "bn"])
def test_every_support_text_exists_in_every_language(domain: Domain, language: str) -> None:
    nlg = CatalogNLG(domain=domain)
    names = [name for name in domain.responses if name in _support_responses()]
    assert len(names) == 10
    for name in names:
        rendered = nlg.generate_in_language(name, language, {}, "rest", hours="5", reference="C-X")
        english = nlg.generate_in_language(name, "en", {}, "rest", hours="5", reference="C-X")
        assert rendered["text"]
        assert (rendered["text"] == english["text"]) == (language == "en"), name
        assert [b["payload"] for b in rendered.get("buttons") or []] == [
            b["payload"] for b in english.get("buttons") or []
        ]


def _support_responses() -> List[str]:
    text = DOMAIN_PATH.read_text(encoding="utf-8")
    section = text.split("responses:", 1)[1].split("# --- support ---", 1)[1]
    section = section.split("# ---", 1)[0]
    return re.findall(r"^  (utter_\w+):", section, flags=re.MULTILINE)


def test_handoff_wait_hours_ignores_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFI_HANDOFF_WAIT_HOURS", " 12 ")
    assert support.handoff_wait_hours() == 12
    monkeypatch.setenv("MFI_HANDOFF_WAIT_HOURS", "-3")
    assert support.handoff_wait_hours() == support.DEFAULT_HANDOFF_WAIT_HOURS


# --- the complaint form, run by Rasa itself -------------------------------------------


class FormRun:
    """Runs Rasa's own slot extraction and form action on a tracker, as Rasa does."""

    def __init__(self, domain: Domain) -> None:
        from rasa.core.channels import CollectingOutputChannel
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator

        self.domain = domain
        self.channel = CollectingOutputChannel()
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.tracker = DialogueStateTracker.from_events(CLIENT, [], slots=domain.slots)

    def say(self, text: str, intent: str) -> None:
        parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": []}
        self.tracker.update(ActionExecuted("action_listen"))
        self.tracker.update(UserUttered(text, parse["intent"], [], parse))
        # Rasa applies the extracted slots without logging action_extract_slots
        for event in self.events_of(self.extract_slots()):
            self.tracker.update(event)

    def extract_slots(self):
        from rasa.core.actions.action import ActionExtractSlots

        return ActionExtractSlots(None)

    def events_of(self, action) -> List[Event]:
        return asyncio.run(action.run(self.channel, self.nlg, self.tracker, self.domain))

    def latest_bot_message(self) -> BotUttered:
        return next(e for e in reversed(self.tracker.events) if isinstance(e, BotUttered))

    def form(self):
        from rasa.core.actions.forms import FormAction

        return FormAction(support.FORM_COMPLAINT, None)

    def run_action(self, action) -> None:
        events = self.events_of(action)
        self.tracker.update(ActionExecuted(action.name()))
        for event in events:
            self.tracker.update(event)


def test_the_form_asks_and_takes_any_message_as_the_complaint(domain: Domain) -> None:
    run_ = FormRun(domain)
    run_.say("i want to complain", "complain")
    assert run_.tracker.get_slot(support.SLOT_COMPLAINT_TEXT) is None  # not the request itself

    run_.run_action(run_.form())
    assert run_.tracker.active_loop_name == support.FORM_COMPLAINT
    asked = run_.latest_bot_message()
    assert asked.text.startswith("I am sorry about this.")
    assert asked.data["buttons"][0]["payload"] == "/deny"

    run_.say("hujambo, afisa alinifokea sokoni", "nlu_fallback")
    assert run_.tracker.get_slot(support.SLOT_COMPLAINT_TEXT) == "hujambo, afisa alinifokea sokoni"
    run_.run_action(run_.form())
    assert run_.tracker.active_loop_name is None


@pytest.mark.parametrize("intent", ["deny", "opt_out"])
def test_no_or_stop_is_not_taken_as_the_complaint(domain: Domain, intent: str) -> None:
    from rasa.core.actions.action import ActionExecutionRejection

    run_ = FormRun(domain)
    run_.say("complaint", "complain")
    run_.run_action(run_.form())

    run_.say("cancel", intent)

    assert run_.tracker.get_slot(support.SLOT_COMPLAINT_TEXT) is None
    with pytest.raises(ActionExecutionRejection):
        run_.run_action(run_.form())
