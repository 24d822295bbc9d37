"""A small client of the Rasa server's HTTP API (``rasa run --enable-api``).

The console never writes to Rasa's ``events`` table itself (Rasa's SQL tracker store
counts the stored events of a session to know which ones to add); it asks Rasa to append
events (pause, resume, a staff reply as a bot message) and to run a response.
"""

from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import httpx

PAUSE = {"event": "pause"}
RESUME = {"event": "resume"}
LATEST_CHANNEL = "latest"
TIMEOUT_SECONDS = 15.0
# characters kept as they are in the conversation id of a path: Rasa (Sanic) does not
# percent-decode path parameters, so only what would break the URL is encoded
PATH_SAFE = "/:@+!$&'()*,;=~-._"


class RasaError(RuntimeError):
    """The Rasa server could not be reached or refused the request."""


def staff_message(text: str, username: str) -> Dict[str, Any]:
    """The bot event that records a staff reply in the transcript."""
    return {"event": "bot", "text": text, "metadata": {"staff": username}}


class RasaClient:
    """Calls the Rasa HTTP API at ``base_url`` (with ``token`` if Rasa has one)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = client

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        return self._client

    def _url(self, conversation_id: str, suffix: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe=PATH_SAFE)}/{suffix}"

    async def _post(self, url: str, payload: Any, params: Dict[str, str]) -> Dict[str, Any]:
        if self.token:
            params = {**params, "token": self.token}
        try:
            response = await self._http().post(url, json=payload, params=params)
        except httpx.HTTPError as error:
            raise RasaError(f"Rasa is not reachable at {self.base_url}: {error}") from error
        if response.status_code >= 400:
            raise RasaError(f"Rasa answered {response.status_code}: {response.text[:300]}")
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    async def append_events(
        self, conversation_id: str, events: List[Dict[str, Any]]
    ) -> Dict[str, Any]:
        """Appends ``events`` to the conversation's tracker; returns the tracker state."""
        return await self._post(
            self._url(conversation_id, "tracker/events"), events, {"include_events": "NONE"}
        )

    async def execute(self, conversation_id: str, action: str) -> Dict[str, Any]:
        """Runs ``action`` (e.g. a response) in the conversation, through its channel."""
        return await self._post(
            self._url(conversation_id, "execute"),
            {"name": action},
            {"output_channel": LATEST_CHANNEL, "include_events": "NONE"},
        )

    async def close(self) -> None:
        """Closes the HTTP connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
