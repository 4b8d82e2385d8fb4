"""Usage-plan buckets never let more requests out than the plan allows, alone or shared."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid

import pytest

from plugins.amazon.operations import UsagePlan
from plugins.amazon.ratelimit import BucketKey, MemoryRateLimiter, RedisRateLimiter
from tests.conftest import REDIS_URL

PLAN = UsagePlan(rate=20.0, burst=5)
KEY = BucketKey("SELLER", "EU", "orders.searchOrders")


def assert_within_plan(send_times: list[float], plan: UsagePlan) -> None:
    """In every window starting at a send, sends never exceed burst + rate x window."""
    times = sorted(send_times)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            window = times[j] - start
            assert j - i + 1 <= plan.burst + plan.rate * window + 1e-6, (
                f"{j - i + 1} requests in {window:.3f}s exceed the plan {plan}"
            )


def test_memory_bucket_paces_many_threads() -> None:
    limiter = MemoryRateLimiter()
    sends: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            wait = limiter.reserve(KEY, PLAN)
            at = time.monotonic() + wait  # when this request may go out
            with lock:
                sends.append(at)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sends) == 60
    assert_within_plan(sends, PLAN)
    assert max(sends) - min(sends) >= (60 - PLAN.burst) / PLAN.rate  # and nothing got out early


def test_the_response_header_overrides_the_plan_rate() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    for _ in range(PLAN.burst - 1):
        assert limiter.reserve(KEY, PLAN) == 0
    slow = limiter.reserve(KEY, PLAN)
    limiter.observe_rate(KEY, PLAN.rate * 10)
    fast = limiter.reserve(KEY, PLAN)
    assert 0 < fast < slow  # two tokens owed, yet a shorter wait than one at the plan rate


def _redis_worker(url: str, prefix: str, start: float, count: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    limiter = RedisRateLimiter(url, prefix=prefix)
    time.sleep(max(0.0, start - time.time()))
    for _ in range(count):
        wait = limiter.reserve(KEY, PLAN)
        time.sleep(wait)
        out.put(time.time())


@pytest.mark.redis
def test_two_processes_sharing_redis_never_exceed_the_plan() -> None:
    assert REDIS_URL is not None
    prefix = f"test:{uuid.uuid4().hex[:8]}"
    out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start = time.time() + 1.0
    procs = [
        multiprocessing.Process(target=_redis_worker, args=(REDIS_URL, prefix, start, 25, out))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    sends = [out.get(timeout=30) for _ in range(50)]
    for p in procs:
        p.join(timeout=10)
    assert_within_plan(sends, PLAN)
    elapsed = max(sends) - min(sends)
    assert elapsed >= (50 - PLAN.burst) / PLAN.rate * 0.9  # paced, not serialised to a crawl either
    assert elapsed <= (50 - PLAN.burst) / (PLAN.rate * 0.9) + 1.0


def _limiters() -> list[object]:
    now = [0.0]
    limiters: list[object] = [MemoryRateLimiter(clock=lambda: now[0])]
    if REDIS_URL is not None:
        limiters.append(RedisRateLimiter(REDIS_URL, prefix=f"test:{uuid.uuid4().hex[:8]}"))
    return limiters


@pytest.mark.parametrize("limiter", _limiters(), ids=lambda lim: type(lim).__name__)
def test_try_take_takes_a_free_token_but_never_queues_behind_waiting_callers(limiter: object) -> None:
    """An incremental poll takes a token only when one is free: a backlog waiting in debt wins."""
    assert isinstance(limiter, MemoryRateLimiter | RedisRateLimiter)
    plan = UsagePlan(rate=0.001, burst=5)  # no refill worth counting during the test
    assert limiter.try_take(KEY, plan)  # a full bucket: the poll goes
    while limiter.reserve(KEY, plan) == 0:  # someone else drains it...
        pass
    assert limiter.reserve(KEY, plan) > 0  # ...and waits in line, the bucket in debt
    assert not limiter.try_take(KEY, plan)  # the poll does not join the queue
    assert not limiter.try_take(KEY, plan)
    wait_after = limiter.reserve(KEY, plan)
    assert wait_after == pytest.approx(3 / (plan.rate * 0.97), rel=0.01)  # refusals took nothing
