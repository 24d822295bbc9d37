"""Production mode under concurrency and faults (real PostgreSQL, Redis and RabbitMQ).

- two Rasa servers get interleaved messages of the same conversations at once: every
  event is stored once and in order, and each reply reaches the request that caused it;
- the event consumer keeps the console's index current from RabbitMQ;
- the action server dies mid-conversation: the client gets an apology in their language,
  and the conversation goes on once it is back;
- PostgreSQL restarts: the servers recover by themselves, nothing stored is lost;
- Redis is down: health says so, messages are refused with 503 (not handled twice).
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import pytest
import sqlalchemy as sa
import yaml

from bot.i18n.catalog import translate
from bot.production.services import answers, local_services
from bot.settings import PROJECT_ROOT
from tests.bot.production.conftest import Cluster, get_json_status
from tests.rest_client import post

pytestmark = [pytest.mark.model, pytest.mark.services]

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
APOLOGY = "utter_channel_temporary_problem"
# messages answered by rules, in several languages (distinct texts within a conversation)
MESSAGES = ["hello", "what is APR?", "thank you", "habari", "asante", "hola", "bye"]
CONVERSATIONS = 6


def response_text(name: str, language: str) -> str:
    return translate(language, name, DOMAIN["responses"][name][0]["text"])


def send(base: str, sender: str, text: str) -> Tuple[int, Any]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    return post(f"{base}/webhooks/rest/webhook", body)


def tracker_events(base: str, sender: str) -> List[Dict[str, Any]]:
    with_events = f"{base}/conversations/{sender}/tracker?include_events=ALL"
    with urllib.request.urlopen(with_events, timeout=30) as response:
        return json.loads(response.read())["events"]


def turns(events: List[Dict[str, Any]]) -> List[Tuple[str, List[str]]]:
    """(user text, bot texts) per turn, in stored order."""
    found: List[Tuple[str, List[str]]] = []
    for event in events:
        if event["event"] == "user":
            found.append((event.get("text") or "", []))
        elif event["event"] == "bot" and found:
            found[-1][1].append(event.get("text") or "")
    return found


def query(db_url: str, statement: str, **values: Any) -> List[Any]:
    """The rows of one query on the cluster's database."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(statement), values).all())
    finally:
        engine.dispose()


def texts(replies: Any) -> List[str]:
    return [reply.get("text") or "" for reply in replies]


def test_interleaved_messages_on_two_servers_are_stored_once_and_in_order(
    cluster: Cluster,
) -> None:
    senders = [f"ci-{uuid.uuid4().hex[:12]}" for _ in range(CONVERSATIONS)]
    jobs = [
        (cluster.servers[(index + number) % 2], sender, text)
        for number, sender in enumerate(senders)
        for index, text in enumerate(MESSAGES)
    ]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: send(*job), jobs))
    replies = {}
    for (_, sender, text), (status, answer) in zip(jobs, results, strict=True):
        assert status == 200, answer
        assert answer, f"no reply to {text!r} of {sender}"
        replies[(sender, text)] = texts(answer)

    for sender in senders:
        events = tracker_events(cluster.servers[0], sender)
        stored = turns(events)
        # each message exactly once
        assert Counter(text for text, _ in stored) == Counter(MESSAGES), stored
        # each turn holds exactly the replies its request got: none lost, none doubled
        for text, said in stored:
            assert said == replies[(sender, text)], (sender, text, said)
        # turns are not interleaved: the bot listens before every client message
        actions = [e for e in events if e["event"] in {"action", "user"}]
        for before, event in zip(actions, actions[1:], strict=False):
            if event["event"] == "user":
                assert before.get("name") == "action_listen", (sender, before, event)
        stamps = [event["timestamp"] for event in events]
        assert stamps == sorted(stamps)

    rows = query(
        cluster.db_url,
        "SELECT sender_id, type_name, timestamp, data FROM events "
        "WHERE sender_id = ANY(:senders) ORDER BY id",
        senders=senders,
    )
    assert len(rows) == len(set(rows)), "an event was stored twice"
    for sender in senders:
        stamps = [row.timestamp for row in rows if row.sender_id == sender]
        assert stamps == sorted(stamps), "events of a conversation stored out of order"


