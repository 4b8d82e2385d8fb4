"""Fetch the next pages from a channel while the current batch is written to the database.

An order import alternates between waiting on the channel (HTTP) and waiting on the database;
both waits release the GIL, so a reader thread a few pages ahead roughly overlaps them. The
queue is bounded, so memory stays flat however many orders the channel has; an exception in
the reader is raised in the consumer, where the stream's error handling sees it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(source: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``source`` in a background thread, at most ``depth`` items ahead."""
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            items.put(exc)

    reader = threading.Thread(target=read, name="prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()  # the consumer stopped early (an error, or a lost lock): let the reader end
        reader.join(timeout=5)
