"""The paper portfolio's figures and the backtest's band over the same number of bars (no Django here).

Live: the net returns of the signals since promotion. Backtest band: every window of the same number of
consecutive bars of the trial's out-of-sample net returns, and the 5th, 50th and 95th percentiles of each figure
over those windows. Drift: a live figure below its band's 5th percentile (Sharpe, max drawdown, hit rate).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from models_catalog.lazy import deferred
from trials import metrics as m

if TYPE_CHECKING:
    import numpy as np
else:  # imported at their first use: the web process loads this module and needs neither
    np = deferred("numpy")

FIGURES = ("sharpe", "max_drawdown", "hit_rate", "total_return")


def figures(net: np.ndarray, positions: np.ndarray, periods_per_year: float) -> dict:
    net = np.asarray(net, dtype="float64")
    positions = np.asarray(positions, dtype="float64")
    held = positions != 0
    return {
        "bars": int(len(net)),
        "sharpe": m.sharpe_ratio(net, periods_per_year),
        "max_drawdown": m.max_drawdown(net) if len(net) else None,
        "hit_rate": float(np.mean(net[held] > 0)) if held.any() else None,
        "total_return": float(np.prod(1 + net) - 1) if len(net) else None,
    }


def _windows(values: np.ndarray, n: int, limit: int = 2000) -> list[np.ndarray]:
    """Every window of n consecutive values, at most `limit` of them evenly spaced (long backtests)."""
    count = len(values) - n + 1
    if n < 2 or count < 1:
        return []
    starts = np.unique(np.linspace(0, count - 1, min(count, limit)).astype(int))
    return [values[s : s + n] for s in starts]


def _percentiles(values: list[float | None]) -> dict | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    p5, p50, p95 = np.percentile(finite, [5, 50, 95])
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95)}


def backtest_band(net: np.ndarray, positions: np.ndarray, n: int, periods_per_year: float) -> dict:
    """The backtest over windows of `n` bars: each figure's 5th, 50th and 95th percentiles, and the whole
    backtest's figures."""
    net = np.asarray(net, dtype="float64")
    positions = np.asarray(positions, dtype="float64")
    pairs = list(zip(_windows(net, n), _windows(positions, n), strict=True))
    rows = [figures(r, p, periods_per_year) for r, p in pairs]
    return {
        "bars": n,
        "windows": len(rows),
        "band": {name: _percentiles([row[name] for row in rows]) for name in FIGURES},
        "whole": figures(net, positions, periods_per_year),
    }


def drift_reasons(live: dict, band: dict, min_bars: int) -> list[str]:
    """Why the live record is outside the backtest's band (empty: inside, or too few bars to tell)."""
    if live["bars"] < min_bars:
        return []
    found = []
    labels = {"sharpe": "Sharpe", "max_drawdown": "max drawdown", "hit_rate": "hit rate"}
    for name, label in labels.items():
        value, limits = live.get(name), band["band"].get(name)
        if value is None or limits is None:
            continue
        if value < limits["p5"]:
            found.append(
                f"live {label} {value:.3f} over {live['bars']} bars is below the backtest's 5th percentile "
                f"{limits['p5']:.3f} over windows of the same length"
            )
    return found
