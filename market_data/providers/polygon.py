"""Polygon.io (now Massive) as a provider: aggregate bars of any size, split-adjusted or not, and ticker search."""

from datetime import date
from typing import TYPE_CHECKING, Any

from ..frames import BAR_COLUMNS, NEW_YORK, naive_utc
from .base import DataProvider, Fetched, SeriesInfo

if TYPE_CHECKING:  # imported where bars are fetched (see base.py)
    import pandas as pd

    from ..http import Limiter
    from ..polygon import PolygonClient

# Polygon's timespans, and the letter each adds to a frequency name ("5m", "1d", "1mo").
TIMESPANS = {"minute": "m", "hour": "h", "day": "d", "week": "w", "month": "mo", "quarter": "q", "year": "y"}
DAILY_OR_LONGER = {"day", "week", "month", "quarter", "year"}
ENDPOINT = "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}"


def polygon_frequency(*, multiplier: int, timespan: str) -> str:
    return f"{multiplier}{TIMESPANS[timespan]}"


class PolygonProvider(DataProvider):
    source = "polygon"
    label = "Polygon"
    symbol_hint = "a Polygon ticker such as SPY, X:BTCUSD or I:SPX"
    default_base_url = "https://api.polygon.io"
    default_rate_limit_per_minute = 5  # the free plan's limit
    bar_sizes = True
    timespans = tuple(TIMESPANS)

    def options(self, *, multiplier: int, timespan: str, adjusted: bool) -> tuple[dict[str, Any], dict[str, str]]:
        errors = {}
        if timespan not in TIMESPANS:
            errors["timespan"] = f"must be one of {', '.join(TIMESPANS)}, got {timespan!r}"
        if not isinstance(multiplier, int) or isinstance(multiplier, bool) or not 1 <= multiplier <= 1000:
            errors["multiplier"] = f"must be a whole number from 1 to 1000, got {multiplier!r}"
        return {"multiplier": multiplier, "timespan": timespan, "adjusted": adjusted}, errors

    def connect(
        self, *, api_key: str, base_url: str, timeout: float, max_retries: int, rate_limiter: "Limiter"
    ) -> "PolygonClient":
        from ..polygon import PolygonClient

        return PolygonClient(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            rate_limit_per_minute=None,
            rate_limiter=rate_limiter,
        )

    def describe(self, client: "PolygonClient", *, symbol: str, multiplier: int, timespan: str) -> SeriesInfo:
        return SeriesInfo(
            name=symbol,
            kind="bars",
            frequency=polygon_frequency(multiplier=multiplier, timespan=timespan),
            daily=timespan in DAILY_OR_LONGER,
        )

    def fetch(
        self,
        client: "PolygonClient",
        *,
        symbol: str,
        start: date,
        end: date,
        multiplier: int,
        timespan: str,
        adjusted: bool,
    ) -> Fetched:
        raw = client.aggregates(
            ticker=symbol, multiplier=multiplier, timespan=timespan, start=start, end=end, adjusted=adjusted
        )
        params = {
            "ticker": symbol,
            "multiplier": multiplier,
            "timespan": timespan,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "adjusted": adjusted,
            "sort": "asc",
        }
        return Fetched(data=_stored_bars(raw, timespan=timespan), endpoint=ENDPOINT, params=params)

    def search(self, client: "PolygonClient", *, query: str, limit: int) -> list[dict[str, Any]]:
        return [
            {
                "symbol": t.get("ticker", ""),
                "name": t.get("name", ""),
                "market": t.get("market", ""),
                "type": t.get("type", ""),
            }
            for t in client.ticker_search(search=query, limit=limit)
        ]


def _stored_bars(frame: "pd.DataFrame", *, timespan: str) -> "pd.DataFrame":
    """Polygon bars indexed by naive UTC; daily-or-longer bars at UTC midnight of their New York date."""
    import pandas as pd

    if timespan in DAILY_OR_LONGER:
        # Polygon stamps a daily bar at midnight New York time: its date is the New York date.
        days = pd.DatetimeIndex(frame.index).tz_convert(NEW_YORK).tz_localize(None).normalize()
        frame = frame.set_axis(days, axis=0)
    frame = frame.set_axis(naive_utc(frame.index), axis=0)
    return frame[~frame.index.duplicated(keep="first")][BAR_COLUMNS].astype("float64")
