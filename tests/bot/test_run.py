"""`make run` supervisor: one Ctrl-C stops every process; one dying stops all."""

import signal
import subprocess
import sys
import time

from bot.run import commands
from bot.settings import PROJECT_ROOT


def start(children: str) -> subprocess.Popen:
    code = f"import sys, bot.run as run\nrun.commands = lambda: {children}\nsys.exit(run.main())\n"
    return subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT)


def running(marker: str) -> bool:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return bool(found.stdout.strip())


def test_ctrl_c_stops_every_process() -> None:
    supervisor = start("{'a': ['sleep', '61.1'], 'b': ['sleep', '61.2']}")
    deadline = time.monotonic() + 10
    while not (running("sleep 61.1") and running("sleep 61.2")) and time.monotonic() < deadline:
        time.sleep(0.1)
    supervisor.send_signal(signal.SIGINT)
    assert supervisor.wait(timeout=15) == 0
    assert not running("sleep 61.1") and not running("sleep 61.2")


def test_one_process_dying_stops_the_others() -> None:
    supervisor = start("{'a': ['sleep', '62.1'], 'b': ['false']}")
    assert supervisor.wait(timeout=15) != 0
    assert not running("sleep 62.1")


def test_starts_actions_rasa_and_the_console() -> None:
    started = commands()
    assert {"actions", "rasa"} <= set(started)
    assert "--enable-api" in started["rasa"] and "5005" in started["rasa"]
