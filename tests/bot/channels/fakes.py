"""Local fakes of Twilio's REST API and Telegram's Bot API, served on 127.0.0.1.

They speak the real wire formats (form posts with Basic auth and Twilio's JSON message
resource; Bot API methods with ``{"ok": ..., "result": ...}``), so the real twilio and
python-telegram-bot libraries run unchanged against them. Failures can be queued per
request to exercise retries.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any, Dict, List, Tuple

from aiohttp import web

LOOPBACK = "127.0.0.1"


class _LoopbackServer:
    """An aiohttp application on a free loopback port."""

    def __init__(self) -> None:
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class SentSms:
    """A message the fake Twilio API accepted."""

    sid: str
    to: str
    from_: str | None
    body: str
    media_urls: List[str]
    messaging_service_sid: str | None
    at: float


class FakeTwilioApi(_LoopbackServer):
    """Twilio's ``POST /2010-04-01/Accounts/{sid}/Messages.json``.

    Args:
        account_sid: the account whose Basic auth is accepted.
        auth_token: its token.
    """

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: List[SentSms] = []
        self.requests = 0
        self._failures: List[Tuple[int, int | None]] = []
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests with an error."""
        self._failures.extend([(status, code)] * times)

    def bodies(self, to: str | None = None) -> List[str]:
        """Return the bodies sent (to one address), in order."""
        return [message.body for message in self.messages if to is None or message.to == to]

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}" and request.match_info["sid"] == self.account_sid

    @staticmethod
    def _error(status: int, code: int | None, message: str) -> web.Response:
        payload = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return web.json_response(payload, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        form = await request.post()
        if self._failures:
            status, code = self._failures.pop(0)
            return self._error(status, code, "Injected failure")
        if "To" not in form or not (form.get("Body") or form.get("MediaUrl")):
            return self._error(400, 21602, "Message body is required.")
        if len(str(form.get("Body") or "")) > 1600:
            return self._error(400, 21617, "The concatenated message body exceeds 1600 chars")
        sid = f"SM{len(self.messages) + 1:032d}"
        message = SentSms(
            sid=sid,
            to=str(form["To"]),
            from_=form.get("From"),
            body=str(form.get("Body") or ""),
            media_urls=[str(url) for url in form.getall("MediaUrl", [])],
            messaging_service_sid=form.get("MessagingServiceSid"),
            at=time.monotonic(),
        )
        self.messages.append(message)
        now = format_datetime(dt.datetime.now(dt.timezone.utc), usegmt=True)
        return web.json_response(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": message.to,
                "from": message.from_,
                "body": message.body,
                "status": "queued",
                "num_media": str(len(message.media_urls)),
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": now,
                "date_updated": now,
                "date_sent": None,
                "price": None,
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
            status=201,
        )


@dataclass
class BotCall:
    """A Bot API call the fake received."""

    method: str
    params: Dict[str, Any]
    at: float


class FakeTelegramApi(_LoopbackServer):
    """The Bot API methods the connector uses, at ``/bot<token>/<method>``."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__()
        self.token = token
        self.calls: List[BotCall] = []
        self.updates: List[Dict[str, Any]] = []
        self.webhook: Dict[str, Any] = {}
        self._failures: Dict[str, List[Tuple[int, Dict[str, Any]]]] = {}
        self._message_id = 0
        self.app.router.add_post("/bot{token}/{method}", self._method)

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/bot"

    def fail_next(self, method: str, status: int, retry_after: int | None = None) -> None:
        """Answer the next call of ``method`` with an error (429 with ``retry_after``)."""
        description = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }.get(status, "Internal Server Error")
        payload: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
        self._failures.setdefault(method, []).append((status, payload))

    def sent(self, method: str = "sendMessage") -> List[Dict[str, Any]]:
        """Return the parameters of the successful calls of one method, in order."""
        return [call.params for call in self.calls if call.method == method]

    def texts(self) -> List[str]:
        return [params["text"] for params in self.sent("sendMessage")]

    async def _params(self, request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: Dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else value.file.read().decode()
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        failures = self._failures.get(method)
        if failures:
            status, payload = failures.pop(0)
            self.calls.append(BotCall(f"{method}!{status}", params, time.monotonic()))
            return web.json_response(payload, status=status)
        result = await self._result(method, params)
        self.calls.append(BotCall(method, params, time.monotonic()))
        return web.json_response({"ok": True, "result": result})

    def _message(self, params: Dict[str, Any], **content: Any) -> Dict[str, Any]:
        self._message_id += 1
        message = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _result(self, method: str, params: Dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "MFI"}
        if method == "sendMessage":
            if len(str(params["text"]).encode("utf-16-le")) // 2 > 4096:
                raise web.HTTPBadRequest(text="message is too long")
            return self._message(params, text=params["text"])
        if method in {"sendDocument", "sendPhoto"}:
            key = "document" if method == "sendDocument" else "photo"
            file = {"file_id": "F1", "file_unique_id": "U1"}
            content = {key: file if key == "document" else [dict(file, width=1, height=1)]}
            if params.get("caption"):
                content["caption"] = params["caption"]
            return self._message(params, **content)
        if method in {"answerCallbackQuery", "deleteWebhook"}:
            if method == "deleteWebhook":
                self.webhook = {}
            return True
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "getWebhookInfo":
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            }
        if method == "getUpdates":
            return await self._get_updates(params)
        raise web.HTTPNotFound(text=f"fake Bot API has no {method}")

    async def _get_updates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.updates = [update for update in self.updates if update["update_id"] >= offset]
        if not self.updates:
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.05))
        return list(self.updates)


def user(user_id: int = 4242, language_code: str | None = "en") -> Dict[str, Any]:
    """Return a Telegram user as the Bot API sends it."""
    data: Dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Amina"}
    if language_code:
        data["language_code"] = language_code
    return data


def message_update(
    update_id: int, text: str | None = None, chat_id: int = 4242, **extra: Any
) -> Dict[str, Any]:
    """Return a ``message`` update (text, or media given in ``extra``)."""
    language_code = extra.pop("language_code", "en")
    message: Dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": user(chat_id, language_code),
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, chat_id: int = 4242) -> Dict[str, Any]:
    """Return a ``callback_query`` update for a pressed inline button."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": "menu",
            },
        },
    }
