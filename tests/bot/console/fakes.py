"""Test doubles: a Rasa tracker-store writer and a fake of Rasa's HTTP API.

``EventWriter`` writes events into the ``events`` table the way Rasa's SQLTrackerStore
does (same columns, same JSON). ``FakeRasa`` serves the two endpoints the console calls
(append events, execute an action) on 127.0.0.1 and appends the resulting events to the
table, like Rasa does, so the console shows them.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.console.events import EVENTS, create_events_table

from .servers import ServerThread

START_TS = 1_700_000_000.0


class EventWriter:
    """Appends Rasa-shaped events for tests."""

    def __init__(self, engine: Engine, start: float = START_TS) -> None:
        self.engine = engine
        self._clock = itertools.count()
        self.start = start
        create_events_table(engine)

    def now(self) -> float:
        return self.start + next(self._clock) * 10.0

    def write(self, sender: str, data: Dict[str, Any]) -> Dict[str, Any]:
        data = {"timestamp": self.now(), **data}
        parse = data.get("parse_data") or {}
        with self.engine.begin() as connection:
            connection.execute(
                insert(EVENTS).values(
                    sender_id=sender,
                    type_name=data["event"],
                    timestamp=data["timestamp"],
                    intent_name=(parse.get("intent") or {}).get("name"),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
            )
        return data

    def user(
        self,
        sender: str,
        text: str,
        intent: str = "greet",
        confidence: float = 0.9,
        channel: str = "rest",
        language: str | None = "en",
        entities: List[Dict[str, Any]] | None = None,
        ranking: List[Dict[str, Any]] | None = None,
    ) -> Dict[str, Any]:
        parse: Dict[str, Any] = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        }
        if language:
            parse["detected_language"] = language
        return self.write(
            sender,
            {"event": "user", "text": text, "parse_data": parse, "input_channel": channel},
        )

    def action(self, sender: str, name: str, policy: str = "RulePolicy") -> Dict[str, Any]:
        return self.write(
            sender, {"event": "action", "name": name, "policy": policy, "confidence": 1.0}
        )

    def bot(self, sender: str, text: str, **metadata: Any) -> Dict[str, Any]:
        return self.write(sender, {"event": "bot", "text": text, "metadata": metadata, "data": {}})

    def slot(self, sender: str, name: str, value: Any) -> Dict[str, Any]:
        return self.write(sender, {"event": "slot", "name": name, "value": value})

    def plain(self, sender: str, kind: str) -> Dict[str, Any]:
        return self.write(sender, {"event": kind})

    def turn(self, sender: str, text: str, intent: str, reply: str, **user: Any) -> None:
        """A client message, the bot's action and response, and action_listen."""
        self.user(sender, text, intent, **user)
        self.action(sender, f"utter_{intent}")
        self.bot(sender, reply, utter_action=f"utter_{intent}")
        self.action(sender, "action_listen")


@dataclass
class RasaCall:
    """One request the fake Rasa API received."""

    path: str
    conversation_id: str
    params: Dict[str, str]
    body: Any


@dataclass
class FakeRasa:
    """Rasa's ``/conversations/{id}/tracker/events`` and ``/execute`` on 127.0.0.1."""

    writer: EventWriter
    fail_status: int | None = None
    calls: List[RasaCall] = field(default_factory=list)
    responses: Dict[str, str] = field(
        default_factory=lambda: {"utter_handoff_back": "This is the assistant again."}
    )
    server: ServerThread | None = None

    def app(self) -> Starlette:
        async def events(request: Request) -> JSONResponse:
            return await self._handle(request, "tracker/events")

        async def execute(request: Request) -> JSONResponse:
            return await self._handle(request, "execute")

        return Starlette(
            routes=[
                Route("/conversations/{cid:path}/tracker/events", events, methods=["POST"]),
                Route("/conversations/{cid:path}/execute", execute, methods=["POST"]),
            ]
        )

    async def _handle(self, request: Request, kind: str) -> JSONResponse:
        cid = request.path_params["cid"]
        body = await request.json()
        self.calls.append(RasaCall(kind, cid, dict(request.query_params), body))
        if self.fail_status:
            return JSONResponse({"message": "failed"}, status_code=self.fail_status)
        if kind == "tracker/events":
            for event in body if isinstance(body, list) else [body]:
                self.writer.write(cid, dict(event))
        else:
            name = body["name"]
            self.writer.action(cid, name)
            self.writer.bot(cid, self.responses.get(name, name), utter_action=name)
        return JSONResponse({"sender_id": cid})

    def start(self) -> FakeRasa:
        self.server = ServerThread(self.app()).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
