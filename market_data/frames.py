"""Time-index conventions shared by the providers and the services: stored rows are stamped in naive UTC."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the constants are read by web code that never builds a frame: pandas loads where one is built
    import pandas as pd

# The columns of a bars dataset, as every provider, upload and reader orders them.
BAR_COLUMNS = ["open", "high", "low", "close", "volume"]

# US markets keep their dates in New York: a daily bar's date, and "today" for a fetch, are New York dates.
NEW_YORK = "America/New_York"


def as_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """`index` as tz-aware UTC (a naive index is taken to be UTC already)."""
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """`index` as naive UTC in microseconds, named `ts`: the shape stored series are compared and merged in."""
    import pandas as pd

    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("us").rename("ts")
