"""Reads Rasa's events from RabbitMQ and keeps the console's index current.

Every Rasa server publishes each event it stores to the ``mfi_events`` queue (Rasa's Pika
event broker). This consumer takes them in batches: when a batch has arrived (or a short
wait has passed), it folds the new events of the tracker store into the console's
search and activity tables (``bot.console.indexer``), then acknowledges the batch. If the
database is down the batch is not acknowledged: RabbitMQ keeps it and the consumer tries
again, so the console catches up once the database is back.

Run it with ``python -m bot.production consume``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from typing import Callable, List, Optional

import aio_pika
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

QUEUE = "mfi_events"
BATCH_SIZE = 500
BATCH_WAIT_SECONDS = 1.0
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class BrokerSettings:
    """Where RabbitMQ is, from the ``MFI_RABBITMQ_*`` environment variables."""

    host: str = "127.0.0.1"
    port: int = 5672
    username: str = "guest"
    password: str = "guest"
    queue: str = QUEUE

    @classmethod
    def from_env(cls) -> BrokerSettings:
        """The settings of this deployment."""
        env = os.environ
        return cls(
            host=env.get("MFI_RABBITMQ_HOST", cls.host),
            port=int(env.get("MFI_RABBITMQ_PORT", cls.port)),
            username=env.get("MFI_RABBITMQ_USER", cls.username),
            password=env.get("MFI_RABBITMQ_PASSWORD", cls.password),
            queue=env.get("MFI_RABBITMQ_QUEUE", cls.queue),
        )

    def url(self) -> str:
        """The AMQP URL."""
        return f"amqp://{self.username}:{self.password}@{self.host}:{self.port}/"


def index_new_events(engine: Engine) -> int:
    """Folds every event not indexed yet into the console's tables; returns how many."""
    from bot.console.indexer import Indexer
    from bot.console.routers.analytics import activity_indexer

    done = Indexer(engine).catch_up()
    activity_indexer(engine).catch_up()
    return done


def senders(bodies: List[bytes]) -> List[str]:
    """The conversations that a batch of Rasa event messages touches (for the log)."""
    found = []
    for body in bodies:
        try:
            sender = json.loads(body).get("sender_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(sender, str) and sender not in found:
            found.append(sender)
    return found


class Consumer:
    """Consumes the event queue in batches and indexes after each batch.

    Args:
        engine: the database with Rasa's events and the console's tables.
        settings: where RabbitMQ is.
        index: what to run for a batch (the console indexer by default).
    """

    def __init__(
        self,
        engine: Engine,
        settings: Optional[BrokerSettings] = None,
        index: Callable[[Engine], int] = index_new_events,
    ) -> None:
        self.engine = engine
        self.settings = settings or BrokerSettings.from_env()
        self.index = index
        self.indexed = 0
        self.batches = 0

    async def _handle(self, batch: List[aio_pika.abc.AbstractIncomingMessage]) -> None:
        loop = asyncio.get_running_loop()
        try:
            done = await loop.run_in_executor(None, self.index, self.engine)
        except Exception:  # noqa: BLE001 - keep the batch, try again later
            logger.exception("Indexing failed; the batch stays in the queue")
            await self._settle(batch, ack=False)
            await asyncio.sleep(RETRY_SECONDS)
            return
        await self._settle(batch, ack=True)
        self.indexed += done
        self.batches += 1
        logger.info(
            "Indexed %d events for %d conversation(s)",
            done,
            len(senders([message.body for message in batch])),
        )

    @staticmethod
    async def _settle(batch: List[aio_pika.abc.AbstractIncomingMessage], ack: bool) -> None:
        """Acknowledges the batch, or returns it to the queue.

        If the connection dropped since delivery, RabbitMQ gives the messages again
        anyway (to this consumer once it has reconnected): nothing to do but log.
        """
        try:
            if ack:
                await batch[-1].ack(multiple=True)
            else:
                for message in batch:
                    await message.nack(requeue=True)
        except Exception as error:  # noqa: BLE001 - aio-pika/aiormq channel errors
            logger.warning("Could not settle a batch (%s); RabbitMQ will deliver it again", error)

    async def run(self, stop: Optional[asyncio.Event] = None) -> None:
        """Consumes until ``stop`` is set (or forever)."""
        stop = stop or asyncio.Event()
        arrived: asyncio.Queue = asyncio.Queue()
        connection = await aio_pika.connect_robust(self.settings.url())
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=BATCH_SIZE)
            queue = await channel.declare_queue(self.settings.queue, durable=True)
            await queue.consume(arrived.put)
            logger.info("Consuming Rasa events from the queue %s", self.settings.queue)
            while not stop.is_set():
                batch = await self._next_batch(arrived, stop)
                if batch:
                    await self._handle(batch)

    @staticmethod
    async def _next_batch(
        arrived: asyncio.Queue, stop: asyncio.Event
    ) -> List[aio_pika.abc.AbstractIncomingMessage]:
        """What arrives within ``BATCH_WAIT_SECONDS`` (at most ``BATCH_SIZE`` messages)."""
        batch: List[aio_pika.abc.AbstractIncomingMessage] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BATCH_WAIT_SECONDS
        while len(batch) < BATCH_SIZE and not stop.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(arrived.get(), remaining))
            except asyncio.TimeoutError:
                break
        return batch
