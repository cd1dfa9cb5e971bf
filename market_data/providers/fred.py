"""The St. Louis Fed's FRED as a provider: economic series (one frequency each, nothing to adjust) and search."""

from datetime import date
from typing import TYPE_CHECKING, Any

from ..frames import naive_utc
from .base import DataProvider, Fetched, SeriesInfo

if TYPE_CHECKING:  # imported where a series is fetched (see base.py)
    from ..fred import FredClient
    from ..http import Limiter

# FRED's frequency_short codes, as our frequency names.
FREQUENCIES = {"D": "1d", "W": "1w", "BW": "2w", "M": "1mo", "Q": "1q", "SA": "6mo", "A": "1y"}
ENDPOINT = "/fred/series/observations"


class FredProvider(DataProvider):
    source = "fred"
    label = "FRED"
    symbol_hint = "a FRED series id"
    default_base_url = "https://api.stlouisfed.org"
    default_rate_limit_per_minute = 120

    def connect(
        self, *, api_key: str, base_url: str, timeout: float, max_retries: int, rate_limiter: "Limiter"
    ) -> "FredClient":
        from ..fred import FredClient

        return FredClient(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, rate_limiter=rate_limiter
        )

    def describe(self, client: "FredClient", *, symbol: str, multiplier: int, timespan: str) -> SeriesInfo:
        info = client.series_info(symbol)
        return SeriesInfo(
            name=str(info.get("title") or symbol)[:200],
            kind="series",
            frequency=FREQUENCIES.get(str(info.get("frequency_short", "")).upper(), "1d"),
            daily=True,
        )

    def fetch(
        self,
        client: "FredClient",
        *,
        symbol: str,
        start: date,
        end: date,
        multiplier: int,
        timespan: str,
        adjusted: bool,
    ) -> Fetched:
        raw = client.observations(symbol, start=start, end=end)
        data = raw.set_axis(naive_utc(raw.index), axis=0).astype("float64").rename(symbol)
        params = {"series_id": symbol, "observation_start": start.isoformat(), "observation_end": end.isoformat()}
        return Fetched(data=data, endpoint=ENDPOINT, params=params)

    def search(self, client: "FredClient", *, query: str, limit: int) -> list[dict[str, Any]]:
        return [
            {
                "symbol": s.get("id", ""),
                "name": s.get("title", ""),
                "frequency": s.get("frequency_short", ""),
                "units": s.get("units", ""),
                "observation_start": s.get("observation_start", ""),
                "observation_end": s.get("observation_end", ""),
            }
            for s in client.search(query, limit=limit)
        ]
