"""A local stand-in for the FRED API serving real series bundled with the `arch` package.

Speaks the documented JSON shapes of `/fred/series` (`seriess`), `/fred/series/observations` (`realtime_start`,
`observation_start`, `units`, `count`, `offset`, `limit`, `observations` [{realtime_start, realtime_end, date,
value}] with values as strings and "." for a missing observation) and `/fred/series/search`, and FRED's errors:
{"error_code": 400, "error_message": "Bad Request.  ..."}. FRED rejects a missing, malformed or unknown api_key
with HTTP 400, not 401, and so does this fake.

Series: DCOILWTICO (arch.data.wti, with its 290 real holiday gaps served as "."), CPILFESL (core_cpi), AAA and
BAA (default), VIXCLS (vix, with its real gaps). Only file_type=json is spoken (FRED would send XML otherwise).

Knobs beyond FakeApiServer's: `api_key` (the one valid key; FRED keys are 32 lower-case alphanumerics) and
`page_size` (caps `limit`, and is reported as the limit, to force paging through `offset`).
"""

import re
from datetime import date
from functools import cache
from importlib import import_module

import pandas as pd

from .base import FakeApiServer, Response

VALID_KEY = "abcdef0123456789abcdef0123456789"
MAX_LIMIT = 100000
KEY_HELP = "Read https://fred.stlouisfed.org/docs/api/api_key.html for more information."

SERIES = {
    "DCOILWTICO": {
        "source": ("arch.data.wti", "DCOILWTICO"),
        "title": "Crude Oil Prices: West Texas Intermediate (WTI) - Cushing, Oklahoma",
        "frequency": "Daily",
        "frequency_short": "D",
        "units": "Dollars per Barrel",
        "units_short": "$ per Barrel",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
        "notes": "Definitions, Sources and Explanatory Notes: crude oil spot price.",
    },
    "CPILFESL": {
        "source": ("arch.data.core_cpi", "CPILFESL"),
        "title": "Consumer Price Index for All Urban Consumers: All Items Less Food and Energy in U.S. City Average",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Index 1982-1984=100",
        "units_short": "Index 1982-1984=100",
        "seasonal_adjustment": "Seasonally Adjusted",
        "seasonal_adjustment_short": "SA",
        "notes": "The Consumer Price Index less food and energy, core inflation.",
    },
    "AAA": {
        "source": ("arch.data.default", "AAA"),
        "title": "Moody's Seasoned Aaa Corporate Bond Yield",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
        "notes": "Averages of daily data. Corporate bond yield, interest rate.",
    },
    "BAA": {
        "source": ("arch.data.default", "BAA"),
        "title": "Moody's Seasoned Baa Corporate Bond Yield",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
        "notes": "Averages of daily data. Corporate bond yield, interest rate.",
    },
    "VIXCLS": {
        "source": ("arch.data.vix", "vix"),
        "title": "CBOE Volatility Index: VIX",
        "frequency": "Daily, Close",
        "frequency_short": "D",
        "units": "Index",
        "units_short": "Index",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
        "notes": "VIX measures market expectation of near term volatility conveyed by stock index option prices.",
    },
}


@cache
def raw_series(series_id: str) -> pd.Series:
    """The arch history of a series, NaN where FRED has no observation; indexed by python dates."""
    module, column = SERIES[series_id]["source"]
    values = import_module(module).load()[column].astype("float64")
    return pd.Series(values.to_numpy(), index=pd.Index(pd.DatetimeIndex(values.index).date, name="date"))


def fred_value(value: float) -> str:
    return "." if pd.isna(value) else repr(float(value))


