"""``make run``: start the action server, the Rasa server and the staff console.

The processes run side by side; Ctrl-C (or any of them exiting) stops all of them.
Ports come from environment variables: MFI_RASA_PORT (5005), MFI_ACTIONS_PORT (5055),
MFI_CONSOLE_PORT (8000).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from bot.settings import PROJECT_ROOT

STOP_TIMEOUT_SECONDS = 10


def commands() -> Dict[str, List[str]]:
    """The processes to start, by name."""
    python = sys.executable
    rasa = str(Path(python).with_name("rasa"))
    rasa_port = os.environ.get("MFI_RASA_PORT", "5005")
    actions_port = os.environ.get("MFI_ACTIONS_PORT", "5055")
    processes = {
        "actions": [rasa, "run", "actions", "--actions", "actions", "--port", actions_port],
        "rasa": [
            rasa,
            "run",
            "--enable-api",
            "--model",
            "models/mfi.tar.gz",
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "--port",
            rasa_port,
            "--cors",
            "*",
        ],
    }
    console = PROJECT_ROOT / "bot" / "console" / "__main__.py"
    if console.exists():
        processes["console"] = [python, "-m", "bot.console", "serve"]
    return processes


def main() -> int:
    """Starts every process and waits; returns the exit code."""
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    children: Dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, command in commands().items():
        print(f"[run] starting {name}: {' '.join(command)}", flush=True)
        children[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, start_new_session=True)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"[run] {name} exited with {child.returncode}; stopping all", flush=True)
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    print("[run] stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
