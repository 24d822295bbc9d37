"""Retries, failure records, pacing and background turns."""

from __future__ import annotations

import asyncio
import time
from typing import List

import pytest

from bot.channels.config import RetryPolicy
from bot.channels.delivery import BackgroundTasks, ChatThrottle, DeliveryError, deliver
from bot.store.channels import ChannelStore

POLICY = RetryPolicy(attempts=4, base_delay=0.5, max_delay=2.0, max_retry_after=30)


class Script:
    """A send that fails as scripted, then succeeds."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


@pytest.fixture
def waits() -> List[float]:
    return []


@pytest.fixture
def sleep(waits: List[float]):  # noqa: ANN201
    async def _sleep(seconds: float) -> None:
        waits.append(seconds)

    return _sleep


async def run(script: Script, store: ChannelStore, sleep) -> str | None:  # noqa: ANN001
    return await deliver(
        script,
        channel="whatsapp",
        recipient_id="whatsapp:+1",
        content={"parts": [{"body": "hi"}]},
        store=store,
        policy=POLICY,
        sleep=sleep,
    )


async def test_retryable_errors_back_off(store: ChannelStore, sleep, waits: List[float]) -> None:
    script = Script(DeliveryError("503", 503, retryable=True), DeliveryError("net", retryable=True))
    assert await run(script, store, sleep) == "sent"
    assert script.calls == 3
    assert 0.4 <= waits[0] <= 0.6 and 0.8 <= waits[1] <= 1.2  # doubled, with jitter
    assert store.failures() == []


async def test_retry_after_is_obeyed(store: ChannelStore, sleep, waits: List[float]) -> None:
    script = Script(DeliveryError("429", 429, retryable=True, retry_after=7))
    assert await run(script, store, sleep) == "sent"
    assert waits == [7]


async def test_too_long_retry_after_fails_and_is_recorded(
    store: ChannelStore, sleep, waits: List[float]
) -> None:
    script = Script(DeliveryError("429", 429, retryable=True, retry_after=600))
    assert await run(script, store, sleep) is None
    assert waits == []
    assert store.failures()[0].status_code == 429


async def test_4xx_fails_at_once(store: ChannelStore, sleep, waits: List[float]) -> None:
    script = Script(DeliveryError("bad number", 400, "21211"))
    assert await run(script, store, sleep) is None
    assert script.calls == 1 and waits == []
    [failure] = store.failures()
    assert (failure.error_code, failure.attempts, failure.error) == ("21211", 1, "bad number")


async def test_gives_up_after_the_attempts(store: ChannelStore, sleep, waits: List[float]) -> None:
    script = Script(*[DeliveryError("503", 503, retryable=True)] * 10)
    assert await run(script, store, sleep) is None
    assert script.calls == POLICY.attempts
    assert store.failures()[0].attempts == POLICY.attempts


async def test_an_unexpected_error_is_recorded_too(store: ChannelStore, sleep) -> None:
    script = Script(RuntimeError("bug"))
    assert await run(script, store, sleep) is None
    assert "bug" in store.failures()[0].error


async def test_failure_recording_problems_do_not_raise(sleep) -> None:  # noqa: ANN001
    class BrokenStore(ChannelStore):
        def record_failure(self, *args, **kwargs) -> int:  # noqa: ANN002, ANN003
            raise OSError("disk full")

    assert await run(Script(DeliveryError("x", 400)), BrokenStore(), sleep) is None


async def test_throttle_spaces_one_chat_not_others() -> None:
    throttle = ChatThrottle(0.2)
    started = time.monotonic()
    await asyncio.gather(*(throttle.wait("a") for _ in range(3)), throttle.wait("b"))
    assert 0.38 <= time.monotonic() - started < 0.6
    quick = time.monotonic()
    await throttle.wait("c")
    assert time.monotonic() - quick < 0.05


async def test_background_tasks_are_drained_and_errors_logged() -> None:
    tasks = BackgroundTasks()
    done: List[int] = []

    async def work(n: int) -> None:
        await asyncio.sleep(0.01 * n)
        done.append(n)
        if n == 2:
            raise RuntimeError("boom")

    for n in range(3):
        tasks.spawn(work(n))
    assert tasks.pending == 3
    await tasks.drain(timeout=5)
    assert sorted(done) == [0, 1, 2] and tasks.pending == 0


async def test_drain_times_out() -> None:
    tasks = BackgroundTasks()
    task = tasks.spawn(asyncio.sleep(10))
    with pytest.raises(TimeoutError):
        await tasks.drain(timeout=0.05)
    task.cancel()


async def test_keyed_locks_keep_order_per_key_and_are_forgotten() -> None:
    from bot.channels.delivery import KeyedLocks

    locks = KeyedLocks()
    order: List[str] = []

    async def turn(key: str, name: str, pause: float) -> None:
        async with locks.hold(key):
            await asyncio.sleep(pause)
            order.append(name)

    await asyncio.gather(turn("a", "a1", 0.1), turn("a", "a2", 0), turn("b", "b1", 0))
    assert order == ["b1", "a1", "a2"]
    assert len(locks) == 0
