"""Load benchmark of a running assistant (``make bench``), as a Locust file.

Simulated clients hold real conversations (``bench.scripts``: greetings, loans, budgets,
lessons, in every language), each from a fresh sender id, with 1-3 s between messages:

- ``RestClient`` posts to ``/webhooks/rest/webhook``; each message is timed under its
  turn type (``plain``, ``calculator``, ``budget``, ``lesson``, ``other``);
- ``WhatsAppClient`` posts Twilio-signed forms to ``/webhooks/whatsapp/webhook``
  (timed as ``whatsapp``: the webhook answers at once) and waits for the reply at the
  bench's fake Twilio (timed as ``whatsapp_reply``). It runs only when the assistant and
  the bench share ``TWILIO_AUTH_TOKEN`` and a loopback ``TWILIO_API_BASE_URL``
  (see ``bench.config``).

While the load runs the memory of the processes listening on the assistant's ports is
sampled every 0.5 s. At the end the report goes to ``results/bench/<mode>-<time>.json``
and ``.md`` and is printed. Run::

    locust -f bench/locustfile.py --headless -u 20 -r 5 -t 60s \
        --host http://127.0.0.1:5005 --bench-mode embedded
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import random
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import gevent
from gevent.pywsgi import WSGIServer
from locust import FastHttpUser, events, task
from locust import __version__ as locust_version
from locust.env import Environment

from bench.config import (
    REST_PATH,
    WEBHOOK_PATH,
    WhatsAppSetup,
    encode_form,
    parse_ports,
    parse_range,
    webhook_form,
    whatsapp_setup,
)
from bench.fake_twilio import FakeTwilio
from bench.memory import MemorySampler
from bench.report import Sample, render_markdown, summarize, write_report
from bench.scripts import WHATSAPP, WHATSAPP_REPLY, Library, Turn, load_library
from bot.channels.keywords import keyword_action

logger = logging.getLogger("bench")

ROOT = Path(__file__).resolve().parent.parent
REPLY_TYPE = "REPLY"  # Locust request type of a reply seen at the fake Twilio
SETTLE_SECONDS = 2.0  # the fake Twilio is quiet this long: every reply has come
MAX_DRAIN_SECONDS = 20.0
ERROR_CHARS = 120
APOLOGIZED = "the assistant apologized: the turn said nothing (see the action server's log)"


@dataclass
class BenchRun:
    """What the users share during one run: scripts, samples, fake Twilio, sampler."""

    library: Library
    whatsapp: WhatsAppSetup
    think: Tuple[float, float]
    reply_timeout: float
    sampler: MemorySampler
    fake: Optional[FakeTwilio] = None
    server: Optional[WSGIServer] = None
    samples: List[Sample] = field(default_factory=list)
    started: Optional[float] = None
    stopped: Optional[float] = None
    started_at: str = ""
    done: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    numbers: Any = field(default_factory=lambda: itertools.count(1))
    number_base: int = field(default_factory=lambda: random.randrange(10**8))
    reply_timeouts: int = 0


_run: Optional[BenchRun] = None


def current() -> BenchRun:
    """Return this run's shared state (set up by the ``init`` event)."""
    if _run is None:
        raise RuntimeError("the bench was not set up (init event)")
    return _run


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument(
        "--bench-mode",
        env_var="BENCH_MODE",
        default="embedded",
        help="label of the deployment under test (embedded, production)",
    )
    parser.add_argument(
        "--bench-out", env_var="BENCH_OUT", default="results/bench", help="report folder"
    )
    parser.add_argument(
        "--bench-ports",
        env_var="BENCH_PORTS",
        default="",
        help="ports of the processes whose memory is sampled (default: the assistant's)",
    )
    parser.add_argument(
        "--bench-think", env_var="BENCH_THINK", default="1,3", help="seconds between messages"
    )
    parser.add_argument(
        "--bench-whatsapp", env_var="BENCH_WHATSAPP", default="yes", help="no: REST clients only"
    )
    parser.add_argument(
        "--bench-reply-timeout",
        env_var="BENCH_REPLY_TIMEOUT",
        type=float,
        default=30.0,
        help="seconds a WhatsApp client waits for its reply",
    )


