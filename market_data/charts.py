"""A line chart as SVG polyline coordinates, computed on the server so the page needs no script or library."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LineChart:
    points: str  # "x,y x,y ..." for <polyline points=...>
    width: int
    height: int
    low: float
    high: float
    first: datetime | None
    last: datetime | None


def line_chart(values: list[tuple[datetime, float]], *, width: int = 800, height: int = 240, pad: int = 8) -> LineChart:
    """Scale (time, value) pairs into the box, evenly spaced by position (trading days, not calendar days)."""
    finite = [(ts, v) for ts, v in values if v is not None and v == v]  # v == v drops NaN
    if not finite:
        return LineChart("", width, height, 0.0, 0.0, None, None)
    low, high = min(v for _, v in finite), max(v for _, v in finite)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(1, len(finite) - 1)
    coords = (
        f"{pad + i * step:.1f},{height - pad - (v - low) / span * (height - 2 * pad):.1f}"
        for i, (_, v) in enumerate(finite)
    )
    return LineChart(" ".join(coords), width, height, low, high, finite[0][0], finite[-1][0])
