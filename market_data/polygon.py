"""Client for Polygon.io's REST API (now branded Massive): aggregate bars, ticker search, previous close."""

import time
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

import pandas as pd

from .errors import DataSourceError, DataSourceNotFound
from .frames import BAR_COLUMNS
from .http import JsonHttpClient, Limiter, Provider

_FIELDS = {"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"}
# Polygon caps an aggregates page at 50,000 bars; ask for the most so long histories take few requests.
_AGGS_LIMIT = 50000


def _polygon_error_message(body: Any) -> str | None:
    # Errors look like {"status": "ERROR", "request_id": ..., "error": "Unknown API Key"}; plan refusals use "message".
    return body.get("error") or body.get("message") if isinstance(body, dict) else None


POLYGON = Provider(name="Polygon", key_setting="POLYGON_API_KEY", error_message=_polygon_error_message)


class PolygonClient:
    """Polygon REST endpoints we use. The key travels in an `Authorization: Bearer` header, as Polygon's official
    client sends it (Polygon also accepts an `apiKey` query parameter; a header keeps the key out of every URL).

    The free plan allows 5 requests a minute, hence the default `rate_limit_per_minute=5` (spacing within this
    client); pass None for paid plans, or a shared `rate_limiter` to spread one budget over several processes.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.polygon.io",
        timeout: float = 10.0,
        max_retries: int = 3,
        rate_limit_per_minute: int | None = 5,
        rate_limiter: Limiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not api_key:
            raise ValueError("a Polygon API key is required")
        self._http = JsonHttpClient(
            provider=POLYGON,
            base_url=base_url,
            secret=api_key,
            auth_headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            max_retries=max_retries,
            rate_limit_per_minute=rate_limit_per_minute,
            rate_limiter=rate_limiter,
            sleep=sleep,
        )

    def aggregates(
        self, *, ticker: str, multiplier: int, timespan: str, start: date, end: date, adjusted: bool = True
    ) -> pd.DataFrame:
        """Bars from `start` to `end` (both inclusive) as float columns open, high, low, close, volume.

        Indexed by `ts`, the bar's window start as a tz-aware UTC DatetimeIndex. Polygon stamps daily bars at
        midnight New York time, so a daily bar for 2020-01-03 is 2020-01-03 05:00 UTC. Volume is NaN where
        Polygon gives none (indices such as I:SPX). Follows `next_url` until the range is exhausted.
        """
        path = (
            f"/v2/aggs/ticker/{quote(ticker, safe=':')}/range/{int(multiplier)}/{quote(timespan, safe='')}"
            f"/{start.isoformat()}/{end.isoformat()}"
        )
        params: dict[str, str] | None = {
            "adjusted": "true" if adjusted else "false",
            "sort": "asc",
            "limit": str(_AGGS_LIMIT),
        }
        rows: list[dict] = []
        seen_links: set[str] = set()
        target = path
        while True:
            body = self._http.get(target, params)
            rows.extend(body.get("results") or [])
            next_url = body.get("next_url")
            if not next_url:
                break
            if next_url in seen_links:
                raise DataSourceError(f"Polygon's pagination for {ticker} loops; giving up.", source="Polygon")
            seen_links.add(next_url)
            # The link carries its own cursor (which encodes limit and sort); it is followed as given.
            target, params = next_url, None
        return _bars_frame(rows)

    def ticker_search(self, *, search: str, market: str | None = None, limit: int = 20) -> list[dict]:
        """Active tickers whose symbol or name matches `search`, as Polygon describes them (ticker, name, market...)."""
        params = {"search": search, "active": "true", "limit": str(int(limit))}
        if market:
            params["market"] = market
        body = self._http.get("/v3/reference/tickers", params)
        return list(body.get("results") or [])[:limit]

    def previous_close(self, *, ticker: str) -> dict:
        """The previous trading day's bar: {"ticker", "ts" (aware UTC datetime), "open", "high", "low", "close",
        "volume", "vwap"}; volume and vwap are None where Polygon gives none."""
        body = self._http.get(f"/v2/aggs/ticker/{quote(ticker, safe=':')}/prev", {"adjusted": "true"})
        results = body.get("results") or []
        if not results:
            raise DataSourceNotFound(f"Polygon has no previous close for {ticker}.", source="Polygon")
        bar = results[0]
        return {
            "ticker": bar.get("T", body.get("ticker", ticker)),
            "ts": pd.Timestamp(bar["t"], unit="ms", tz="UTC").to_pydatetime(),
            "open": float(bar["o"]),
            "high": float(bar["h"]),
            "low": float(bar["l"]),
            "close": float(bar["c"]),
            "volume": float(bar["v"]) if bar.get("v") is not None else None,
            "vwap": float(bar["vw"]) if bar.get("vw") is not None else None,
        }


def _bars_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(
            {column: pd.Series(dtype="float64") for column in BAR_COLUMNS},
            index=pd.DatetimeIndex([], tz="UTC", name="ts").as_unit("us"),
        )
    try:
        stamps = pd.to_datetime([row["t"] for row in rows], unit="ms", utc=True).as_unit("us")
        frame = pd.DataFrame(
            {name: [row.get(short) for row in rows] for short, name in _FIELDS.items()},
            index=pd.DatetimeIndex(stamps, name="ts"),
        ).astype("float64")
    except (KeyError, TypeError, ValueError) as exc:
        raise DataSourceError(f"Polygon returned a malformed bar ({exc!r}).", source="Polygon") from None
    # Pages must not overlap, but if a cursor ever repeats a bar keep the first copy rather than duplicate it.
    return frame[~frame.index.duplicated(keep="first")].sort_index()
