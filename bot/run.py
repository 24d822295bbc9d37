"""``make run`` and ``make run-prod``: start the assistant's processes side by side.

Embedded mode (``make run``): the action server, one Rasa server (SQLite tracker store,
in-memory lock store) and the staff console. Production mode (``--production``, ``make
run-prod``): the services are started if down, the database made and migrated, then the
action server, several Rasa servers sharing PostgreSQL, Redis and RabbitMQ
(endpoints.prod.yml) behind a round-robin balancer, the console and the event consumer.
Settings come from the environment; in production mode ``prod.env`` fills in what the
environment does not set.

Ctrl-C (or any process exiting) stops all of them. Ports: MFI_RASA_PORT (5005, the
balancer in production mode), MFI_ACTIONS_PORT (5055), MFI_CONSOLE_PORT (8000),
MFI_RASA_SERVER_PORTS (5006,5007: the Rasa servers in production mode).
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


PROD_ENV_FILE = PROJECT_ROOT / "prod.env"


def load_env_file(path: Path) -> Dict[str, str]:
    """Sets the ``KEY=VALUE`` lines of ``path`` that the environment does not set yet."""
    applied = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key not in os.environ:
            os.environ[key] = applied[key] = value
    return applied


def rasa_server(rasa: str, port: str, endpoints: str) -> List[str]:
    """The command of one Rasa server."""
    return [
        rasa,
        "run",
        "--enable-api",
        "--model",
        "models/mfi.tar.gz",
        "--endpoints",
        endpoints,
        "--credentials",
        "credentials.yml",
        "--port",
        port,
        "--cors",
        "*",
    ]


def commands(production: bool = False) -> Dict[str, List[str]]:
    """The processes to start, by name."""
    python = sys.executable
    rasa = str(Path(python).with_name("rasa"))
    rasa_port = os.environ.get("MFI_RASA_PORT", "5005")
    actions_port = os.environ.get("MFI_ACTIONS_PORT", "5055")
    processes = {
        "actions": [rasa, "run", "actions", "--actions", "actions", "--port", actions_port],
    }
    if production:
        ports = os.environ.get("MFI_RASA_SERVER_PORTS", "5006,5007").split(",")
        balancer = [python, "-m", "bot.production", "balance", "--port", rasa_port]
        for number, port in enumerate(port.strip() for port in ports if port.strip()):
            processes[f"rasa-{number + 1}"] = rasa_server(rasa, port, "endpoints.prod.yml")
            balancer += ["--backend", f"http://127.0.0.1:{port}"]
        processes["balancer"] = balancer
        processes["consumer"] = [python, "-m", "bot.production", "consume"]
    else:
        processes["rasa"] = rasa_server(rasa, rasa_port, "endpoints.yml")
    console = PROJECT_ROOT / "bot" / "console" / "__main__.py"
    if console.exists():
        processes["console"] = [python, "-m", "bot.console", "serve"]
    return processes


def main(argv: List[str] | None = None) -> int:
    """Starts every process and waits; returns the exit code."""
    production = "--production" in (sys.argv[1:] if argv is None else argv)
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    if production:
        from bot.production.services import prepare

        load_env_file(PROD_ENV_FILE)
        prepare(os.environ["MFI_DB_URL"])
    children: Dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, command in commands(production).items():
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
