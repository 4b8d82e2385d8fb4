"""Pace SP-API calls with Amazon's usage plans, before sending, never after a 429.

One token bucket per (seller, region, operation), refilled at the plan's rate and holding
at most its burst, as Amazon's own limiter does. A caller *reserves* a token: the bucket
may go negative, and the caller sleeps until its reservation matures. Reservations are
handed out in order, so many threads or processes share the budget fairly and the calls
they send never exceed what the plan allows.

Buckets live in process memory in embedded mode. With Redis they live in Redis and the
reservation is one atomic Lua script that reads Redis's own clock, so workers on many
machines share one budget whatever their clocks say.

A call that can as well wait for its next interval (an incremental poll) *takes* a token
instead (:meth:`RateLimiter.try_take`): only if one is free now, never going into debt, so it
never queues in front of a backlog (a first import) that is already waiting for the budget.

``x-amzn-RateLimit-Limit`` on a response overrides the plan's rate for that bucket: Amazon
may grant a seller more than the published default (and the sandbox's time scale shows up
there too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from plugins.amazon.operations import UsagePlan

SAFETY = 0.97
"""Fraction of the plan we use: requests arrive a little bunched after network jitter, and the
last few percent of throughput are not worth a 429."""


@dataclass(frozen=True, slots=True)
class BucketKey:
    seller_id: str
    region: str
    operation: str

    def __str__(self) -> str:
        return f"{self.seller_id}:{self.region}:{self.operation}"


class RateLimiter(Protocol):
    def reserve(self, key: BucketKey, plan: UsagePlan) -> float:
        """Take one token; return how many seconds to wait before sending."""

    def try_take(self, key: BucketKey, plan: UsagePlan) -> bool:
        """Take one token only if one is free now (no debt, no wait); False leaves the bucket be."""

    def observe_rate(self, key: BucketKey, rate: float) -> None:
        """Use ``rate`` (requests/second, from the response header) for this bucket from now on."""


def _effective(plan: UsagePlan, observed: float | None) -> tuple[float, float]:
    rate = (observed if observed and observed > 0 else plan.rate) * SAFETY
    burst = max(plan.burst - 1, 1)  # one token of margin for requests already in flight
    return rate, float(burst)


class MemoryRateLimiter:
    """Buckets in this process (embedded mode: one process does all the work)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[BucketKey, tuple[float, float]] = {}
        self._rates: dict[BucketKey, float] = {}
        self._clock = clock

    def reserve(self, key: BucketKey, plan: UsagePlan) -> float:
        rate, burst = _effective(plan, self._rates.get(key))
        with self._lock:
            now = self._clock()
            tokens, stamp = self._tokens.get(key, (burst, now))
            tokens = min(burst, tokens + (now - stamp) * rate) - 1
            self._tokens[key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / rate

    def try_take(self, key: BucketKey, plan: UsagePlan) -> bool:
        rate, burst = _effective(plan, self._rates.get(key))
        with self._lock:
            now = self._clock()
            tokens, stamp = self._tokens.get(key, (burst, now))
            tokens = min(burst, tokens + (now - stamp) * rate)
            if tokens < 1:
                return False
            self._tokens[key] = (tokens - 1, now)
        return True

    def observe_rate(self, key: BucketKey, rate: float) -> None:
        self._rates[key] = rate


_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local observed = tonumber(redis.call('HGET', KEYS[1], 'observed') or '0')
local rate = tonumber(ARGV[1])
if observed > 0 then rate = observed * tonumber(ARGV[3]) end
local burst = tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
local stamp = tonumber(redis.call('HGET', KEYS[1], 'stamp') or now)
tokens = math.min(burst, tokens + (now - stamp) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 86400)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


_TRY_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local observed = tonumber(redis.call('HGET', KEYS[1], 'observed') or '0')
local rate = tonumber(ARGV[1])
if observed > 0 then rate = observed * tonumber(ARGV[3]) end
local burst = tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
local stamp = tonumber(redis.call('HGET', KEYS[1], 'stamp') or now)
tokens = math.min(burst, tokens + (now - stamp) * rate)
if tokens < 1 then return 0 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 86400)
return 1
"""


class RedisRateLimiter:
    """Buckets shared by every worker through Redis (one atomic script per reservation)."""

    def __init__(self, url: str, prefix: str = "channelhub:amazon:bucket") -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._script = self._redis.register_script(_RESERVE)
        self._try_take = self._redis.register_script(_TRY_TAKE)

    def _key(self, key: BucketKey) -> str:
        return f"{self._prefix}:{key}"

    def reserve(self, key: BucketKey, plan: UsagePlan) -> float:
        rate, burst = _effective(plan, None)
        wait = self._script(keys=[self._key(key)], args=[rate, burst, SAFETY])
        return float(wait)

    def try_take(self, key: BucketKey, plan: UsagePlan) -> bool:
        rate, burst = _effective(plan, None)
        return bool(int(self._try_take(keys=[self._key(key)], args=[rate, burst, SAFETY])))

    def observe_rate(self, key: BucketKey, rate: float) -> None:
        self._redis.hset(self._key(key), "observed", str(rate))


class _Unlimited:
    """No pacing: for a sandbox started with ``--no-throttle`` (benchmarks of everything else)."""

    def reserve(self, key: BucketKey, plan: UsagePlan) -> float:
        return 0.0

    def try_take(self, key: BucketKey, plan: UsagePlan) -> bool:
        return True

    def observe_rate(self, key: BucketKey, rate: float) -> None:
        pass


UNLIMITED: RateLimiter = _Unlimited()

_shared: dict[str | None, RateLimiter] = {}
_shared_lock = threading.Lock()


def limiter_for(redis_url: str | None) -> RateLimiter:
    """One limiter per process and Redis URL, so every client in the process shares budgets."""
    with _shared_lock:
        if redis_url not in _shared:
            _shared[redis_url] = RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
        return _shared[redis_url]
