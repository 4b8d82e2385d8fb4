"""Fetch the next pages from a channel while the current batch is written to the database.

An order import alternates between waiting on the channel (HTTP) and waiting on the database;
both waits release the GIL, so a reader thread a few pages ahead roughly overlaps them. The
queue is bounded, so memory stays flat however many orders the channel has; an exception in
the reader is raised in the consumer, where the stream's error handling sees it.

:meth:`Prefetched.ready` tells the consumer whether another page arrives within a moment, so
it can batch pages that arrive faster than it writes and commit at once when the channel is
slow.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_DONE = object()
_NOTHING = object()


class Prefetched(Generic[T]):
    """An iterator over ``source`` read by a background thread, at most ``depth`` items ahead."""

    def __init__(self, source: Iterable[T], depth: int) -> None:
        self._source = source
        self._items: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._next: object = _NOTHING  # an item ready() took off the queue, handed out next

    def ready(self, wait: float = 0.0) -> bool:
        """True when the next item (or the end, or an error) is here, or arrives within ``wait``
        seconds: a reader that is busy for a moment (decoding, validating) is not a slow channel."""
        if self._next is _NOTHING:
            try:
                self._next = self._items.get(timeout=wait)
            except queue.Empty:
                return False
        return True

    def _take(self) -> object:
        item, self._next = self._next, _NOTHING
        return self._items.get() if item is _NOTHING else item

    def _read(self) -> None:
        try:
            for item in self._source:
                while not self._stop.is_set():
                    try:
                        self._items.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._items.put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            self._items.put(exc)

    def __iter__(self) -> Iterator[T]:
        reader = threading.Thread(target=self._read, name="prefetch", daemon=True)
        reader.start()
        try:
            while True:
                item = self._take()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self._stop.set()  # the consumer stopped early (an error, or a lost lock): let the reader end
            reader.join(timeout=5)


def prefetched(source: Iterable[T], depth: int = 4) -> Prefetched[T]:
    """Iterate ``source`` in a background thread, at most ``depth`` items ahead."""
    return Prefetched(source, depth)
