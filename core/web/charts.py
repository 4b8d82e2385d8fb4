"""Usage as an inline SVG bar chart: no JavaScript charting library, works offline."""

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


def usage_bars(days: list[dict[str, Any]], width: int = 720, height: int = 200) -> BarChart:
    """One stacked bar per day (MFN below, FBA above), scaled to the busiest day."""
    peak = max((d["mfn_orders"] + d["fba_orders"] for d in days), default=0) or 1
    step = width / max(len(days), 1)
    bars = []
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
                title=f"{day['day']}: {day['mfn_orders']} MFN, {day['fba_orders']} FBA",
            )
        )
    return BarChart(width, height, peak, bars)
