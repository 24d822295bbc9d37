"""ASGI apps served by uvicorn in a background thread, on a free loopback port."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 15.0


class ServerThread:
    """Serves ``app`` on 127.0.0.1 (a free port) until ``stop``."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app, host=LOOPBACK, port=0, ws="none", log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
