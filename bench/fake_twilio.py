"""A stand-in for Twilio's REST API that counts the WhatsApp replies the assistant sends.

The assistant under test is started with ``TWILIO_API_BASE_URL`` pointing here, so its
replies (``POST /2010-04-01/Accounts/{sid}/Messages.json``) never leave the machine. It
is a plain WSGI application: the Locust file serves it with gevent, and a simulated
client waits for the reply to its message with ``wait_for``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from collections import Counter
from email.utils import format_datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import parse_qs

from bench.config import basic_auth

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")

StartResponse = Callable[[str, List[Tuple[str, str]]], Any]


class FakeTwilio:
    """Twilio's message-creating endpoint, counting messages per recipient.

    Args:
        account_sid: the account whose Basic auth is accepted (any when None).
        auth_token: its auth token (any when None).
    """

    def __init__(self, account_sid: Optional[str] = None, auth_token: Optional[str] = None) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: Counter[str] = Counter()
        self.bodies: Dict[str, List[str]] = {}
        self.rejected = 0
        self._changed = threading.Condition()

    @property
    def total(self) -> int:
        """Return how many messages were accepted."""
        return sum(self.sent.values())

    def count(self, to: str) -> int:
        """Return how many messages went to one address (``whatsapp:+254...``)."""
        return self.sent[to]

    def body(self, to: str, index: int) -> Optional[str]:
        """Return the text of the ``index``-th message (0 first) sent to ``to``, if any."""
        bodies = self.bodies.get(to, [])
        return bodies[index] if index < len(bodies) else None

    def wait_for(self, to: str, more_than: int, timeout: float) -> bool:
        """Wait until more than ``more_than`` messages went to ``to``; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.sent[to] <= more_than:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _authorised(self, environ: Dict[str, Any], sid: str) -> bool:
        if self.account_sid is None or self.auth_token is None:
            return True
        expected = basic_auth(self.account_sid, self.auth_token)
        return sid == self.account_sid and environ.get("HTTP_AUTHORIZATION") == expected

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer one HTTP request (WSGI)."""
        match = MESSAGES_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") != "POST" or match is None:
            return _json(start_response, "404 Not Found", {"status": 404, "message": "not found"})
        if not self._authorised(environ, match.group("sid")):
            self.rejected += 1
            refusal = {"status": 401, "code": 20003, "message": "Authenticate"}
            return _json(start_response, "401 Unauthorized", refusal)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8") if length else ""
        form = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
        to = form.get("To", "")
        sid = "SM" + uuid.uuid4().hex
        with self._changed:
            self.sent[to] += 1
            self.bodies.setdefault(to, []).append(form.get("Body", ""))
            self._changed.notify_all()
        now = format_datetime(dt.datetime.now(dt.timezone.utc), usegmt=True)
        return _json(
            start_response,
            "201 Created",
            {
                "sid": sid,
                "account_sid": match.group("sid"),
                "to": to,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body", ""),
                "status": "queued",
                "num_media": "1" if form.get("MediaUrl") else "0",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": now,
                "date_updated": now,
                "date_sent": None,
                "price": None,
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{match.group('sid')}/Messages/{sid}.json",
            },
        )


def _json(start_response: StartResponse, status: str, payload: Dict[str, Any]) -> List[bytes]:
    body = json.dumps(payload).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
