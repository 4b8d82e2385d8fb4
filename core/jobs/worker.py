"""Running workers: a foreground process for Redis, or a thread pool inside this process."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import dramatiq

from core.db.session import session_factory
from core.services import shutdown, sync

Report = Callable[[str], None]


@contextmanager
def worker_pool(broker: dramatiq.Broker, threads: int) -> Iterator[dramatiq.Worker]:
    """Consume ``broker``'s queues with ``threads`` threads until the block exits."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=250)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the event instead of interrupting; a second one acts at once.

    Must be entered in the main thread (Python delivers signals there only).
    """
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in signals}

    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        for sig in signals:  # the next one stops now: KeyboardInterrupt or the default exit
            signal.signal(sig, previous[sig])

    for sig in signals:
        signal.signal(sig, handle)
    try:
        yield stop
    finally:
        for sig in signals:
            signal.signal(sig, previous[sig])


@contextmanager
def serving(broker: dramatiq.Broker, threads: int, grace_seconds: float, report: Report) -> Iterator[None]:
    """Work until the block exits, then stop cleanly and say so.

    Jobs in progress get ``grace_seconds`` (the stream lease) to finish; what is still running
    then is released (:mod:`core.services.shutdown`) so the next runner takes it over at once.
    A message no thread had started yet: Redis requeues it for another worker; in embedded mode
    it goes with the process, and its stream runs at its next slot (the schedule is in the
    database, one interval on).
    """
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=250)
    worker.start()
    try:
        yield
    finally:
        report(f"stopping: jobs in progress get up to {grace_seconds:g}s to finish")
        worker.stop(timeout=int(grace_seconds * 1000))
        stuck = [thread for thread in worker.workers if thread.is_alive()]
        released = shutdown.release_process_work(session_factory(), sync.process_prefix())
        if stuck or released.streams or released.jobs:
            report(
                f"stopped: {released.streams} unfinished stream run(s) released for the next run "
                f"({len(stuck)} worker thread(s) were still busy)"
            )
        else:
            report("stopped: every job in progress finished")


def run_until_signalled(broker: dramatiq.Broker, threads: int, grace_seconds: float, report: Report) -> None:
    """Serve until SIGINT/SIGTERM, then finish in-flight messages (or release them) and stop."""
    with stop_signals() as stop, serving(broker, threads, grace_seconds, report):
        stop.wait()
