"""Peak memory of the processes listening on ports (bench/memory.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Iterator, Tuple

import pytest

from bench.memory import MemorySampler, Peak, process_label


@pytest.mark.parametrize(
    ("cmdline", "label"),
    [
        (["/x/.venv/bin/python3.10", "/x/.venv/bin/rasa", "run", "actions", "--port", "1"],
         "rasa run actions"),
        (["/x/.venv/bin/rasa", "run", "--enable-api", "--model", "m"], "rasa run --enable-api"),
        (["python", "-m", "bot.console", "serve"], "-m bot.console serve"),
        ([], "?"),
    ],
)  # fmt: skip
def test_process_label(cmdline: list, label: str) -> None:
    assert process_label(cmdline) == label


def test_peak_keeps_the_largest_values() -> None:
    peak = Peak(5005)
    peak.update(1, "rasa", rss=100, tree_rss=150, processes=2)
    peak.update(1, "rasa", rss=300, tree_rss=120, processes=1)
    assert peak.as_dict() == {
        "port": 5005,
        "pid": 1,
        "name": "rasa",
        "peak_rss": 300,
        "peak_tree_rss": 150,
        "processes": 2,
        "samples": 2,
    }


@pytest.fixture
def listening_with_a_child() -> Iterator[Tuple[int, subprocess.Popen]]:
    """This process listens on a loopback port and has a child process."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            yield server.getsockname()[1], child
        finally:
            child.kill()
            child.wait(timeout=10)


def test_sampler_finds_the_listening_process_and_its_children(
    listening_with_a_child: Tuple[int, subprocess.Popen],
) -> None:
    port, _ = listening_with_a_child
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody = unused.getsockname()[1]
    sampler = MemorySampler([port, nobody], interval=0)
    sampler.sample()
    sampler.sample()
    results = {entry["port"]: entry for entry in sampler.results()}
    mine, unknown = results[port], results[nobody]
    assert mine["pid"] == os.getpid() and mine["samples"] == 2
    assert mine["processes"] >= 2
    assert 0 < mine["peak_rss"] < mine["peak_tree_rss"]
    assert unknown == Peak(nobody).as_dict()


def test_run_samples_until_stopped(listening_with_a_child: Tuple[int, subprocess.Popen]) -> None:
    port, _ = listening_with_a_child
    waits = []
    sampler = MemorySampler([port], interval=0.5, sleep=waits.append)
    sampler.run(lambda: len(waits) >= 3)
    assert waits == [0.5, 0.5, 0.5]
    assert sampler.results()[0]["samples"] == 3
