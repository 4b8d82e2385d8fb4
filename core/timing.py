"""Every time constant of a channelhub deployment, in one object, scaled by one factor.

The guarantees (a lease outlives a page, a heartbeat comes three times per lease, a stream's
interval is longer than its lease) hold only while the ratios between these constants are
Amazon's. Tests and the sandbox speed time up by dividing *all* of them by the same
``time_scale``, never by shortening one; production runs at scale 1. The sandbox's own time
scale (how much faster than Amazon its usage plans refill) is the same factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from core.settings import Settings, get_settings

STREAM_MINUTES: dict[str, float] = {
    "orders": 10,
    "products": 45,
    "inventory": 10,
    "mcf": 6 * 60,
    "outbound": 10,
}
"""Default interval per stream at Amazon's pace (DESIGN.md section 3)."""


@dataclass(frozen=True)
class Timing:
    """The constants at Amazon's pace, and the factor that divides them all (``time_scale``)."""

    time_scale: float = 1.0
    lease_seconds: float = 120.0
    heartbeat_fraction: float = 1 / 3
    stream_minutes: dict[str, float] = field(default_factory=lambda: dict(STREAM_MINUTES))
    retry_min_backoff_seconds: float = 5.0
    retry_max_backoff_seconds: float = 15 * 60.0
    notify_backoff_seconds: float = 30.0
    notify_backoff_max_seconds: float = 3_600.0
    verify_incomplete_minutes: float = 30.0

    def _scaled(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds / self.time_scale)

    @property
    def lease(self) -> timedelta:
        """How long claimed work (a stream, a notify pass) stays held without a renewal."""
        return self._scaled(self.lease_seconds)

    @property
    def heartbeat(self) -> timedelta:
        return self.lease * self.heartbeat_fraction

    def interval(self, stream: str) -> timedelta:
        return self._scaled(self.stream_minutes[stream] * 60)

    def scaled(self, period: timedelta) -> timedelta:
        """Any other period given at Amazon's pace (a plugin job's ``every``), scaled."""
        return period / self.time_scale

    def scale_minutes(self, minutes: float) -> timedelta:
        """An integration's own interval setting (minutes at Amazon's pace), scaled."""
        return self._scaled(minutes * 60)

    @property
    def retry_min_backoff(self) -> timedelta:
        return self._scaled(self.retry_min_backoff_seconds)

    @property
    def retry_max_backoff(self) -> timedelta:
        return self._scaled(self.retry_max_backoff_seconds)

    @property
    def notify_backoff(self) -> timedelta:
        return self._scaled(self.notify_backoff_seconds)

    @property
    def notify_backoff_max(self) -> timedelta:
        return self._scaled(self.notify_backoff_max_seconds)

    @property
    def verify_incomplete_every(self) -> timedelta:
        """How often an Incomplete integration (its ``add`` was interrupted) is verified again."""
        return self._scaled(self.verify_incomplete_minutes * 60)

    @property
    def sandbox_time_scale(self) -> float:
        """The sandbox runs this many times faster than Amazon: the same factor as everything."""
        return self.time_scale


def timing_from(settings: Settings) -> Timing:
    return Timing(time_scale=settings.time_scale, lease_seconds=settings.stream_lease_seconds)


def get_timing() -> Timing:
    """The process's timing, from ``CHANNELHUB_TIME_SCALE`` and ``CHANNELHUB_STREAM_LEASE_SECONDS``."""
    return timing_from(get_settings())
