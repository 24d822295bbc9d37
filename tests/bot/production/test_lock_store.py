"""The atomic Redis lock store under concurrency, against the machine's Redis (db 15)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, List

import pytest
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.production.lock_store import AtomicRedisLockStore
from bot.production.services import ensure_running, local_services
from tests.conftest import free_port

pytestmark = pytest.mark.services

HOST = "127.0.0.1"
PORT = 6379
DB = 15
THREADS = 8
TICKETS_PER_THREAD = 50


@pytest.fixture(scope="module")
def redis_running() -> None:
    """The machine's Redis, started when it is down (skipped if it cannot be)."""
    [redis_service] = [s for s in local_services({}) if s.name == "redis"]
    try:
        ensure_running(redis_service, timeout=20)
    except RuntimeError as error:
        pytest.skip(f"Redis is not available: {error}")


@pytest.fixture
def prefix(redis_running: None) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted after."""
    key_prefix = f"mfitest{uuid.uuid4().hex[:12]}"
    yield key_prefix
    red = AtomicRedisLockStore(host=HOST, port=PORT, db=DB).red
    for key in red.scan_iter(f"{key_prefix}:*"):
        red.delete(key)


@pytest.fixture
def make_store(prefix: str) -> Callable[[], AtomicRedisLockStore]:
    """Makes independent stores (one per "server") on the same keys."""
    return lambda: AtomicRedisLockStore(host=HOST, port=PORT, db=DB, key_prefix=prefix)


def hammer(issue: Callable[[str], int], conversation: str) -> List[int]:
    """``THREADS`` threads issue ``TICKETS_PER_THREAD`` tickets each, all at once."""
    barrier = threading.Barrier(THREADS)

    def work(_: int) -> List[int]:
        barrier.wait()
        return [issue(conversation) for _ in range(TICKETS_PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        return [ticket for tickets in pool.map(work, range(THREADS)) for ticket in tickets]


def test_rasa_creates_the_store_from_its_endpoint_config(prefix: str) -> None:
    config = EndpointConfig(
        url=HOST,
        type="bot.production.lock_store.AtomicRedisLockStore",
        port=PORT,
        db=DB,
        key_prefix=prefix,
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == f"{prefix}:lock:"
    assert store.red.connection_pool.connection_kwargs["db"] == DB
    assert store.ping() is True
    assert store.issue_ticket("c1") == 0
    assert store.get_lock("c1").last_issued == 0
    store.cleanup("c1", 0)
    assert store.get_lock("c1") is None


def test_tickets_of_concurrent_issuers_are_all_distinct(
    make_store: Callable[[], AtomicRedisLockStore],
) -> None:
    stores = [make_store() for _ in range(2)]
    turn = iter(range(THREADS * TICKETS_PER_THREAD))

    def issue(conversation: str) -> int:
        return stores[next(turn) % 2].issue_ticket(conversation)

    tickets = hammer(issue, "busy")
    assert sorted(tickets) == list(range(THREADS * TICKETS_PER_THREAD))
    assert len(stores[0].get_lock("busy").tickets) == THREADS * TICKETS_PER_THREAD


def test_rasa_redis_lock_store_can_hand_out_one_ticket_twice(prefix: str) -> None:
    """The reason for the atomic store: Rasa's store reads, changes and writes back."""
    store = RedisLockStore(host=HOST, port=PORT, db=DB, key_prefix=prefix)
    tickets = hammer(store.issue_ticket, "busy")
    duplicates = {number for number, count in Counter(tickets).items() if count > 1}
    assert duplicates


def test_returning_a_ticket_never_drops_a_ticket_still_held(
    make_store: Callable[[], AtomicRedisLockStore],
) -> None:
    stores = [make_store() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    problems: List[str] = []

    def work(number: int) -> None:
        store = stores[number]
        barrier.wait()
        for _ in range(25):
            ticket = store.issue_ticket("shared")
            lock = store.get_lock("shared")
            held = [t.number for t in lock.tickets] if lock else []
            if ticket not in held:
                problems.append(f"ticket {ticket} not in {held}")
            store.cleanup("shared", ticket)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    assert problems == []
    assert stores[0].get_lock("shared") is None
    assert stores[0].red.exists(stores[0].key_prefix + "shared") == 0


def test_update_lock_keeps_live_tickets_and_drops_expired_ones(
    make_store: Callable[[], AtomicRedisLockStore],
) -> None:
    store = make_store()
    store.issue_ticket("c", lock_lifetime=0.05)
    live = store.issue_ticket("c", lock_lifetime=60)
    time.sleep(0.1)
    store.update_lock("c")
    assert [t.number for t in store.get_lock("c").tickets] == [live]
    store.finish_serving("c", live)
    assert store.get_lock("c") is None


def test_two_servers_never_hold_one_conversation_at_once(
    make_store: Callable[[], AtomicRedisLockStore],
) -> None:
    """Two "servers" (threads with their own loop and store), two tasks each."""
    guard = threading.Lock()
    inside = Counter({"now": 0, "most": 0, "entries": 0})
    rounds = 8

    async def client(store: AtomicRedisLockStore) -> None:
        for _ in range(rounds):
            async with store.lock("shared", wait_time_in_seconds=0.005):
                with guard:
                    inside["now"] += 1
                    inside["entries"] += 1
                    inside["most"] = max(inside["most"], inside["now"])
                await asyncio.sleep(0.005)
                with guard:
                    inside["now"] -= 1

    def server(_: int) -> None:
        store = make_store()

        async def main() -> None:
            await asyncio.gather(client(store), client(store))

        asyncio.run(main())

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(server, range(2)))
    assert inside["entries"] == 4 * rounds
    assert inside["most"] == 1
    assert make_store().get_lock("shared") is None


def test_a_store_whose_redis_is_down_raises_lock_errors() -> None:
    store = AtomicRedisLockStore(host=HOST, port=free_port(), db=DB, socket_timeout=1)
    with pytest.raises(LockError, match="unavailable"):
        store.issue_ticket("c")
    with pytest.raises(LockError, match="unavailable"):
        store.get_lock("c")
    with pytest.raises(LockError):
        store.update_lock("c")
    store.cleanup("c", 0)  # logged, not raised: the ticket expires by itself
