"""Reliable sending shared by the channels: retries, pacing, failure records, tasks.

A send that meets a 5xx, a 429 or a network error is tried again after a growing wait
(or the ``retry_after`` the server asked for); a 4xx is not retried and is logged with
the provider's error code. A reply that finally fails is written to the
``channel_failed_messages`` table, never silently dropped.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Coroutine, Dict, Set, TypeVar

from bot.channels.config import RetryPolicy
from bot.store.channels import ChannelStore

logger = logging.getLogger(__name__)

T = TypeVar("T")
JITTER = 0.2


class Outcome(enum.Enum):
    """What became of a reply."""

    DELIVERED = "delivered"
    OPTED_OUT = "opted_out"  # not sent: the client opted out
    FAILED = "failed"  # not sent after retries; recorded


class DeliveryError(Exception):
    """A send that failed, described independently of the provider's library.

    Args:
        message: what went wrong.
        status_code: the HTTP status, when the provider answered.
        error_code: the provider's own error code (Twilio's ``21211``...).
        retryable: whether trying again may succeed (5xx, 429, network).
        retry_after: seconds the provider asked to wait, if it said.
    """

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        error_code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.retryable = retryable
        self.retry_after = retry_after


async def run_sync(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call (database) in a worker thread, off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def deliver(
    send: Callable[[], Awaitable[T]],
    *,
    channel: str,
    recipient_id: str,
    content: Dict[str, Any],
    store: ChannelStore,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T | None:
    """Call ``send`` until it succeeds, retrying what may succeed later.

    Args:
        send: performs one attempt; raises ``DeliveryError`` on failure.
        channel: channel name, for the log and the failure record.
        recipient_id: the client's conversation id.
        content: what is being sent (recorded if it finally fails).
        store: where a final failure is recorded.
        policy: how many attempts and how long to wait.
        sleep: the waiting function (tests pass a fast one).

    Returns:
        What ``send`` returned, or None when the reply finally failed (recorded).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await send()
        except DeliveryError as error:
            failure = error
        except Exception as error:  # noqa: BLE001 - a bug must not lose the reply silently
            logger.exception("Unexpected error sending on %s to %s", channel, recipient_id)
            failure = DeliveryError(repr(error))
        wait = _wait_before_retry(failure, attempt, policy)
        if wait is None:
            break
        logger.warning(
            "%s send to %s failed (%s, status %s, code %s); retry %d in %.1f s",
            channel,
            recipient_id,
            failure,
            failure.status_code,
            failure.error_code,
            attempt,
            wait,
        )
        await sleep(wait)
    logger.error(
        "%s send to %s failed for good after %d attempt(s): status %s, error code %s: %s",
        channel,
        recipient_id,
        attempt,
        failure.status_code,
        failure.error_code,
        failure,
    )
    try:
        await run_sync(
            store.record_failure,
            channel,
            recipient_id,
            content,
            str(failure),
            attempt,
            failure.status_code,
            failure.error_code,
        )
    except Exception:  # noqa: BLE001 - the log line above still holds the reply
        logger.exception("Could not record the failed %s reply to %s", channel, recipient_id)
    return None


def _wait_before_retry(error: DeliveryError, attempt: int, policy: RetryPolicy) -> float | None:
    """Return the seconds to wait before trying again, or None to give up."""
    if not error.retryable or attempt >= policy.attempts:
        return None
    if error.retry_after is not None:
        if error.retry_after > policy.max_retry_after:
            return None
        return max(0.0, error.retry_after)
    delay = policy.delay(attempt)
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


class ChatThrottle:
    """Spaces the messages to one chat at least ``interval`` seconds apart.

    Args:
        interval: the shortest time between two sends to the same chat.
        clock: monotonic time source.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next_slot: Dict[str, float] = {}
        self._locks: Dict[str, asyncio.Lock] = {}

    async def wait(self, chat_id: str) -> None:
        """Wait until a message may go to ``chat_id``, and reserve that moment."""
        if self.interval <= 0:
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(chat_id, now))
            self._next_slot[chat_id] = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)
        self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        if len(self._next_slot) > 1000:
            for chat_id in [key for key, slot in self._next_slot.items() if slot < now]:
                self._next_slot.pop(chat_id, None)
                lock = self._locks.get(chat_id)
                if lock is not None and not lock.locked():
                    self._locks.pop(chat_id, None)


class BackgroundTasks:
    """Turns processed after the webhook has answered; kept referenced until done."""

    def __init__(self) -> None:
        self._tasks: Set[asyncio.Task] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task:
        """Start ``coroutine`` in the background; errors are logged, not raised."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Background turn failed", exc_info=task.exception())

    @property
    def pending(self) -> int:
        """Return how many tasks are still running."""
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every task (and any they start) has finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._tasks:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = await asyncio.wait(set(self._tasks), timeout=remaining)
            if deadline is not None and time.monotonic() >= deadline and self._tasks:
                raise TimeoutError(f"{len(self._tasks)} background task(s) still running")


class KeyedLocks:
    """One lock per conversation, so its messages are handled one at a time, in order.

    ``asyncio.Lock`` serves waiters first come, first served, and turns start in the
    order the webhooks arrived. A lock is forgotten when nobody holds or awaits it.
    """

    def __init__(self) -> None:
        self._locks: Dict[str, asyncio.Lock] = {}
        self._users: Dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock of ``key`` for the duration of the block."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