@events.init.add_listener
def _set_up(environment: Environment, **_: Any) -> None:
    global _run
    options = environment.parsed_options
    host = (environment.host or "http://127.0.0.1:5005").rstrip("/")
    setup = whatsapp_setup(host, os.environ, options.bench_whatsapp)
    sampler = MemorySampler(parse_ports(options.bench_ports, host, os.environ, options.bench_mode))
    run = BenchRun(
        library=load_library(ROOT),
        whatsapp=setup,
        think=parse_range(options.bench_think),
        reply_timeout=options.bench_reply_timeout,
        sampler=sampler,
    )
    if setup.enabled:
        fake = FakeTwilio(setup.account_sid, setup.auth_token if setup.account_sid else None)
        server = WSGIServer((setup.fake_host, setup.fake_port), fake, log=None)
        try:
            server.start()
        except OSError as error:
            setup = run.whatsapp = replace(setup, enabled=False, reason=f"fake Twilio: {error}")
        else:
            run.fake, run.server = fake, server
            logger.info("fake Twilio API on http://%s:%d", setup.fake_host, setup.fake_port)
    if not setup.enabled:
        logger.warning("no WhatsApp clients: %s", setup.reason)
        environment.user_classes[:] = [
            user for user in environment.user_classes if user is not WhatsAppClient
        ]
    gevent.spawn(sampler.run, lambda: run.done)
    _run = run


@events.test_start.add_listener
def _started(**_: Any) -> None:
    run = current()
    run.samples.clear()
    run.started = time.monotonic()
    run.started_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")


@events.test_stop.add_listener
def _stopped(**_: Any) -> None:
    current().stopped = time.monotonic()


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    exception: Optional[BaseException] = None,
    **_: Any,
) -> None:
    if _run is None:
        return
    error = "" if exception is None else str(exception).strip()[:ERROR_CHARS] or repr(exception)
    _run.samples.append(Sample(name, float(response_time), exception is None, error))


def _drain(fake: FakeTwilio) -> None:
    """Wait until replies of the last messages have reached the fake Twilio."""
    deadline = time.monotonic() + MAX_DRAIN_SECONDS
    last, quiet_since = fake.total, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < SETTLE_SECONDS:
        gevent.sleep(0.2)
        if fake.total != last:
            last, quiet_since = fake.total, time.monotonic()


@events.quitting.add_listener
def _report(environment: Environment, **_: Any) -> None:
    run = _run
    if run is None or run.started is None:
        return
    stopped = run.stopped or time.monotonic()
    if run.fake is not None:
        _drain(run.fake)
    run.done = True
    if run.server is not None:
        run.server.stop(timeout=1)
    options = environment.parsed_options
    whatsapp: Dict[str, Any] = {"enabled": run.whatsapp.enabled}
    if run.fake is not None:
        whatsapp.update(
            webhook_posts=sum(1 for sample in run.samples if sample.kind == WHATSAPP),
            replies_at_fake_twilio=run.fake.total,
            reply_timeouts=run.reply_timeouts,
            replies_refused_bad_credentials=run.fake.rejected,
        )
    else:
        whatsapp["reason"] = run.whatsapp.reason
    settings = {
        "mode": options.bench_mode,
        "url": environment.host,
        "users": options.num_users,
        "spawn_rate": options.spawn_rate,
        "run_time": options.run_time,
        "think_seconds": list(run.think),
        "started_at": run.started_at,
        "locust": locust_version,
        "cpus": os.cpu_count(),
    }
    report = summarize(
        run.samples, stopped - run.started, run.sampler.results(), settings, whatsapp
    )
    when = dt.datetime.now()
    folder = ROOT / options.bench_out
    json_path, markdown_path = write_report(report, folder, options.bench_mode, when)
    print("\n" + render_markdown(report), flush=True)
    print(f"Report: {json_path} and {markdown_path}", flush=True)


