"""A small round-robin HTTP balancer in front of several Rasa servers.

In a cluster this is the job of the load balancer or the Kubernetes Service; here it lets
``make run-prod`` (and the tests) put two Rasa servers behind one address. Requests go to
the servers in turn, skipping a server whose ``/webhooks/rest/health`` answers 503 or not
at all. A request that could not even be connected is tried on the next server (nothing
was sent, so nothing can be handled twice); a request that failed after it was sent is
answered with 502, never retried.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Dict, Iterable, List, Optional

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

HEALTH_PATH = "/webhooks/rest/health"
HEALTH_INTERVAL_SECONDS = 2.0
REQUEST_TIMEOUT_SECONDS = 120.0
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# aiohttp's server hands the request body over decoded, so its encoding is not passed on;
# a backend's reply is passed on as received (``auto_decompress=False``), encoding included
REQUEST_ONLY = frozenset({"content-encoding"})
FORWARDED_FOR = "X-Forwarded-For"
FORWARDED_PROTO = "X-Forwarded-Proto"


def forward_headers(headers: Iterable[tuple], remote: Optional[str], scheme: str) -> Dict:
    """The request headers to pass on: without hop-by-hop ones, with ``X-Forwarded-*``."""
    dropped = HOP_BY_HOP | REQUEST_ONLY
    kept = {name: value for name, value in headers if name.lower() not in dropped}
    names = {name.lower(): name for name in kept}  # a proxy may send them in lower case
    if remote:
        name = names.get(FORWARDED_FOR.lower(), FORWARDED_FOR)
        previous = kept.get(name)
        kept[name] = f"{previous}, {remote}" if previous else remote
    if FORWARDED_PROTO.lower() not in names:
        kept[FORWARDED_PROTO] = scheme
    return kept


class Balancer:
    """Round-robin over healthy backends.

    Args:
        backends: base URLs of the Rasa servers (``http://127.0.0.1:5006``).
        health_interval: seconds between health checks.
    """

    def __init__(
        self, backends: List[str], health_interval: float = HEALTH_INTERVAL_SECONDS
    ) -> None:
        if not backends:
            raise ValueError("the balancer needs at least one backend")
        self.backends = [backend.rstrip("/") for backend in backends]
        self.healthy: Dict[str, bool] = {backend: True for backend in self.backends}
        self.health_interval = health_interval
        self._turn = itertools.count()
        self._session: Optional[aiohttp.ClientSession] = None
        self._checker: Optional[asyncio.Task] = None

    def order(self) -> List[str]:
        """The backends to try for the next request: healthy ones first, in rotation."""
        start = next(self._turn) % len(self.backends)
        rotated = self.backends[start:] + self.backends[:start]
        return [b for b in rotated if self.healthy[b]] + [b for b in rotated if not self.healthy[b]]

    async def check_health(self) -> None:
        """Asks every backend's health endpoint once and records the answers."""
        assert self._session is not None
        for backend in self.backends:
            try:
                timeout = aiohttp.ClientTimeout(total=5)
                async with self._session.get(backend + HEALTH_PATH, timeout=timeout) as reply:
                    healthy = reply.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                healthy = False
            if healthy != self.healthy[backend]:
                logger.warning("Balancer: %s is %s", backend, "up" if healthy else "down")
            self.healthy[backend] = healthy

    async def _check_forever(self) -> None:
        while True:
            await self.check_health()
            await asyncio.sleep(self.health_interval)

    async def start(self, _app: web.Application) -> None:
        """Opens the client session and starts the health checks."""
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        self._checker = asyncio.create_task(self._check_forever())

    async def stop(self, _app: web.Application) -> None:
        """Stops the health checks and closes the session."""
        if self._checker is not None:
            self._checker.cancel()
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Passes one request to a backend and its answer back."""
        assert self._session is not None
        body = await request.read()
        headers = forward_headers(request.headers.items(), request.remote, request.scheme)
        for backend in self.order():
            try:
                async with self._session.request(
                    request.method,
                    backend + request.rel_url.raw_path_qs,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                ) as reply:
                    payload = await reply.read()
                    kept = {
                        name: value
                        for name, value in reply.headers.items()
                        if name.lower() not in HOP_BY_HOP
                    }
                    return web.Response(status=reply.status, body=payload, headers=kept)
            except aiohttp.ClientConnectorError:
                self.healthy[backend] = False
                logger.warning("Balancer: cannot connect to %s; trying the next", backend)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.error("Balancer: %s failed during a request: %s", backend, error)
                return web.json_response(
                    {"error": "the assistant server failed; send the message again"},
                    status=502,
                )
        return web.json_response(
            {"error": "no assistant server is available; send the message again"},
            status=503,
            headers={"Retry-After": "5"},
        )

    def app(self) -> web.Application:
        """The aiohttp application that serves every path through the balancer."""
        application = web.Application(client_max_size=4 * 1024 * 1024)
        application.on_startup.append(self.start)
        application.on_cleanup.append(self.stop)
        application.router.add_route("*", "/{tail:.*}", self.handle)
        return application


def serve(backends: List[str], host: str, port: int) -> None:
    """Runs the balancer until interrupted."""
    web.run_app(Balancer(backends).app(), host=host, port=port, print=None)
