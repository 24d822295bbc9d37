"""Generated conversations for demos and the benchmark (``python -m bot.console seed``).

Writes Rasa-shaped events (as ``SQLTrackerStore`` stores them) into the ``events`` table:
sessions, client messages with parse data (intent, confidence, ranking, entities,
detected language), actions, bot messages, language slots, fallbacks, handoffs with
pauses and staff replies; and the matching handoff and complaint rows. Channels,
languages and intents follow rough real-world weights; the output depends only on the
random seed and the start time.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Tuple

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.console.events import EVENTS, create_events_table
from bot.store.support import (
    COMPLAINT_CLOSED,
    COMPLAINT_OPEN,
    HANDOFF_CLOSED,
    HANDOFF_OPEN,
    REFERENCE_ALPHABET,
    Complaint,
    Handoff,
)

CHANNELS = (("whatsapp", 0.5), ("telegram", 0.35), ("rest", 0.15))
LANGUAGES = (
    ("en", 0.3),
    ("sw", 0.25),
    ("hi", 0.1),
    ("hi_Latn", 0.1),
    ("bn", 0.08),
    ("es", 0.09),
    ("fr", 0.08),
)
INTENTS = (
    ("greet", 0.16),
    ("calculate_loan", 0.14),
    ("explain_interest", 0.12),
    ("start_budget", 0.08),
    ("start_lesson", 0.08),
    ("inform", 0.14),
    ("thank", 0.08),
    ("goodbye", 0.06),
    ("nlu_fallback", 0.07),
    ("request_human", 0.03),
    ("complain", 0.015),
    ("out_of_scope", 0.025),
)
PHRASES: Dict[str, Dict[str, Tuple[str, ...]]] = {
    "en": {
        "greet": ("hi", "hello there", "good morning"),
        "calculate_loan": ("how much will i pay for 20000 for 6 months", "cost of a 50k loan"),
        "explain_interest": ("what is flat rate", "how does interest work"),
        "start_budget": ("help me make a budget", "i earn 12000 a week"),
        "start_lesson": ("teach me about saving", "i want to learn"),
        "inform": ("20000", "6 months", "2% per month"),
        "thank": ("thanks", "thank you so much"),
        "goodbye": ("bye", "that's all"),
        "nlu_fallback": ("asdf the thing", "hmm maybe tomorrow the goat"),
        "request_human": ("i want to talk to a person", "agent please"),
        "complain": ("the officer was rude to me", "i want to complain"),
        "out_of_scope": ("what's the weather", "tell me a joke"),
    },
    "sw": {
        "greet": ("habari", "mambo", "habari za asubuhi"),
        "calculate_loan": ("nitalipa kiasi gani kwa mkopo wa elfu ishirini", "gharama ya mkopo"),
        "explain_interest": ("riba ni nini", "riba inafanyaje kazi"),
        "start_budget": ("nisaidie kupanga bajeti", "napata elfu kumi kwa wiki"),
        "start_lesson": ("nifundishe kuhusu kuweka akiba", "nataka kujifunza"),
        "inform": ("elfu ishirini", "miezi sita", "asilimia mbili kwa mwezi"),
        "thank": ("asante", "asante sana"),
        "goodbye": ("kwaheri", "tutaonana"),
        "nlu_fallback": ("mbuzi kesho labda", "sijui hii"),
        "request_human": ("nataka kuongea na mtu", "naomba afisa"),
        "complain": ("nataka kulalamika", "afisa alinitukana"),
        "out_of_scope": ("hali ya hewa leo", "nipe utani"),
    },
    "es": {
        "greet": ("hola", "buenos días"),
        "calculate_loan": ("cuánto pagaré por un préstamo de 5000", "costo del crédito"),
        "explain_interest": ("qué es la tasa fija", "cómo funciona el interés"),
        "start_budget": ("ayúdame con un presupuesto",),
        "start_lesson": ("quiero aprender sobre ahorro",),
        "inform": ("5000", "seis meses"),
        "thank": ("gracias", "muchas gracias"),
        "goodbye": ("adiós", "hasta luego"),
        "nlu_fallback": ("la cabra mañana quizás",),
        "request_human": ("quiero hablar con una persona",),
        "complain": ("quiero poner una queja",),
        "out_of_scope": ("qué tiempo hace",),
    },
    "fr": {
        "greet": ("bonjour", "salut"),
        "calculate_loan": ("combien vais-je payer pour un prêt de 100000", "coût du crédit"),
        "explain_interest": ("c'est quoi le taux fixe", "comment marchent les intérêts"),
        "start_budget": ("aide-moi à faire un budget",),
        "start_lesson": ("je veux apprendre à épargner",),
        "inform": ("100000", "six mois"),
        "thank": ("merci", "merci beaucoup"),
        "goodbye": ("au revoir",),
        "nlu_fallback": ("la chèvre demain peut-être",),
        "request_human": ("je veux parler à une personne",),
        "complain": ("je veux faire une réclamation",),
        "out_of_scope": ("quel temps fait-il",),
    },
    "hi": {
        "greet": ("नमस्ते", "नमस्कार"),
        "calculate_loan": ("बीस हज़ार के कर्ज़ पर कितना देना होगा", "लोन की लागत"),
        "explain_interest": ("ब्याज क्या है", "फ्लैट रेट क्या है"),
        "start_budget": ("बजट बनाने में मदद करो",),
        "start_lesson": ("मुझे बचत के बारे में सिखाओ",),
        "inform": ("बीस हज़ार", "छह महीने"),
        "thank": ("धन्यवाद", "शुक्रिया"),
        "goodbye": ("अलविदा",),
        "nlu_fallback": ("बकरी कल शायद",),
        "request_human": ("मुझे किसी इंसान से बात करनी है",),
        "complain": ("मुझे शिकायत करनी है",),
        "out_of_scope": ("आज मौसम कैसा है",),
    },
    "hi_Latn": {
        "greet": ("namaste", "hello ji"),
        "calculate_loan": ("20 hazaar ke loan pe kitna dena hoga", "loan ka kharcha batao"),
        "explain_interest": ("byaj kya hota hai", "flat rate kya hai"),
        "start_budget": ("budget banane mein madad karo",),
        "start_lesson": ("mujhe bachat ke baare mein sikhao",),
        "inform": ("das hazaar", "6 mahine"),
        "thank": ("dhanyavaad", "shukriya"),
        "goodbye": ("bye ji", "alvida"),
        "nlu_fallback": ("bakri kal shayad",),
        "request_human": ("kisi insaan se baat karni hai",),
        "complain": ("mujhe shikayat karni hai",),
        "out_of_scope": ("aaj mausam kaisa hai",),
    },
    "bn": {
        "greet": ("নমস্কার", "হ্যালো"),
        "calculate_loan": ("২০০০০ টাকার ঋণে কত দিতে হবে", "ঋণের খরচ কত"),
        "explain_interest": ("সুদ কী", "ফ্ল্যাট রেট কী"),
        "start_budget": ("বাজেট করতে সাহায্য করুন",),
        "start_lesson": ("সঞ্চয় সম্পর্কে শেখান",),
        "inform": ("২০০০০", "ছয় মাস"),
        "thank": ("ধন্যবাদ",),
        "goodbye": ("বিদায়",),
        "nlu_fallback": ("ছাগল কাল হয়তো",),
        "request_human": ("আমি একজন মানুষের সাথে কথা বলতে চাই",),
        "complain": ("আমি অভিযোগ করতে চাই",),
        "out_of_scope": ("আজ আবহাওয়া কেমন",),
    },
}
RESPONSES = {
    "greet": ("utter_greet", "Hello! I am your money assistant. I can help you with:"),
    "calculate_loan": ("action_calculate_loan", "This loan costs 4,800 in interest."),
    "explain_interest": ("utter_explain_interest", "Interest is the price of borrowing money."),
    "start_budget": ("action_start_budget", "Let us make a budget. How much do you earn?"),
    "start_lesson": ("action_start_lesson", "Lesson 1: why save?"),
    "inform": ("action_calculate_loan", "Thank you. Anything else?"),
    "thank": ("utter_thank", "You are welcome! Is there anything else I can help with?"),
    "goodbye": ("utter_goodbye", "Goodbye! Come back any time you have a money question."),
    "nlu_fallback": ("action_fallback", "Sorry, I did not understand that."),
    "request_human": ("action_request_human", "OK, I have asked a person to answer you."),
    "complain": ("action_submit_complaint", "Your complaint reference is C-XXXXXX."),
    "out_of_scope": ("utter_out_of_scope", "Sorry, I can only help with money questions."),
}
STAFF = ("mary", "john", "aisha")
STAFF_REPLIES = ("Hello, this is Mary from the branch. How can I help?", "I have noted it.")
HANDOFF_INTENTS = ("request_human", "complain")
INSERT_CHUNK = 20_000
OPEN_HANDOFF_DAYS = 2


def _pick(rng: random.Random, weighted: Tuple[Tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def _sender(rng: random.Random, channel: str) -> str:
    if channel == "whatsapp":
        prefix = "sms" if rng.random() < 0.1 else "whatsapp"
        return f"{prefix}:+2547{rng.randrange(10**8):08d}"
    if channel == "telegram":
        return f"telegram:{rng.randrange(10**8, 10**10)}"
    return uuid.UUID(int=rng.getrandbits(128)).hex


@dataclass
class Seeded:
    """What a seed run wrote."""

    conversations: int = 0
    events: int = 0
    handoffs: int = 0
    complaints: int = 0
    seconds: float = 0.0


class ConversationGenerator:
    """Makes one conversation's events, Rasa-shaped."""

    def __init__(self, rng: random.Random, now: float, days: int) -> None:
        self.rng = rng
        self.now = now
        self.days = days

    def _row(self, sender: str, data: Dict[str, Any]) -> Dict[str, Any]:
        parse = data.get("parse_data") or {}
        return {
            "sender_id": sender,
            "type_name": data["event"],
            "timestamp": data["timestamp"],
            "intent_name": (parse.get("intent") or {}).get("name"),
            "action_name": data.get("name") if data["event"] == "action" else None,
            "data": json.dumps(data, ensure_ascii=False),
        }

    def _user(self, ts: float, text: str, intent: str, language: str, channel: str) -> Dict:
        rng = self.rng
        confidence = (
            rng.uniform(0.15, 0.45)
            if intent == "nlu_fallback"
            else min(1.0, rng.betavariate(8, 1.3))
        )
        others = [name for name, _ in INTENTS if name != intent]
        ranking = [{"name": intent, "confidence": round(confidence, 4)}] + [
            {"name": name, "confidence": round(rng.uniform(0, 1 - confidence) / 2, 4)}
            for name in rng.sample(others, 2)
        ]
        entities = []
        if intent in ("inform", "calculate_loan") and any(ch.isdigit() for ch in text):
            entities.append({"entity": "amount", "value": 20000, "extractor": "AmountExtractor"})
        message_id = uuid.UUID(int=rng.getrandbits(128)).hex
        return {
            "event": "user",
            "timestamp": ts,
            "metadata": {},
            "text": text,
            "parse_data": {
                "intent": {"name": intent, "confidence": round(confidence, 4)},
                "entities": entities,
                "text": text,
                "message_id": message_id,
                "metadata": {},
                "intent_ranking": ranking,
                "detected_language": language,
            },
            "input_channel": channel,
            "message_id": message_id,
        }

    @staticmethod
    def _action(ts: float, name: str, policy: str, confidence: float) -> Dict:
        return {
            "event": "action",
            "timestamp": ts,
            "name": name,
            "policy": policy,
            "confidence": confidence,
            "action_text": None,
            "hide_rule_turn": False,
        }

    @staticmethod
    def _bot(ts: float, text: str, utter: str | None, staff: str | None = None) -> Dict:
        metadata: Dict[str, Any] = {"staff": staff} if staff else {"utter_action": utter}
        return {
            "event": "bot",
            "timestamp": ts,
            "metadata": metadata,
            "text": text,
            "data": {"buttons": None, "quick_replies": None, "custom": None},
        }

    def conversation(
        self, target_events: int
    ) -> Tuple[str, str, str, List[Dict[str, Any]], List[str], float]:
        """One conversation: sender, channel, language, event rows, intents, start time."""
        rng = self.rng
        channel = _pick(rng, CHANNELS)
        language = _pick(rng, LANGUAGES)
        sender = _sender(rng, channel)
        start = self.now - rng.uniform(0, self.days * 86400)
        ts = start
        events: List[Dict[str, Any]] = [
            self._action(ts, "action_session_start", "", 1.0),
            {"event": "session_started", "timestamp": ts},
            self._action(ts, "action_listen", "", 1.0),
        ]
        intents: List[str] = []
        paused = False
        first = True
        while len(events) < target_events:
            ts += rng.uniform(5, 120)
            intent = "greet" if first else _pick(rng, INTENTS)
            text = rng.choice(PHRASES[language][intent])
            events.append(self._user(ts, text, intent, language, channel))
            intents.append(intent)
            if first and language != "en" and rng.random() < 0.5:
                events.append(
                    {"event": "slot", "timestamp": ts, "name": "language", "value": language}
                )
            first = False
            ts += rng.uniform(0.2, 2)
            if paused:
                if rng.random() < 0.5:
                    events.append(self._bot(ts, rng.choice(STAFF_REPLIES), None, rng.choice(STAFF)))
                if rng.random() < 0.3:
                    events.append({"event": "resume", "timestamp": ts})
                    paused = False
                continue
            action, reply = RESPONSES[intent]
            policy = "RulePolicy" if intent in ("greet", "goodbye", "thank") else "TEDPolicy"
            events.append(self._action(ts, action, policy, round(rng.uniform(0.6, 1.0), 4)))
            events.append(self._bot(ts, reply, action))
            if intent in HANDOFF_INTENTS:
                events.append({"event": "pause", "timestamp": ts})
                paused = True
            else:
                events.append(self._action(ts, "action_listen", policy, 1.0))
        return sender, channel, language, [self._row(sender, e) for e in events], intents, start


