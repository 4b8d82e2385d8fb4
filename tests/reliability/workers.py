"""Real ``channelhub worker`` and ``channelhub scheduler`` processes: start, kill -9, restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dramatiq

from core.jobs import broker as jobs_broker
from core.plugins import get_plugin_manager
from core.settings import Settings, get_settings


@dataclass
class WorkerFleet:
    """Worker processes sharing one Redis queue namespace with the test's broker."""

    env: dict[str, str]
    broker: dramatiq.Broker
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, threads: int = 2) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "core", "worker", "--threads", str(threads)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def start_scheduler(self, every: float) -> subprocess.Popen[bytes]:
        """A ``channelhub scheduler`` ticking every ``every`` seconds (stopped with the fleet)."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "core", "scheduler", "--every", str(every)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM and wait: the process finishes what it is doing and exits."""
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def kill9(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean-up, no acknowledgement, no lock release. A crash."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def enqueue(self, actor: str, *args: object) -> None:
        jobs_broker.enqueue(self.broker, actor, *args)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def worker_fleet(lease_seconds: float = 3.0, time_scale: float = 1.0) -> Iterator[WorkerFleet]:
    """Workers on the test's database (``env`` fixture) and its own Redis namespace.

    ``time_scale`` divides every time constant of the processes at once (``core.timing``).
    """
    namespace = f"crash-{uuid.uuid4().hex[:8]}"
    settings = get_settings()
    env = {
        **os.environ,
        "CHANNELHUB_DATABASE_URL": settings.database_url,
        "CHANNELHUB_QUEUE_NAMESPACE": namespace,
        "CHANNELHUB_STREAM_LEASE_SECONDS": str(lease_seconds),
        "CHANNELHUB_TIME_SCALE": str(time_scale),
        "CHANNELHUB_LOG_LEVEL": "WARNING",
    }
    broker = jobs_broker.start(Settings(queue_namespace=namespace), get_plugin_manager())
    fleet = WorkerFleet(env, broker)
    try:
        yield fleet
    finally:
        fleet.stop_all()
        broker.flush_all()  # type: ignore[attr-defined]
        broker.close()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(every)
