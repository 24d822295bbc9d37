"""A client of the assistant's REST channel, for the tests that talk to a running server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import List, Optional, Tuple


def post(url: str, body: bytes, content_type: str = "application/json") -> Tuple[int, object]:
    """POSTs ``body``; returns the status and the JSON answer (or the error text)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def say(base: str, text: str, sender: Optional[str] = None) -> List[dict]:
    """Sends a client message through the REST webhook; returns the bot's replies."""
    sender = sender or uuid.uuid4().hex
    status, replies = post(
        f"{base}/webhooks/rest/webhook",
        json.dumps({"sender": sender, "message": text}).encode(),
    )
    assert status == 200, replies
    return replies  # type: ignore[return-value]
