"""A series for a chart: the whole history, downsampled on the server so the page stays small.

Each bucket of consecutive points keeps its first, lowest, highest and last point (in time order), so peaks,
crashes and the ends survive; a series shorter than the budget is sent whole. Times are Unix seconds.
"""

from datetime import datetime

MAX_POINTS = 2000


def downsample(points: list[tuple[datetime, float]], *, max_points: int = MAX_POINTS) -> dict:
    """{"time": [...], "values": [...], "points": n_sent, "total": n_in_series, "first": dt, "last": dt}."""
    finite = [(ts, float(v)) for ts, v in points if v is not None and v == v]  # v == v drops NaN
    total = len(finite)
    if total > max_points:
        size = -(-total * 4 // max_points)  # points per bucket, so that four from each fit the budget
        kept = []
        for start in range(0, total, size):
            bucket = finite[start : start + size]
            picks = {0, len(bucket) - 1}
            picks.add(min(range(len(bucket)), key=lambda i: bucket[i][1]))
            picks.add(max(range(len(bucket)), key=lambda i: bucket[i][1]))
            kept.extend(bucket[i] for i in sorted(picks))
        finite = kept
    return {
        "time": [int(ts.timestamp()) for ts, _ in finite],
        "values": [float(f"{v:.8g}") for _, v in finite],
        "points": len(finite),
        "total": total,
        "first": finite[0][0] if finite else None,
        "last": finite[-1][0] if finite else None,
    }