def test_the_consumer_indexes_events_from_rabbitmq(cluster: Cluster) -> None:
    sender = f"ci-{uuid.uuid4().hex[:12]}"
    status, _ = send(cluster.balancer, sender, "hello")
    assert status == 200
    deadline = time.monotonic() + 30
    found: List[Any] = []
    while time.monotonic() < deadline and not found:
        found = query(
            cluster.db_url,
            "SELECT message_count FROM mfi_console_conversation WHERE conversation_id = :sender",
            sender=sender,
        )
        time.sleep(0.5)
    assert found, cluster.processes["consumer"].text()[-2000:]
    assert "Indexed" in cluster.processes["consumer"].text()


def test_a_dead_action_server_gets_an_apology_in_the_clients_language(
    cluster: Cluster,
) -> None:
    sender = f"ci-{uuid.uuid4().hex[:12]}"
    status, answer = send(cluster.balancer, sender, "habari")
    assert status == 200 and answer
    actions = cluster.processes["actions"]
    actions.kill()
    try:
        status, answer = send(cluster.balancer, sender, "hesabu mkopo wangu")
        assert status == 200
        assert texts(answer) == [response_text(APOLOGY, "sw")]
    finally:
        actions.start(cluster.env)
        cluster.wait_for_actions()
    status, answer = send(cluster.balancer, sender, "hesabu mkopo wangu")
    assert status == 200 and answer
    assert response_text(APOLOGY, "sw") not in texts(answer)
    status, answer = send(cluster.balancer, sender, "elfu kumi")
    assert status == 200 and answer
    assert response_text(APOLOGY, "sw") not in texts(answer)


def _service(name: str) -> Any:
    return next(service for service in local_services({}) if service.name == name)


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_postgresql_restart_loses_nothing(cluster: Cluster) -> None:
    sender = f"ci-{uuid.uuid4().hex[:12]}"
    for text in ("hello", "what is APR?"):
        assert send(cluster.balancer, sender, text)[0] == 200
    before = turns(tracker_events(cluster.servers[0], sender))
    restart = subprocess.run(
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | tail -n 1) main "
        "restart -m fast",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restart.returncode == 0, restart.stderr
    service = _service("postgresql")
    _wait(lambda: answers(service.host, service.port), 60, "PostgreSQL")
    # a client resends while the servers reconnect (503 + Retry-After means "again")
    deadline = time.monotonic() + 60
    status, answer = 0, None
    while time.monotonic() < deadline:
        status, answer = send(cluster.balancer, sender, "thank you")
        if status == 200:
            break
        assert status == 503, (status, answer)
        time.sleep(1)
    assert status == 200 and answer
    for server in cluster.servers:
        after = turns(tracker_events(server, sender))
        assert after[: len(before)] == before
        assert [text for text, _ in after] == ["hello", "what is APR?", "thank you"]


def test_redis_down_is_reported_and_refused_cleanly(cluster: Cluster) -> None:
    sender = f"ci-{uuid.uuid4().hex[:12]}"
    assert send(cluster.servers[0], sender, "hello")[0] == 200
    redis = _service("redis")
    subprocess.run(
        ["redis-cli", "-p", str(redis.port), "shutdown", "nosave"], capture_output=True, timeout=30
    )
    try:
        _wait(lambda: not answers(redis.host, redis.port), 30, "Redis to stop")
        assert get_json_status(f"{cluster.servers[0]}/webhooks/rest/health") == 503
        for server in cluster.servers:
            status, answer = send(server, sender, "thank you")
            assert status == 503, answer
            assert "send the message again" in str(answer)
        status, _ = send(cluster.balancer, sender, "thank you")
        assert status == 503
        assert [text for text, _ in turns(tracker_events(cluster.servers[0], sender))] == ["hello"]
        logs = "".join(cluster.processes[name].text() for name in ("rasa-1", "rasa-2"))
        assert "could not be locked or stored" in logs
        assert "lock_store" in logs and "is unavailable" in logs
    finally:
        subprocess.run(redis.start, shell=True, capture_output=True, timeout=60)
        _wait(lambda: answers(redis.host, redis.port), 60, "Redis to start")
    cluster.wait_healthy()
    status, answer = send(cluster.balancer, sender, "thank you")
    assert status == 200 and answer
    assert [text for text, _ in turns(tracker_events(cluster.servers[0], sender))] == [
        "hello",
        "thank you",
    ]
