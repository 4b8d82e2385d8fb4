"""Usage as an inline SVG chart: no JavaScript charting library, works offline.

Bars are orders per day (MFN below, FBA above), scaled to the busiest day. The line is the
month's count so far (MFN 1, FBA 0.5) against the subscription's monthly limit, on a scale of
its own (the taller of the limit and the count), so a person sees when the limit will be hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    mfn_y: float
    mfn_height: float
    fba_y: float
    fba_height: float
    label: str
    title: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    peak: int
    bars: list[Bar]
    counted_points: str
    """SVG polyline points of the count so far, at each day's bar centre."""
    limit_y: float | None
    """Height of the limit line; None without a limit."""


def usage_bars(
    days: list[dict[str, Any]], limit: int | None = None, width: int = 720, height: int = 200
) -> BarChart:
    """One stacked bar per day, and the count so far against ``limit``."""
    peak = max((d["mfn_orders"] + d["fba_orders"] for d in days), default=0) or 1
    top = max([limit or 0, *(d["counted_to_date"] for d in days)]) or 1
    step = width / max(len(days), 1)
    bars = []
    points = []
    for n, day in enumerate(days):
        mfn_h = height * day["mfn_orders"] / peak
        fba_h = height * day["fba_orders"] / peak
        bars.append(
            Bar(
                x=n * step + 1,
                width=max(step - 2, 1),
                mfn_y=height - mfn_h,
                mfn_height=mfn_h,
                fba_y=height - mfn_h - fba_h,
                fba_height=fba_h,
                label=day["day"][-2:],
                title=f"{day['day']}: {day['mfn_orders']} MFN, {day['fba_orders']} FBA, "
                f"{day['counted_to_date']} counted so far",
            )
        )
        points.append(f"{n * step + step / 2:.1f},{height - height * day['counted_to_date'] / top:.1f}")
    limit_y = None if not limit else round(height - height * limit / top, 1)
    return BarChart(width, height, peak, bars, " ".join(points), limit_y)
