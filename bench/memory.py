"""Peak memory of the assistant's processes, sampled with psutil during a run.

The processes are found by the TCP ports they listen on (Rasa's and the action
server's); each sample adds up a process's RSS and that of all its children.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import psutil

SAMPLE_SECONDS = 0.5


def process_label(cmdline: Sequence[str]) -> str:
    """Return a short name for a process: ``rasa run actions``, ``rasa run --enable-api``."""
    parts = list(cmdline)
    if parts and Path(parts[0]).name.startswith("python") and len(parts) > 1:
        parts = parts[1:]
    if not parts:
        return "?"
    return " ".join([Path(parts[0]).name, *parts[1:3]])


@dataclass
class Peak:
    """The largest memory seen of the process listening on one port.

    Attributes:
        port: the port.
        pid: the process listening on it (None while none was found).
        name: its short name (see ``process_label``).
        peak_rss: its largest resident set size, in bytes.
        peak_tree_rss: the largest sum of its and its children's RSS, in bytes.
        processes: the most processes its tree had at once.
        samples: how many samples were taken.
    """

    port: int
    pid: Optional[int] = None
    name: str = ""
    peak_rss: int = 0
    peak_tree_rss: int = 0
    processes: int = 0
    samples: int = 0

    def update(self, pid: int, name: str, rss: int, tree_rss: int, processes: int) -> None:
        """Take one sample into account."""
        self.pid, self.name = pid, name
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_tree_rss = max(self.peak_tree_rss, tree_rss)
        self.processes = max(self.processes, processes)
        self.samples += 1

    def as_dict(self) -> Dict[str, object]:
        """Return the figures for the report."""
        return {
            "port": self.port,
            "pid": self.pid,
            "name": self.name,
            "peak_rss": self.peak_rss,
            "peak_tree_rss": self.peak_tree_rss,
            "processes": self.processes,
            "samples": self.samples,
        }


def listening_pids(ports: Iterable[int]) -> Dict[int, int]:
    """Return the pid of the process listening on each port (ports nobody listens on left out)."""
    wanted = set(ports)
    found: Dict[int, int] = {}
    for connection in psutil.net_connections(kind="tcp"):
        if (
            connection.status == psutil.CONN_LISTEN
            and connection.laddr
            and connection.laddr.port in wanted
            and connection.pid is not None
        ):
            found.setdefault(connection.laddr.port, connection.pid)
    return found


class MemorySampler:
    """Samples the memory of the processes listening on some ports.

    Args:
        ports: the ports of the assistant's processes.
        interval: seconds between two samples.
        sleep: how to wait (``time.sleep``; Locust makes it a gevent sleep).
    """

    def __init__(
        self,
        ports: Sequence[int],
        interval: float = SAMPLE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.peaks = {port: Peak(port) for port in ports}
        self.interval = interval
        self.sleep = sleep
        self._pids: Dict[int, int] = {}

    def sample(self) -> None:
        """Take one sample of every port's process tree."""
        missing = [port for port in self.peaks if port not in self._pids]
        if missing:
            self._pids.update(listening_pids(missing))
        for port, pid in list(self._pids.items()):
            try:
                process = psutil.Process(pid)
                with process.oneshot():
                    rss = process.memory_info().rss
                    name = process_label(process.cmdline())
                tree = rss
                children = process.children(recursive=True)
                for child in children:
                    try:
                        tree += child.memory_info().rss
                    except psutil.Error:
                        continue
            except psutil.Error:
                del self._pids[port]  # gone: look for the port's new process next time
                continue
            self.peaks[port].update(pid, name, rss, tree, 1 + len(children))

    def run(self, stopped: Callable[[], bool]) -> None:
        """Sample every ``interval`` seconds until ``stopped()`` is true."""
        while not stopped():
            self.sample()
            self.sleep(self.interval)

    def results(self) -> List[Dict[str, object]]:
        """Return the peaks, by port."""
        return [self.peaks[port].as_dict() for port in sorted(self.peaks)]