class FakeFred(FakeApiServer):
    def __init__(self, *, api_key: str = VALID_KEY, page_size: int = MAX_LIMIT) -> None:
        super().__init__()
        self.api_key = api_key
        self.page_size = page_size
        self.today = date.today().isoformat()

    def error_body(self, status: int, message: str) -> dict:
        return {"error_code": status, "error_message": message}

    def _bad(self, message: str) -> Response:
        return 400, self.error_body(400, f"Bad Request.  {message}"), {}

    def route(self, path: str, params: dict[str, str]) -> Response:
        key = params.get("api_key")
        if key is None:
            return self._bad("Variable api_key has not been set.")
        if not re.fullmatch(r"[a-z0-9]{32}", key):
            return self._bad(
                f"The value for variable api_key is not a 32 character alpha-numeric lower-case string.  {KEY_HELP}"
            )
        if key != self.api_key:
            return self._bad(f"The value for variable api_key is not registered.  {KEY_HELP}")
        if params.get("file_type") != "json":
            return self._bad("This fake FRED server only speaks file_type=json.")
        if path == "/fred/series/search":
            return self._search(params)
        if path not in ("/fred/series", "/fred/series/observations"):
            return 404, self.error_body(404, "Not Found"), {}
        series_id = params.get("series_id")
        if not series_id:
            return self._bad("Variable series_id is not set.")
        if series_id not in SERIES:
            return self._bad("The series does not exist.")
        if path == "/fred/series":
            return (
                200,
                {"realtime_start": self.today, "realtime_end": self.today, "seriess": [self._meta(series_id)]},
                {},
            )
        return self._observations(series_id, params)

    def _meta(self, series_id: str) -> dict:
        values = raw_series(series_id)
        meta = {k: v for k, v in SERIES[series_id].items() if k != "source"}
        return {
            "id": series_id,
            "realtime_start": self.today,
            "realtime_end": self.today,
            "observation_start": values.index[0].isoformat(),
            "observation_end": values.index[-1].isoformat(),
            **meta,
            "last_updated": f"{values.index[-1].isoformat()} 15:00:00-06",
        }

    def _observations(self, series_id: str, params: dict[str, str]) -> Response:
        try:
            start = date.fromisoformat(params.get("observation_start", "1776-07-04"))
            end = date.fromisoformat(params.get("observation_end", "9999-12-31"))
        except ValueError:
            return self._bad("Variable observation_start or observation_end is not a valid YYYY-MM-DD date.")
        try:
            limit, offset = int(params.get("limit", MAX_LIMIT)), int(params.get("offset", 0))
        except ValueError:
            return self._bad("Variable limit or offset is not an integer.")
        if not 1 <= limit <= MAX_LIMIT:
            return self._bad("Variable limit is not between 1 and 100000.")
        limit = min(limit, self.page_size)
        values = raw_series(series_id)
        values = values[(values.index >= start) & (values.index <= end)]
        sort_order = params.get("sort_order", "asc")
        if sort_order == "desc":
            values = values.iloc[::-1]
        page = values.iloc[offset : offset + limit]
        return (
            200,
            {
                "realtime_start": self.today,
                "realtime_end": self.today,
                "observation_start": start.isoformat(),
                "observation_end": end.isoformat(),
                "units": "lin",
                "output_type": 1,
                "file_type": "json",
                "order_by": "observation_date",
                "sort_order": sort_order,
                "count": len(values),
                "offset": offset,
                "limit": limit,
                "observations": [
                    {
                        "realtime_start": self.today,
                        "realtime_end": self.today,
                        "date": day.isoformat(),
                        "value": fred_value(value),
                    }
                    for day, value in page.items()
                ],
            },
            {},
        )

    def _search(self, params: dict[str, str]) -> Response:
        words = params.get("search_text", "").lower().split()
        limit = min(int(params.get("limit", 1000)), self.page_size)
        offset = int(params.get("offset", 0))
        scored = []
        for series_id, meta in SERIES.items():
            haystack = f"{series_id} {meta['title']} {meta['notes']}".lower()
            score = sum(word in haystack for word in words)
            if score:
                scored.append((-score, series_id))
        found = [self._meta(series_id) for _, series_id in sorted(scored)]
        return (
            200,
            {
                "realtime_start": self.today,
                "realtime_end": self.today,
                "order_by": "search_rank",
                "sort_order": "desc",
                "count": len(found),
                "offset": offset,
                "limit": limit,
                "seriess": found[offset : offset + limit],
            },
            {},
        )
