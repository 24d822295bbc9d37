"""The REST channel, with its input checked before it reaches Rasa.

Rasa's own REST channel passes whatever it receives to the NLU: a JSON list, a missing or
non-text ``message`` end in an exception that it logs and answers with an empty list, so
the client hears nothing. This one answers such requests with a 400 and a JSON reason,
and hands every well-formed message (even an empty text, which the NLU answers with a
clear "please type your question") to Rasa as before. The webhook stays
``/webhooks/rest/webhook``.

A turn that says nothing (an action failed) gets an apology in the client's language; a
turn that cannot be locked or stored (Redis or the database is down) is answered with 503
and ``Retry-After``, and nothing of it is kept. ``GET /webhooks/rest/health`` reports the
server's dependencies (``bot.production.health``).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.conversation import ConversationContext
from bot.channels.turns import TurnOutcome, run_turn
from bot.production.health import UNAVAILABLE
from bot.production.health import report as health_report

MAX_SENDER_CHARS = 255
MAX_MESSAGE_CHARS = 20_000
DEFAULT_SENDER = "default"
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "the assistant cannot store conversations right now; send the message again"


class RequestError(ValueError):
    """A request that cannot be handled, with the reason given to the caller."""


def parse_body(raw: bytes) -> Dict[str, Any]:
    """Returns the checked JSON body of a REST message request.

    Raises:
        RequestError: the body is not a JSON object with a text ``message`` and an
            optional text ``sender`` of reasonable size.
    """
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as error:  # too deep: Recursion
        raise RequestError("the body must be JSON") from error
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object")
    message = body.get("message")
    if not isinstance(message, str):
        raise RequestError("'message' must be a string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise RequestError(f"'message' must be at most {MAX_MESSAGE_CHARS} characters")
    sender = body.get("sender", DEFAULT_SENDER)
    if (
        not isinstance(sender, str)
        or not sender.strip()
        or len(sender) > MAX_SENDER_CHARS
        or not sender.isprintable()  # a NUL cannot be stored (PostgreSQL)
    ):
        raise RequestError(
            f"'sender' must be a non-empty printable string of at most {MAX_SENDER_CHARS}"
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError("'metadata' must be a JSON object")
    return {"message": message, "sender": sender, "metadata": metadata}


class RestInput(RasaRestInput):
    """Rasa's REST channel, answering malformed requests with a 400."""

    @classmethod
    def name(cls) -> Text:
        """The channel's name: the webhook is ``/webhooks/rest/webhook``."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The REST webhook: checks the request, then runs the turn as Rasa's does."""
        webhook = Blueprint("checked_rest_webhook", url_prefix="/webhooks/rest")

        @webhook.route("/", methods=["GET"])
        async def alive(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            state = await health_report(getattr(request.app.ctx, "agent", None))
            return response.json(state, status=503 if state["status"] == UNAVAILABLE else 200)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = parse_body(request.body)
            except RequestError as error:
                return response.json({"error": str(error)}, status=400)
            collector = CollectingOutputChannel()
            message = UserMessage(
                body["message"],
                collector,
                body["sender"],
                input_channel=self.name(),
                metadata=body["metadata"],
            )
            agent = getattr(request.app.ctx, "agent", None)
            outcome = await run_turn(on_new_message, message, ConversationContext(agent, "rest"))
            if outcome is TurnOutcome.UNAVAILABLE:
                return response.json(
                    {"error": UNAVAILABLE_MESSAGE},
                    status=503,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            return response.json(collector.messages)

        return webhook

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """The ``metadata`` object of the request, if any."""
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None