class Client(FastHttpUser):
    """A client who holds one conversation after another, each as a new sender."""

    abstract = True

    def on_start(self) -> None:
        """Give the client its own random draws."""
        self.rng = random.Random()

    def wait_time(self) -> float:
        """Return the seconds a client takes before its next message."""
        return random.uniform(*current().think)

    @task
    def converse(self) -> None:
        """Hold one conversation drawn from the library, message after message."""
        run = current()
        script = run.library.draw(self.rng)
        conversation = self.new_conversation(run, next(run.numbers))
        for index, turn in enumerate(script.turns):
            if index:
                self.wait()
            self.say(conversation, turn)

    def new_conversation(self, run: BenchRun, number: int) -> str:
        """Return the id of a new conversation."""
        raise NotImplementedError

    def say(self, conversation: str, turn: Turn) -> None:
        """Send one message and time its answer."""
        raise NotImplementedError


class RestClient(Client):
    """A client of the REST channel: the answer is the reply."""

    weight = 3

    def new_conversation(self, run: BenchRun, number: int) -> str:
        """Return a new sender id."""
        return f"bench-{run.run_id}-{number}"

    def say(self, conversation: str, turn: Turn) -> None:
        """Post the message; no reply, or the apology for a failed turn, is an error."""
        apologies = current().library.apologies
        with self.client.post(
            REST_PATH,
            json={"sender": conversation, "message": turn.text},
            name=turn.kind,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            try:
                replies = response.json()
            except ValueError:
                response.failure("answer is not JSON")
                return
            if not isinstance(replies, list) or not replies:
                response.failure("no reply")
            elif any(str(reply.get("text", "")).strip() in apologies for reply in replies):
                response.failure(APOLOGIZED)


class WhatsAppClient(Client):
    """A WhatsApp client: a signed webhook request, then the reply at the fake Twilio."""

    weight = 1

    def new_conversation(self, run: BenchRun, number: int) -> str:
        """Return a new WhatsApp address, ``whatsapp:+2547...``."""
        return f"whatsapp:+2547{(run.number_base + number) % 10**8:08d}"

    def say(self, conversation: str, turn: Turn) -> None:
        """Post the signed form, then wait for the reply to reach the fake Twilio."""
        run = current()
        fake = run.fake
        if fake is None:
            raise RuntimeError("WhatsApp clients run only with the fake Twilio")
        if keyword_action(turn.text) is not None:
            # a STOP/START word: on WhatsApp the channel opts the client out (or in)
            # instead of passing it to Rasa, and an opted-out client gets no more replies
            return
        form = webhook_form(
            turn.text, conversation, "SM" + uuid.uuid4().hex, run.whatsapp.account_sid
        )
        before = fake.count(conversation)
        began = time.perf_counter()
        with self.client.post(
            WEBHOOK_PATH,
            data=encode_form(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": run.whatsapp.sign(form),
            },
            name=WHATSAPP,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
        replied = fake.wait_for(conversation, before, run.reply_timeout)
        elapsed = (time.perf_counter() - began) * 1000
        error: Optional[Exception] = None
        if not replied and elapsed < run.reply_timeout * 1000:
            # the wait was cut short: the run is ending (Locust stops its users)
            return
        if not replied:
            run.reply_timeouts += 1
            error = TimeoutError("no reply at the fake Twilio")
        elif (fake.body(conversation, before) or "").strip() in run.library.apologies:
            error = RuntimeError(APOLOGIZED)
        self.environment.events.request.fire(
            request_type=REPLY_TYPE,
            name=WHATSAPP_REPLY,
            response_time=elapsed,
            response_length=0,
            exception=error,
            context={},
        )
