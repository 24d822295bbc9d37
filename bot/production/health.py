"""What a Rasa server depends on, and whether each part answers.

``GET /webhooks/rest/health`` (the REST channel) answers with this report: 200 when the
lock store and the tracker store answer (``degraded`` if the action server or the event
broker does not: the assistant still answers, with an apology where an action is
needed), 503 when a conversation could not be locked or stored. A load balancer takes a
server out of rotation on 503. Every change of a part's state is logged once.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, Optional

import aiohttp

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
OK = "ok"
DEGRADED = "degraded"
UNAVAILABLE = "unavailable"
CRITICAL = ("lock_store", "tracker_store")

_last_state: Dict[str, bool] = {}


@dataclass(frozen=True)
class Check:
    """One dependency's state."""

    ok: bool
    kind: str
    detail: str = ""


_executor: Optional[ThreadPoolExecutor] = None
_running: Dict[int, "asyncio.Future[Any]"] = {}


async def _blocking(dependency: object, check: Callable[[], Any]) -> None:
    """Runs a blocking check in the checks' own threads, at most one per dependency.

    A check that hangs (a Redis that accepts but never answers) keeps its thread until
    its socket times out; meanwhile the next checks of that dependency (the same client
    or engine) fail at once instead of piling up threads.
    """
    global _executor
    previous = _running.get(id(dependency))
    if previous is not None and not previous.done():
        raise TimeoutError("the previous check has not finished")
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
    future = asyncio.get_running_loop().run_in_executor(_executor, check)
    _running[id(dependency)] = future
    await asyncio.wait_for(asyncio.shield(future), CHECK_TIMEOUT_SECONDS)


def _inner_tracker_store(agent: Any) -> Any:
    store = getattr(agent, "tracker_store", None)
    return getattr(store, "_tracker_store", store)


async def check_lock_store(agent: Any) -> Check:
    """Pings the lock store when it is Redis (an in-memory store is always there)."""
    store = getattr(agent, "lock_store", None)
    kind = type(store).__name__
    redis_client = getattr(store, "red", None)
    if redis_client is None:
        return Check(True, kind)
    try:
        await _blocking(redis_client, redis_client.ping)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return Check(False, kind, f"{type(error).__name__}: {error}")
    return Check(True, kind)


async def check_tracker_store(agent: Any) -> Check:
    """Runs ``SELECT 1`` on an SQL tracker store."""
    store = _inner_tracker_store(agent)
    kind = type(store).__name__
    engine = getattr(store, "engine", None)
    if engine is None:
        return Check(True, kind)

    def select_one() -> None:
        import sqlalchemy as sa

        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    try:
        await _blocking(engine, select_one)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return Check(False, kind, f"{type(error).__name__}: {error}"[:300])
    return Check(True, kind)


async def check_event_broker(agent: Any) -> Optional[Check]:
    """Whether the event broker, if any, is connected."""
    broker = getattr(_inner_tracker_store(agent), "event_broker", None)
    if broker is None:
        return None
    ready = bool(broker.is_ready())
    return Check(ready, type(broker).__name__, "" if ready else "not connected")


def action_health_url(webhook_url: str) -> str:
    """The action server's health URL for its webhook URL (``.../webhook`` -> ``.../health``)."""
    base = webhook_url.rstrip("/")
    if base.endswith("/webhook"):
        base = base[: -len("/webhook")]
    return f"{base}/health"


async def check_action_server(agent: Any) -> Optional[Check]:
    """GETs the action server's ``/health``."""
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return None
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(action_health_url(url)) as response:
                if response.status == 200:
                    return Check(True, "action_server")
                return Check(False, "action_server", f"HTTP {response.status}")
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return Check(False, "action_server", f"{type(error).__name__}: {error}")


def _log_changes(checks: Dict[str, Check]) -> None:
    for name, check in checks.items():
        if _last_state.get(name, True) != check.ok:
            if check.ok:
                logger.warning("Health: %s (%s) answers again", name, check.kind)
            else:
                logger.error("Health: %s (%s) is unavailable: %s", name, check.kind, check.detail)
        _last_state[name] = check.ok


async def report(agent: Any) -> Dict[str, Any]:
    """Checks every dependency of ``agent``; ``status`` is ok, degraded or unavailable."""
    results = await asyncio.gather(
        check_lock_store(agent),
        check_tracker_store(agent),
        check_event_broker(agent),
        check_action_server(agent),
    )
    names = ("lock_store", "tracker_store", "event_broker", "action_server")
    pairs = zip(names, results, strict=True)
    checks = {name: result for name, result in pairs if result is not None}
    _log_changes(checks)
    if agent is None or any(not checks[name].ok for name in CRITICAL if name in checks):
        status = UNAVAILABLE
    elif all(check.ok for check in checks.values()):
        status = OK
    else:
        status = DEGRADED
    return {"status": status, "checks": {name: asdict(check) for name, check in checks.items()}}
