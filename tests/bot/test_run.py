"""`make run` supervisor: one Ctrl-C stops every process; one dying stops all."""

import signal
import subprocess
import sys
import time

from bot.run import commands
from bot.settings import PROJECT_ROOT


def start(children: str) -> subprocess.Popen:
    code = (
        "import sys, bot.run as run\n"
        f"run.commands = lambda production=False: {children}\n"
        "sys.exit(run.main())\n"
    )
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


def test_production_mode_puts_two_rasa_servers_behind_the_balancer(monkeypatch) -> None:
    monkeypatch.setenv("MFI_RASA_SERVER_PORTS", "6006,6007")
    monkeypatch.setenv("MFI_RASA_PORT", "6005")
    started = commands(production=True)
    assert {"actions", "rasa-1", "rasa-2", "balancer", "consumer"} <= set(started)
    assert "rasa" not in started
    for name, port in (("rasa-1", "6006"), ("rasa-2", "6007")):
        assert "endpoints.prod.yml" in started[name] and port in started[name]
    balancer = " ".join(started["balancer"])
    assert "--port 6005" in balancer
    assert "--backend http://127.0.0.1:6006" in balancer
    assert "--backend http://127.0.0.1:6007" in balancer


def test_the_env_file_fills_in_only_what_the_environment_lacks(tmp_path, monkeypatch) -> None:
    from bot.run import load_env_file

    env_file = tmp_path / "prod.env"
    env_file.write_text(
        "# comment\nMFI_T_SET=file\nMFI_T_NEW = from file\nnot a pair\nMFI_T_EMPTY=\n"
    )
    monkeypatch.setenv("MFI_T_SET", "environment")
    monkeypatch.delenv("MFI_T_NEW", raising=False)
    monkeypatch.delenv("MFI_T_EMPTY", raising=False)
    applied = load_env_file(env_file)
    assert applied == {"MFI_T_NEW": "from file", "MFI_T_EMPTY": ""}
    import os

    assert os.environ["MFI_T_SET"] == "environment" and os.environ["MFI_T_NEW"] == "from file"


def test_the_shipped_prod_env_covers_every_variable_of_endpoints_prod() -> None:
    import re

    endpoints = (PROJECT_ROOT / "endpoints.prod.yml").read_text()
    needed = set(re.findall(r"\$\{([A-Z0-9_]+)\}", endpoints))
    shipped = {
        line.split("=", 1)[0]
        for line in (PROJECT_ROOT / "prod.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert needed and needed <= shipped
