"""Run the sandbox with uvicorn: in a background thread or a process of its own (tests), or in
the foreground (CLI)."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import httpx
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


@dataclass(frozen=True, slots=True)
class SandboxProcess:
    """A sandbox serving from a process of its own: its URL and credentials. Its state lives in
    that process, so it is read (and faults armed) through the ``/_sandbox/`` endpoints."""

    base_url: str
    credentials: SandboxCredentials

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.base_url}/_sandbox/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def stats(self) -> dict[str, dict[str, int]]:
        stats: dict[str, dict[str, int]] = self._admin("GET", "stats")
        return stats

    def arm(self, fault: dict[str, Any]) -> None:
        """Arm a fault (the body of ``POST /_sandbox/faults``, docs/sandbox.md)."""
        self._admin("POST", "faults", json=fault)

    def confirmations(self) -> list[dict[str, Any]]:
        """Every confirmShipment call the sandbox received, duplicates included."""
        confirmations: list[dict[str, Any]] = self._admin("GET", "confirmations")
        return confirmations

    def listings(self) -> dict[str, dict[str, Any]]:
        """Stock (``quantity``) and offer ``prices`` (strings, by marketplace id) by SKU."""
        listings: dict[str, dict[str, Any]] = self._admin("GET", "listings")["listings"]
        return listings

    def place_orders(self, count: int) -> list[str]:
        """``count`` new orders placed now (``POST /_sandbox/orders``); their ids."""
        ids: list[str] = self._admin("POST", "orders", json={"count": count})["orderIds"]
        return ids

    def order_ids(self, marketplace_id: str, updated_since: datetime) -> set[str]:
        """Ids of the seeded and placed orders of a marketplace updated since then."""
        params = {"marketplaceId": marketplace_id, "lastUpdatedAfter": updated_since.isoformat()}
        return set(self._admin("GET", "orders", params=params)["orderIds"])


def _serve_in_child(config: SandboxConfig, host: str, report: Connection) -> None:
    """The sandbox process: seed, listen on a free port, tell the parent which, serve."""
    state = SandboxState.build(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # see running_sandbox
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    state.base_url = config.public_url or f"http://{host}:{port}"
    report.send(port)
    report.close()
    uvicorn.Server(_uvicorn_config(config, state, host, port)).run(sockets=[sock])


@contextmanager
def sandbox_process(
    config: SandboxConfig, host: str = "127.0.0.1", start_timeout: float = 120.0
) -> Iterator[SandboxProcess]:
    """Serve a sandbox from a process of its own until the block exits.

    Under load (soak tests, benchmarks) a sandbox in a thread of the test process shares that
    process's GIL with the test's own work and polling, and its answers come late for reasons
    Amazon would not have; a process of its own answers at its own pace.
    """
    context = multiprocessing.get_context("spawn")  # no inherited threads, locks or connections
    receiver, sender = context.Pipe(duplex=False)
    proc = context.Process(
        target=_serve_in_child, args=(config, host, sender), name="amazon-sandbox", daemon=True
    )
    proc.start()
    sender.close()
    try:
        if not receiver.poll(start_timeout):
            raise RuntimeError("the Amazon sandbox process did not start")
        port = receiver.recv()
        yield SandboxProcess(f"http://{host}:{port}", config.credentials)
    finally:
        receiver.close()
        proc.terminate()  # uvicorn stops on SIGTERM
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=10)
