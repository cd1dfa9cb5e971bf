"""Client for the St. Louis Fed's FRED API: series metadata, observations and search."""

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd

from .errors import DataSourceError, DataSourceNotFound
from .http import JsonHttpClient, Limiter, Provider

# FRED returns at most 100,000 observations per request.
_OBSERVATIONS_LIMIT = 100000
MISSING = "."


def _fred_error_message(body: Any) -> str | None:
    # {"error_code": 400, "error_message": "Bad Request.  The value for variable api_key is not registered. ..."}
    return body.get("error_message") if isinstance(body, dict) else None


def _fred_key_rejected(status: int, message: str) -> bool:
    # FRED answers a missing, malformed or unknown key with 400 rather than 401/403.
    return status == 400 and "api_key" in message


FRED = Provider(
    name="FRED", key_setting="FRED_API_KEY", error_message=_fred_error_message, is_auth_failure=_fred_key_rejected
)


class FredClient:
    """FRED endpoints we use; every request carries `api_key` and `file_type=json` as the API requires.

    FRED allows about 120 requests a minute per key; `rate_limit_per_minute` defaults to None (no spacing) because
    our use is a handful of requests per import.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.stlouisfed.org",
        timeout: float = 10.0,
        max_retries: int = 3,
        rate_limit_per_minute: int | None = None,
        rate_limiter: Limiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not api_key:
            raise ValueError("a FRED API key is required")
        self._http = JsonHttpClient(
            provider=FRED,
            base_url=base_url,
            secret=api_key,
            auth_params={"api_key": api_key, "file_type": "json"},
            timeout=timeout,
            max_retries=max_retries,
            rate_limit_per_minute=rate_limit_per_minute,
            rate_limiter=rate_limiter,
            sleep=sleep,
        )

    def series_info(self, series_id: str) -> dict:
        """FRED's description of a series: id, title, frequency, units, seasonal_adjustment, observation_start..."""
        body = self._http.get("/fred/series", {"series_id": series_id})
        series = body.get("seriess") or []
        if not series:
            raise DataSourceNotFound(f"FRED has no series {series_id}.", source="FRED")
        return dict(series[0])

    def observations(self, series_id: str, *, start: date | None = None, end: date | None = None) -> pd.Series:
        """Values of `series_id` between `start` and `end` (inclusive) as a float Series named after the series.

        Indexed by a tz-naive DatetimeIndex named `date`. FRED marks missing observations (holidays, gaps) with
        ".": those dates are dropped, so the result never contains NaN and a gap is an absent date.
        Pages through `offset` until all `count` observations are read.
        """
        params: dict[str, str] = {"series_id": series_id, "sort_order": "asc", "limit": str(_OBSERVATIONS_LIMIT)}
        if start is not None:
            params["observation_start"] = start.isoformat()
        if end is not None:
            params["observation_end"] = end.isoformat()
        rows: list[dict] = []
        offset = 0
        while True:
            body = self._http.get("/fred/series/observations", {**params, "offset": str(offset)})
            page = body.get("observations") or []
            rows.extend(page)
            offset += len(page)
            if not page or offset >= int(body.get("count", 0)):
                break
        return _observations_series(rows, series_id)

    def search(self, text: str, limit: int = 20) -> list[dict]:
        """Series whose title or notes match `text`, most relevant first, as FRED describes them."""
        body = self._http.get("/fred/series/search", {"search_text": text, "limit": str(int(limit))})
        return list(body.get("seriess") or [])[:limit]


def _observations_series(rows: list[dict], series_id: str) -> pd.Series:
    present = [row for row in rows if row.get("value") != MISSING]
    try:
        dates = pd.to_datetime([row["date"] for row in present], format="%Y-%m-%d")
        index = pd.DatetimeIndex(dates, name="date").as_unit("us")
        values = pd.Series([float(row["value"]) for row in present], index=index, dtype="float64", name=series_id)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataSourceError(
            f"FRED returned a malformed observation for {series_id} ({exc!r}).", source="FRED"
        ) from None
    return values[~values.index.duplicated(keep="first")].sort_index()
