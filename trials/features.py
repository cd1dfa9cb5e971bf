"""Features and targets from price history, each value computed only from data known at that bar's close.

Every feature at date t uses bars up to and including t (rolling windows look back, never forward), and macro
series are joined as of the date they were known: daily series at their own date, longer ones only after their
publication lag (publication_lag). Targets look forward by `horizon` bars and are never features.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from models_catalog.indicators import rsi
from models_catalog.lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

FEATURE_COLUMNS = [
    "ret_1",
    "ret_5",
    "ret_10",
    "ret_20",
    "vol_5",
    "vol_20",
    "vol_ratio",
    "mom_60",
    "ma_gap_20",
    "ma_gap_50",
    "rsi_14",
    "range_1",
    "volume_z_20",
]


def price_features(bars: pd.DataFrame) -> pd.DataFrame:
    close = bars["close"]
    log_close = np.log(close)
    ret = log_close.diff()
    features = pd.DataFrame(index=bars.index)
    for window in (1, 5, 10, 20):
        features[f"ret_{window}"] = log_close.diff(window)
    features["vol_5"] = ret.rolling(5).std()
    features["vol_20"] = ret.rolling(20).std()
    features["vol_ratio"] = features["vol_5"] / features["vol_20"]
    features["mom_60"] = log_close.diff(60)
    features["ma_gap_20"] = close / close.rolling(20).mean() - 1
    features["ma_gap_50"] = close / close.rolling(50).mean() - 1
    features["rsi_14"] = rsi(close, 14)
    features["range_1"] = (bars["high"] - bars["low"]) / close
    log_volume = np.log(bars["volume"].where(bars["volume"] > 0))
    features["volume_z_20"] = (log_volume - log_volume.rolling(20).mean()) / log_volume.rolling(20).std()
    if log_volume.isna().all():
        features = features.drop(columns="volume_z_20")  # an index without volume: leave the feature out
    return features


_FREQUENCY = re.compile(r"^(\d{1,4})(m|h|d|w|mo|q|y)$")
_MONTHS = {"mo": 1, "q": 3, "y": 12}


def publication_lag(frequency: str, lag_days: int | None = None):
    """How an observation's date becomes the date it was known, as a function of the observation dates.

    An observation dated at the start of the period it covers (FRED's convention) is known at the end of the
    period after it: a month's value from the end of the next month (January's CPI from 28/29 February), a
    quarter's from the end of the next quarter (Q1 from 30 June), a half-year's from the end of the next half, a
    year's from the end of the next year, a week's or two weeks' two periods after its date (14 or 28 days).
    Daily and intraday observations are known at their own timestamp. A series that declares its own lag
    (`lag_days`) is known that many days after its date instead. ValueError for a frequency with no known lag.
    """
    if lag_days is not None:
        return lambda index: index + pd.Timedelta(days=lag_days)
    match = _FREQUENCY.match(str(frequency or ""))
    if not match:
        raise ValueError(f"no publication lag is known for frequency {frequency!r}: declare the series' own lag")
    count, unit = int(match.group(1)), match.group(2)
    if unit in ("m", "h", "d"):
        return lambda index: index
    if unit == "w":
        return lambda index: index + pd.Timedelta(weeks=2 * count)
    return lambda index: index + pd.offsets.MonthEnd(2 * count * _MONTHS[unit])


def known_from(series: pd.Series, frequency: str, lag_days: int | None = None) -> pd.Series:
    """Re-date a macro series to when its values were known (see publication_lag)."""
    series = series.copy()
    series.index = publication_lag(frequency, lag_days)(pd.DatetimeIndex(series.index))
    return series[~series.index.duplicated(keep="last")].sort_index()


def macro_features(index: pd.DatetimeIndex, macro: dict[str, tuple]) -> pd.DataFrame:
    """Each macro series as of every date in `index`: its level and its change over the last 20 bars.

    `macro` maps a key to (series, frequency) or (series, frequency, declared lag in days)."""
    features = pd.DataFrame(index=index)
    for key, (series, frequency, *lag) in macro.items():
        asof = known_from(series, frequency, *lag).reindex(index, method="ffill")
        features[f"{key.lower()}_level"] = asof
        features[f"{key.lower()}_chg_20"] = asof - asof.shift(20)
    return features


def build_features(bars: pd.DataFrame, macro: dict[str, tuple] | None = None) -> pd.DataFrame:
    features = price_features(bars)
    if macro:
        features = features.join(macro_features(bars.index, macro))
    return features.replace([np.inf, -np.inf], np.nan)


def next_return(bars: pd.DataFrame) -> pd.Series:
    """Simple return from this bar's close to the next bar's close: what a position taken at this close earns."""
    close = bars["close"]
    return (close.shift(-1) / close - 1).rename("next_return")


def aligned_next_return(benchmark_bars: pd.DataFrame, index: pd.DatetimeIndex, tolerance: str = "7D") -> pd.Series:
    """Another instrument's simple return over the same intervals as `index` (the trial's bar dates): its close as
    of each date (the last bar at or before it, at most `tolerance` older, e.g. over a holiday of its exchange)
    to its close as of the next date. NaN where it has no bar close enough."""
    close = benchmark_bars["close"].sort_index()
    left = pd.DataFrame({"ts": pd.DatetimeIndex(index).as_unit("ns")})
    right = pd.DataFrame({"ts": pd.DatetimeIndex(close.index).as_unit("ns"), "close": close.to_numpy()})
    asof = pd.merge_asof(left, right, on="ts", direction="backward", tolerance=pd.Timedelta(tolerance))
    aligned = pd.Series(asof["close"].to_numpy(), index=index)
    return (aligned.shift(-1) / aligned - 1).rename("benchmark_return")


def build_target(bars: pd.DataFrame, *, target: str, horizon: int) -> pd.Series:
    """The label at t: the move from t's close over the next `horizon` bars (NaN where not yet known)."""
    close = bars["close"]
    forward = close.shift(-horizon) / close - 1
    if target == "return":
        return forward.rename("target")
    if target == "direction":
        return (forward > 0).astype("float64").where(forward.notna()).rename("target")
    if target == "volatility":
        daily = np.log(close).diff()
        # Realised volatility of the next `horizon` daily log returns (root mean square, not annualised).
        future_sq = sum(daily.shift(-k) ** 2 for k in range(1, horizon + 1))
        return np.sqrt(future_sq / horizon).rename("target")
    raise ValueError(f"unknown target {target!r}")


def make_dataset(
    bars: pd.DataFrame,
    *,
    target: str,
    horizon: int,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    macro: dict[str, tuple] | None = None,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """(features, labels, next_return) on the rows in [start, end] where all three are known.

    Bars after `end` are cut first, so no label ever uses a price after the chosen range; bars before `start`
    are kept as warm-up history for the rolling features.
    """
    if end is not None:
        bars = bars.loc[:end]
    features = build_features(bars, macro)
    labels = build_target(bars, target=target, horizon=horizon)
    forward = next_return(bars)
    frame = features.join(labels).join(forward)
    if start is not None:
        frame = frame.loc[start:]
    frame = frame.dropna()
    return frame[features.columns], frame["target"], frame["next_return"]
