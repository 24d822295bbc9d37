"""The round-robin balancer in front of fake backends on free ports of 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Dict, List, Tuple

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.production.balancer import HEALTH_PATH, Balancer, forward_headers
from tests.conftest import free_port

TWIML = "application/xml; charset=utf-8"


@dataclass
class Backend:
    """A fake Rasa server that records what reached it."""

    name: str
    health_status: int = 200
    seen: List[Dict] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == HEALTH_PATH:
            return web.json_response({"status": "x"}, status=self.health_status)
        self.seen.append(
            {
                "method": request.method,
                "path_qs": request.rel_url.raw_path_qs,
                "headers": dict(request.headers),
                "host": request.host,
                "body": await request.read(),
            }
        )
        if request.path == "/twiml":
            return web.Response(
                status=201,
                body=b"<Response><Message>hi</Message></Response>",
                headers={"Content-Type": TWIML, "X-Backend": self.name},
            )
        if request.path == "/gzip":
            return web.Response(
                body=gzip.compress(b'{"text": "compressed"}'),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        return web.json_response({"backend": self.name})


async def start_raw(handler: Callable, port: int) -> asyncio.AbstractServer:
    return await asyncio.start_server(handler, "127.0.0.1", port)


@pytest.fixture
async def backends() -> AsyncIterator[Callable[..., Awaitable[Backend]]]:
    """Starts fake backends on demand (``await backends("a")``); stops them after."""
    runners: List[web.AppRunner] = []

    async def start(name: str, health_status: int = 200) -> Backend:
        backend = Backend(name, health_status)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", backend.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        backend.url = f"http://127.0.0.1:{port}"
        return backend

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def balanced() -> AsyncIterator[Callable[..., Awaitable[Tuple[Balancer, str]]]]:
    """Starts a balancer before the given URLs; its periodic health check is stopped.

    With ``trust_all`` every backend counts as healthy (as before the first check), so a
    test decides the order in which backends are tried.
    """
    servers: List[TestServer] = []

    async def start(urls: List[str], trust_all: bool = True) -> Tuple[Balancer, str]:
        balancer = Balancer(urls, health_interval=3600)
        server = TestServer(balancer.app(), host="127.0.0.1", port=free_port())
        await server.start_server()
        servers.append(server)
        assert balancer._checker is not None
        balancer._checker.cancel()
        if trust_all:
            balancer.healthy = {url: True for url in balancer.backends}
        return balancer, str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


async def fetch(url: str, method: str = "GET", **kwargs) -> Tuple[int, Dict, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, **kwargs) as reply:
            return reply.status, dict(reply.headers), await reply.read()


async def test_requests_go_round_robin(backends, balanced) -> None:
    a, b, c = [await backends(name) for name in "abc"]
    _, url = await balanced([a.url, b.url, c.url])
    names = []
    for _ in range(6):
        status, _, body = await fetch(f"{url}/webhooks/rest/webhook")
        assert status == 200
        names.append(json.loads(body)["backend"])
    assert names == ["a", "b", "c", "a", "b", "c"]
    assert [len(x.seen) for x in (a, b, c)] == [2, 2, 2]


async def test_unhealthy_and_closed_backends_are_skipped_after_a_health_check(
    backends, balanced
) -> None:
    sick = await backends("sick", health_status=503)
    good = await backends("good")
    closed = f"http://127.0.0.1:{free_port()}"
    balancer, url = await balanced([sick.url, closed, good.url])
    await balancer.check_health()
    assert balancer.healthy == {sick.url: False, closed: False, good.url: True}
    for _ in range(4):
        status, _, body = await fetch(f"{url}/webhooks/rest/webhook")
        assert status == 200 and json.loads(body) == {"backend": "good"}
    assert (len(sick.seen), len(good.seen)) == (0, 4)

    sick.health_status = 200
    await balancer.check_health()
    assert balancer.healthy[sick.url]
    names = {json.loads((await fetch(f"{url}/x"))[2])["backend"] for _ in range(4)}
    assert names == {"sick", "good"}


async def test_a_refused_connection_is_tried_once_on_the_next_backend(backends, balanced) -> None:
    good = await backends("good")
    refusing = f"http://127.0.0.1:{free_port()}"
    balancer, url = await balanced([refusing, good.url])
    status, _, body = await fetch(f"{url}/webhooks/rest/webhook?n=1", "POST", data=b"one")
    assert status == 200 and json.loads(body) == {"backend": "good"}
    assert [seen["body"] for seen in good.seen] == [b"one"]
    assert balancer.healthy[refusing] is False


async def test_a_connection_broken_mid_request_gives_502_and_is_not_retried(
    backends, balanced
) -> None:
    good = await backends("good")
    received: List[bytes] = []

    async def breaking(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.transport.abort()

    port = free_port()
    server = await start_raw(breaking, port)
    try:
        _, url = await balanced([f"http://127.0.0.1:{port}", good.url])
        status, _, body = await fetch(f"{url}/webhooks/rest/webhook", "POST", data=b"{}")
    finally:
        server.close()
        await server.wait_closed()
    assert status == 502
    assert "error" in json.loads(body)
    assert len(received) == 1 and received[0].startswith(b"POST /webhooks/rest/webhook ")
    assert good.seen == []


async def test_all_backends_down_gives_503_with_retry_after(balanced) -> None:
    balancer, url = await balanced([f"http://127.0.0.1:{free_port()}" for _ in range(2)])
    status, headers, body = await fetch(f"{url}/webhooks/rest/webhook", "POST", data=b"{}")
    assert status == 503
    assert headers["Retry-After"] == "5"
    assert "error" in json.loads(body)
    assert not any(balancer.healthy.values())


async def test_the_request_arrives_unchanged_with_x_forwarded_for(backends, balanced) -> None:
    backend = await backends("only")
    _, url = await balanced([backend.url])
    body = b"From=whatsapp%3A%2B254700000001&Body=habari+%C3%A9"
    sent = {
        "Host": "mfi.example.org",
        "X-Twilio-Signature": "c2lnbmF0dXJl+/=",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": "203.0.113.7",
        "X-Custom": "kept",
        "Proxy-Authorization": "Basic c2VjcmV0",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
    }
    status, _, _ = await fetch(
        f"{url}/webhooks/whatsapp/webhook?a=1&b=%20x&a=2", "PUT", data=body, headers=sent
    )
    assert status == 200
    [seen] = backend.seen
    assert seen["method"] == "PUT"
    assert seen["path_qs"] == "/webhooks/whatsapp/webhook?a=1&b=%20x&a=2"
    assert seen["body"] == body
    assert seen["host"] == "mfi.example.org"
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    for name in ("X-Twilio-Signature", "Content-Type", "X-Custom"):
        assert headers[name.lower()] == sent[name]
    assert headers["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["content-length"] == str(len(body))
    for hop in ("proxy-authorization", "keep-alive", "te"):
        assert hop not in headers


async def test_the_response_comes_back_unchanged(backends, balanced) -> None:
    backend = await backends("only")
    _, url = await balanced([backend.url])
    status, headers, body = await fetch(f"{url}/twiml", "POST", data=b"x")
    assert status == 201
    assert body == b"<Response><Message>hi</Message></Response>"
    assert headers["Content-Type"] == TWIML
    assert headers["X-Backend"] == "only"
    assert headers["Content-Length"] == str(len(body))


async def test_a_compressed_response_stays_readable(backends, balanced) -> None:
    backend = await backends("only")
    _, url = await balanced([backend.url])
    status, _, body = await fetch(f"{url}/gzip")
    assert status == 200
    assert json.loads(body) == {"text": "compressed"}


async def test_a_compressed_request_arrives_decoded(backends, balanced) -> None:
    backend = await backends("only")
    _, url = await balanced([backend.url])
    packed = gzip.compress(b'{"message": "habari"}')
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    status, _, _ = await fetch(f"{url}/webhooks/rest/webhook", "POST", data=packed, headers=headers)
    assert status == 200
    [seen] = backend.seen
    assert seen["body"] == b'{"message": "habari"}'
    assert "content-encoding" not in {name.lower() for name in seen["headers"]}


async def test_backends_are_needed() -> None:
    with pytest.raises(ValueError):
        Balancer([])


def test_order_puts_healthy_backends_first_in_rotation() -> None:
    balancer = Balancer(["http://a/", "http://b", "http://c"])
    assert balancer.backends == ["http://a", "http://b", "http://c"]
    balancer.healthy["http://a"] = False
    orders = [balancer.order() for _ in range(3)]
    assert orders == [
        ["http://b", "http://c", "http://a"],
        ["http://b", "http://c", "http://a"],
        ["http://c", "http://b", "http://a"],
    ]
    assert Counter(order[0] for order in orders) == {"http://b": 2, "http://c": 1}


def test_forward_headers_drops_hop_by_hop_and_adds_forwarding() -> None:
    headers = [
        ("Host", "mfi.example.org"),
        ("Connection", "keep-alive"),
        ("Transfer-Encoding", "chunked"),
        ("content-length", "12"),
        ("Upgrade", "websocket"),
        ("X-Twilio-Signature", "sig"),
    ]
    assert forward_headers(headers, "10.1.2.3", "https") == {
        "Host": "mfi.example.org",
        "X-Twilio-Signature": "sig",
        "X-Forwarded-For": "10.1.2.3",
        "X-Forwarded-Proto": "https",
    }


def test_forward_headers_appends_to_a_forwarding_chain_and_keeps_the_proto() -> None:
    headers = [("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-Proto", "https")]
    assert forward_headers(headers, "10.0.0.9", "http") == {
        "X-Forwarded-For": "1.1.1.1, 10.0.0.9",
        "X-Forwarded-Proto": "https",
    }
    assert forward_headers(headers, None, "http") == dict(headers)


def test_forward_headers_extends_lower_case_forwarding_headers_of_a_proxy() -> None:
    headers = [("x-forwarded-for", "1.1.1.1"), ("x-forwarded-proto", "https")]
    assert forward_headers(headers, "10.0.0.9", "http") == {
        "x-forwarded-for": "1.1.1.1, 10.0.0.9",
        "x-forwarded-proto": "https",
    }


def test_forward_headers_drops_the_request_body_encoding() -> None:
    headers = [("Content-Encoding", "gzip"), ("Accept-Encoding", "gzip")]
    assert forward_headers(headers, None, "http") == {
        "Accept-Encoding": "gzip",
        "X-Forwarded-Proto": "http",
    }
