"""Running workers: a foreground process for Redis, or a thread pool inside this process."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dramatiq


@contextmanager
def worker_pool(broker: dramatiq.Broker, threads: int) -> Iterator[dramatiq.Worker]:
    """Consume ``broker``'s queues with ``threads`` threads until the block exits."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=250)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def run_until_signalled(broker: dramatiq.Broker, threads: int) -> None:
    """Serve until SIGINT/SIGTERM, then finish in-flight messages and stop.

    A message a worker was processing when it died is not lost: the Redis broker requeues the
    unacknowledged messages of a worker whose heartbeat stopped.
    """
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with worker_pool(broker, threads):
        stop.wait()
