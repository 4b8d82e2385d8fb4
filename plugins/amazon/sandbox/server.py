"""Run the sandbox with uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from plugins.amazon.sandbox.app import create_app
from plugins.amazon.sandbox.config import SandboxConfig, SandboxCredentials
from plugins.amazon.sandbox.state import SandboxState


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    """A live sandbox: its URL (SP-API and LWA alike), credentials and state."""

    base_url: str
    credentials: SandboxCredentials
    state: SandboxState

    def stats(self) -> dict[str, dict[str, int]]:
        return self.state.stats()


def _uvicorn_config(config: SandboxConfig, state: SandboxState, host: str, port: int) -> uvicorn.Config:
    app = create_app(config, state)
    return uvicorn.Config(
        app,
        http=app.state.connections.protocol(),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


@contextmanager
def running_sandbox(config: SandboxConfig, host: str = "127.0.0.1") -> Iterator[RunningSandbox]:
    """Serve a sandbox on a free loopback port in a background thread until the block exits."""
    state = SandboxState.build(config)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    state.base_url = config.public_url or f"http://{host}:{port}"
    server = uvicorn.Server(_uvicorn_config(config, state, host, port))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="amazon-sandbox", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Amazon sandbox server did not start")
            time.sleep(0.01)
        yield RunningSandbox(f"http://{host}:{port}", config.credentials, state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(config: SandboxConfig, host: str, port: int) -> None:
    """Serve in the foreground until interrupted (the ``serve`` CLI command)."""
    state = SandboxState.build(config)
    state.base_url = config.public_url or f"http://{host}:{port}"
    uvicorn.Server(_uvicorn_config(config, state, host, port)).run()
