"""The event consumer against the machine's RabbitMQ, with a fake indexer."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import AsyncIterator, List

import aio_pika
import pytest
import sqlalchemy as sa

from bot.production import consumer as consumer_module
from bot.production.consumer import QUEUE, BrokerSettings, Consumer, senders
from bot.production.services import ensure_running, local_services

SETTINGS = BrokerSettings()
MESSAGES = 40


@pytest.fixture(scope="module")
def rabbitmq_running() -> None:
    """The machine's RabbitMQ, started when it is down (skipped if it cannot be)."""
    [rabbitmq] = [s for s in local_services({}) if s.name == "rabbitmq"]
    try:
        ensure_running(rabbitmq, timeout=60)
    except RuntimeError as error:
        pytest.skip(f"RabbitMQ is not available: {error}")


@pytest.fixture
async def queue(rabbitmq_running: None) -> AsyncIterator[str]:
    """A durable queue of this test alone, deleted after."""
    name = f"mfi_test_{uuid.uuid4().hex[:12]}"
    connection = await aio_pika.connect(SETTINGS.url(), timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(name, durable=True)
        yield name
        await channel.queue_delete(name)


def event(number: int) -> bytes:
    """A message as Rasa's Pika event broker publishes it."""
    return json.dumps(
        {
            "sender_id": f"conversation-{number % 3}",
            "event": "user",
            "timestamp": 1_700_000_000 + number,
            "text": f"message {number}",
            "input_channel": "rest",
        }
    ).encode()


async def publish(queue: str, bodies: List[bytes]) -> None:
    connection = await aio_pika.connect(SETTINGS.url(), timeout=10)
    async with connection:
        channel = await connection.channel()
        for body in bodies:
            message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await channel.default_exchange.publish(message, routing_key=queue)


async def waiting_in(queue: str) -> int:
    """Messages ready in the queue (not counting those delivered and not acknowledged)."""
    connection = await aio_pika.connect(SETTINGS.url(), timeout=10)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count


class RecordingConsumer(Consumer):
    """Records the bodies of each batch it has handled, and whether indexing worked."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.handled: List[List[bytes]] = []
        self.indexed_bodies: List[bytes] = []

    async def _handle(self, batch) -> None:
        batches = self.batches
        await super()._handle(batch)
        bodies = [message.body for message in batch]
        self.handled.append(bodies)
        if self.batches > batches:
            self.indexed_bodies.extend(bodies)


async def consume_until(consumer: RecordingConsumer, done, seconds: float = 20) -> None:
    """Runs ``consumer`` until ``done()`` holds, then stops it."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while not done() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            if task.done():
                task.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
def engine() -> sa.engine.Engine:
    return sa.create_engine("sqlite://")


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer_module, "BATCH_WAIT_SECONDS", 0.5)
    monkeypatch.setattr(consumer_module, "RETRY_SECONDS", 0.1)


@pytest.mark.services
async def test_events_are_indexed_in_batches_and_acknowledged(
    queue: str, engine: sa.engine.Engine
) -> None:
    calls: List[int] = []

    def index(given: sa.engine.Engine) -> int:
        assert given is engine
        assert threading.current_thread() is not threading.main_thread()
        calls.append(1)
        return 7

    bodies = [event(number) for number in range(MESSAGES)]
    await publish(queue, bodies)
    consumer = RecordingConsumer(engine, BrokerSettings(queue=queue), index=index)
    await consume_until(consumer, lambda: len(consumer.indexed_bodies) >= MESSAGES)
    assert sorted(consumer.indexed_bodies) == sorted(bodies)
    assert 1 <= len(calls) < MESSAGES
    assert consumer.batches == len(calls)
    assert consumer.indexed == 7 * len(calls)
    assert await waiting_in(queue) == 0


@pytest.mark.services
async def test_a_batch_whose_indexing_fails_stays_in_the_queue_and_is_retried(
    queue: str, engine: sa.engine.Engine
) -> None:
    attempts: List[str] = []

    def index(_: sa.engine.Engine) -> int:
        attempts.append("failed" if len(attempts) < 2 else "indexed")
        if attempts[-1] == "failed":
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("database is down"))
        return 1

    bodies = [event(number) for number in range(MESSAGES)]
    await publish(queue, bodies)
    consumer = RecordingConsumer(engine, BrokerSettings(queue=queue), index=index)
    await consume_until(consumer, lambda: len(consumer.indexed_bodies) >= MESSAGES)
    assert attempts[:3] == ["failed", "failed", "indexed"]
    assert sorted(consumer.handled[0]) == sorted(bodies)  # the failed batch had them all
    assert sorted(consumer.indexed_bodies) == sorted(bodies)  # none lost, none twice
    assert await waiting_in(queue) == 0


@pytest.mark.services
async def test_messages_left_when_the_consumer_stops_stay_in_the_queue(
    queue: str, engine: sa.engine.Engine
) -> None:
    def index(_: sa.engine.Engine) -> int:
        raise RuntimeError("database is down")

    await publish(queue, [event(number) for number in range(5)])
    consumer = RecordingConsumer(engine, BrokerSettings(queue=queue), index=index)
    await consume_until(consumer, lambda: len(consumer.handled) >= 1)
    assert consumer.batches == 0
    assert await waiting_in(queue) == 5


def test_senders_are_the_conversations_of_a_batch_in_order() -> None:
    bodies = [
        b'{"sender_id": "b", "event": "user"}',
        b'{"sender_id": "a", "event": "bot"}',
        b'{"sender_id": "b", "event": "action"}',
        b"not json",
        b"[1, 2]",
        b'{"event": "user"}',
        b'{"sender_id": 12}',
        '{"sender_id": "\u00e9"}'.encode(),
    ]
    assert senders(bodies) == ["b", "a", "\u00e9"]
    assert senders([]) == []


def test_broker_settings_default_to_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "QUEUE"):
        monkeypatch.delenv(f"MFI_RABBITMQ_{name}", raising=False)
    settings = BrokerSettings.from_env()
    assert settings == BrokerSettings("127.0.0.1", 5672, "guest", "guest", QUEUE)
    assert settings.url() == "amqp://guest:guest@127.0.0.1:5672/"


def test_broker_settings_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFI_RABBITMQ_HOST", "queue.internal")
    monkeypatch.setenv("MFI_RABBITMQ_PORT", "5673")
    monkeypatch.setenv("MFI_RABBITMQ_USER", "mfi")
    monkeypatch.setenv("MFI_RABBITMQ_PASSWORD", "secret")
    monkeypatch.setenv("MFI_RABBITMQ_QUEUE", "mfi_events_eu")
    settings = BrokerSettings.from_env()
    assert settings == BrokerSettings("queue.internal", 5673, "mfi", "secret", "mfi_events_eu")
    assert settings.url() == "amqp://mfi:secret@queue.internal:5673/"