def _batches(
    generator: ConversationGenerator, conversations: int, average_events: int
) -> Iterator[Tuple[List[Dict[str, Any]], List[Tuple[str, str, str, List[str], float]]]]:
    rows: List[Dict[str, Any]] = []
    meta: List[Tuple[str, str, str, List[str], float]] = []
    for _ in range(conversations):
        target = max(6, int(generator.rng.uniform(0.5, 1.5) * average_events))
        sender, channel, language, events, intents, start = generator.conversation(target)
        rows.extend(events)
        meta.append((sender, channel, language, intents, start))
        if len(rows) >= INSERT_CHUNK:
            yield rows, meta
            rows, meta = [], []
    if rows:
        yield rows, meta


def seed(
    engine: Engine,
    conversations: int,
    average_events: int = 20,
    days: int = 90,
    random_seed: int = 1,
    now: float | None = None,
) -> Seeded:
    """Writes ``conversations`` generated conversations (about ``average_events`` each).

    Args:
        engine: the database (``events`` is created if Rasa has not made it yet).
        conversations: how many conversations.
        average_events: the mean number of events per conversation.
        days: conversations start within this many days before ``now``.
        random_seed: the seed of the random generator.
        now: the newest possible time (Unix seconds; the current time by default).
    """
    began = time.monotonic()
    create_events_table(engine)
    rng = random.Random(random_seed)
    now = time.time() if now is None else now
    generator = ConversationGenerator(rng, now, days)
    result = Seeded()
    references: set = set()

    def reference() -> str:
        while True:
            value = "C-" + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
            if value not in references:
                references.add(value)
                return value

    handoffs = Handoff.__table__
    complaints = Complaint.__table__
    for rows, meta in _batches(generator, conversations, average_events):
        handoff_rows: List[Dict[str, Any]] = []
        complaint_rows: List[Dict[str, Any]] = []
        for sender, channel, language, intents, start in meta:
            requested = dt.datetime.utcfromtimestamp(start)
            recent = now - start < OPEN_HANDOFF_DAYS * 86400
            for intent in intents:
                if intent not in HANDOFF_INTENTS:
                    continue
                handoff_rows.append(
                    {
                        "conversation_id": sender,
                        "channel": channel,
                        "language": language,
                        "reason": intent,
                        "status": HANDOFF_OPEN if recent else HANDOFF_CLOSED,
                        "requested_at": requested,
                        "closed_at": None if recent else requested + dt.timedelta(hours=3),
                    }
                )
                if intent == "complain":
                    complaint_rows.append(
                        {
                            "reference": reference(),
                            "conversation_id": sender,
                            "channel": channel,
                            "text": rng.choice(PHRASES[language]["complain"]),
                            "status": COMPLAINT_OPEN if recent else COMPLAINT_CLOSED,
                            "created_at": requested,
                        }
                    )
                break
        with engine.begin() as connection:
            connection.execute(insert(EVENTS), rows)
            if handoff_rows:
                connection.execute(insert(handoffs), handoff_rows)
            if complaint_rows:
                connection.execute(insert(complaints), complaint_rows)
        result.conversations += len(meta)
        result.events += len(rows)
        result.handoffs += len(handoff_rows)
        result.complaints += len(complaint_rows)
    result.seconds = time.monotonic() - began
    return result
