"""The reader thread ahead of an import: order kept, nothing lost or repeated, errors surface."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from core.services.prefetch import prefetched


def _slow(items: list[int], delay: float, release: threading.Event | None = None) -> Iterator[int]:
    for item in items:
        if release is not None:
            release.wait(timeout=10)
        time.sleep(delay)
        yield item


def test_items_come_in_order_and_each_once_whatever_ready_takes_ahead() -> None:
    pages = prefetched(_slow(list(range(50)), 0.001), depth=3)
    seen = []
    for item in pages:
        seen.append(item)
        pages.ready(0.01)  # may take the next item off the queue: it must still come next
        pages.ready(0.01)  # asking twice takes nothing more
    assert seen == list(range(50))


def test_ready_waits_for_an_item_a_moment_away_but_not_for_a_slow_one() -> None:
    release = threading.Event()
    pages = prefetched(_slow([1, 2], 0.0, release), depth=2)
    iterator = iter(pages)
    release.set()
    assert next(iterator) == 1
    assert pages.ready(1.0)  # the second one arrives within the wait
    assert next(iterator) == 2
    slow = prefetched(_slow([1, 2], 0.5), depth=2)
    iterator = iter(slow)
    assert next(iterator) == 1
    started = time.monotonic()
    assert not slow.ready(0.05)  # half a second away: not ready, and the wait stayed short
    assert time.monotonic() - started < 0.4
    assert next(iterator) == 2


def test_an_error_in_the_reader_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("the channel went away")

    pages = prefetched(failing(), depth=2)
    seen = []
    with pytest.raises(RuntimeError, match="went away"):
        for item in pages:
            seen.append(item)
            pages.ready(0.5)  # the error is what is ready next; it is raised on the next step
    assert seen == [1]
