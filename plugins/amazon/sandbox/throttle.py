"""Token buckets enforcing SP-API usage plans, on a scaled clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from plugins.amazon.operations import UsagePlan


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class Throttle:
    """One bucket per (seller, operation key): refill ``plan.rate * time_scale`` per second,
    size ``plan.burst``, starting full — Amazon's token-bucket model of a usage plan."""

    def __init__(self, time_scale: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._scale = time_scale
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def scaled_rate(self, plan: UsagePlan) -> float:
        return plan.rate * self._scale

    def take(self, seller_id: str, key: str, plan: UsagePlan) -> bool:
        """Take one token; False when the bucket is empty (the caller answers 429)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get((seller_id, key))
            if bucket is None:
                bucket = self._buckets[(seller_id, key)] = _Bucket(float(plan.burst), now)
            else:
                refill = (now - bucket.updated) * self.scaled_rate(plan)
                bucket.tokens = min(float(plan.burst), bucket.tokens + refill)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True
            return False

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
